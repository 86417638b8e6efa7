#!/usr/bin/env bash
# Idle memory of a `cairn --dev` node under different settings: starts each, waits,
# and prints its resident memory (RSS) and peak (VmHWM) from /proc.
#   scripts/node-memory.sh [SECONDS=75] [-- EXTRA FLAGS...]
#   ONLY=small scripts/node-memory.sh 75   # only the rows whose name contains `small`
# Each row is one run of a fresh node with temporary state (`--tmp`).
set -euo pipefail
cd "$(dirname "$0")/.."
wait_s=${1:-75}
shift || true
[ "${1:-}" = "--" ] && shift
extra=("$@")
CAIRN=${CAIRN:-${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}/release/cairn}
[ -x "$CAIRN" ] || { echo "no $CAIRN: build the node first (make build)" >&2; exit 1; }

# measure NAME ENV FLAGS...: ENV is `VAR=value ...` or empty.
measure() {
	local name=$1 environment=$2
	shift 2
	[[ -z "${ONLY:-}" || "$name" == *"$ONLY"* ]] || return 0
	local log
	log=$(mktemp)
	# shellcheck disable=SC2086
	env $environment "$CAIRN" --dev --tmp --no-prometheus --no-telemetry --no-mdns --rpc-port 0 --port 0 \
		--fragment-port 0 "$@" "${extra[@]}" >"$log" 2>&1 &
	local pid=$!
	sleep "$wait_s"
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "$name: the node exited; its log: $log" >&2
		return 1
	fi
	local rss hwm best
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	best=$(grep -o 'best: #[0-9]*' "$log" | tail -1)
	# Resident pages of the binary's own file (code) against heap and other anonymous memory.
	local code anon
	code=$(awk -v bin="$(readlink -f "$CAIRN")" '/^[0-9a-f]+-/ {name=$6} /^Rss:/ && name==bin {s+=$2} END {print s+0}' "/proc/$pid/smaps")
	anon=$(awk '/^Anonymous:/ {s+=$2} END {print s+0}' "/proc/$pid/smaps")
	kill -INT "$pid"
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
	printf '| %-50s | %4d MiB | %4d MiB | %3d MiB | %4d MiB | %s |\n' "$name" $((rss / 1024)) $((hwm / 1024)) \
		$((code / 1024)) $((anon / 1024)) "$best"
}

echo "[memory] $CAIRN, idle ${wait_s} s each"
printf '| %-50s | %-8s | %-8s | %-7s | %-8s | %s |\n' "settings" "RSS" "peak" "code" "anon" "last block"
measure "default" "" --gateway-port 0
measure "--no-fragment-service --no-gateway" "" --no-fragment-service --no-gateway
measure "MALLOC_ARENA_MAX=2" "MALLOC_ARENA_MAX=2" --gateway-port 0
measure "MALLOC_ARENA_MAX=1" "MALLOC_ARENA_MAX=1" --gateway-port 0
measure "--db-cache 16 --trie-cache-size 0" "" --gateway-port 0 --db-cache 16 --trie-cache-size 0
measure "--max-runtime-instances 1 --runtime-cache-size 1" "" --gateway-port 0 --max-runtime-instances 1 --runtime-cache-size 1
measure "--profile small" "" --gateway-port 0 --profile small
