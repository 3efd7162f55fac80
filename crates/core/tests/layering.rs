//! ARCHITECTURE.md's layering, checked (the way rust-analyzer's tidy keeps its docs honest):
//! obtaining credentials, the MFA plan, the snapshot and the request vocabulary sit below the
//! engine's façade and its loop, and never import them.

#![allow(clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

/// Every `.rs` file under `path` (or `path` itself).
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_layers_below_the_facade_do_not_import_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // (what, the modules that must not name it)
    let rules = [
        (
            "crate::engine",
            &["obtain", "mfa", "snapshot.rs", "request.rs", "keychain"][..],
        ),
        (
            "crate::runner",
            &[
                "obtain",
                "mfa",
                "snapshot.rs",
                "request.rs",
                "sleep.rs",
                "watch.rs",
                "engine",
                "engine.rs",
            ][..],
        ),
    ];
    let mut broken = Vec::new();
    for (forbidden, modules) in rules {
        for module in modules {
            for file in sources(&src.join(module)) {
                let text = std::fs::read_to_string(&file).expect("read");
                for (n, line) in text.lines().enumerate() {
                    if line.contains(forbidden) && !line.trim_start().starts_with("//") {
                        broken.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "these lines import a layer above them (see ARCHITECTURE.md, Invariants):\n{}",
        broken.join("\n")
    );
}
