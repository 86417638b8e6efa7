#!/usr/bin/env bash
# Installs what building and testing Cairn needs on Debian, saying what it does.
# Idempotent: what is already there is left alone.
#   scripts/setup.sh          install what is missing
#   scripts/setup.sh --check  only check; exit 1 with one line naming what is missing
#   scripts/setup.sh --fuzz   also the fuzzing tools: the nightly toolchain and cargo-fuzz
#   scripts/setup.sh --ui     only the wallet UI's tools: Node.js >= 20, its npm packages,
#                             and Debian's Chromium for its browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

# swtpm, swtpm-tools, tpm2-tools and libtss2-dev: the TPM tests run real software TPMs;
# openssl converts their CA certificates.
APT_PACKAGES=(clang libclang-dev protobuf-compiler mold make pkg-config libtss2-dev swtpm swtpm-tools tpm2-tools openssl)
WASM_TARGET=wasm32v1-none
# User apps (examples/apps) are WASI 0.2 components.
APPS_TARGET=wasm32-wasip2

check_only=false
fuzz=false
ui=false
[ "${1:-}" = "--check" ] && check_only=true
[ "${1:-}" = "--fuzz" ] && fuzz=true
[ "${1:-}" = "--ui" ] && ui=true
# The cargo-fuzz release `make test` runs the fuzz targets with.
CARGO_FUZZ_VERSION=0.13.2

say() { printf '[setup] %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

if $ui; then
	# The wallet (ui/): Vite 8 needs Node.js 20.19 or later; Playwright drives Debian's
	# Chromium (no browser download).
	command -v node >/dev/null || fail "Node.js not found: install Node.js 20 or later (https://nodejs.org), then run \`scripts/setup.sh --ui\` again"
	node_major=$(node -p 'process.versions.node.split(".")[0]')
	[ "$node_major" -ge 20 ] || fail "Node.js $(node --version) is too old for the wallet's Vite 8: install Node.js 20 or later"
	if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
		say "installing Debian's chromium (the wallet's browser tests run in it, headless)"
		sudo_cmd=""
		[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
		$sudo_cmd apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium
	fi
	if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
		say "installing the wallet's npm packages (npm ci in ui/)"
		(cd ui && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
	fi
	say "wallet UI: Node.js $(node --version), $(chromium --version 2>/dev/null | head -1)"
	exit 0
fi

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_apt+=("$pkg")
done
if [ ${#missing_apt[@]} -gt 0 ]; then
	$check_only && fail "missing Debian packages: ${missing_apt[*]}; run \`scripts/setup.sh\` (or \`make setup\`)"
	say "installing Debian packages: ${missing_apt[*]}"
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing_apt[@]}"
else
	say "Debian packages present: ${APT_PACKAGES[*]}"
fi

command -v rustup >/dev/null || fail "rustup not found; install Rust from https://rustup.rs, then run \`scripts/setup.sh\` again"
# rust-toolchain.toml names the target and rust-src, but RUSTUP_AUTO_INSTALL=0 machines
# do not install them by themselves.
for target in "$WASM_TARGET" "$APPS_TARGET"; do
	if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
		$check_only && fail "missing rustup target $target (the runtime and the example apps are built for wasm); run \`rustup target add $target\` or \`make setup\`"
		say "adding rustup target $target"
		rustup target add "$target"
	fi
done
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	$check_only && fail "missing rustup component rust-src; run \`rustup component add rust-src\` or \`make setup\`"
	say "adding rustup component rust-src"
	rustup component add rust-src
fi
say "Rust: $(rustc --version); wasm targets $WASM_TARGET and $APPS_TARGET and rust-src present"

if $fuzz; then
	if ! rustup toolchain list | grep -q '^nightly'; then
		say "installing the nightly toolchain (cargo-fuzz builds the fuzz targets with it)"
		rustup toolchain install nightly --profile minimal
	fi
	if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
		say "installing cargo-fuzz $CARGO_FUZZ_VERSION (under a minute here)"
		cargo install --locked --version "$CARGO_FUZZ_VERSION" cargo-fuzz
	fi
	say "fuzzing: $(cargo fuzz --version) on $(rustc +nightly --version)"
fi
