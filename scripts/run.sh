#!/usr/bin/env bash
# run.sh -- the README's "run RoleKeeper" command: install what it needs, build it, start it.
#
#   1. the Debian packages for building and running      (scripts/install-deps.sh run)
#   2. the UI: npm ci + npm run build in ui/ (writes ui/dist, which the desktop binary embeds)
#   3. cargo build --release -p rolekeeper-desktop -p rolekeeper-window -p rolekeeper
#   3b. installs all three into ~/.local/bin (scripts/install.sh; ROLEKEEPER_INSTALL_DIR to change it), so `rolekeeper`
#       and the `credential_process = rolekeeper ...` lines RoleKeeper writes work from any
#       shell and any AWS tool; says so when that directory is not on PATH yet
#   4. with a display (DISPLAY or WAYLAND_DISPLAY set): exec the tray app, rolekeeper-desktop;
#      without one: exec the headless engine, `rolekeeper daemon` (stops on SIGTERM / Ctrl-C)
#
# Works on a fresh Debian 12 / Ubuntu machine, as root or as a user with sudo; run it again at
# any time (steps already done are skipped). Needs the Rust toolchain from rustup.
# Env: CARGO_TARGET_DIR (default ~/.cache/rolekeeper/target). Arguments are passed to the
# program that is started.
set -euo pipefail

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

say() { printf 'run: %s\n' "$*" >&2; }

say "system packages"
"$ROOT/scripts/install-deps.sh" run
# shellcheck disable=SC2119  # (no rustup components needed to run)
ensure_cargo
if [ -f "$ROOT/ui/package.json" ]; then
  say "building the UI (ui/)"
  ui_build >&2
fi
say "building rolekeeper, rolekeeper-desktop and rolekeeper-window (release; the first build takes a few minutes)"
cargo build --release -p rolekeeper-desktop -p rolekeeper-window -p rolekeeper

"$ROOT/scripts/install.sh" "$CARGO_TARGET_DIR/release"
BIN=${ROLEKEEPER_INSTALL_DIR:-$HOME/.local/bin}
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  say "starting the tray app: $BIN/rolekeeper-desktop"
  exec "$BIN/rolekeeper-desktop" "$@"
fi
echo "no display: running the headless \`rolekeeper daemon\` instead" >&2
exec "$BIN/rolekeeper" daemon "$@"
