//! The market's records: offers, orders, contracts, partitions and the parameters a
//! network sets.

use cairn_primitives::{traits::ProvingSchedule, ManifestId, Period};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{
	frame_support::{pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound},
};
use scale_info::TypeInfo;

/// Bytes in a GiB: offers are priced per GiB per window.
pub const GIB: u128 = 1 << 30;

/// What a provider offers.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Offer<Balance> {
	/// Price of a GiB for one proving window.
	pub price_per_gib: Balance,
	/// Bytes it will store under contracts.
	pub capacity: u64,
	/// Bytes under its pending and active contracts.
	pub used: u64,
	/// The shortest contract it takes, in windows.
	pub min_duration: Period,
	/// The longest contract it takes, in windows.
	pub max_duration: Period,
	/// The deposit held while the offer stands (returned with `remove_offer`).
	pub bond: Balance,
}

/// One fragment of a file, as a client orders its storage.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct FragmentOrder<AccountId, Balance> {
	/// Who stores it.
	pub provider: AccountId,
	/// Its Merkle root (also its name in the provider's store).
	pub root: [u8; 32],
	/// Its length in bytes.
	pub size: u64,
	/// The most the client pays for the whole duration (escrow, without fees).
	pub max_price: Balance,
}

/// Where a contract stands.
#[derive(Clone, Copy, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum ContractState<BlockNumber> {
	/// Waiting for the provider, which must accept before block `accept_by`.
	Pending { accept_by: BlockNumber },
	/// Accepted: runs for windows `start..end` and is proven in deadline `deadline` of each,
	/// in the provider's partition `partition`; `next` is the first window not settled.
	Active {
		start: Period,
		end: Period,
		next: Period,
		/// Windows missed in a row.
		misses: u32,
		/// The last window proven (and paid).
		last_proven: Option<Period>,
		deadline: u32,
		partition: u32,
	},
}

/// One fragment's storage contract.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Contract<AccountId, Balance, BlockNumber> {
	pub client: AccountId,
	pub provider: AccountId,
	/// The file the fragment belongs to.
	pub manifest: ManifestId,
	pub root: [u8; 32],
	pub size: u64,
	pub segment_size: u32,
	/// Windows paid for.
	pub duration: Period,
	/// The client's payment still held for windows not yet settled.
	pub escrow: Balance,
	/// The market fee, held from the client while pending and burned at acceptance.
	pub fee: Balance,
	/// Held from the client while pending; the provider's if the contract is cancelled or
	/// left to expire, the client's again if it is accepted or rejected.
	pub reservation: Balance,
	/// Held from the provider while active: fault fees come out of it, the client gets
	/// what is left if the fragment is lost, the provider when the contract completes.
	pub collateral: Balance,
	/// New currency still to be minted for this fragment's proofs (zero for a root that
	/// another live contract already names).
	pub mint: Balance,
	pub state: ContractState<BlockNumber>,
}

/// A provider's partition: contracts proven together in one deadline by one transaction.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(Max))]
pub struct Partition<Max: Get<u32>> {
	pub contracts: BoundedVec<cairn_primitives::ContractId, Max>,
	/// The last window whose proof was accepted.
	pub proven: Option<Period>,
}

impl<Max: Get<u32>> Default for Partition<Max> {
	fn default() -> Self {
		Self { contracts: BoundedVec::new(), proven: None }
	}
}

/// Where a provider's next contracts go.
#[derive(Clone, Default, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct ProviderSchedule {
	/// The partition being filled: `(deadline, index)`.
	pub open: Option<(u32, u32)>,
	/// The index of the provider's next partition.
	pub next_index: u32,
	/// The deadline its next partition goes to (round robin).
	pub next_deadline: u32,
	/// Its partitions.
	pub partitions: u32,
}

/// The market's parameters: set in genesis, changed by root without a runtime upgrade;
/// the provider's node reads them from the runtime at every block.
#[derive(
	Clone,
	Encode,
	Decode,
	DecodeWithMemTracking,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketParams<Balance> {
	/// Blocks per proving window: every active contract is proven once per window.
	pub window: u32,
	/// Deadlines per window (divides `window`, at least 3 blocks each).
	pub deadlines: u32,
	/// Blocks a provider has to accept a contract.
	pub accept_window: u32,
	/// Collateral held from the provider at acceptance, in percent of the contract's price.
	pub collateral_percent: u32,
	/// What a missed window costs the provider: this many windows' price, from collateral.
	pub fault_fee_windows: u32,
	/// Windows missed in a row that end a contract (`FragmentLost`).
	pub max_missed: u32,
	/// The lowest price per GiB per window an offer may ask.
	pub min_price_per_gib: Balance,
	/// The market fee, in percent of a contract's price, burned at acceptance.
	pub market_fee_percent: u8,
	/// The least market fee of one contract.
	pub min_market_fee: Balance,
	/// New currency for a newly stored fragment, as a share of its burned market fee
	/// in percent (at most 50), minted to the authors of the blocks that take its proofs.
	pub mint_percent: u8,
	/// Held from the client per pending contract; paid to the provider if the contract is
	/// cancelled or expires.
	pub reservation_fee: Balance,
}

impl<Balance: Copy> MarketParams<Balance> {
	/// The proving schedule.
	pub fn schedule(&self) -> ProvingSchedule {
		ProvingSchedule { window: self.window, deadlines: self.deadlines }
	}
}
