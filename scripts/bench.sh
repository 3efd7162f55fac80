#!/usr/bin/env bash
# Benchmarks reported in BENCHMARKS.md, side by side in one run.
#
#   scripts/bench.sh credfile   criterion: refresh 20 managed sessions in a 5,000-profile
#                               credentials file, and botocore parsing the same file
#   scripts/bench.sh cli        hyperfine: credential-process and export of an active session
#                               against the AWS CLI v2 and a boto3 script (benches/cli.sh)
#   scripts/bench.sh desktop [benches/desktop.py options]
#                               the release rolekeeper-desktop (and rolekeeper-window, which it
#                               starts for a window) inside a private desktop session
#                               (scripts/with-desktop-session.sh): start-up to tray registered,
#                               PSS idle / window open / window closed, opening the window, idle
#                               CPU and wake-ups, GL/GTK/WebKit libraries mapped idle;
#                               e.g. `scripts/bench.sh desktop --starts 10 --cycles 3 --json out.json`
#   scripts/bench.sh refresh [none|session|both] [benches/refresh.py options]
#                               `rolekeeper daemon` refreshing 500 sessions at once (or e.g.
#                               --sessions 100,500,1000) against its own moto: wall time, CPU,
#                               STS calls, file writes, peak RSS (--strace: file opens); boto3
#                               assuming the same roles beside it (benches/daemon.sh)
#   scripts/bench.sh reuse [none|session|both] [benches/reuse.py options]
#                               credential-process of a role profile (not active) obtained a
#                               minute earlier by another process, STS 100 ms away (rk-sts-proxy
#                               in front of moto): median, AssumeRole calls, with and without a
#                               running daemon, beside the AWS CLI v2's cache (benches/reuse.sh)
#   scripts/bench.sh idle [none|session|both] [benches/idle.py options]
#                               the idle daemon: CPU time and wake-ups per minute, per thread,
#                               right after start and after a refresh (benches/daemon.sh)
#   scripts/bench.sh sso [benches/sso.py options]
#                               credential-process of an active IAM Identity Center role beside an
#                               active assume-role session (median, p95, CPU, portal and STS calls),
#                               and of a non-active SSO profile kept and first time, against the
#                               fake Identity Center on loopback, inside
#                               scripts/with-desktop-session.sh (gnome-keyring, no X); e.g.
#                               `scripts/bench.sh sso --runs 300 --strace --json out.json`
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
mode=${1:-credfile}
[ $# -gt 0 ] && shift
case "$mode" in
  credfile)
    "$ROOT/scripts/start-sts.sh" install >&2   # the venv with botocore
    PYTHON=$("$ROOT/scripts/start-sts.sh" python)
    (cd "$ROOT" && cargo bench -p rolekeeper-core --bench credfile)
    "$PYTHON" "$ROOT/benches/botocore_parse.py" "$CARGO_TARGET_DIR/bench-credentials" 30
    ;;
  desktop)
    # shellcheck source=scripts/common.sh
    source "$ROOT/scripts/common.sh"
    ensure_cargo
    ui_build >&2                                  # ui/dist is embedded in the binary
    (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper-desktop -p rolekeeper-window) >&2
    "$ROOT/scripts/with-desktop-session.sh" /usr/bin/python3 "$ROOT/benches/desktop.py" \
      --bin "$CARGO_TARGET_DIR/release/rolekeeper-desktop" "$@"
    ;;
  cli)
    "$ROOT/benches/cli.sh" "$@"
    ;;
  refresh|idle)
    "$ROOT/benches/daemon.sh" "$mode" "$@"
    ;;
  reuse)
    "$ROOT/benches/reuse.sh" "$@"
    ;;
  sso)
    command -v hyperfine >/dev/null || { echo "hyperfine not found: scripts/install-deps.sh test" >&2; exit 1; }
    "$ROOT/scripts/start-sts.sh" install >&2   # moto and the fake Identity Center's python
    PYTHON=$("$ROOT/scripts/start-sts.sh" python)
    [ -n "${ROLEKEEPER_BENCH_BIN:-}" ] ||
      (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper) >&2
    WDS_NO_X=1 WDS_NO_SNI=1 "$ROOT/scripts/with-desktop-session.sh" "$PYTHON" "$ROOT/benches/sso.py" \
      --bin "${ROLEKEEPER_BENCH_BIN:-$CARGO_TARGET_DIR/release/rolekeeper}" "$@"
    ;;
  *) echo "usage: $0 credfile | cli | desktop [options] | refresh|idle|reuse [none|session|both] [options] | sso [options]" >&2; exit 2 ;;
esac
