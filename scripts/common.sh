# shellcheck shell=bash
# common.sh -- helpers shared by scripts/run.sh, scripts/test.sh and scripts/test-services.sh.
# Source it; it defines functions and variables and runs nothing else.
#
#   ROOT              the repository root
#   CARGO_TARGET_DIR  exported; default ~/.cache/rolekeeper/target (outside the clone, so a
#                     fresh clone reuses earlier builds)
#   ensure_cargo      cargo (with rustfmt/clippy when asked) on PATH, or a clear error
#   ui_build          npm ci (only when package*.json changed) + npm run build in ui/

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rolekeeper/target}
# Rust 1.90 is the workspace's rust-version (Cargo.toml).
RUST_MIN_MINOR=90

# ensure_cargo [component...] -- cargo on PATH (rustup's ~/.cargo/bin is tried too, e.g. under
# sudo), rustc new enough, and the named rustup components (rustfmt, clippy) present.
ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (1.$RUST_MIN_MINOR or newer) with rustup" \
      "from https://rustup.rs, open a new shell so ~/.cargo/bin is on PATH, and run this again" >&2
    return 1
  fi
  local version minor
  version=$(rustc --version 2>/dev/null | awk '{print $2}')
  minor=$(printf '%s' "$version" | cut -d. -f2)
  case "$minor" in
    ''|*[!0-9]*) echo "could not read the rustc version ('$version'); continuing" >&2 ;;
    *)
      if [ "$minor" -lt "$RUST_MIN_MINOR" ]; then
        echo "rustc $version is too old: RoleKeeper needs 1.$RUST_MIN_MINOR or newer" \
          "(rustup update stable)" >&2
        return 1
      fi ;;
  esac
  local comp cmd
  for comp in "$@"; do
    case "$comp" in rustfmt) cmd=fmt ;; clippy) cmd=clippy ;; *) cmd=$comp ;; esac
    cargo "$cmd" --version >/dev/null 2>&1 && continue
    if command -v rustup >/dev/null 2>&1; then
      echo "installing the rustup component $comp" >&2
      rustup component add "$comp" >&2 || return 1
    else
      echo "cargo $cmd not found: install the $comp component of your Rust toolchain" >&2
      return 1
    fi
  done
}

# ui_build -- if ui/package.json exists: install its node modules (npm ci with a lock file,
# npm install without; skipped when package.json and the lock file are unchanged since the
# last install) and run its build script, which writes ui/dist for the Tauri build to embed.
ui_build() {
  [ -f "$ROOT/ui/package.json" ] || { echo "no ui/package.json: nothing to build"; return 0; }
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: run scripts/install-deps.sh (it installs Node.js and npm)" >&2
    return 1
  fi
  (
    set -euo pipefail
    cd "$ROOT/ui"
    local stamp=node_modules/.rolekeeper-install-stamp want
    manifest_sum() { { cat package.json; [ ! -f package-lock.json ] || cat package-lock.json; } |
      sha256sum | cut -d' ' -f1; }
    want=$(manifest_sum)
    if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      echo "ui: node modules up to date"
    elif [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund </dev/null
      echo "$want" >"$stamp"
    else
      npm install --no-audit --no-fund </dev/null
      # npm install may have written package-lock.json: stamp what is there now.
      manifest_sum >"$stamp"
    fi
    # The desktop binary embeds ui/dist and is rebuilt whenever its files change (even to the
    # same bytes): build only when a source of the UI changed since the last build.
    # (The stamp lives outside dist/: everything in dist/ is embedded in the app.)
    local built=node_modules/.rolekeeper-build-stamp sources
    sources=$(find index.html mfa.html src package.json package-lock.json vite.config.ts tsconfig.json \
      -type f 2>/dev/null | LC_ALL=C sort | xargs cat 2>/dev/null | sha256sum | cut -d' ' -f1)
    if [ -f dist/index.html ] && [ -f "$built" ] && [ "$(cat "$built")" = "$sources" ]; then
      echo "ui: dist/ up to date"
    else
      npm run build --if-present </dev/null
      echo "$sources" >"$built"
    fi
  )
}

# ui_has_script NAME -- ui/package.json defines scripts.NAME
ui_has_script() {
  [ -f "$ROOT/ui/package.json" ] && command -v node >/dev/null 2>&1 &&
    node -e 'const s = require(process.argv[1]).scripts || {}; process.exit(s[process.argv[2]] ? 0 : 1)' \
      "$ROOT/ui/package.json" "$1"
}
