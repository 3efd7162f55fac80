#!/usr/bin/env bash
# install.sh -- puts RoleKeeper on PATH: copies `rolekeeper`, `rolekeeper-desktop` (the tray) and
# `rolekeeper-window` (its windows, started by the tray) from a build
# directory into ~/.local/bin (ROLEKEEPER_INSTALL_DIR to change it), so `rolekeeper` runs by name
# in any shell, and the `credential_process = rolekeeper ...` lines RoleKeeper writes work in the
# AWS CLI and every SDK. Says so when that directory is not on PATH yet.
#
#   scripts/install.sh [BUILD_DIR]     default: $CARGO_TARGET_DIR/release (what run.sh builds)
#
# scripts/run.sh calls it after the release build; the install test calls it on the debug build.
set -euo pipefail

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say() { printf 'install: %s\n' "$*" >&2; }

FROM=${1:-$CARGO_TARGET_DIR/release}
INSTALL_DIR=${ROLEKEEPER_INSTALL_DIR:-$HOME/.local/bin}
mkdir -p "$INSTALL_DIR"
for program in rolekeeper rolekeeper-desktop rolekeeper-window; do
  if [ ! -x "$FROM/$program" ]; then
    say "$FROM/$program is missing: build it first (scripts/run.sh does)"
    exit 1
  fi
  # A copy (the build directory may be cleaned), replaced atomically: a running copy keeps its file.
  install -m 0755 "$FROM/$program" "$INSTALL_DIR/.$program.new"
  mv -f "$INSTALL_DIR/.$program.new" "$INSTALL_DIR/$program"
done
say "installed rolekeeper, rolekeeper-desktop and rolekeeper-window in $INSTALL_DIR"
case ":$PATH:" in
  *":$INSTALL_DIR:"*) ;;
  *) say "$INSTALL_DIR is not on PATH yet: add it (e.g. echo 'export PATH=\"$INSTALL_DIR:\$PATH\"' >> ~/.profile), then log in again; until then the AWS tools cannot run RoleKeeper's credential_process lines" ;;
esac
