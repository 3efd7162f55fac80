//! `rolekeeper doctor`: the engine's checks of the setup (`rolekeeper_core::doctor`), one line
//! each: `ok`, `warn` or `FAIL`, what was found, and what to do. Exits 1 when a check fails
//! (through the usual one-line error, so the exit codes stay those of every other command).

use std::io::Write;

use rolekeeper_core::doctor::{checks, keychain_check, Outcome};
use rolekeeper_core::Engine;

pub fn run() -> anyhow::Result<()> {
    let engine = Engine::system();
    let mut checks = checks(&engine);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    checks.push(runtime.block_on(keychain_check(&engine)));
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
