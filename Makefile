# The two commands of the README: `make dev` and `make test`. Both set up what is missing.
CARGO_TARGET_DIR ?= $(HOME)/.cache/cairn-target
export CARGO_TARGET_DIR
CAIRN := $(CARGO_TARGET_DIR)/release/cairn
# The runtime's wasm must not depend on where the clone, the registry or the toolchain
# live, or the committed chain specs (which hold the wasm) would differ per checkout.
WASM_BUILD_RUSTFLAGS := --remap-path-prefix=$(CURDIR)=/cairn --remap-path-prefix=$(HOME)/.cargo=/cargo --remap-path-prefix=$(HOME)/.rustup=/rustup
export WASM_BUILD_RUSTFLAGS
DEV_BASE_PATH ?= $(HOME)/.local/share/cairn-dev

.PHONY: setup build ui dev test test-unit test-fuzz test-ui test-network chain-specs bench
UI_PORT ?= 8080

setup:
	@scripts/setup.sh

# One build for the node and the tests: `cargo test --no-run` also builds the `cairn`
# binary, with the same features, so nothing compiles twice.
build: setup
	@echo "[build] cairn node and tests (release; the first build takes ~40 min on 2 cores)"
	cargo test --release --workspace --no-run

## The wallet UI (ui/), built into ui/dist.
ui:
	@scripts/setup.sh --ui
	@echo "[ui] building the wallet (tsc, vite build)"
	cd ui && npm run build

## Start a single-validator dev chain on ws://127.0.0.1:9944 (RocksDB under $(DEV_BASE_PATH))
## and the wallet on http://127.0.0.1:$(UI_PORT).
dev: build ui
	@echo "[dev] starting cairn --dev; RPC on ws://127.0.0.1:9944, data in $(DEV_BASE_PATH)"
	@echo "[dev] the wallet: http://127.0.0.1:$(UI_PORT)/"
	@scripts/dev.sh $(CAIRN) $(DEV_BASE_PATH) $(UI_PORT)

## Every test: unit, runtime, CLI, fuzz targets, dev node and the zombienet network.
test: build test-unit test-fuzz test-ui test-network

test-unit:
	@echo "[test] workspace: primitives, runtime, rpc, node CLI"
	cargo test --release --workspace

test-fuzz:
	@scripts/setup.sh --fuzz
	@echo "[test] fuzz targets (cargo-fuzz): DER certificates and TPM structures, a fixed number of inputs each"
	scripts/fuzz.sh

test-ui: ui
	@echo "[test] the wallet's logic in Node.js, then the wallet in headless Chromium against a real dev node (Playwright)"
	cd ui && npx playwright test -c playwright.unit.config.ts
	cd ui && CAIRN_BIN=$(CAIRN) npx playwright test

test-network:
	@echo "[test] real nodes: dev node with subxt, the market and a five-node network with zombienet-sdk"
	cd zombienet && CAIRN_BIN=$(CAIRN) cargo test --release -- --test-threads=1

## Regenerate the committed chain specs from the runtime's presets.
chain-specs: build
	$(CAIRN) export-chain-spec --chain dev > chain-specs/dev.json
	$(CAIRN) export-chain-spec --chain local > chain-specs/local.json
	$(CAIRN) export-chain-spec --chain local --raw > chain-specs/local.raw.json
