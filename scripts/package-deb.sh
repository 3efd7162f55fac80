#!/usr/bin/env bash
# package-deb.sh -- build the Debian package of RoleKeeper: the tray app (rolekeeper-desktop),
# its windows (rolekeeper-window) and the rolekeeper command in one .deb, with its desktop entry, icons, manual page and shell
# completions. Prints the path of the .deb on stdout (everything else goes to stderr).
#
#   scripts/package-deb.sh
#   sudo apt install ./RoleKeeper_0.1.0_amd64.deb      # (from the directory it printed)
#
# Steps (each skipped or quick when already done; safe to run again):
#   1. the Tauri bundler from npm (packaging/package.json: @tauri-apps/cli, whose native binary
#      is the npm package @tauri-apps/cli-linux-x64-gnu), installed into packaging/node_modules
#   2. the UI (ui/dist is embedded in the app binary)
#   3. the release `rolekeeper` and `rolekeeper-desktop` binaries, the CLI's manual page and
#      completions, and
#      packaging/rolekeeper-desktop.1, staged in packaging/stage/ -- src-tauri/tauri.conf.json's
#      bundle.linux.deb.files maps them and packaging/copyright into the package
#      (/usr/bin/rolekeeper, /usr/share/man/man1/rolekeeper.1.gz, ...); the CLI is static
#      (crates/cli/build.rs) and needs no library; built dynamic (no static glibc on the build
#      machine), the libc6 and libgcc-s1 versions for Depends from dpkg-shlibdeps
#   4. `tauri build --bundles deb` in src-tauri/: cargo build --release of rolekeeper-window with
#      the custom-protocol feature, then the .deb in $CARGO_TARGET_DIR/release/bundle/deb/ (its
#      desktop entry runs rolekeeper-window, which opens the manager and starts the tray)
#   5. checks the .deb: both programs, the desktop entry, the icons and the copyright file are
#      in it; both binaries are stripped (the release profile's `strip = "symbols"` does it, for
#      run.sh's builds too: nothing is stripped here); then lintian's view, when lintian is
#      installed (for information: the package has no Debian changelog, for one)
# Needs: cargo, npm (scripts/install-deps.sh), dpkg-deb, dpkg-shlibdeps (dpkg-dev), gzip,
# pkg-config, readelf (binutils); installs libayatana-appindicator3-dev with apt when missing.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
say() { printf 'package-deb: %s\n' "$*" >&2; }

ensure_cargo
command -v npm >/dev/null 2>&1 || { say "npm not found: run scripts/install-deps.sh"; exit 1; }
command -v dpkg-deb >/dev/null 2>&1 || { say "dpkg-deb not found (apt: dpkg)"; exit 1; }
command -v readelf >/dev/null 2>&1 || { say "readelf not found (apt: binutils)"; exit 1; }
command -v dpkg-shlibdeps >/dev/null 2>&1 || { say "dpkg-shlibdeps not found (apt: dpkg-dev)"; exit 1; }
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
say "building rolekeeper and rolekeeper-desktop (release)"
(cd "$ROOT" && nice -n 10 cargo build --release -p rolekeeper -p rolekeeper-desktop >&2)
STAGE=$PKG/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
CLI=$CARGO_TARGET_DIR/release/rolekeeper
install -m 0755 "$CLI" "$STAGE/rolekeeper"
install -m 0755 "$CARGO_TARGET_DIR/release/rolekeeper-desktop" "$STAGE/rolekeeper-desktop"
"$CLI" man | gzip -9n >"$STAGE/rolekeeper.1.gz"
gzip -9nc "$PKG/rolekeeper-desktop.1" >"$STAGE/rolekeeper-desktop.1.gz"
"$CLI" completions bash >"$STAGE/rolekeeper.bash"
"$CLI" completions zsh >"$STAGE/_rolekeeper"
"$CLI" completions fish >"$STAGE/rolekeeper.fish"

