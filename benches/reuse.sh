#!/usr/bin/env bash
# benches/reuse.sh [none|session|both] [benches/reuse.py options] -- BENCHMARKS.md, "Engine
# renovation (issue 11)": `rolekeeper credential-process NAME` of a role profile (not active) that
# another process obtained a minute earlier, STS 100 ms away (tests' rk-sts-proxy in front of
# moto), against `aws configure export-credentials` (the AWS CLI v2 caches the session in
# ~/.aws/cli/cache); rows with and without a `rolekeeper daemon` running. Settings:
#   none     no Secret Service (every keychain call fails at once: a server)
#   session  inside scripts/with-desktop-session.sh (gnome-keyring on a private bus, no X)
#   both     (default) one after the other
# Run through `scripts/bench.sh reuse`. JSON in $CARGO_TARGET_DIR/bench-reuse-SETTING.json.
# ROLEKEEPER_BENCH_BIN=PATH runs an already built rolekeeper, ROLEKEEPER_BENCH_PROXY=PATH an
# already built rk-sts-proxy, instead of building them (release, each package on its own).
# Needs hyperfine and the AWS CLI v2 (scripts/install-deps.sh test; ROLEKEEPER_TEST_AWS_CLI,
# default /usr/bin/aws).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
settings="none session"
case "${1:-}" in
  none|session) settings=$1; shift ;;
  both) shift ;;
esac
AWS=${ROLEKEEPER_TEST_AWS_CLI:-/usr/bin/aws}
die() { echo "reuse.sh: $*" >&2; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine not found: scripts/install-deps.sh test"
[ -x "$AWS" ] || die "$AWS not found: scripts/install-deps.sh test (Debian's awscli)"
"$ROOT/scripts/start-sts.sh" install >&2   # moto and boto3
PY=$("$ROOT/scripts/start-sts.sh" python)
[ -n "${ROLEKEEPER_BENCH_BIN:-}" ] ||
  (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper) >&2
[ -n "${ROLEKEEPER_BENCH_PROXY:-}" ] ||
  (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper-tests --bin rk-sts-proxy) >&2
RK=${ROLEKEEPER_BENCH_BIN:-$CARGO_TARGET_DIR/release/rolekeeper}
PROXY=${ROLEKEEPER_BENCH_PROXY:-$CARGO_TARGET_DIR/release/rk-sts-proxy}

for setting in $settings; do
  args=("$ROOT/benches/reuse.py" --bin "$RK" --proxy "$PROXY" --aws "$AWS"
        --keychain "$setting" --json "$CARGO_TARGET_DIR/bench-reuse-$setting.json" "$@")
  if [ "$setting" = session ]; then
    WDS_NO_X=1 WDS_NO_SNI=1 "$ROOT/scripts/with-desktop-session.sh" "$PY" "${args[@]}"
  else
    "$PY" "${args[@]}"
  fi
done
