//! Chain specifications: built from the runtime's genesis presets, plus token properties.

use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder, *};

/// A chain spec of the Cairn runtime (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and address format, as wallets read them.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), cairn_runtime::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), cairn_runtime::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	cairn_runtime::WASM_BINARY.ok_or_else(|| {
		"the runtime's WebAssembly was not built; run `rustup target add wasm32v1-none && \
		 rustup component add rust-src`, then rebuild without SKIP_WASM_BUILD"
			.to_string()
	})
}

/// A single-validator development chain: Alice authors and finalizes.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, Default::default())
		.with_name("Cairn Development")
		.with_id("cairn_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// A local three-validator testnet: Alice, Bob and Charlie.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, Default::default())
		.with_name("Cairn Local Testnet")
		.with_id("cairn_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
