//! The `rolekeeper` binary is started by every AWS tool for every `credential_process` call, so
//! its start-up is the hot path. Linked as a position-independent executable, the loader first
//! applies some 40,000 relative relocations (a 1 MB table read in, 700 KB of relocated data
//! copied on write): about 300 page faults, most of the start-up time. Linked position-dependent
//! (`-no-pie`), those addresses are fixed at link time and the start costs little more than a
//! `/bin/true`. The price is a fixed load address for this binary's own code (libraries, heap
//! and stack stay randomised); measured in BENCHMARKS.md ("The hot path at the floor").

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
