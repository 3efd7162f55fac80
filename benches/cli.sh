#!/usr/bin/env bash
# benches/cli.sh [OUT.json] -- BENCHMARKS.md, "Credential process": one hyperfine run, side by
# side, of what a tool pays for credentials on every start:
#   rolekeeper credential-process / export   an active session (served from the credentials file)
#   aws configure export-credentials         the AWS CLI v2 on a static profile
#   benches/boto3_export.py                  the boto3 script that prints export lines
# Run through scripts/bench.sh cli. Needs hyperfine, moto (for the one `activate`), the venv with
# boto3 and the AWS CLI v2 (ROLEKEEPER_TEST_AWS_CLI, default /usr/bin/aws).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
OUT=${1:-$CARGO_TARGET_DIR/bench-cli.json}
command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 1; }
eval "$("$ROOT/scripts/test-services.sh" env)"    # moto, the boto3 venv, the AWS CLI v2 path
AWS=${ROLEKEEPER_TEST_AWS_CLI:-/usr/bin/aws}
PY=$ROLEKEEPER_TEST_PYTHON
[ -n "${ROLEKEEPER_BENCH_BIN:-}" ] || (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper) >&2
RK=${ROLEKEEPER_BENCH_BIN:-$CARGO_TARGET_DIR/release/rolekeeper}

# A private HOME: the user's own profiles and sessions are never touched.
H=$(mktemp -d)
trap 'rm -rf "$H"' EXIT
mkdir -p "$H/.aws"
cat > "$H/.aws/config" <<'INI'
[profile role-p]
role_arn = arn:aws:iam::123456789012:role/Bench
source_profile = static
region = us-east-1

[profile static]
region = us-east-1
INI
printf '[static]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' \
  > "$H/.aws/credentials"
chmod 600 "$H/.aws/credentials"
for v in $(env | grep -o '^AWS_[A-Z_]*'); do unset "$v"; done
export HOME=$H XDG_STATE_HOME=$H/.local/state XDG_CONFIG_HOME=$H/.config \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS=$ROLEKEEPER_TEST_STS_URL
"$RK" activate role-p --duration 1h >&2
# The commands below must not reach STS: with nothing listening there, this still works.
AWS_ENDPOINT_URL_STS=http://127.0.0.1:1 "$RK" credential-process role-p >/dev/null
"$AWS" --version >&2

uptime >&2
hyperfine -N --warmup 3 --min-runs 30 --export-json "$OUT" \
  -n "rolekeeper credential-process" "$RK credential-process role-p" \
  -n "rolekeeper export" "$RK export role-p --format env" \
  -n "aws configure export-credentials" "$AWS configure export-credentials --profile static" \
  -n "boto3 script" "$PY $ROOT/benches/boto3_export.py role-p"
uptime >&2

python3 - "$OUT" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: results[name]["median"] * 1000
print(f"{'command':34} {'median':>10} {'min':>9} {'max':>9} {'runs':>5}")
for name, r in results.items():
    print(f"{name:34} {ms(name):8.2f}ms {r['min']*1000:7.2f}ms {r['max']*1000:7.2f}ms {len(r['times']):5}")
for ours in ("rolekeeper credential-process", "rolekeeper export"):
    for theirs, target in (("aws configure export-credentials", 100), ("boto3 script", 40)):
        ratio = ms(theirs) / ms(ours)
        verdict = "met" if ratio >= target else "MISSED"
        print(f"{theirs} / {ours}: {ratio:.0f}x (target {target}x: {verdict})")
PY
