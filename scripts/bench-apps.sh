#!/usr/bin/env bash
# The app host's figures for the README: requests per second and p99 latency of the
# hello-world app (examples/apps/hello) through a dev node's apps listener, side by side
# with `wasmtime serve` on the same component in the same run; the cold start (first
# request after install); and the memory an idle installed app takes.
#   scripts/bench-apps.sh [SECONDS=10] [CONNECTIONS=16]
# Needs wrk (Debian's package) and, for the comparison, `wasmtime` 36 on PATH or in
# WASMTIME (`cargo install wasmtime-cli@36.0.20 --no-default-features --features
# serve,run,cranelift,parallel-compilation,pooling-allocator,component-model`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-16}
target=${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}
CAIRN=${CAIRN:-$target/release/cairn}
WASMTIME=${WASMTIME:-$(command -v wasmtime || echo "$HOME/.cache/wasmtime-cli/bin/wasmtime")}
[ -x "$CAIRN" ] || { echo "no $CAIRN: build the node first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "no wrk: apt-get install wrk" >&2; exit 1; }

echo "[bench] building the example apps for wasm32-wasip2"
CARGO_TARGET_DIR="$target/apps" cargo build --quiet --release --target wasm32-wasip2 \
	--manifest-path examples/apps/Cargo.toml
hello="$target/apps/wasm32-wasip2/release/hello.wasm"

work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rpc=$(free_port) apps=$(free_port) serve=$(free_port)

echo "[bench] dev node: RPC $rpc, apps $apps"
"$CAIRN" --dev --base-path "$work/node" --no-prometheus --no-telemetry --no-mdns --no-fragment-service \
	--rpc-port "$rpc" --port 0 --gateway-port 0 --apps-port "$apps" >"$work/node.log" 2>&1 &
node=$!
pids+=("$node")
for _ in $(seq 120); do
	curl -s -o /dev/null "http://127.0.0.1:$apps/apps/" && break
	sleep 0.5
done
operator=(--node-url "ws://127.0.0.1:$rpc" --base-path "$work/node")
"$CAIRN" apps pack "$hello" --name hello --suri //Alice -o "$work/hello.cairnapp" 2>/dev/null
for _ in $(seq 60); do
	"$CAIRN" apps list "${operator[@]}" >/dev/null 2>&1 && break
	sleep 1
done
# The install compiles the component, links it and starts it once; then the first request.
started=$(date +%s%N)
"$CAIRN" apps install "$work/hello.cairnapp" "${operator[@]}" >/dev/null
first=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$apps/apps/hello/")
ended=$(date +%s%N)
second=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$apps/apps/hello/")
echo "cold start: install (the command, compiling and a trial start) and first answer $(((ended - started) / 1000000)) ms;" \
	"first request ${first}s, the next ${second}s ($(stat -c %s "$hello") bytes of component)"

# wrk's requests per second and p99 of URL.
load() {
	local out
	out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1")
	local rps p99 errors
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	echo "$rps req/s, p99 $p99${errors:+, $errors non-2xx answers}"
}
echo "cairn apps listener: $(load "http://127.0.0.1:$apps/apps/hello/")"

if [ -x "$WASMTIME" ]; then
	# `-S cli=y`: WASI's CLI interfaces, which Rust's standard library imports (Cairn links them too).
	"$WASMTIME" serve -S cli=y --addr "127.0.0.1:$serve" "$hello" >"$work/serve.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 60); do
		curl -s -o /dev/null "http://127.0.0.1:$serve/" && break
		sleep 0.5
	done
	echo "wasmtime serve ($("$WASMTIME" --version)): $(load "http://127.0.0.1:$serve/")"
else
	echo "no wasmtime CLI at $WASMTIME: no comparison (see the header of this script)"
fi

# Memory per idle app: the node's resident memory before and after ten more apps.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$node/status"; }
sleep 2
before=$(rss)
for i in $(seq 10); do
	"$CAIRN" apps pack "$hello" --name "idle$i" --suri //Alice -o "$work/idle$i.cairnapp" 2>/dev/null
	"$CAIRN" apps install "$work/idle$i.cairnapp" "${operator[@]}" >/dev/null
done
sleep 2
after=$(rss)
echo "idle apps: node RSS ${before} KiB with one app, ${after} KiB with eleven: $(((after - before) / 10)) KiB per idle app"
