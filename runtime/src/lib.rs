//! The Cairn runtime: a BABE + GRANDPA solochain whose pallets make a storage market.
//!
//! This crate is compiled twice: natively (feature `std`) for the node and the tests, and
//! to WebAssembly, which is the code the chain actually runs and upgrades.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` expands to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

/// The pallets with FRAME benchmarks, for `list_benchmarks!` and `add_benchmarks!`.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks {
	polkadot_sdk::frame_benchmarking::define_benchmarks!(
		[pallet_attestation, crate::Attestation]
		[pallet_storage, crate::Storage]
		[pallet_fragment_proofs, crate::FragmentProofs]
		[pallet_rewards, crate::Rewards]
		[pallet_endpoints, crate::Endpoints]
		[pallet_invites, crate::Invites]
		[pallet_forwarding, crate::Forwarding]
	);
}

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod transactions;

use polkadot_sdk::{
	frame_support,
	sp_runtime::{self, generic, impl_opaque_keys, traits::BlakeTwo256},
	sp_version::{runtime_version, RuntimeVersion},
	*,
};

pub use cairn_primitives::{AccountId, Balance, BlockNumber, Hash, Nonce, Signature};
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;

/// Opaque types, which the node uses without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
}

impl_opaque_keys! {
	/// The keys a validator registers for a session: block production, finality and
	/// registration challenges.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
		pub challenger: Attestation,
	}
}

#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("cairn"),
	impl_name: alloc::borrow::Cow::Borrowed("cairn"),
	authoring_version: 1,
	spec_version: 110,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// Target block time. BABE slots have this length.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// One BABE slot.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute, hour and day at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// A BABE epoch, which is also a session: validator set changes take effect at its end.
pub const EPOCH_DURATION_IN_SLOTS: u64 = 10 * MINUTES as u64;

/// The probability of a slot having a primary BABE author: 1/4, the rest are secondary
/// (VRF) slots, so that every slot has an author.
pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);

/// The BABE epoch configuration at genesis.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// The token: symbol and decimals, as the chain properties announce them to wallets.
pub const TOKEN_SYMBOL: &str = "CRN";
/// Decimals of [`TOKEN_SYMBOL`].
pub const TOKEN_DECIMALS: u8 = 12;
/// One whole token in plancks.
pub const UNIT: Balance = 10u128.pow(TOKEN_DECIMALS as u32);
/// A thousandth of a token.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// The smallest balance an account may hold.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions checked on every signed transaction.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic = generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations run on runtime upgrade, besides those the pallets declare; each runs once,
/// by its pallet's storage version.
type Migrations = (pallet_storage::migrations::v2::MigrateV1ToV2<Runtime>,);

/// Executive: dispatches calls to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(3)]
	pub type Authorship = pallet_authorship;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(7)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(8)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(9)]
	pub type Attestation = pallet_attestation;

	#[runtime::pallet_index(10)]
	pub type Endpoints = pallet_endpoints;

	#[runtime::pallet_index(11)]
	pub type Storage = pallet_storage;

	#[runtime::pallet_index(12)]
	pub type FragmentProofs = pallet_fragment_proofs;

	#[runtime::pallet_index(13)]
	pub type Rewards = pallet_rewards;

	/// Equivocation reports become offences, which slash the offender's bond.
	#[runtime::pallet_index(14)]
	pub type Offences = pallet_offences;

	/// The validator sets of past sessions, against which key ownership is proven.
	#[runtime::pallet_index(15)]
	pub type Historical = pallet_session_historical;

	/// One-time vouchers that bring a newcomer in with a starter balance.
	#[runtime::pallet_index(16)]
	pub type Invites = pallet_invites;

	/// Paid relays for nodes others cannot dial.
	#[runtime::pallet_index(17)]
	pub type Forwarding = pallet_forwarding;
}

use pallet_session::historical as pallet_session_historical;

#[cfg(test)]
mod tests;
