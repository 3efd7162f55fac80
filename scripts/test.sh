#!/usr/bin/env bash
# test.sh -- the one test command (README; .ci/run calls exactly this).
#
# On a fresh Debian 12 / Ubuntu machine, as root or as a user with sudo, with no stdin, and
# as often as you like (every step skips what is already done), it:
#   1. installs the Debian packages the tests need      (scripts/install-deps.sh test)
#   2. checks the Rust toolchain; installs cargo-nextest and tauri-driver if missing (crates.io)
#   3. makes the Python venv: moto, boto3/botocore, selenium (scripts/start-sts.sh install)
#   4. builds the UI (npm ci + npm run build in ui/) when ui/package.json exists
#   5. cargo fmt --check, cargo build and cargo clippy -D warnings over the whole workspace
#   6. starts moto on a free loopback port (scripts/test-services.sh) and exports where it is
#   7. runs `cargo nextest run --workspace --profile ci` inside
#      scripts/with-desktop-session.sh (Xvfb, D-Bus, gnome-keyring, dunst, tray watcher)
#   8. runs the UI tests (vitest) when ui/package.json has a `test` script
#   9. prints one line per suite and, last, "N passed, N failed"
# Exit status: 0 only when everything passed and at least one test ran.
#
# Logs of every step go to out/test/ (gitignored); only progress and failures are printed.
# Env: CARGO_TARGET_DIR (default ~/.cache/rolekeeper/target), ROLEKEEPER_VENV (see start-sts.sh).
set -euo pipefail

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

OUT=$ROOT/out/test
# A moto left by an earlier run that was killed outright: stop it before its PID file goes.
if [ -s "$OUT/sts/test-services.port" ]; then
  ROLEKEEPER_STS_STATE=$OUT/sts "$ROOT/scripts/test-services.sh" stop >/dev/null 2>&1 || true
fi
# Plain logs: no colour codes in out/test/*.log.
export CARGO_TERM_COLOR=never
rm -rf "$OUT"
mkdir -p "$OUT"
T_START=$SECONDS

CHECKS=()   # --check NAME=pass|fail for the summary
JUNITS=()   # --junit [LABEL=]PATH for the summary

say() { printf 'test: %s\n' "$*"; }

# step NAME LOG COMMAND... -- run COMMAND with all output in out/test/LOG; print one line,
# and the end of the log when it fails (not with STEP_TAIL=0: the summary shows those
# failures). Returns COMMAND's status.
step() {
  local name=$1 logname=$2 t0=$SECONDS rc=0
  local log=$OUT/$logname
  shift 2
  printf 'test: %-34s ' "$name"
  "$@" </dev/null >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    printf 'ok (%ds)\n' $((SECONDS - t0))
  else
    printf 'FAILED (exit %d, %ds)\n' "$rc" $((SECONDS - t0))
    if [ "${STEP_TAIL:-1}" != 0 ]; then
      echo "---- the end of out/test/$logname:"
      tail -n 30 "$log" | sed 's/^/    | /'
      echo "----"
    fi
  fi
  return "$rc"
}

# summary -- one line per suite, and last "N passed, N failed"; its status is the run's.
summary() {
  local args=() c j
  for c in "${CHECKS[@]}"; do args+=(--check "$c"); done
  for j in "${JUNITS[@]}"; do args+=(--junit "$j"); done
  echo
  say "logs in out/test/; took $((SECONDS - T_START)) s"
  if ! command -v python3 >/dev/null 2>&1; then   # only before install-deps could run
    local failed=0
    for c in "${CHECKS[@]}"; do case "$c" in *=fail) failed=$((failed + 1)) ;; esac; done
    echo "python3 is missing, so no report could be read"
    echo "0 passed, $((failed > 0 ? failed : 1)) failed"
    return 1
  fi
  python3 "$ROOT/scripts/summarize-junit.py" "${args[@]}" | tee "$OUT/summary.txt"
}

# fatal_step NAME LOG COMMAND... -- a step the rest cannot do without: when it fails, print
# the summary (with this step failed) and stop.
fatal_step() {
  if ! step "$@"; then
    say "cannot go on without: $1"
    CHECKS+=("$1=fail")
    summary || true
    exit 1
  fi
}

install_nextest() {
  if cargo nextest --version; then return 0; fi
  echo "cargo-nextest is missing: installing it from crates.io"
  cargo install cargo-nextest --locked
}

# ---------------------------------------------------------------- 1-3: dependencies
fatal_step "system packages" 01-install-deps.log "$ROOT/scripts/install-deps.sh" test
# (ensure_cargo runs in this shell, so a ~/.cargo/bin it finds stays on PATH)
fatal_step "rust toolchain" 02-toolchain.log ensure_cargo rustfmt clippy
fatal_step "cargo-nextest" 03-nextest.log install_nextest
# tauri-driver: the WebDriver server the window tests drive the app through (with Debian's
# WebKitWebDriver). 2.1.0 is the newest that builds with the toolchain of rust-version.
install_tauri_driver() {
  if command -v tauri-driver >/dev/null 2>&1; then tauri-driver --help >/dev/null 2>&1 && return 0; fi
  echo "tauri-driver is missing: installing it from crates.io"
  cargo install tauri-driver --version 2.1.0 --locked
}
if step "tauri-driver" 03b-tauri-driver.log install_tauri_driver; then :; else CHECKS+=("tauri-driver install=fail"); fi
fatal_step "python venv (moto, botocore)" 04-venv.log "$ROOT/scripts/start-sts.sh" install

