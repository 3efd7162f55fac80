#!/usr/bin/env bash
# The hot path at the floor (BENCHMARKS.md): `rolekeeper credential-process` of an active
# session beside `/bin/true`, `rolekeeper --version` (the binary's start alone) and the AWS CLI's
# `configure export-credentials`, hyperfine, medians. Usage:
#   benches/hot_path.sh [ROLEKEEPER_BINARY]     (default: the release build)
# RUNS=N sets hyperfine's runs of the fast commands (the AWS CLI gets 20). BEFORE=BINARY adds
# that build's `--version` and `credential-process` to the same hyperfine run, for a before/after
# table measured under the same load.
set -eu
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
eval "$("$ROOT/scripts/test-services.sh" env)"
RK=${1:-$CARGO_TARGET_DIR/release/rolekeeper}
[ -x "$RK" ] || (cd "$ROOT" && cargo build --release -p rolekeeper) >&2
AWS=${ROLEKEEPER_TEST_AWS_CLI:-/usr/bin/aws}
H=$(mktemp -d); mkdir -p $H/.aws
printf '[profile role-p]\nrole_arn = arn:aws:iam::123456789012:role/Bench\nsource_profile = static\nregion = us-east-1\n' > $H/.aws/config
printf '[static]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI\n' > $H/.aws/credentials
chmod 600 $H/.aws/credentials
for v in $(env | grep -o '^AWS_[A-Z_]*'); do unset "$v"; done
export HOME=$H XDG_STATE_HOME=$H/.local/state XDG_CONFIG_HOME=$H/.config AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS=$ROLEKEEPER_TEST_STS_URL DBUS_SESSION_BUS_ADDRESS=unix:path=$H/no-bus
$RK activate role-p --duration 1h >/dev/null 2>&1
AWS_ENDPOINT_URL_STS=http://127.0.0.1:1 $RK credential-process role-p >/dev/null
before=()
if [ -n "${BEFORE:-}" ]; then
  # The same answer from both builds, or the comparison means nothing.
  [ "$(AWS_ENDPOINT_URL_STS=http://127.0.0.1:1 "$BEFORE" credential-process role-p)" = "$($RK credential-process role-p)" ] ||
    { echo "hot_path: $BEFORE and $RK answer differently" >&2; exit 1; }
  before=(-n before-version "$BEFORE --version" -n before-credential-process "$BEFORE credential-process role-p")
fi
hyperfine -N --warmup 50 --runs ${RUNS:-1000} --export-json $H/h.json \
  -n true /bin/true "${before[@]}" -n version "$RK --version" -n credential-process "$RK credential-process role-p" 2>&1 | grep -E "Time|±|^Benchmark" | head -15
python3 -c "
import json,statistics;d=json.load(open('$H/h.json'))
for r in d['results']: print(r['command'][:60], 'median %.3f ms'%(statistics.median(r['times'])*1000))"
hyperfine -N --warmup 2 --runs 20 --export-json $H/a.json -n aws-cli "$AWS configure export-credentials --profile role-p" 2>&1 | grep -E "Time" | head -2
python3 -c "
import json,statistics;d=json.load(open('$H/a.json'))
for r in d['results']: print(r['command'][:60], 'median %.1f ms'%(statistics.median(r['times'])*1000))"
rm -rf $H
