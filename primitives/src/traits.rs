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

/// Counts fragments newly stored under contracts, for the block author's reward.
pub trait FragmentLedger {
	/// `count` fragments were accepted by their providers in this block.
	fn on_fragments_stored(count: u32);
}

/// Counts nothing.
impl FragmentLedger for () {
	fn on_fragments_stored(_: u32) {}
}

/// A fragment that a provider must be able to prove: what the proofs pallet needs of a
/// storage contract.
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

/// How one challenge period went for a provider, as the proofs pallet reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodOutcome {
	/// Whether the provider submitted proofs for the period at all.
	pub answered: bool,
	/// Contracts that were challenged and not proven.
	pub missed: Vec<crate::ContractId>,
}

/// The storage market as the proofs pallet sees it: which fragments each provider holds,
/// and how a period's proofs settle its contracts.
pub trait StorageMarket<AccountId> {
	/// The fragments `provider` must prove in challenge period `period`, in a fixed order
	/// (at most the market's bound per provider).
	fn provable(provider: &AccountId, period: u32) -> Vec<ProvableFragment>;
	/// The next provider with contracts after `after` (from the first when `None`), in
	/// the market's storage order: how the proofs pallet visits every provider once a
	/// period without holding a list of its own.
	fn next_provider(after: Option<&AccountId>) -> Option<AccountId>;
	/// Settles `provider`'s contracts for `period`: proven ones are paid that period's
	/// escrow, missed ones are not and are penalised.
	fn settle_period(provider: &AccountId, period: u32, outcome: PeriodOutcome);
	/// The most [`StorageMarket::settle_period`] weighs.
	fn settle_weight() -> polkadot_sdk::sp_runtime::Weight;
}
