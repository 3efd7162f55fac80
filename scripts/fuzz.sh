#!/usr/bin/env bash
# fuzz.sh [SECONDS] -- build the credentials-file fuzz target (fuzz/) and run it for SECONDS
# (default 60). Idempotent: a second run reuses the build and the corpus it grew.
#
# How it builds: with the stable toolchain and plain `cargo build`, not cargo-fuzz. cargo-fuzz
# needs nightly flags (-Zsanitizer=address, hence RUSTC_BOOTSTRAP=1 on stable) and a tool to
# install; the coverage instrumentation libFuzzer needs is only stable -C options (the RUSTFLAGS
# below are the ones cargo-fuzz passes, minus AddressSanitizer, which adds little to a crate that
# denies unsafe code). `--target` is explicit so RUSTFLAGS reach the target's crates only, not
# build scripts and proc macros (which would fail to link without libFuzzer's symbols).
# fuzz/ keeps cargo-fuzz's layout, so `cargo fuzz run credfile_roundtrip` works too where
# cargo-fuzz and nightly exist.
#
# Exit status: 0 when the run ended without a crash; non-zero on a crash (the input that crashed
# is saved under out/fuzz/artifacts/, and its path printed), or when the build failed.
# Env: FUZZ_TARGET_DIR (default ~/.cache/rolekeeper/fuzz-target).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_TO_RUN=${1:-60}
case "$SECONDS_TO_RUN" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
TARGET=credfile_roundtrip
# Its own target dir: instrumented artefacts must never mix with the workspace's normal build.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/rolekeeper/fuzz-target}
OUT=$ROOT/out/fuzz
CORPUS=$OUT/corpus/$TARGET
ARTIFACTS=$OUT/artifacts/$TARGET
mkdir -p "$CORPUS" "$ARTIFACTS"

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
# libFuzzer itself is C++, compiled by libfuzzer-sys's build script.
if ! command -v c++ >/dev/null 2>&1; then
  echo "c++ not found: install g++ (scripts/install-deps.sh test does)" >&2
  exit 1
fi

HOST=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks"
echo "fuzz: building $TARGET (into $CARGO_TARGET_DIR)"
# The fuzz crate's lock file starts as the workspace's, every run: the engine is fuzzed with the
# dependency versions it ships with, and a dependency added to the engine never leaves a stale
# lock here (cargo only adds what the fuzz crate alone needs: libfuzzer-sys and its deps).
cp "$ROOT/Cargo.lock" "$ROOT/fuzz/Cargo.lock"
(cd "$ROOT/fuzz" && cargo build --release --target "$HOST" --bin "$TARGET")
BIN=$CARGO_TARGET_DIR/$HOST/release/$TARGET

# Seeds: the profile files of the cross-SDK parser corpus (crates/core/tests/data), so the
# fuzzer starts from real-looking files instead of having to discover `[section]` syntax.
SEEDS=$OUT/seeds
mkdir -p "$SEEDS"
if [ -d "$ROOT/crates/core/tests/data" ]; then
  python3 - "$ROOT/crates/core/tests/data" "$SEEDS" <<'PY' || echo "fuzz: no seeds from the corpus (python3 failed); starting from nothing"
import hashlib, json, pathlib, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def texts(node):
    # Profile-file texts inside the corpus's JSON test cases: every string that has a [section].
    if isinstance(node, dict):
        for v in node.values(): yield from texts(v)
    elif isinstance(node, list):
        for v in node: yield from texts(v)
    elif isinstance(node, str) and "[" in node and "\n" in node:
        yield node
for path in src.rglob("*"):
    if path.suffix == ".json":
        try: doc = json.loads(path.read_text())
        except Exception: continue
        items = texts(doc)
    else:
        continue
    for text in items:
        data = text.encode()
        (dst / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY
fi

echo "fuzz: running $TARGET for ${SECONDS_TO_RUN}s (corpus $CORPUS)"
rc=0
# -rss_limit_mb: well inside the 24 GiB machine; -timeout: one input taking 10 s is a hang.
"$BIN" "$CORPUS" "$SEEDS" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "fuzz: $TARGET FAILED (exit $rc). Crash input(s):" >&2
  ls -t "$ARTIFACTS"/* 2>/dev/null | head -n 5 | sed 's/^/  /' >&2 || true
  echo "fuzz: reproduce with: $BIN <input>   (or add it to crates/core/tests as a regression)" >&2
  exit "$rc"
fi
echo "fuzz: $TARGET ran ${SECONDS_TO_RUN}s without a crash"
