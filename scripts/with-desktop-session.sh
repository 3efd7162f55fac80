#!/usr/bin/env bash
# with-desktop-session.sh -- run ONE command inside a throw-away Linux desktop session, so
# RoleKeeper's tests reach a real keychain, notification server and tray host:
#   * Xvfb (virtual X display; free display number chosen by Xvfb -displayfd)
#   * a private D-Bus session bus (hermetic: no D-Bus service activation by default)
#   * gnome-keyring-daemon (Secret Service) with an UNLOCKED "login" collection that
#     is also the "default" alias, so keyring clients never trigger a prompt
#   * dunst (org.freedesktop.Notifications) on that display
#   * a StatusNotifierWatcher (scripts/sni-watcher.py) so tray icons register over D-Bus
#   * dbus-monitor logging all org.freedesktop.Notifications traffic to $WDS_NOTIFY_LOG
# Everything is stopped (by PID) and deleted when the command ends.  No stdin needed.
#
# Usage:  scripts/with-desktop-session.sh [--] COMMAND [ARGS...]
#   exit status = COMMAND's exit status; 125 = the session itself could not be set up.
#
# Environment knobs (all optional):
#   WDS_KEYRING_PASSWORD=test  password of the login keyring (created on first start)
#   WDS_NO_KEYRING=1           don't start gnome-keyring   (test "no Secret Service")
#   WDS_NO_NOTIFY=1            don't start dunst           (test "no notification server")
#   WDS_NO_SNI=1               don't start the StatusNotifierWatcher (test "no tray host")
#   WDS_NO_X=1                 don't start Xvfb (implies WDS_NO_NOTIFY; dunst needs X)
#   WDS_ACTIVATION=1           use the standard session bus config (D-Bus activation of
#                              /usr/share/dbus-1/services/*). Activated services get NO
#                              $DISPLAY, so a gcr password prompt can never block a test.
#   WDS_START_TIMEOUT=10       seconds to wait for each service
#   WDS_KEEP=1                 keep $WDS_DIR (logs, keyring files) after exit
#   WDS_QUIET=1                no "ready"/"cleanup" lines on stderr
# Exported to COMMAND:
#   DISPLAY DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR XDG_DATA_HOME XDG_CONFIG_HOME
#   XDG_STATE_HOME GNOME_KEYRING_CONTROL WDS_DIR WDS_NOTIFY_LOG WDS_SNI_LOG WDS_KEYRING_PASSWORD
#   PATH (+ $WDS_DIR/bin with helpers: wds-keyring-lock, wds-keyring-unlock,
#         wds-keyring-locked, wds-notify-invoke ID ACTION_KEY, wds-sni-items)
# $WDS_SNI_LOG gets one line per event from the watcher: "WATCHER_READY <name>",
# "REGISTERED <bus-name><object-path>", "UNREGISTERED ..." (empty file with WDS_NO_SNI=1).
# HOME is NOT changed (cargo/rustup keep working); the keyring files live in
# $XDG_DATA_HOME/keyrings inside $WDS_DIR.
# Needs (Debian): dbus xvfb gnome-keyring dunst python3-dbus python3-gi (scripts/install-deps.sh test).
# Functions below are reached through `trap` and `wait_for`, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail

