#!/usr/bin/env bash
# benches/daemon.sh refresh|idle [none|session|both] [options] -- the two benchmarks of
# `rolekeeper daemon` in BENCHMARKS.md, each against its own moto:
#   refresh  benches/refresh.py: 500 sessions (--sessions N or a list) refreshed at once (wall
#            time, CPU, STS calls by action, file writes, peak RSS; --strace: file opens), boto3
#            assuming the same roles sequentially beside it
#   idle     benches/idle.py: CPU time and wake-ups of the daemon waiting for its next refresh
# and in which setting:
#   none     no Secret Service (every keychain call fails at once: a server)
#   session  inside scripts/with-desktop-session.sh (gnome-keyring on a private bus, no X): the
#            session cache reads and writes the keychain (a desktop)
#   both     (default) one after the other
# Other options go to the Python script. Run through `scripts/bench.sh refresh|idle`.
# JSON in $CARGO_TARGET_DIR/bench-MODE-SETTING.json. ROLEKEEPER_BENCH_BIN=PATH runs an already
# built rolekeeper instead of building the release binary.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
mode=${1:-}
case "$mode" in
  refresh|idle) shift ;;
  *) echo "usage: $0 refresh|idle [none|session|both] [options]" >&2; exit 2 ;;
esac
settings="none session"
case "${1:-}" in
  none|session) settings=$1; shift ;;
  both) shift ;;
esac
"$ROOT/scripts/start-sts.sh" install >&2   # moto and boto3
PY=$("$ROOT/scripts/start-sts.sh" python)
[ -n "${ROLEKEEPER_BENCH_BIN:-}" ] || (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper) >&2
RK=${ROLEKEEPER_BENCH_BIN:-$CARGO_TARGET_DIR/release/rolekeeper}

for setting in $settings; do
  args=("$ROOT/benches/$mode.py" --bin "$RK" --keychain "$setting"
        --json "$CARGO_TARGET_DIR/bench-$mode-$setting.json" "$@")
  if [ "$setting" = session ]; then
    WDS_NO_X=1 WDS_NO_SNI=1 "$ROOT/scripts/with-desktop-session.sh" "$PY" "${args[@]}"
  else
    "$PY" "${args[@]}"
  fi
done
