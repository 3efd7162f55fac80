//! The `rolekeeper` binary is started by every AWS tool for every `credential_process` call, so
//! its start-up is the hot path (BENCHMARKS.md, "The hot path at the floor"). On Linux with glibc
//! it is linked static and position-dependent:
//! - `-no-pie`: a position-independent executable first applies some 40,000 relative relocations
//!   (a 1 MB table read in, 700 KB of data copied on write), most of the start-up time.
//! - static: the dynamic loader mapping and binding libc, libm and libgcc_s (and libgcc_s's own
//!   start-up) was most of what was left.
//!
//! Rust links statically only with `-C target-feature=+crt-static`, a flag for the whole build
//! (build scripts, proc macros, the desktop app, which cannot be static), and cargo has no
//! per-package flags. So the link is made static here, for this package's links only: `-static`
//! for the C driver, and the libraries std asks for dynamically (`-lgcc_s -lutil -lrt -lpthread
//! -lm -ldl -lc`) are found first in a directory of linker scripts naming glibc's and libgcc's
//! static archives, which is what `crt-static` links. Without those archives (no libc6-dev /
//! glibc-static) the link stays dynamic, `-no-pie` only, with a warning.
//!
//! The price: a fixed load address for this binary's code (heap, stack and mmaps stay
//! randomised), and name-service lookups (`getpwuid_r` for a home when HOME is unset,
//! `getaddrinfo` for STS) use the static glibc's built-in `files` and `dns` sources.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries std and its dependencies ask for, and the static archives that stand in for
/// each (one group, so the order of the archives does not matter to any linker).
const SHIMS: &[(&str, &[&str])] = &[
    ("c", &["libc.a", "libgcc_eh.a", "libgcc.a"]),
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("m", &["libm.a"]),
    ("pthread", &["libpthread.a"]),
    ("dl", &["libdl.a"]),
    ("rt", &["librt.a"]),
    ("util", &["libutil.a"]),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    // The archives are found through the host's C compiler: a cross build, or another C
    // library (musl targets link static by default), keeps the default link, `-no-pie` only.
    let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
    if !native || std::env::var("CARGO_CFG_TARGET_ENV").as_deref() != Ok("gnu") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        return;
    }
    match write_shims() {
        Ok(dir) => {
            println!("cargo:rustc-link-search=native={}", dir.display());
            // Every link of this package (the binary and its unit-test binary) is static: the
            // shims shadow the shared libraries for all of them, and a dynamically loaded
            // executable must not carry glibc's static start-up code.
            println!("cargo:rustc-link-arg=-no-pie");
            println!("cargo:rustc-link-arg=-static");
        }
        Err(why) => {
            println!("cargo:rustc-link-arg-bins=-no-pie");
            println!(
                "cargo:warning=rolekeeper is linked dynamically ({why}); install glibc's static \
                 libraries (Debian: libc6-dev) for the faster static start"
            );
        }
    }
}

/// Writes one linker script per library into OUT_DIR, each a group of the static archives the C
/// compiler finds (`cc -print-file-name`), and returns that directory.
fn write_shims() -> Result<PathBuf, String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let dir = out.join("static-libs");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, archives) in SHIMS {
        let paths = archives
            .iter()
            .map(|archive| archive_path(archive))
            .collect::<Result<Vec<_>, _>>()?;
        let group = paths
            .iter()
            .map(|p| format!("\"{}\"", p.display()))
            .collect::<Vec<_>>()
            .join(" ");
        let script = dir.join(format!("lib{name}.a"));
        std::fs::write(&script, format!("GROUP ( {group} )\n"))
            .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    }
    Ok(dir)
}

/// Where the C compiler's linker would find `archive`; an error if it would not.
fn archive_path(archive: &str) -> Result<PathBuf, String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(&cc)
        .arg(format!("-print-file-name={archive}"))
        .output()
        .map_err(|e| format!("cannot run {cc}: {e}"))?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // An archive it does not know comes back as the bare name.
    let path = Path::new(&printed);
    if output.status.success() && path.is_absolute() && path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(format!("{cc} does not find {archive}"))
    }
}
