#!/usr/bin/env bash
# benches/cli.sh [OUT.json] -- BENCHMARKS.md, "Credential process": one hyperfine run, side by
# side, of what a tool pays for credentials on every start:
#   rolekeeper credential-process / export   an active session (served from the credentials file)
#   aws configure export-credentials         the AWS CLI v2 on a static profile
#   benches/boto3_export.py                  the boto3 script that prints export lines
# and of the cold path, where nothing is cached and every run makes a real AssumeRole to moto:
#   rolekeeper export (cold)                 a role profile that is not active
#   curl AssumeRole                          one AssumeRole POST to moto by a minimal client process
# Moto's own round trip (the cold path's target is 2x of it) is measured in-process before and
# after hyperfine: a fresh connection and one AssumeRole POST with Python's http.client, timed
# around the request only (no interpreter start).
# Run through scripts/bench.sh cli. Needs hyperfine, curl, moto, the venv with boto3 and the AWS
# CLI v2 (ROLEKEEPER_TEST_AWS_CLI, default /usr/bin/aws).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
OUT=${1:-$CARGO_TARGET_DIR/bench-cli.json}
for tool in hyperfine curl; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install $tool" >&2; exit 1; }
done
eval "$("$ROOT/scripts/test-services.sh" env)"    # moto, the boto3 venv, the AWS CLI v2 path
AWS=${ROLEKEEPER_TEST_AWS_CLI:-/usr/bin/aws}
PY=$ROLEKEEPER_TEST_PYTHON
[ -n "${ROLEKEEPER_BENCH_BIN:-}" ] || (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper) >&2
RK=${ROLEKEEPER_BENCH_BIN:-$CARGO_TARGET_DIR/release/rolekeeper}
STS=$ROLEKEEPER_TEST_STS_URL

# A private HOME: the user's own profiles and sessions are never touched.
H=$(mktemp -d)
trap 'rm -rf "$H"' EXIT
mkdir -p "$H/.aws"
cat > "$H/.aws/config" <<'INI'
[profile role-p]
role_arn = arn:aws:iam::123456789012:role/Bench
source_profile = static
region = us-east-1

[profile role-cold]
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
# No keychain: the session bus names a socket nobody listens on, so RoleKeeper's session cache
# (the Secret Service) is a miss every time and `export role-cold` assumes the role on every run.
export HOME=$H XDG_STATE_HOME=$H/.local/state XDG_CONFIG_HOME=$H/.config \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS=$STS \
  DBUS_SESSION_BUS_ADDRESS=unix:path=$H/no-bus
"$RK" activate role-p --duration 1h >&2
# The cached commands must not reach STS: with nothing listening there, this still works.
AWS_ENDPOINT_URL_STS=http://127.0.0.1:1 "$RK" credential-process role-p >/dev/null
# The cold one must, on every run: with nothing listening there, it fails (checked again after
# the runs, so none of them left a session behind for the next).
cold_needs_sts() {
  if AWS_ENDPOINT_URL_STS=http://127.0.0.1:1 "$RK" export role-cold >/dev/null 2>&1; then
    echo "export role-cold was served without STS: it is not a cold path" >&2; exit 1
  fi
}
cold_needs_sts
"$AWS" --version >&2

# One AssumeRole as moto takes it: moto routes by the credential scope of the Authorization
# header and does not check the signature (no auth in the test services), so a fixed header does.
AUTH='Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261125/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0'
ASSUME='Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/Bench&RoleSessionName=bench'
curl -sf -H "$AUTH" -d "$ASSUME" "$STS/" | grep -q '<AccessKeyId>' \
  || { echo "moto did not answer the AssumeRole POST" >&2; exit 1; }

# Moto's own round trip, N times: connect, POST, read the answer, close; the median in ms.
roundtrip() {
  "$PY" - "$STS" "$AUTH" "$ASSUME" "$1" <<'PY'
import http.client, statistics, sys, time, urllib.parse
url, auth, body, n = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
name, _, value = auth.partition(": ")
headers = {name: value, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
def once():
    start = time.perf_counter()
    conn = http.client.HTTPConnection(url.hostname, url.port)
    conn.request("POST", "/", body, headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    elapsed = time.perf_counter() - start
    assert answer.status == 200 and b"<AccessKeyId>" in data, data[:200]
    return elapsed
for _ in range(20):
    once()
print(" ".join(f"{once() * 1000:.4f}" for _ in range(n)))
PY
}

uptime >&2
BEFORE=$(roundtrip 300)
hyperfine -N --warmup 3 --min-runs 30 --export-json "$OUT" \
  -n "rolekeeper credential-process" "$RK credential-process role-p" \
  -n "rolekeeper export" "$RK export role-p --format env" \
  -n "aws configure export-credentials" "$AWS configure export-credentials --profile static" \
  -n "boto3 script" "$PY $ROOT/benches/boto3_export.py role-p" \
  -n "rolekeeper export (cold)" "$RK export role-cold --format env" \
  -n "curl AssumeRole" "curl -sf -o /dev/null -H '$AUTH' -d '$ASSUME' $STS/"
AFTER=$(roundtrip 300)
uptime >&2
cold_needs_sts

python3 - "$OUT" "$BEFORE" "$AFTER" <<'PY'
import json, statistics, sys
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
before = [float(t) for t in sys.argv[2].split()]
after = [float(t) for t in sys.argv[3].split()]
trip = statistics.median(before + after)
print(f"moto's AssumeRole round trip (in-process, fresh connection): median {trip:.2f} ms "
      f"(before {statistics.median(before):.2f}, after {statistics.median(after):.2f}, "
      f"min {min(before + after):.2f}, {len(before + after)} requests)")
cold = ms("rolekeeper export (cold)")
ratio = cold / trip
verdict = "met" if ratio <= 2 else "MISSED"
print(f"rolekeeper export (cold) / moto's round trip: {ratio:.2f}x (target at most 2x: {verdict})")
print(f"rolekeeper export (cold) / curl AssumeRole: {cold / ms('curl AssumeRole'):.2f}x")
PY
