//! Traits between the Cairn pallets, wired in the runtime so that each pallet's mock can
//! supply its own.

use alloc::vec::Vec;

/// Node registration as the other pallets see it.
pub trait NodeRegistry<AccountId> {
	/// Whether `who` runs a node proven by a TPM, or registered in the genesis block.
	fn is_attested(who: &AccountId) -> bool;
}

/// The accounts that may be asked to challenge a registration: attested validators.
pub trait ChallengerSet<AccountId> {
	/// The candidates, in a deterministic order.
	fn challengers() -> Vec<AccountId>;
}

/// Pays the one-off grant of a newly registered TPM.
pub trait GrantPayer<AccountId, Balance> {
	fn pay_grant(who: &AccountId, amount: Balance);
}

/// Pays nothing.
impl<AccountId, Balance> GrantPayer<AccountId, Balance> for () {
	fn pay_grant(_: &AccountId, _: Balance) {}
}

/// Mints the block author's reward for proven storage: the market reports, as each
/// window of a contract is proven, the currency minted for it (bounded by the market fee
/// that contract burned, so that dealing with oneself never pays).
pub trait FragmentLedger<Balance> {
	/// Proofs in this block earned the author `amount` of new currency.
	fn on_proven(amount: Balance);
}

/// Mints nothing.
impl<Balance> FragmentLedger<Balance> for () {
	fn on_proven(_: Balance) {}
}

/// When storage is proven (Filecoin's WindowPoSt shape): time is cut into windows of
/// `window` blocks, each cut into `deadlines` deadlines of equal length. Every active
/// contract belongs to one deadline of its provider (fixed at acceptance) and is proven
/// in that deadline of every window it runs.
///
/// Deadline `d` of window `w` opens at block `o = w * window + d * length`. Its challenge
/// seed is drawn in block `o + 1` from block `o`'s randomness, after the contracts it
/// covers were fixed (a contract accepted in window `w` runs from window `w + 1`). Proofs
/// are taken in blocks `o + 1 .. o + length`; from block `o + length` on, what was not
/// proven is settled as missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct ProvingSchedule {
	/// Blocks per proving window.
	pub window: u32,
	/// Deadlines per window; divides `window`.
	pub deadlines: u32,
}

/// Where a block falls in the proving schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct DeadlineAt {
	/// The window.
	pub window: crate::Period,
	/// The deadline within it.
	pub deadline: u32,
	/// The block at which the deadline opened.
	pub open: u32,
}

impl ProvingSchedule {
	/// Blocks per deadline.
	pub fn deadline_len(&self) -> u32 {
		(self.window / self.deadlines.max(1)).max(1)
	}

	/// The window of block `n`.
	pub fn window_of(&self, n: u32) -> crate::Period {
		n / self.window.max(1)
	}

	/// The deadline that block `n` falls in.
	pub fn deadline_at(&self, n: u32) -> DeadlineAt {
		let window = self.window_of(n);
		let deadline = (n % self.window.max(1)) / self.deadline_len();
		DeadlineAt { window, deadline, open: self.open(window, deadline) }
	}

	/// The block at which deadline `deadline` of window `window` opens (saturating).
	pub fn open(&self, window: crate::Period, deadline: u32) -> u32 {
		window.saturating_mul(self.window).saturating_add(deadline.saturating_mul(self.deadline_len()))
	}

	/// Whether the schedule is usable: deadlines divide the window and each leaves at least
	/// two blocks to answer in.
	pub fn is_valid(&self) -> bool {
		self.deadlines >= 1 && self.window % self.deadlines == 0 && self.window / self.deadlines >= 3
	}
}

/// A fragment that a provider must prove: what the proofs pallet needs of a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct ProvableFragment {
	/// The contract that pays for it.
	pub contract: crate::ContractId,
	/// Its Merkle root.
	pub root: crate::merkle::Node,
	/// Its length in bytes.
	pub size: u64,
	/// Bytes per Merkle leaf.
	pub segment_size: u32,
}

impl ProvableFragment {
	/// How many segments (Merkle leaves) the fragment has.
	pub fn segments(&self) -> u64 {
		self.size.div_ceil(self.segment_size.max(1) as u64)
	}
}

/// A provider's partition: a bounded group of its contracts proven by one transaction.
#[derive(Clone, Debug, PartialEq, Eq, codec::Encode, codec::Decode, scale_info::TypeInfo)]
pub struct PartitionRef<AccountId> {
	pub provider: AccountId,
	pub deadline: u32,
	pub index: u32,
}

/// The storage market as the proofs pallet sees it: the schedule, what each partition
/// must prove, and how proofs and their absence settle contracts. The market pays a
/// contract's window only through [`StorageMarket::record_proofs`], after the proofs
/// pallet checked the proof.
pub trait StorageMarket<AccountId> {
	/// The proving schedule in force.
	fn schedule() -> ProvingSchedule;
	/// The contracts of `partition` due in `window`, in the order proofs must follow;
	/// `None` if there is no such partition.
	fn due(partition: &PartitionRef<AccountId>, window: crate::Period) -> Option<Vec<ProvableFragment>>;
	/// Whether `partition` was already answered for `window`.
	fn answered(partition: &PartitionRef<AccountId>, window: crate::Period) -> bool;
	/// The partitions of `provider` in `deadline`.
	fn partitions_of(provider: &AccountId, deadline: u32) -> Vec<u32>;
	/// Settles `partition`'s due contracts for `window` after its proof was checked:
	/// `proven[i]` says whether the i-th due contract was proven (paid) or declared lost
	/// for the window (missed).
	fn record_proofs(partition: &PartitionRef<AccountId>, window: crate::Period, proven: &[bool]);
	/// The partition of `deadline` after the one whose storage key is `after` (the first
	/// when `None`), with its storage key: how the settlement walks one deadline's
	/// partitions over several blocks.
	fn next_partition(deadline: u32, after: Option<&[u8]>) -> Option<(PartitionRef<AccountId>, Vec<u8>)>;
	/// Settles `partition` for `window` if it was not answered: every due contract misses
	/// the window. Returns how many contracts it settled.
	fn settle_unanswered(partition: &PartitionRef<AccountId>, window: crate::Period) -> u32;
	/// The most one partition holds.
	fn max_partition_size() -> u32;
	/// The most settling `contracts` contracts' windows weighs (paid or missed).
	fn settle_weight(contracts: u32) -> polkadot_sdk::sp_runtime::Weight;
}
