#!/usr/bin/env bash
# test-services.sh -- the services the end-to-end suites need, for running them by hand.
#
#   eval "$(scripts/test-services.sh env)"   start moto if it is not running, print the
#                                            `export` lines the suites read
#   scripts/test-services.sh start           the same (the lines go to stdout)
#   scripts/test-services.sh stop            stop the moto started here
#   scripts/test-services.sh status          exit 0 and print the URL if it is up
#
# Then, in the same shell:
#   scripts/with-desktop-session.sh cargo nextest run --workspace
#
# scripts/test.sh starts its own instance through this script (with its state under out/),
# so the variables are the same in both:
#   ROLEKEEPER_TEST_STS_URL   moto on loopback (AWS_ENDPOINT_URL_STS for the binaries)
#   ROLEKEEPER_TEST_STS_PORT  its port (for `scripts/start-sts.sh reset|auth on|off PORT`)
#   ROLEKEEPER_TEST_PYTHON    a python with boto3/botocore (the botocore oracle) and selenium
#   ROLEKEEPER_TEST_AWS_CLI   the AWS CLI v2 (Debian's /usr/bin/aws; the pip `aws` is v1)
#   ROLEKEEPER_BIN_DIR        where `cargo build` put rolekeeper and rolekeeper-desktop
#   ROLEKEEPER_REPO           the repository root
#   NO_PROXY                  loopback added: the AWS SDKs honour HTTP(S)_PROXY even for it
#
# Env: ROLEKEEPER_STS_STATE (default ~/.cache/rolekeeper/sts) keeps the PID, log and port
# files; ROLEKEEPER_STS_PORT picks the port (default: a free one, then kept in the state dir);
# ROLEKEEPER_TEST_AWS_CLI overrides the CLI path; ROLEKEEPER_VENV as in start-sts.sh.
set -euo pipefail

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STS=$ROOT/scripts/start-sts.sh
export ROLEKEEPER_STS_STATE=${ROLEKEEPER_STS_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/rolekeeper/sts}
PORT_FILE=$ROLEKEEPER_STS_STATE/test-services.port
AWS_CLI=${ROLEKEEPER_TEST_AWS_CLI:-/usr/bin/aws}

die() { echo "test-services: $*" >&2; exit 1; }

running_port() {  # the port of a moto started here that still answers
  [ -s "$PORT_FILE" ] || return 1
  local port
  port=$(cat "$PORT_FILE")
  "$STS" status "$port" >/dev/null 2>&1 || return 1
  echo "$port"
}

start() {
  local port
  if port=$(running_port); then
    echo "$port"
    return 0
  fi
  port=${ROLEKEEPER_STS_PORT:-$("$STS" free-port)}
  mkdir -p "$ROLEKEEPER_STS_STATE"
  "$STS" start "$port" >/dev/null || die "moto did not start on port $port"
  echo "$port" >"$PORT_FILE"
  echo "$port"
}

print_env() {
  local port=$1 python
  python=$("$STS" python)
  if [ ! -x "$AWS_CLI" ]; then
    echo "test-services: warning: $AWS_CLI not found; install the AWS CLI v2" \
      "(Debian: apt-get install awscli, or scripts/install-deps.sh test)" >&2
  fi
  printf 'export ROLEKEEPER_TEST_STS_URL=%q\n' "http://127.0.0.1:$port"
  printf 'export ROLEKEEPER_TEST_STS_PORT=%q\n' "$port"
  printf 'export ROLEKEEPER_TEST_PYTHON=%q\n' "$python"
  printf 'export ROLEKEEPER_TEST_AWS_CLI=%q\n' "$AWS_CLI"
  printf 'export ROLEKEEPER_BIN_DIR=%q\n' "$CARGO_TARGET_DIR/debug"
  printf 'export ROLEKEEPER_REPO=%q\n' "$ROOT"
  case ",${NO_PROXY:-}," in
    *,127.0.0.1,*) printf 'export NO_PROXY=%q\n' "${NO_PROXY}" ;;
    *) printf 'export NO_PROXY=%q\n' "127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" ;;
  esac
}

case "${1:-env}" in
  env|start)
    port=$(start)
    print_env "$port"
    ;;
  stop)
    if [ -s "$PORT_FILE" ]; then
      "$STS" stop "$(cat "$PORT_FILE")" >&2
      rm -f "$PORT_FILE"
    else
      echo "test-services: nothing to stop (no $PORT_FILE)" >&2
    fi
    ;;
  status)
    port=$(running_port) || { echo "down" >&2; exit 1; }
    echo "http://127.0.0.1:$port"
    ;;
  *)
    echo "usage: $0 env|start|stop|status" >&2
    exit 2
    ;;
esac
