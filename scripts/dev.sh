#!/usr/bin/env bash
# `make dev`: the dev node; its gateway serves the built wallet (ui/dist) on loopback.
#   scripts/dev.sh CAIRN_BIN BASE_PATH UI_PORT
set -euo pipefail
cd "$(dirname "$0")/.."
cairn=$1 base_path=$2 ui_port=$3
exec "$cairn" --dev --base-path "$base_path" --rpc-cors all --gateway-port "$ui_port" --ui-dir "$PWD/ui/dist"
