//! Storage migrations.

/// Version 2 keeps the escrow of active contracts in the market's pot (version 1 left it
/// held on each client's account).
pub mod v2 {
	use crate::{Config, ContractState, Contracts, HoldReason, Pallet};
	use core::marker::PhantomData;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration,
			traits::{
				fungible::MutateHold,
				tokens::{Fortitude, Precision, Restriction},
				Get, UncheckedOnRuntimeUpgrade,
			},
			weights::Weight,
		},
		sp_runtime::traits::Zero,
	};

	/// Moves each active contract's escrow from its client's Escrow hold into the pot, in
	/// one block: a walk over every contract, fine for the contracts a young network has;
	/// a chain with millions would move them in steps (pallet-migrations).
	pub struct MoveEscrowToPot<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MoveEscrowToPot<T> {
		fn on_runtime_upgrade() -> Weight {
			Pallet::<T>::fund_pot();
			let pot = Pallet::<T>::pot();
			let (mut read, mut moved) = (0u64, 0u64);
			let active: alloc::vec::Vec<_> = Contracts::<T>::iter()
				.inspect(|_| read += 1)
				.filter(|(_, c)| matches!(c.state, ContractState::Active { .. }) && !c.escrow.is_zero())
				.collect();
			for (id, mut contract) in active {
				let escrow = T::Currency::transfer_on_hold(
					&HoldReason::Escrow.into(),
					&contract.client,
					&pot,
					contract.escrow,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Force,
				)
				.unwrap_or_else(|e| {
					log::error!(target: "runtime::storage", "escrow of contract {id} not moved: {e:?}");
					Zero::zero()
				});
				// What the pot now holds for it is what it owes.
				contract.escrow = escrow;
				Contracts::<T>::insert(id, contract);
				moved += 1;
			}
			log::info!(target: "runtime::storage", "moved the escrow of {moved} active contracts into the pot");
			// Per contract moved: the contract, the client's and the pot's accounts and holds.
			T::DbWeight::get().reads_writes(read + 3 * moved + 2, 3 * moved + 2)
		}
	}

	/// [`MoveEscrowToPot`], run once, from storage version 1 to 2.
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, MoveEscrowToPot<T>, Pallet<T>, <T as polkadot_sdk::frame_system::Config>::DbWeight>;
}
