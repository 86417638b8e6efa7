//! # Rewards pallet
//!
//! Pays the block author for the block's work:
//!
//! - **Fees.** [`FeesToAuthor`] is the transaction-payment pallet's fee handler: the author
//!   receives `FeeShare` of each fee and tip, the rest is burned.
//! - **Stored fragments.** The storage market reports, as each window of a newly stored
//!   fragment is proven, the currency to mint for it ([`FragmentLedger`]): a share of at
//!   most half the market fee that fragment's contract burned, so a party that deals
//!   with itself burns more than it can mint. At the end of the block the author receives
//!   the block's sum, newly minted.
//! - **Claim grants.** The attestation pallet's one-off grant to a newly registered TPM is
//!   minted here ([`GrantPayer`]).
//!
//! Minting never takes the total issuance above `MaxIssuance`: past it, rewards and grants
//! shrink to what is left, then to nothing, and fees become the authors' only pay.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use polkadot_sdk::{
	frame_support::traits::{
		fungible::{Balanced, Credit, Inspect, Mutate},
		Get, Imbalance, OnUnbalanced,
	},
	sp_runtime::Perbill,
};

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `Config::Author` name an account for the current block; returns it.
	fn set_author() -> AccountId;
}

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

	/// The storage layout's version. 0: the block's mint sum only.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		type Currency: Mutate<Self::AccountId> + Balanced<Self::AccountId>;
		/// The current block's author.
		type Author: Get<Option<Self::AccountId>>;
		/// The author's share of fees and tips; the rest is burned.
		#[pallet::constant]
		type FeeShare: Get<Perbill>;
		/// Minting stops at this total issuance.
		#[pallet::constant]
		type MaxIssuance: Get<BalanceOf<Self>>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Currency earned by the proofs in the current block, minted to its author at its end.
	#[pallet::storage]
	pub type MintInBlock<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The block's author received `amount` for the storage proven in its block.
		AuthorRewarded { author: T::AccountId, amount: BalanceOf<T> },
		/// A newly registered TPM's claim grant.
		GrantPaid { who: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_: BlockNumberFor<T>) -> Weight {
			// What `on_finalize` may do.
			T::WeightInfo::on_finalize()
		}

		fn on_finalize(_: BlockNumberFor<T>) {
			let reward = MintInBlock::<T>::take();
			if reward.is_zero() {
				return;
			}
			let Some(author) = T::Author::get() else { return };
			let amount = Self::mint(&author, reward);
			Self::deposit_event(Event::AuthorRewarded { author, amount });
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

	impl<T: Config> FragmentLedger<BalanceOf<T>> for Pallet<T> {
		fn on_proven(amount: BalanceOf<T>) {
			if !amount.is_zero() {
				MintInBlock::<T>::mutate(|n| *n = n.saturating_add(amount));
			}
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
