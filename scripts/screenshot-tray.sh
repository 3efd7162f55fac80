#!/usr/bin/env bash
# screenshot-tray.sh -- docs/tray-menu.png: the tray menu of rolekeeper-desktop as a person sees
# it, drawn by a real tray host (xfce4-panel's systray plugin) and opened with a real mouse click.
#
#   scripts/screenshot-tray.sh [OUT.png]          (default docs/tray-menu.png)
#   SCREENSHOT_PROFILES=300 scripts/screenshot-tray.sh docs/tray-menu-300.png
#                                                 300 profiles as `sso sync` names them (as
#                                                 tests/src/many.rs), one active; the menu is
#                                                 shown with "All profiles" and a group open
#
# What it does (safe to run again):
#   1. installs xfce4-panel with apt when it is missing (its systray plugin is the tray host)
#   2. builds the UI and the release binaries when they are missing (as scripts/run.sh does)
#   3. starts moto (scripts/test-services.sh) so one profile can be active; SCREENSHOT_NO_STS=1
#      skips that and shows two inactive profiles
#   4. inside scripts/with-desktop-session.sh with WDS_NO_SNI=1 (xfce4-panel owns the
#      StatusNotifierWatcher), with a throw-away HOME holding ~/.aws/config and credentials:
#      xfconfd + xfce4-panel from a pre-seeded panel config, `rolekeeper activate prodaccess`,
#      then rolekeeper-desktop; waits for the session to be fresh in the menu, right-clicks the
#      icon with xdotool (a left click opens the window), takes `import -window root` and crops
#      it to the panel corner and the menu (the region that changed when the menu opened).
# Full screenshots are kept in out/screenshots/ (gitignored).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
say() { printf 'screenshot-tray: %s\n' "$*" >&2; }
# SCREENSHOT_BIN=DIR: binaries from DIR instead (e.g. a debug build's)
BIN=${SCREENSHOT_BIN:-$CARGO_TARGET_DIR/release}

if [ "${1:-}" != --inside ]; then
  OUT=$(realpath -m "${1:-$ROOT/docs/tray-menu.png}")
  if ! command -v xfce4-panel >/dev/null 2>&1; then
    say "installing xfce4-panel (apt)"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends xfce4-panel >&2
  fi
  for tool in xdotool import convert; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool not found: scripts/install-deps.sh test"; exit 1; }
  done
  if [ ! -x "$BIN/rolekeeper-desktop" ] || [ ! -x "$BIN/rolekeeper" ]; then
    say "building the UI and the release binaries"
    ensure_cargo
    ui_build >&2
    (cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper-desktop -p rolekeeper >&2)
  fi
  if [ -z "${SCREENSHOT_NO_STS:-}" ]; then
    eval "$("$ROOT/scripts/test-services.sh" env)"
  fi
  export SCREENSHOT_OUT=$OUT
  WDS_NO_SNI=1 WDS_QUIET=1 exec "$ROOT/scripts/with-desktop-session.sh" "$0" --inside
fi

# ------------------------------------------------------------------ inside the desktop session
OUT=${SCREENSHOT_OUT:?}
SHOTS=$ROOT/out/screenshots
mkdir -p "$SHOTS" "$(dirname "$OUT")"
H=$(mktemp -d "${TMPDIR:-/tmp}/rk-tray-shot.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$H"
}
trap cleanup EXIT

# The RoleKeeper side: its own HOME and XDG dirs (as the end-to-end suites do), moto as STS.
mkdir -p "$H/.aws"
PROFILES=${SCREENSHOT_PROFILES:-}
if [ -n "$PROFILES" ]; then
  # Accounts acme-000.. with three roles each, assumed from the environment's keys.
  {
    for ((k = 0; k * 3 < PROFILES; k++)); do
      for role in Admin Developer ReadOnly; do
        printf '[profile acme-%03d-%s]\nrole_arn = arn:aws:iam::%d:role/%s\n' \
          "$k" "${role,,}" $((111100000000 + k * 1013)) "$role"
        printf 'credential_source = Environment\nregion = us-east-1\n\n'
      done
    done
  } >"$H/.aws/config"
  : >"$H/.aws/credentials"
else
  cp "$ROOT/benches/demo-aws/config" "$ROOT/benches/demo-aws/credentials" "$H/.aws/"
fi
chmod 600 "$H/.aws/credentials"
# (an array, not a function: `"${RK[@]}" prog &` gives $! = the program's PID, env execs it)
RK=(env -u AWS_PROFILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE
  HOME="$H" XDG_STATE_HOME="$H/.local/state" XDG_CONFIG_HOME="$H/.config"
  XDG_DATA_HOME="$H/.local/share" XDG_CACHE_HOME="$H/.cache" AWS_EC2_METADATA_DISABLED=true)
[ -z "${ROLEKEEPER_TEST_STS_URL:-}" ] || RK+=(AWS_ENDPOINT_URL_STS="$ROLEKEEPER_TEST_STS_URL")
[ -z "$PROFILES" ] ||
  RK+=(AWS_ACCESS_KEY_ID=AKIAMANYPROFILES0001 AWS_SECRET_ACCESS_KEY=manyProfilesTestSecret0000000)

