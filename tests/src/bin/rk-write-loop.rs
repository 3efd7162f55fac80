//! Test helper for the crash test: rewrites RoleKeeper's managed section `[rk]` of the file given
//! as the first argument, forever, with credentials numbered from the second argument up. The
//! test kills it with SIGKILL at random moments.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io;

use rolekeeper_core::credfile::{managed, write};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("PATH"));
    let mut k: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    loop {
        let creds = rolekeeper_tests::numbered_credentials(k);
        write::update(
            &path,
            |doc| {
                managed::upsert(doc, "rk", &creds, None, true)
                    .map_err(|c| io::Error::other(format!("{c:?}")))
            },
            |_, _| Ok::<_, io::Error>(()),
        )
        .expect("write");
        k += 1;
    }
}
