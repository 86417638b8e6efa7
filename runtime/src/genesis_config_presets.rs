//! Genesis presets: `development` (Alice validates) and `local_testnet` (Alice, Bob and
//! Charlie validate; Dave and Eve are nodes too), both with one-minute proving windows and
//! one-minute BABE epochs (sessions) so tests stay short, and `production`, the market a
//! real network starts from: one-day windows in 48 deadlines, ten-minute epochs. Chain
//! specs are generated from these, never written by hand.
//!
//! Besides `RuntimeGenesisConfig`, a preset may hold Cairn's own genesis settings under
//! the key `cairn` (see [`CairnGenesis`]); [`build_state`] takes them out before FRAME
//! builds the rest.

use crate::{
	AccountId, AttestationConfig, Balance, BalancesConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys,
	StorageConfig, SudoConfig, BABE_GENESIS_EPOCH_CONFIG, UNIT,
};
use pallet_storage::MarketParams;
use alloc::{vec, vec::Vec};
use polkadot_sdk::{
	frame_support::build_struct_json_patch,
	sp_genesis_builder::{self, PresetId},
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// The key of [`CairnGenesis`] in a preset.
pub const CAIRN_GENESIS_KEY: &str = "cairn";

/// Genesis settings that are no pallet's: values of the runtime's `pub storage`
/// parameters, fixed at genesis. In JSON: `{"epochDuration": 10, "allowLocalEndpoints": true}`.
#[derive(Default, Debug, PartialEq)]
pub struct CairnGenesis {
	/// Slots per BABE epoch (and session); [`crate::EPOCH_DURATION_IN_SLOTS`] if absent.
	/// It must never change after genesis: nothing but genesis writes it.
	pub epoch_duration: Option<u64>,
	/// Whether endpoints may list loopback addresses (`false` if absent).
	pub allow_local_endpoints: bool,
}

impl CairnGenesis {
	/// Reads the settings, refusing unknown keys and a zero-slot epoch.
	pub fn from_json(value: &Value) -> Result<Self, &'static str> {
		let fields = value.as_object().ok_or("`cairn` genesis must be an object")?;
		let mut settings = Self::default();
		for (key, value) in fields {
			match key.as_str() {
				"epochDuration" => {
					let slots = value.as_u64().ok_or("`cairn.epochDuration` must be a number of slots")?;
					if slots == 0 {
						return Err("`cairn.epochDuration` must be at least one slot");
					}
					settings.epoch_duration = Some(slots);
				},
				"allowLocalEndpoints" => {
					settings.allow_local_endpoints =
						value.as_bool().ok_or("`cairn.allowLocalEndpoints` must be true or false")?;
				},
				_ => return Err("unknown key in `cairn` genesis; the keys are `epochDuration`, `allowLocalEndpoints`"),
			}
		}
		Ok(settings)
	}
}

/// The epochs of dev and test chains: a minute, so that a draw that waits for the next
/// epoch's randomness (TPM registration) waits about a minute.
pub const TEST_EPOCH_DURATION: u64 = crate::MINUTES as u64;

/// Builds the genesis state from a full genesis config: FRAME's builder for the pallets,
/// then [`CairnGenesis`].
pub fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
	let mut json: Value = serde_json::from_slice(&config).map_err(|e| alloc::format!("invalid genesis JSON: {e}"))?;
	let cairn = json.as_object_mut().and_then(|fields| fields.remove(CAIRN_GENESIS_KEY));
	let pallets = serde_json::to_vec(&json).map_err(|e| alloc::format!("{e}"))?;
	frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(pallets)?;
	let cairn = match cairn {
		Some(value) => CairnGenesis::from_json(&value)?,
		None => CairnGenesis::default(),
	};
	if let Some(slots) = cairn.epoch_duration {
		crate::configs::EpochDuration::set(&slots);
	}
	if cairn.allow_local_endpoints {
		crate::configs::AllowLocalEndpoints::set(&true);
	}
	Ok(())
}

