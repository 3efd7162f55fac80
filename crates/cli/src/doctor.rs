//! `rolekeeper doctor`: the engine's checks of the setup (`rolekeeper_core::doctor`: the files,
//! the keychain, the notification server, the tray icon's host, the clock against STS), one line each: `ok`, `warn` or
//! `FAIL`, what was found, and what to do. Exits 1 when a check fails
//! (through the usual one-line error, so the exit codes stay those of every other command).

use std::io::Write;

use rolekeeper_core::doctor::{
    checks, clock_check, keychain_check, notification_check, tray_host_check, Outcome,
};
use rolekeeper_core::Engine;

pub fn run() -> anyhow::Result<()> {
    let engine = Engine::system();
    let mut checks = checks(&engine);
    // The checks that ask a service, side by side: each has its own short timeout.
    let runtime = crate::serve::runtime()?;
    let (keychain, notifications, tray, clock) = runtime.block_on(async {
        tokio::join!(
            keychain_check(&engine),
            notification_check(),
            tray_host_check(),
            clock_check(&engine)
        )
    });
    // A keychain call that timed out may still hold a blocking thread: exit without waiting.
    runtime.shutdown_background();
    checks.extend([keychain, notifications, tray, clock]);
    let mut out = std::io::stdout().lock();
    for check in &checks {
        writeln!(out, "{check}")?;
    }
    let count = |o| checks.iter().filter(|c| c.outcome == o).count();
    let (failed, warned) = (count(Outcome::Fail), count(Outcome::Warn));
    writeln!(
        out,
        "{} checks: {} ok, {warned} warn, {failed} FAIL",
        checks.len(),
        count(Outcome::Ok)
    )?;
    out.flush()?;
    if failed > 0 {
        anyhow::bail!(
            "{failed} check{} failed; fix what the FAIL line{} above say{}",
            plural(failed),
            plural(failed),
            if failed == 1 { "s" } else { "" }
        );
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
