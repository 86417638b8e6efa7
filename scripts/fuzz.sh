#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for a fixed number of inputs, starting from the
# committed swtpm vectors; a crash or a failed assertion fails the run (libFuzzer then
# writes the input to fuzz/artifacts/). Needs the nightly toolchain and cargo-fuzz
# (`scripts/setup.sh --fuzz` installs both).
#
# Usage: scripts/fuzz.sh [RUNS=40000]   (about 45 s warm on 2 cores; 200,000 took 3.5 min)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-40000}
FIX=$PWD/primitives/attestation/fixtures
TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}/fuzz
WD=$(mktemp -d)
trap 'rm -rf "$WD"' EXIT

# Seed corpora, in a scratch directory: libFuzzer adds what it finds to the first one.
mkdir -p "$WD/certificate" "$WD/tpm_structures"
cp "$FIX"/{ek_a,ek_b,issuer_ca,root_ca,ek_a_rolled,rollover_ca_new}.der "$WD/certificate/"
cp "$FIX"/ak_a.pub "$FIX"/ak_b.pub "$WD/tpm_structures/"
{
	printf "\\x$(printf %02x $(( $(stat -c %s "$FIX/quote_a.msg") % 256 )))\\x$(printf %02x $(( $(stat -c %s "$FIX/quote_a.msg") / 256 )))"
	cat "$FIX/quote_a.msg" "$FIX/quote_a.sig"
} > "$WD/tpm_structures/quote_a"

cd fuzz
# The fuzz workspace resolves the node's locked versions.
[ -f Cargo.lock ] || cp ../Cargo.lock Cargo.lock
for target in certificate tpm_structures; do
	echo "[fuzz] $target: $RUNS inputs"
	if ! cargo +nightly fuzz run --target-dir "$TARGET_DIR" "$target" "$WD/$target" -- \
		-runs="$RUNS" -max_len=2100 -print_final_stats=1 > "$WD/$target.log" 2>&1; then
		tail -40 "$WD/$target.log" >&2
		echo "error: fuzz target $target failed; the input is in fuzz/artifacts/$target" >&2
		exit 1
	fi
	grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$WD/$target.log" | sed 's/^/[fuzz]   /'
done
