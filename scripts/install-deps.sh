#!/usr/bin/env bash
# Installs the Debian packages RoleKeeper needs. Idempotent: packages already present are
# skipped without touching apt. Works as root or through sudo.
#
#   scripts/install-deps.sh run    what building and running the desktop app needs
#   scripts/install-deps.sh test   that plus the services and oracles the tests use
set -euo pipefail

RUN_PKGS=(
  build-essential pkg-config curl ca-certificates file
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-1 librsvg2-dev
)
TEST_PKGS=(
  dbus dbus-bin xvfb xauth gnome-keyring libsecret-tools dunst libnotify-bin
  webkit2gtk-driver imagemagick xdotool x11-utils xclip libglib2.0-bin
  python3-dbus python3-gi python3-venv awscli hyperfine procps psmisc
)

case "${1:-run}" in
  run) want=("${RUN_PKGS[@]}") ;;
  test) want=("${RUN_PKGS[@]}" "${TEST_PKGS[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
# Node.js may come from elsewhere than Debian (its npm then conflicts with Debian's): go by command.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
