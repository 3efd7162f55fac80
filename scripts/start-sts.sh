#!/usr/bin/env bash
# start-sts.sh -- moto as a local STS (and IAM) on loopback, for the end-to-end suites.
#
#   start-sts.sh install             create/refresh the Python venv (moto, boto3, botocore,
#                                    selenium); skipped when it already has this exact list
#   start-sts.sh [start] [PORT]      install if needed, start moto on 127.0.0.1:PORT in the
#                                    background, wait until it answers, print its PID
#                                    (idempotent: a moto this script started is reused)
#   start-sts.sh stop [PORT]         stop the moto this script started on PORT (by PID file)
#   start-sts.sh status [PORT]       print the PID and exit 0 if it is up, exit 1 otherwise
#   start-sts.sh reset [PORT]        wipe moto's in-memory state (POST /moto-api/reset)
#   start-sts.sh auth on|off [PORT]  on: moto checks SigV4, IAM policies and trust-policy
#                                    sts:ExternalId from the next request; off: accepts anything
#   start-sts.sh env [PORT]          print `export` lines pointing AWS SDKs and CLIs at it
#   start-sts.sh free-port           print a loopback TCP port that is free right now
#   start-sts.sh python              print the venv's python (has boto3/botocore/selenium)
#
# PORT defaults to 5055. Nothing is written inside the repository:
#   ROLEKEEPER_VENV       the venv            (default ~/.cache/rolekeeper/venv)
#   ROLEKEEPER_STS_STATE  PID and log files   (default ~/.cache/rolekeeper/sts)
#   ROLEKEEPER_PYTHON     python that creates the venv (default python3; on Debian it needs
#                         python3-venv, which `scripts/install-deps.sh test` installs)
#   STS_WAIT_S            seconds to wait for moto to answer (default 30)
set -euo pipefail

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/rolekeeper
VENV=${ROLEKEEPER_VENV:-$CACHE/venv}
STATE=${ROLEKEEPER_STS_STATE:-$CACHE/sts}
BASE_PYTHON=${ROLEKEEPER_PYTHON:-python3}
STS_WAIT_S=${STS_WAIT_S:-30}

# What the venv must hold. Changing this list makes the next `install` reinstall.
# moto 5.2.5 is the version the suites were written against (see ARCHITECTURE.md);
# botocore/boto3 are the oracles; selenium drives the windows through tauri-driver.
REQUIREMENTS=(
  "moto[server]==5.2.5"
  "boto3==1.44.5"
  "botocore==1.44.5"
  "selenium==4.51.0"
)
MARKER=$VENV/.rolekeeper-requirements

die() { echo "start-sts: $*" >&2; exit 1; }

cmd=start
case "${1:-}" in
  start|stop|status|reset|auth|env|install|free-port|python) cmd=$1; shift ;;
  ''|[0-9]*) ;;
  *) die "unknown command '$1' (start|stop|status|reset|auth|env|install|free-port|python)" ;;
esac
auth_mode=""
if [ "$cmd" = auth ]; then auth_mode=${1:-}; shift || true; fi
PORT=${1:-5055}
case "$PORT" in ''|*[!0-9]*) die "bad port: $PORT" ;; esac
PIDFILE=$STATE/moto-$PORT.pid
LOG=$STATE/moto-$PORT.log
URL=http://127.0.0.1:$PORT

# A python for the helpers below that needs neither the venv nor curl.
helper_python() {
  if [ -x "$VENV/bin/python" ]; then echo "$VENV/bin/python"; else echo "$BASE_PYTHON"; fi
}

# http METHOD PATH [BODY] -> prints the HTTP status code (0 when nothing answers)
http() {
  "$(helper_python)" - "$1" "$URL$2" "${3:-}" <<'PY'
import sys, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
# /moto-api/ endpoints read the raw body: a form content type would make Flask swallow it.
req = urllib.request.Request(url, data=body.encode() if method == "POST" else None,
                             method=method, headers={"Content-Type": "text/plain"})
# Loopback only: never through a proxy from the environment.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(req, timeout=2) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
PY
}