# The tray host: xfce4-panel, one panel along the top with a spacer and the systray plugin.
# Its settings come from xfconfd (no D-Bus activation on the private bus: started here).
XFCONF=$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml
mkdir -p "$XFCONF"
cat >"$XFCONF/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
XML
bus_has() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q true
}
wait_for() {  # DESCRIPTION SECONDS COMMAND...
  local what=$1 n=$(($2 * 10)); shift 2
  until "$@" >/dev/null 2>&1; do
    n=$((n - 1)); [ "$n" -gt 0 ] || { say "timed out waiting for $what"; return 1; }
    sleep 0.1
  done
}
/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd >"$H/xfconfd.log" 2>&1 &
PIDS+=($!)
wait_for "xfconfd" 10 bus_has org.xfce.Xfconf
xfce4-panel >"$H/panel.log" 2>&1 &
PIDS+=($!)
wait_for "xfce4-panel's StatusNotifierWatcher" 20 bus_has org.kde.StatusNotifierWatcher
sleep 2
import -window root "$SHOTS/tray-0-panel.png"

if [ -n "$PROFILES" ]; then
  [ -n "${ROLEKEEPER_TEST_STS_URL:-}" ] || { say "SCREENSHOT_PROFILES needs moto"; exit 1; }
  say "rolekeeper activate acme-042-admin (moto at $ROLEKEEPER_TEST_STS_URL)"
  "${RK[@]}" "$BIN/rolekeeper" activate acme-042-admin >&2
  want="acme-042-admin — fresh"
elif [ -n "${ROLEKEEPER_TEST_STS_URL:-}" ]; then
  say "rolekeeper activate prodaccess (moto at $ROLEKEEPER_TEST_STS_URL)"
  "${RK[@]}" "$BIN/rolekeeper" activate prodaccess >&2
  want="prodaccess — fresh"
else
  want="staging — off"
fi
"${RK[@]}" ROLEKEEPER_LOG=info "$BIN/rolekeeper-desktop" >"$H/desktop.log" 2>&1 &
APP=$!
PIDS+=("$APP")
menu_has() {  # some item's label starts with $1 (the layout is JSON, non-ASCII escaped)
  /usr/bin/python3 "$ROOT/tests/support/tray_client.py" --pid "$APP" layout 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys
sys.exit(0 if any(i["label"].startswith(sys.argv[1]) for i in json.load(sys.stdin)) else 1)' "$1"
}
if ! wait_for "\"$want\" in the tray menu" 60 menu_has "$want"; then
  cat "$H/desktop.log" >&2
  wds-sni-items >&2 || true
  /usr/bin/python3 "$ROOT/tests/support/tray_client.py" --pid "$APP" layout >&2 || true
  exit 1
fi
sleep 2   # let the panel draw the icon
import -window root "$SHOTS/tray-1-icon.png"

# The icon is what changed in the panel since the app started; click its middle.
bbox() {  # BEFORE AFTER -> "W H X Y" of the region that differs
  convert "$1" "$2" -compose difference -composite -fuzz 3% -format '%@\n' info: |
    sed -E 's/^([0-9]+)x([0-9]+)\+([0-9]+)\+([0-9]+)$/\1 \2 \3 \4/'
}
read -r iw ih ix iy < <(bbox "$SHOTS/tray-0-panel.png" "$SHOTS/tray-1-icon.png")
[ "$ih" -lt 64 ] || { say "could not find the tray icon (changed region ${iw}x${ih}+$ix+$iy)"; exit 1; }
cx=$((ix + iw / 2)); cy=$((iy + ih / 2))
say "tray icon at ${iw}x${ih}+$ix+$iy; right-clicking $cx,$cy"
xdotool mousemove "$cx" "$cy" click 3
sleep 2
if [ -n "$PROFILES" ]; then
  # Open "All profiles" (the item after the headline and the active session) and its sixth
  # group (the one with the active session) from the keyboard, as a person may.
  xdotool key Down Down Right
  sleep 1
  xdotool key Down Down Down Down Down Right
  sleep 1
fi
import -window root "$SHOTS/tray-2-menu.png"
read -r mw mh mx my < <(bbox "$SHOTS/tray-1-icon.png" "$SHOTS/tray-2-menu.png")
say "menu at ${mw}x${mh}+$mx+$my"
[ "$mh" -gt 40 ] || { say "the menu did not open"; exit 1; }

# Crop: from a little left of the menu to the right edge, from the top (the panel and the icon)
# to a little below the menu.
W=$(identify -format '%w' "$SHOTS/tray-2-menu.png"); Hh=$(identify -format '%h' "$SHOTS/tray-2-menu.png")
x0=$(( mx < ix ? mx : ix )); x0=$(( x0 > 24 ? x0 - 24 : 0 ))
y1=$(( my + mh + 16 )); y1=$(( y1 < Hh ? y1 : Hh ))
convert "$SHOTS/tray-2-menu.png" -crop "$((W - x0))x${y1}+${x0}+0" +repage "$OUT"
say "wrote $OUT ($(identify -format '%wx%h' "$OUT"))"

xdotool key Escape
/usr/bin/python3 "$ROOT/tests/support/tray_client.py" --pid "$APP" click Quit >/dev/null || true
for _ in $(seq 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