/// What each endowed development account starts with.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// One genesis validator: its account and its session keys.
struct Validator {
	account: AccountId,
	keys: SessionKeys,
}

impl Validator {
	fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self {
			account: sr.to_account_id(),
			keys: SessionKeys { babe: sr.public().into(), grandpa: ed.public().into(), challenger: sr.public().into() },
		}
	}
}

/// The test manufacturer CA (root and intermediate) that signs the EK certificates of the
/// software TPMs in Cairn's tests (`node/swtpm/ca`): dev and test chains trust only it.
fn test_cas() -> Vec<(Vec<u8>, Option<u32>, Vec<u8>)> {
	vec![
		(include_bytes!("../../node/swtpm/ca/root.der").to_vec(), None, b"swtpm test root".to_vec()),
		(include_bytes!("../../node/swtpm/ca/issuer.der").to_vec(), Some(0), b"swtpm test CA".to_vec()),
	]
}

/// The name of the preset with one-day proving windows.
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// The market of dev and test chains: the pallet's defaults (a proving window is a minute,
/// 10 blocks, in two deadlines of 5, so every stage of a contract shows within a test)
/// with fees and a price floor in CRN.
pub fn test_market() -> MarketParams<Balance> {
	MarketParams {
		min_price_per_gib: UNIT / 1_000,
		min_market_fee: UNIT / 100,
		reservation_fee: UNIT / 100,
		..pallet_storage::Pallet::<crate::Runtime>::default_params()
	}
}

/// The market of a real network: every contract proven daily (14,400 blocks) in 48
/// deadlines of 30 minutes; a missed day costs three days' price; three missed days in a
/// row lose the fragment.
pub fn production_market() -> MarketParams<Balance> {
	MarketParams { window: 14_400, deadlines: 48, accept_window: 100, ..test_market() }
}

/// `nodes` are registered without a TPM: the genesis validators, and on the dev chain every
/// dev account.
fn genesis(validators: Vec<Validator>, endowed: Vec<AccountId>, nodes: Vec<AccountId>, root: AccountId) -> Value {
	let mut patch = genesis_with_market(validators, endowed, nodes, root, test_market());
	// All nodes of dev and test chains run on one machine: their endpoints are loopback.
	patch[CAIRN_GENESIS_KEY] =
		serde_json::json!({ "epochDuration": TEST_EPOCH_DURATION, "allowLocalEndpoints": true });
	patch
}

fn genesis_with_market(
	validators: Vec<Validator>,
	endowed: Vec<AccountId>,
	nodes: Vec<AccountId>,
	root: AccountId,
	market: MarketParams<Balance>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		attestation: AttestationConfig {
			trusted_cas: test_cas(),
			nodes,
			validators: validators.iter().map(|v| v.account.clone()).collect(),
		},
		balances: BalancesConfig { balances: endowed.into_iter().map(|a| (a, ENDOWMENT)).collect::<Vec<_>>() },
		babe: pallet_babe::GenesisConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		session: SessionConfig {
			keys: validators.into_iter().map(|v| (v.account.clone(), v.account, v.keys)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		storage: StorageConfig { params: Some(market) },
	})
}

/// Every well-known development account, endowed in both presets.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

fn development() -> Value {
	genesis(
		vec![Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

fn local_testnet() -> Value {
	genesis(
		vec![
			Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			Validator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			Validator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		dev_accounts(),
		// The validators, and Dave and Eve: five storage providers without TPMs.
		[
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// Alice validates a network with the production market (the local preset's accounts).
fn production() -> Value {
	genesis_with_market(
		vec![Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		vec![Sr25519Keyring::Alice.to_account_id()],
		Sr25519Keyring::Alice.to_account_id(),
		production_market(),
	)
}

/// The JSON patch of the named preset, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
		PRODUCTION_RUNTIME_PRESET => production(),
		_ => return None,
	};
	Some(serde_json::to_string(&patch).expect("serialization to json is expected to work. qed.").into_bytes())
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PRODUCTION_RUNTIME_PRESET),
	]
}