alive() {  # our PID file names a live moto process
  [ -s "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q moto "/proc/$pid/cmdline" 2>/dev/null
}

answering() { [ "$(http GET /moto-api/)" = 200 ]; }

venv_ok() {
  [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/moto_server" ] &&
    "$VENV/bin/python" -c 'import boto3, botocore, moto, selenium' >/dev/null 2>&1 &&
    [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(printf '%s\n' "${REQUIREMENTS[@]}")" ]
}

install_venv() {
  mkdir -p "$(dirname "$VENV")"
  # Two runs at once (a developer and CI) must not install into one venv together.
  exec 9>"$VENV.lock"
  flock 9
  if venv_ok; then exec 9>&-; return 0; fi
  command -v "$BASE_PYTHON" >/dev/null 2>&1 ||
    die "$BASE_PYTHON not found: install Python 3 (Debian: python3 python3-venv)"
  # A venv whose interpreter is gone or broken is rebuilt from scratch.
  if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "start-sts: $VENV is broken; recreating it" >&2
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    echo "start-sts: creating the venv $VENV" >&2
    "$BASE_PYTHON" -m venv "$VENV" ||
      die "could not create a venv with $BASE_PYTHON (Debian: apt-get install python3-venv)"
  fi
  echo "start-sts: installing ${REQUIREMENTS[*]} into $VENV" >&2
  rm -f "$MARKER"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}" >&2 ||
    die "pip install failed (see above)"
  printf '%s\n' "${REQUIREMENTS[@]}" >"$MARKER"
  exec 9>&-
}

case "$cmd" in
  install)
    install_venv
    ;;
  python)
    echo "$VENV/bin/python"
    ;;
  free-port)
    "$BASE_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
    ;;
  start)
    if alive && answering; then cat "$PIDFILE"; exit 0; fi
    if answering; then
      die "port $PORT already answers but is not ours ($PIDFILE missing or stale); pick another port"
    fi
    install_venv
    mkdir -p "$STATE"
    # moto writes files such as ./moto_recording into its working directory: keep that in STATE.
    (cd "$STATE" && exec nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" \
      >"$LOG" 2>&1 </dev/null) &
    pid=$!
    echo "$pid" >"$PIDFILE"
    deadline=$((SECONDS + STS_WAIT_S))
    until answering; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "start-sts: moto exited early; the end of $LOG:" >&2
        tail -20 "$LOG" >&2
        rm -f "$PIDFILE"
        exit 1
      fi
      if [ $SECONDS -ge $deadline ]; then
        kill "$pid" 2>/dev/null || true
        rm -f "$PIDFILE"
        die "moto did not answer on $URL within ${STS_WAIT_S}s (log: $LOG)"
      fi
      sleep 0.2
    done
    echo "$pid"
    ;;
  stop)
    if ! alive; then
      echo "start-sts: not running (no live PID in $PIDFILE)" >&2
      rm -f "$PIDFILE"
      exit 0
    fi
    pid=$(cat "$PIDFILE")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$PIDFILE"
    echo "stopped $pid"
    ;;
  status)
    if alive && answering; then cat "$PIDFILE"; else echo "down" >&2; exit 1; fi
    ;;
  reset)
    [ "$(http POST /moto-api/reset)" = 200 ] || die "reset failed (is moto up on $URL?)"
    ;;
  auth)
    case "$auth_mode" in
      on) n=0 ;;
      off) n=inf ;;
      *) die "usage: start-sts.sh auth on|off [PORT]" ;;
    esac
    [ "$(http POST /moto-api/reset-auth "$n")" = 200 ] || die "reset-auth failed (is moto up on $URL?)"
    ;;
  env)
    cat <<EOF
export AWS_ENDPOINT_URL_STS=$URL
export AWS_ENDPOINT_URL_IAM=$URL
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_EC2_METADATA_DISABLED=true
export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
EOF
    ;;
esac