# The bundler itself adds WebKitGTK, GTK and the tray library, which bring the rest of the app's
# libraries (libc6 among them). The CLI is linked static where the build machine has glibc's
# static archives (crates/cli/build.rs) and then needs no library; linked dynamic, it needs libc6
# and libgcc-s1 at the versions its symbols need, as dpkg-shlibdeps reads them off it.
DEPENDS_JSON=
if [[ $(readelf -dW "$STAGE/rolekeeper") == *"(NEEDED)"* ]]; then
  SHLIBS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rk-shlibs.XXXXXX")
  mkdir "$SHLIBS_DIR/debian"
  printf 'Source: role-keeper\n\nPackage: role-keeper\nArchitecture: any\n' >"$SHLIBS_DIR/debian/control"
  SHLIBS=$(cd "$SHLIBS_DIR" && dpkg-shlibdeps -O "$STAGE/rolekeeper" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$SHLIBS_DIR"
  [ -n "$SHLIBS" ] || { say "dpkg-shlibdeps found no library dependency of rolekeeper"; exit 1; }
  DEPENDS_JSON=$(printf '%s\n' "${SHLIBS//, /$'\n'}" | sed 's/.*/"&"/' | paste -sd, -)
  say "Depends from dpkg-shlibdeps: $SHLIBS"
else
  say "rolekeeper is linked static: no library Depends of its own"
fi

# 4. the app and the package
say "tauri build --bundles deb (release build of rolekeeper-window with custom-protocol)"
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
(cd "$ROOT/src-tauri" && nice -n 10 "$PKG/node_modules/.bin/tauri" build --bundles deb --ci \
  --config "{\"bundle\":{\"linux\":{\"deb\":{\"depends\":[$DEPENDS_JSON]}}}}" >&2)
restore_manifest
trap - EXIT
DEB=$(ls "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb)
[ "$(printf '%s\n' "$DEB" | wc -l)" = 1 ] || { say "expected one .deb, found: $DEB"; exit 1; }

# 5. what is in it
CONTENTS=$(dpkg-deb -c "$DEB")
for want in usr/bin/rolekeeper-desktop usr/bin/rolekeeper-window usr/bin/rolekeeper \
  usr/share/applications/RoleKeeper.desktop \
  usr/share/icons/hicolor/32x32/apps/rolekeeper-window.png \
  usr/share/icons/hicolor/128x128/apps/rolekeeper-window.png \
  usr/share/icons/hicolor/256x256/apps/rolekeeper-window.png \
  usr/share/doc/role-keeper/copyright usr/share/man/man1/rolekeeper.1.gz \
  usr/share/man/man1/rolekeeper-desktop.1.gz; do
  grep -q " \.\?/\?$want\$" <<<"$CONTENTS" || { say "$DEB lacks $want"; exit 1; }
done
UNPACKED=$(mktemp -d "${TMPDIR:-/tmp}/rk-deb.XXXXXX")
trap 'rm -rf "$UNPACKED"' EXIT
dpkg-deb -x "$DEB" "$UNPACKED"
for bin in rolekeeper-desktop rolekeeper-window rolekeeper; do
  if readelf -SW "$UNPACKED/usr/bin/$bin" | grep -qE ' \.(symtab|debug_[a-z_]+) '; then
    say "usr/bin/$bin is not stripped: is [profile.release] strip = \"symbols\" still in Cargo.toml?"
    exit 1
  fi
done
grep -q '^Icon=rolekeeper-window$' "$UNPACKED/usr/share/applications/RoleKeeper.desktop" ||
  { say "the desktop entry names no rolekeeper-window icon"; exit 1; }
rm -rf "$UNPACKED"
trap - EXIT
say "built $(du -h "$DEB" | cut -f1) ($(stat -c %s "$DEB") bytes) $(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')"
say "Depends: $(dpkg-deb -f "$DEB" Depends)"
if command -v lintian >/dev/null 2>&1; then
  say "lintian (for information):"
  lintian --tag-display-limit 0 "$DEB" >&2 || true
fi
printf '%s\n' "$DEB"
