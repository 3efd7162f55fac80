#!/usr/bin/env bash
# Benchmarks reported in BENCHMARKS.md, side by side in one run.
#
#   scripts/bench.sh credfile   criterion: refresh 20 managed sessions in a 5,000-profile
#                               credentials file, and botocore parsing the same file
#   scripts/bench.sh cli        hyperfine: credential-process and export of an active session
#                               against the AWS CLI v2 and a boto3 script (benches/cli.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
"$ROOT/scripts/start-sts.sh" install >&2   # the venv with botocore
PYTHON=$("$ROOT/scripts/start-sts.sh" python)
case "${1:-credfile}" in
  credfile)
    (cd "$ROOT" && cargo bench -p rolekeeper-core --bench credfile)
    "$PYTHON" "$ROOT/benches/botocore_parse.py" "$CARGO_TARGET_DIR/bench-credentials" 30
    ;;
  cli)
    "$ROOT/benches/cli.sh" "${@:2}"
    ;;
  *) echo "usage: $0 credfile" >&2; exit 2 ;;
esac
