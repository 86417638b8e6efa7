#!/usr/bin/env bash
# FRAME benchmarks of Cairn's pallets, measured inside the wasm runtime: builds the runtime
# with `runtime-benchmarks` in a target dir of its own (so the node's build is untouched),
# then runs polkadot-sdk's `frame-omni-bencher` on that wasm. The node carries no benchmark
# command: frame-benchmarking-cli brings ~125 crates (cumulus, XCM, subxt) into its build.
# The results go to benches/weights/, from which pallets/*/src/weights.rs take their figures.
#
# Usage: scripts/bench-weights.sh [PALLET=pallet_attestation]
# Pallets: pallet_attestation pallet_storage pallet_fragment_proofs pallet_rewards pallet_endpoints
set -euo pipefail
cd "$(dirname "$0")/.."
PALLET=${1:-pallet_attestation}
BENCH_TARGET=${CAIRN_BENCH_TARGET_DIR:-$HOME/.cache/cairn-bench-target}
# frame-omni-bencher of stable2609 (it builds frame-benchmarking-cli 64, as the runtime's
# polkadot-sdk 2609 expects), installed once next to the benchmark build.
OMNI_VERSION=0.28.0
OMNI=$BENCH_TARGET/tools/bin/frame-omni-bencher
if ! "$OMNI" --version 2>/dev/null | grep -q "$OMNI_VERSION"; then
	echo "[bench] installing frame-omni-bencher $OMNI_VERSION into $BENCH_TARGET/tools (first time ~20 min)"
	CARGO_TARGET_DIR=$BENCH_TARGET cargo install --locked --root "$BENCH_TARGET/tools" "frame-omni-bencher@$OMNI_VERSION"
fi
echo "[bench] building the runtime with runtime-benchmarks in $BENCH_TARGET (first time ~30 min)"
CARGO_TARGET_DIR=$BENCH_TARGET cargo build --release -p cairn-runtime --features runtime-benchmarks
WASM=$BENCH_TARGET/release/wbuild/cairn-runtime/cairn_runtime.compact.compressed.wasm
mkdir -p benches/weights
# Benchmarks of scale, which fill storage with up to a million contracts, run on their
# own with two steps (their range's ends) and three repeats.
SCALE=(pallet_fragment_proofs::submit_proofs_over)
bench() {
	"$OMNI" v1 benchmark pallet --runtime "$WASM" --genesis-builder-preset development --pallet "$PALLET" "$@"
}
echo "[bench] $PALLET in $WASM"
bench --extrinsic '*' --exclude-extrinsics "$(IFS=,; echo "${SCALE[*]}")" --steps 20 --repeat 10 \
	--output "benches/weights/$PALLET.rs" | tee "benches/weights/$PALLET.txt"
for scale in "${SCALE[@]}"; do
	[ "${scale%%::*}" = "$PALLET" ] || continue
	echo "[bench] $scale at its range's ends (a million contracts take minutes to set up)"
	bench --extrinsic "${scale##*::}" --steps 2 --repeat 3 \
		--output "benches/weights/${scale/::/.}.rs" | tee "benches/weights/${scale/::/.}.txt"
done
