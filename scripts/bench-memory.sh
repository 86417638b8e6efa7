#!/usr/bin/env bash
# Peak memory (max RSS) of encoding and decoding a large file with cairn-erasure.
#   scripts/bench-memory.sh [SIZE_GIB=4] [WORKDIR=/tmp/cairn-bench-memory]
set -euo pipefail
cd "$(dirname "$0")/.."
size_gib=${1:-4}
work=${2:-/tmp/cairn-bench-memory}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}"
cargo build --release --workspace --examples >/dev/null  # workspace: same features as the tests, no rebuild
bin="$CARGO_TARGET_DIR/release/examples/file"
rm -rf "$work" && mkdir -p "$work"
echo "[bench] writing a ${size_gib} GiB input file"
head -c "$((size_gib * 1024 * 1024 * 1024))" /dev/urandom > "$work/input"
echo "[bench] encode 3-of-10:"
key=$(/usr/bin/time -f "  max RSS %M KiB, %e s wall, %P CPU" "$bin" encode "$work/input" "$work/fragments")
echo "[bench] decode from the 3 parity fragments:"
/usr/bin/time -f "  max RSS %M KiB, %e s wall, %P CPU" "$bin" decode "$work/fragments" "$key" "$work/output"
cmp "$work/input" "$work/output" && echo "[bench] output identical"
rm -rf "$work"