PROG=with-desktop-session
say()  { [ -n "${WDS_QUIET:-}" ] || printf '%s: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 125; }
now_ms() { date +%s%3N; }

[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { printf 'usage: %s [--] COMMAND [ARGS...]\n' "$0" >&2; exit 125; }

# ---------------------------------------------------------------- prerequisites
need() { command -v "$1" >/dev/null 2>&1 || MISSING="$MISSING $1(apt: $2)"; }
MISSING=""
need dbus-daemon dbus; need dbus-send dbus; need dbus-monitor dbus
[ -n "${WDS_NO_X:-}" ] && WDS_NO_NOTIFY=1
[ -n "${WDS_NO_X:-}" ] || need Xvfb xvfb
[ -n "${WDS_NO_NOTIFY:-}" ] || need dunst dunst
[ -n "${WDS_NO_KEYRING:-}" ] || need gnome-keyring-daemon gnome-keyring
SNI_PYTHON=/usr/bin/python3   # Debian's, which has python3-dbus and python3-gi (not pyenv's)
SNI_WATCHER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sni-watcher.py"
if [ -z "${WDS_NO_SNI:-}" ]; then
    if [ ! -x "$SNI_PYTHON" ] || ! "$SNI_PYTHON" -c 'import dbus, dbus.mainloop.glib, gi' >/dev/null 2>&1; then
        MISSING="$MISSING $SNI_PYTHON-with-dbus-and-gi(apt: python3-dbus python3-gi)"
    fi
    [ -f "$SNI_WATCHER" ] || MISSING="$MISSING $SNI_WATCHER(from the repository)"
fi
[ -z "$MISSING" ] || die "missing programs:$MISSING"

T0=$(now_ms)
START_TIMEOUT=${WDS_START_TIMEOUT:-10}
export WDS_KEYRING_PASSWORD=${WDS_KEYRING_PASSWORD:-test}
WDS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wds.XXXXXX") || die "mktemp failed"
chmod 700 "$WDS_DIR"
export WDS_DIR
mkdir -p "$WDS_DIR/run" "$WDS_DIR/data" "$WDS_DIR/config" "$WDS_DIR/state" "$WDS_DIR/bin"
chmod 700 "$WDS_DIR/run" "$WDS_DIR/data" "$WDS_DIR/config" "$WDS_DIR/state" "$WDS_DIR/bin"

# ---------------------------------------------------------------- cleanup
PIDS=()          # our direct children, in start order
CHILD=""         # the user command
BUS_PID=""
cleanup() {
    local rc=$? extra=() p i
    trap - EXIT INT TERM HUP
    if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then   # interrupted: stop the command first
        say "interrupted (exit $rc): stopping the command (pid $CHILD), then the session"
        kill -TERM "$CHILD" 2>/dev/null
        for i in $(seq 100); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$CHILD" 2>/dev/null
    fi
    if [ -n "$BUS_PID" ] && kill -0 "$BUS_PID" 2>/dev/null; then
        # services owned on OUR private bus (also catches a daemon started by
        # `gnome-keyring-daemon --replace`, which is not our child) ...
        for n in org.freedesktop.secrets org.freedesktop.Notifications org.kde.StatusNotifierWatcher; do
            p=$(dbus-send --session --print-reply=literal --reply-timeout=1000 \
                  --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                  org.freedesktop.DBus.GetConnectionUnixProcessID "string:$n" 2>/dev/null |
                awk '{print $NF}')
            [ -n "$p" ] && extra+=("$p")
        done
        # ... and anything the bus daemon itself spawned (activated services)
        for p in $(ps -o pid= --ppid "$BUS_PID" 2>/dev/null); do extra+=("$p"); done
    fi
    # stop in reverse start order, then the extras
    for (( i=${#PIDS[@]}-1; i>=0; i-- )); do kill -TERM "${PIDS[$i]}" 2>/dev/null; done
    for p in "${extra[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 40); do                       # up to 2 s grace
        local alive=0
        for p in "${PIDS[@]}" "${extra[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break; sleep 0.05
    done
    for p in "${PIDS[@]}" "${extra[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${WDS_KEEP:-}" ]; then say "kept $WDS_DIR"; else rm -rf "$WDS_DIR"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# wait_for DESCRIPTION LOGFILE PID COMMAND...   (polls COMMAND every 50 ms)
wait_for() {
    local what=$1 log=$2 pid=$3; shift 3
    local deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            [ -f "$log" ] && sed 's/^/    | /' "$log" | tail -n 20 >&2
            die "$what exited during start-up (its log is above; WDS_KEEP=1 keeps $WDS_DIR)"
        fi
        if [ "$(now_ms)" -ge "$deadline" ]; then
            [ -f "$log" ] && sed 's/^/    | /' "$log" | tail -n 20 >&2
            die "$what not ready after ${START_TIMEOUT}s (its log is above; WDS_KEEP=1 keeps $WDS_DIR; WDS_START_TIMEOUT=$START_TIMEOUT)"
        fi
        sleep 0.05
    done
}
bus_has() {   # NameHasOwner never triggers D-Bus activation (a plain method call would)
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q true
}

# ---------------------------------------------------------------- environment
# XDG dirs go into WDS_DIR so the real user's keyrings/config are never touched.
export XDG_RUNTIME_DIR=$WDS_DIR/run XDG_DATA_HOME=$WDS_DIR/data \
       XDG_CONFIG_HOME=$WDS_DIR/config XDG_STATE_HOME=$WDS_DIR/state
export NO_AT_BRIDGE=1          # keep GTK helpers from spawning an accessibility bus
unset DBUS_SESSION_BUS_PID GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
unset DISPLAY WAYLAND_DISPLAY  # never reach a real desktop by accident

# ---------------------------------------------------------------- 1. D-Bus
BUS_ADDR="unix:path=$XDG_RUNTIME_DIR/bus"
if [ -n "${WDS_ACTIVATION:-}" ]; then
    BUS_CONF=(--session)
else
    cat > "$WDS_DIR/session.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <!-- private session bus WITHOUT <standard_session_servicedirs/>: only services
       started explicitly by with-desktop-session.sh exist on it -->
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    BUS_CONF=(--config-file="$WDS_DIR/session.conf")
fi
# started while DISPLAY is unset: activated services inherit this environment
dbus-daemon "${BUS_CONF[@]}" --nofork --nopidfile --address="$BUS_ADDR" \
    </dev/null >"$WDS_DIR/dbus.log" 2>&1 &
BUS_PID=$!; PIDS+=("$BUS_PID")
export DBUS_SESSION_BUS_ADDRESS=$BUS_ADDR
wait_for "dbus-daemon" "$WDS_DIR/dbus.log" "$BUS_PID" \
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId
T_BUS=$(now_ms)

# ---------------------------------------------------------------- 2. keyring
if [ -z "${WDS_NO_KEYRING:-}" ]; then
    # --unlock reads the password from stdin (no trailing newline!) and creates the
    # "login" keyring if missing; gnome-keyring makes it the "default" alias.
    printf '%s' "$WDS_KEYRING_PASSWORD" |
        gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$WDS_DIR/gnome-keyring.log" 2>&1 &
    GK_PID=$!; PIDS+=("$GK_PID")
    wait_for "gnome-keyring-daemon" "$WDS_DIR/gnome-keyring.log" "$GK_PID" bus_has org.freedesktop.secrets
    login_ready() {
        dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.ReadAlias string:default 2>/dev/null |
            grep -q '/org/freedesktop/secrets/collection/login' &&
        dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets \
            /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
            string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q false
    }
    wait_for "unlocked default (login) collection" "$WDS_DIR/gnome-keyring.log" "$GK_PID" login_ready
    export GNOME_KEYRING_CONTROL=$XDG_RUNTIME_DIR/keyring
fi
T_KEY=$(now_ms)

# ---------------------------------------------------------------- 3. X + dunst
T_X=$T_KEY
if [ -z "${WDS_NO_X:-}" ]; then
    # -displayfd: Xvfb picks a free display number and writes it once it accepts clients
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
        3>"$WDS_DIR/display" </dev/null >"$WDS_DIR/xvfb.log" 2>&1 &
    X_PID=$!; PIDS+=("$X_PID")
    wait_for "Xvfb" "$WDS_DIR/xvfb.log" "$X_PID" test -s "$WDS_DIR/display"
    DISPLAY=":$(tr -d '[:space:]' <"$WDS_DIR/display")"
    export DISPLAY
    T_X=$(now_ms)
fi
if [ -z "${WDS_NO_NOTIFY:-}" ]; then
    cat > "$WDS_DIR/dunstrc" <<'EOF'
# deterministic for tests: nothing expires by itself, long history
[global]
    history_length = 100
    sticky_history = yes
    idle_threshold = 0
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
EOF
    dunst -config "$WDS_DIR/dunstrc" </dev/null >"$WDS_DIR/dunst.log" 2>&1 &
    D_PID=$!; PIDS+=("$D_PID")
    wait_for "dunst" "$WDS_DIR/dunst.log" "$D_PID" bus_has org.freedesktop.Notifications
fi
T_NOT=$(now_ms)

# ---------------------------------------------------------------- 4. tray host
# A StatusNotifierItem (the tray's, served by ksni) registers only when
# org.kde.StatusNotifierWatcher is owned; this small watcher also pretends to be a host.
export WDS_SNI_LOG=$WDS_DIR/sni.log
: >"$WDS_SNI_LOG"
if [ -z "${WDS_NO_SNI:-}" ]; then
    "$SNI_PYTHON" -u "$SNI_WATCHER" </dev/null >"$WDS_SNI_LOG" 2>"$WDS_DIR/sni-watcher.err" &
    S_PID=$!; PIDS+=("$S_PID")
    wait_for "StatusNotifierWatcher ($SNI_WATCHER)" "$WDS_DIR/sni-watcher.err" "$S_PID" \
        bus_has org.kde.StatusNotifierWatcher
fi
T_SNI=$(now_ms)

# ---------------------------------------------------------------- 5. monitor
export WDS_NOTIFY_LOG=$WDS_DIR/notifications.log
# Notify calls + ActionInvoked/NotificationClosed signals + the server's replies (the ids)
dbus-monitor --session "interface='org.freedesktop.Notifications'" \
                       "type='method_return',sender='org.freedesktop.Notifications'" \
    </dev/null >"$WDS_NOTIFY_LOG" 2>"$WDS_DIR/dbus-monitor.err" &
M_PID=$!; PIDS+=("$M_PID")
wait_for "dbus-monitor" "$WDS_DIR/dbus-monitor.err" "$M_PID" grep -q NameLost "$WDS_NOTIFY_LOG"

# ---------------------------------------------------------------- helpers
cat > "$WDS_DIR/bin/wds-keyring-lock" <<'EOF'
#!/bin/sh
# lock the login collection (what a screen-lock / timeout would do)
exec dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
EOF
cat > "$WDS_DIR/bin/wds-keyring-locked" <<'EOF'
#!/bin/sh
# prints true/false
dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
  org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked | awk '{print $NF}'
EOF
cat > "$WDS_DIR/bin/wds-keyring-unlock" <<'EOF'
#!/bin/sh
# gnome-keyring has no public non-interactive Unlock; --replace starts a new daemon that
# takes over the bus name and unlocks "login" with the password read from stdin.
printf '%s' "$WDS_KEYRING_PASSWORD" | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1
i=0; while [ $i -lt 100 ]; do
  [ "$(wds-keyring-locked 2>/dev/null)" = false ] && exit 0; i=$((i+1)); sleep 0.05; done
echo "wds-keyring-unlock: login collection still locked" >&2; exit 1
EOF
cat > "$WDS_DIR/bin/wds-notify-invoke" <<'EOF'
#!/bin/sh
# wds-notify-invoke ID ACTION_KEY : emit ActionInvoked like a server would when the user
# clicks a button (daemon-agnostic; with dunst you can also use `dunstctl action 0`)
[ $# -eq 2 ] || { echo "usage: wds-notify-invoke ID ACTION_KEY" >&2; exit 64; }
exec dbus-send --session --type=signal /org/freedesktop/Notifications \
  org.freedesktop.Notifications.ActionInvoked "uint32:$1" "string:$2"
EOF
cat > "$WDS_DIR/bin/wds-sni-items" <<'EOF'
#!/bin/sh
# print the tray items registered with the StatusNotifierWatcher, one per line
# ("<bus-name><object-path>"); exit 1 if no watcher owns org.kde.StatusNotifierWatcher
reply=$(dbus-send --session --print-reply=literal --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
  org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher \
  string:RegisteredStatusNotifierItems) || exit 1
printf '%s\n' "$reply" |
  awk '{ for (i = 1; i <= NF; i++) if ($i != "variant" && $i != "array" && $i != "[" && $i != "]") print $i }'
EOF
chmod +x "$WDS_DIR"/bin/*
export PATH="$WDS_DIR/bin:$PATH"

T1=$(now_ms)
say "ready in $((T1-T0)) ms (bus $((T_BUS-T0)), keyring $((T_KEY-T_BUS)), Xvfb $((T_X-T_KEY)), dunst $((T_NOT-T_X)), sni $((T_SNI-T_NOT)), monitor $((T1-T_SNI))) DISPLAY=${DISPLAY:-none} WDS_DIR=$WDS_DIR"

# ---------------------------------------------------------------- run
# stdin is passed through when it is open; a closed stdin (CI: <&-) becomes /dev/null
if { true <&0; } 2>/dev/null; then "$@" <&0 & else "$@" </dev/null & fi
CHILD=$!
wait "$CHILD"; RC=$?
# if a signal interrupted `wait`, the trap has already exited; otherwise report
CHILD=""
say "command exited with $RC; cleaning up"
exit $RC
