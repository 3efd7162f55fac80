#!/usr/bin/env bash
# package-deb.sh -- build the Debian package of RoleKeeper: the tray app (rolekeeper-desktop)
# and the rolekeeper command in one .deb, with its desktop entry, icons, manual page and shell
# completions. Prints the path of the .deb on stdout (everything else goes to stderr).
#
#   scripts/package-deb.sh
#   sudo apt install ./RoleKeeper_0.1.0_amd64.deb      # (from the directory it printed)
#
# Steps (each skipped or quick when already done; safe to run again):
#   1. the Tauri bundler from npm (packaging/package.json: @tauri-apps/cli, whose native binary
#      is the npm package @tauri-apps/cli-linux-x64-gnu), installed into packaging/node_modules
#   2. the UI (ui/dist is embedded in the app binary)
#   3. the release `rolekeeper` binary, its manual page and completions, staged in
#      packaging/stage/ -- src-tauri/tauri.conf.json's bundle.linux.deb.files maps them into the
#      package (/usr/bin/rolekeeper, /usr/share/man/man1/rolekeeper.1.gz, ...)
#   4. `tauri build --bundles deb` in src-tauri/: cargo build --release with the
#      custom-protocol feature, then the .deb in $CARGO_TARGET_DIR/release/bundle/deb/
# Needs: cargo, npm (scripts/install-deps.sh), dpkg-deb, gzip, pkg-config; installs
# libayatana-appindicator3-dev with apt when missing.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
say() { printf 'package-deb: %s\n' "$*" >&2; }

ensure_cargo
command -v npm >/dev/null 2>&1 || { say "npm not found: run scripts/install-deps.sh"; exit 1; }
command -v dpkg-deb >/dev/null 2>&1 || { say "dpkg-deb not found (apt: dpkg)"; exit 1; }
# The bundler finds the tray library (for the Depends line) through pkg-config: it needs the
# -dev package, which the build itself does not (the app dlopens the library at run time).
if ! pkg-config --exists ayatana-appindicator3-0.1 && ! pkg-config --exists appindicator3-0.1; then
  say "installing libayatana-appindicator3-dev (apt), which the Tauri bundler looks for"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libayatana-appindicator3-dev >&2
fi

# 1. the bundler
PKG=$ROOT/packaging
stamp=$PKG/node_modules/.rolekeeper-install-stamp
want=$(cat "$PKG/package.json" "$PKG/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -x "$PKG/node_modules/.bin/tauri" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "bundler: up to date ($("$PKG/node_modules/.bin/tauri" --version))"
else
  say "bundler: npm ci in packaging/"
  (cd "$PKG" && npm ci --no-audit --no-fund </dev/null >&2)
  echo "$want" >"$stamp"
fi

# 2. the UI
say "building the UI"
ui_build >&2

# 3. the CLI and what goes with it
say "building rolekeeper (release)"
(cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper >&2)
STAGE=$PKG/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
CLI=$CARGO_TARGET_DIR/release/rolekeeper
install -m 0755 "$CLI" "$STAGE/rolekeeper"
strip --strip-unneeded "$STAGE/rolekeeper" 2>/dev/null || true
"$CLI" man | gzip -9n >"$STAGE/rolekeeper.1.gz"
"$CLI" completions bash >"$STAGE/rolekeeper.bash"
"$CLI" completions zsh >"$STAGE/_rolekeeper"
"$CLI" completions fish >"$STAGE/rolekeeper.fish"

# 4. the app and the package
say "tauri build --bundles deb (release build of rolekeeper-desktop with custom-protocol)"
rm -f "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb
# The Tauri CLI rewrites src-tauri/Cargo.toml's tauri/tauri-build lines to the feature lists it
# wants (it adds `features = []` to tauri-build); put any line it changed back afterwards, so a
# package build leaves the tree as it found it.
MANIFEST=$ROOT/src-tauri/Cargo.toml
before=$(grep -n '^tauri\(-build\)\? = ' "$MANIFEST" || true)
restore_manifest() {
  local line num text
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    num=${line%%:*}; text=${line#*:}
    if [ "$(sed -n "${num}p" "$MANIFEST")" != "$text" ]; then
      say "restoring line $num of src-tauri/Cargo.toml (rewritten by the Tauri CLI)"
      TEXT=$text awk -v n="$num" 'NR == n { print ENVIRON["TEXT"]; next } { print }' "$MANIFEST" \
        >"$MANIFEST.rk-tmp" && cat "$MANIFEST.rk-tmp" >"$MANIFEST" && rm -f "$MANIFEST.rk-tmp"
    fi
  done <<<"$before"
}
trap restore_manifest EXIT
(cd "$ROOT/src-tauri" && nice -n 10 "$PKG/node_modules/.bin/tauri" build --bundles deb --ci >&2)
restore_manifest
trap - EXIT
DEB=$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb)
[ "$(printf '%s\n' "$DEB" | wc -l)" = 1 ] || { say "expected one .deb, found: $DEB"; exit 1; }
CONTENTS=$(dpkg-deb -c "$DEB")
for want in usr/bin/rolekeeper-desktop usr/bin/rolekeeper usr/share/applications/RoleKeeper.desktop; do
  grep -q " \.\?/\?$want\$" <<<"$CONTENTS" || { say "$DEB lacks $want"; exit 1; }
done
say "built $(du -h "$DEB" | cut -f1) $(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')"
say "Depends: $(dpkg-deb -f "$DEB" Depends)"
printf '%s\n' "$DEB"
