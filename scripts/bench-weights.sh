#!/usr/bin/env bash
# FRAME benchmarks of Cairn's pallets, measured inside the wasm runtime: builds the runtime
# with `runtime-benchmarks` in a target dir of its own (so the node's build is untouched),
# then runs `cairn benchmark pallet --runtime` on that wasm. The results go to
# benches/weights/, from which pallets/*/src/weights.rs take their figures.
#
# Usage: scripts/bench-weights.sh [PALLET=pallet_attestation]   (after `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
PALLET=${1:-pallet_attestation}
BENCH_TARGET=${CAIRN_BENCH_TARGET_DIR:-$HOME/.cache/cairn-bench-target}
CAIRN=${CAIRN:-${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}/release/cairn}
echo "[bench] building the runtime with runtime-benchmarks in $BENCH_TARGET (first time ~30 min)"
CARGO_TARGET_DIR=$BENCH_TARGET cargo build --release -p cairn-runtime --features runtime-benchmarks
WASM=$BENCH_TARGET/release/wbuild/cairn-runtime/cairn_runtime.compact.compressed.wasm
mkdir -p benches/weights
echo "[bench] $PALLET in $WASM"
"$CAIRN" benchmark pallet --runtime "$WASM" --genesis-builder-preset development \
	--pallet "$PALLET" --extrinsic '*' --steps 20 --repeat 10 \
	--output "benches/weights/$PALLET.rs" | tee "benches/weights/$PALLET.txt"
