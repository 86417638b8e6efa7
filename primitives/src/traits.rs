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