# ---------------------------------------------------------------- 4: UI
if [ -f "$ROOT/ui/package.json" ]; then
  if step "ui build (npm)" 05-ui-build.log ui_build; then :; else CHECKS+=("ui build=fail"); fi
fi

# ---------------------------------------------------------------- 5: fmt, build, clippy
if step "cargo fmt --check" 06-fmt.log cargo fmt --all --check -- --color never; then
  CHECKS+=("rustfmt=pass")
else
  CHECKS+=("rustfmt=fail")
fi
BUILD_OK=1
if ! step "cargo build (workspace)" 07-build.log cargo build --workspace --all-targets; then
  BUILD_OK=0
  CHECKS+=("cargo build=fail")
fi
if step "cargo clippy -D warnings" 08-clippy.log \
    cargo clippy --workspace --all-targets -- -D warnings; then
  CHECKS+=("clippy=pass")
else
  CHECKS+=("clippy=fail")
fi

# ---------------------------------------------------------------- 6: services
export ROLEKEEPER_STS_STATE=$OUT/sts
stop_services() { "$ROOT/scripts/test-services.sh" stop >>"$OUT/09-services.log" 2>&1 || true; }
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_services() { "$ROOT/scripts/test-services.sh" start >"$OUT/services.env"; }
if step "moto (local STS)" 09-services.log start_services; then
  # shellcheck disable=SC1091
  . "$OUT/services.env"
  say "services: STS $ROLEKEEPER_TEST_STS_URL, binaries in $ROLEKEEPER_BIN_DIR"
else
  CHECKS+=("moto start=fail")
fi

# ---------------------------------------------------------------- 7: Rust suites
# nextest's store dir is relative to the workspace root (.config/nextest.toml), not CARGO_TARGET_DIR.
NEXTEST_JUNIT=$ROOT/target/nextest/ci/junit.xml
rm -f "$NEXTEST_JUNIT"
if [ "$BUILD_OK" = 1 ]; then
  if STEP_TAIL=0 step "cargo nextest (desktop session)" 10-nextest.log \
      "$ROOT/scripts/with-desktop-session.sh" cargo nextest run --workspace --profile ci; then
    :
  elif [ -f "$NEXTEST_JUNIT" ] && grep -q '<failure\|<error' "$NEXTEST_JUNIT"; then
    :  # failing tests: the summary lists them
  else
    CHECKS+=("nextest run=fail")   # no report or no failed test in it: the run itself broke
  fi
  if [ -f "$NEXTEST_JUNIT" ]; then
    cp "$NEXTEST_JUNIT" "$OUT/nextest-junit.xml"
  fi
  JUNITS+=("$OUT/nextest-junit.xml")
else
  say "cargo nextest skipped: the build failed"
fi

# ---------------------------------------------------------------- 7b: fuzzing (bounded)
# The credentials-file model's round-trip properties on libFuzzer's inputs for 60 s; a crash
# input is kept under out/fuzz/artifacts/ (the log says which).
if step "fuzz credfile (60 s)" 12-fuzz.log "$ROOT/scripts/fuzz.sh" 60; then
  CHECKS+=("fuzz credfile=pass")
else
  CHECKS+=("fuzz credfile=fail")
fi

# ---------------------------------------------------------------- 8: UI suites
run_ui_tests() {
  cd "$ROOT/ui" || return 1
  if [ -x node_modules/.bin/vitest ]; then
    node_modules/.bin/vitest run --reporter=default --reporter=junit \
      --outputFile.junit="$OUT/vitest-junit.xml"
  else
    echo "vitest is not in ui/node_modules: running npm test (no per-test report)"
    npm test
  fi
}
if ui_has_script test; then
  UI_RC=0
  (step "ui tests (vitest)" 11-ui-tests.log run_ui_tests) || UI_RC=$?
  if [ -f "$OUT/vitest-junit.xml" ]; then
    JUNITS+=("ui=$OUT/vitest-junit.xml")
    if [ "$UI_RC" -ne 0 ] && ! grep -q '<failure\|<error' "$OUT/vitest-junit.xml"; then
      CHECKS+=("ui test run=fail")
    fi
  elif [ -x "$ROOT/ui/node_modules/.bin/vitest" ]; then
    JUNITS+=("ui=$OUT/vitest-junit.xml")   # vitest wrote no report: counted as failed
  elif [ "$UI_RC" -eq 0 ]; then
    CHECKS+=("ui tests=pass")
  else
    CHECKS+=("ui tests=fail")
  fi
fi

# ---------------------------------------------------------------- 9: summary
summary
