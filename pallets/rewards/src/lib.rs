//! # Rewards pallet
//!
//! Pays the block author for the block's work:
//!
//! - **Fees.** [`FeesToAuthor`] is the transaction-payment pallet's fee handler: the author
//!   receives `FeeShare` of each fee and tip, the rest is burned.
//! - **Stored fragments.** The storage market reports each accepted fragment
//!   ([`FragmentLedger`]); at the end of the block the author receives `RewardPerFragment`
//!   for each, newly minted.
//! - **Claim grants.** The attestation pallet's one-off grant to a newly registered TPM is
//!   minted here ([`GrantPayer`]).
//!
//! Minting never takes the total issuance above `MaxIssuance`: past it, rewards and grants
//! shrink to what is left, then to nothing, and fees become the authors' only pay.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(test)]
mod tests;

use polkadot_sdk::{
	frame_support::traits::{
		fungible::{Balanced, Credit, Inspect, Mutate},
		Get, Imbalance, OnUnbalanced,
	},
	sp_runtime::Perbill,
};

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::traits::{FragmentLedger, GrantPayer};
	use polkadot_sdk::{
		frame_support::pallet_prelude::*,
		frame_system::{self, pallet_prelude::*},
		sp_runtime::traits::{Saturating, Zero},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		type Currency: Mutate<Self::AccountId> + Balanced<Self::AccountId>;
		/// The current block's author.
		type Author: Get<Option<Self::AccountId>>;
		/// Minted to the author per fragment accepted in its block.
		#[pallet::constant]
		type RewardPerFragment: Get<BalanceOf<Self>>;
		/// The author's share of fees and tips; the rest is burned.
		#[pallet::constant]
		type FeeShare: Get<Perbill>;
		/// Minting stops at this total issuance.
		#[pallet::constant]
		type MaxIssuance: Get<BalanceOf<Self>>;
	}

	/// Fragments accepted in the current block.
	#[pallet::storage]
	pub type StoredInBlock<T> = StorageValue<_, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The block's author received `amount` for `fragments` newly stored fragments.
		AuthorRewarded { author: T::AccountId, fragments: u32, amount: BalanceOf<T> },
		/// A newly registered TPM's claim grant.
		GrantPaid { who: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_: BlockNumberFor<T>) -> Weight {
			// `on_finalize`: reads the count and the author, kills the count, mints.
			T::DbWeight::get().reads_writes(4, 3).saturating_add(Weight::from_parts(40_000_000, 3_000))
		}

		fn on_finalize(_: BlockNumberFor<T>) {
			let fragments = StoredInBlock::<T>::take();
			if fragments == 0 {
				return;
			}
			let Some(author) = T::Author::get() else { return };
			let reward = T::RewardPerFragment::get().saturating_mul(fragments.into());
			let amount = Self::mint(&author, reward);
			Self::deposit_event(Event::AuthorRewarded { author, fragments, amount });
		}
	}

	impl<T: Config> Pallet<T> {
		/// Mints up to `amount` into `who`, within `MaxIssuance`; returns what was minted.
		fn mint(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
			let headroom = T::MaxIssuance::get().saturating_sub(T::Currency::total_issuance());
			let amount = amount.min(headroom);
			if amount.is_zero() {
				return amount;
			}
			match T::Currency::mint_into(who, amount) {
				Ok(minted) => minted,
				Err(e) => {
					log::warn!(target: "runtime::rewards", "{amount:?} not minted to {who:?}: {e:?}");
					Zero::zero()
				},
			}
		}
	}

	impl<T: Config> FragmentLedger for Pallet<T> {
		fn on_fragments_stored(count: u32) {
			StoredInBlock::<T>::mutate(|n| *n = n.saturating_add(count));
		}
	}

	impl<T: Config> GrantPayer<T::AccountId, BalanceOf<T>> for Pallet<T> {
		fn pay_grant(who: &T::AccountId, amount: BalanceOf<T>) {
			let amount = Self::mint(who, amount);
			Self::deposit_event(Event::GrantPaid { who: who.clone(), amount });
		}
	}
}

/// The transaction-payment fee handler: `FeeShare` of fees and tips to the block author,
/// the rest burned (dropping a credit lowers the issuance).
pub struct FeesToAuthor<T>(core::marker::PhantomData<T>);

impl<T: Config> OnUnbalanced<Credit<T::AccountId, T::Currency>> for FeesToAuthor<T> {
	fn on_nonzero_unbalanced(credit: Credit<T::AccountId, T::Currency>) {
		let Some(author) = T::Author::get() else { return };
		let share = T::FeeShare::get() * credit.peek();
		let (to_author, _burned) = credit.split(share);
		if let Err(unpaid) = T::Currency::resolve(&author, to_author) {
			// The author's account cannot take it (below the existential deposit): burn.
			drop(unpaid);
		}
	}
}
