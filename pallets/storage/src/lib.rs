//! # Storage pallet
//!
//! Cairn's storage market.
//!
//! - **Offers.** An attested node offers storage: a price per GiB per challenge period, a
//!   capacity, and the shortest and longest contract it takes. Its first offer holds
//!   `ProviderBond` from its balance; slashing eats into that bond, and an offer whose
//!   bond fell short takes no new contracts until `set_offer` tops it up.
//! - **Contracts.** A client stores a file as one contract per fragment
//!   (`create_contracts`): provider, fragment root, size, duration in periods and the most
//!   it will pay. The whole price is held from the client's balance as escrow. Only the
//!   named provider may accept, once it holds the fragment and before `AcceptWindow`
//!   blocks pass; otherwise the client gets the escrow back. The client may cancel a
//!   contract that is not yet accepted, and renew an active one.
//! - **Settlement.** An accepted contract runs from the next challenge period for
//!   `duration` periods. The proofs pallet settles each provider's periods through
//!   [`StorageMarket::settle_period`]: a proven period moves that period's share of the
//!   escrow to the provider; an unproven one returns it to the client. A challenged
//!   fragment that was not proven also costs the provider a slice of its bond, paid to
//!   the client: nothing at the first miss in a row (small nodes go offline now and then),
//!   then one period's price for the second, two for the third, and so on. After
//!   `MaxMissedProofs` misses in a row the contract ends, the rest of the escrow returns
//!   to the client and [`Event::FragmentLost`] names the fragment, so it can be repaired
//!   from the file's other fragments. After its last period a contract is done.
//!
//! Balances move only between the client, the provider and their holds: the market mints
//! and burns nothing.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use cairn_primitives::{ContractId, ManifestId, Period};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Bytes in a GiB: offers are priced per GiB per period.
pub const GIB: u128 = 1 << 30;

/// What a provider offers.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Offer<Balance> {
	/// Price of a GiB for one challenge period.
	pub price_per_gib: Balance,
	/// Bytes it will store under contracts.
	pub capacity: u64,
	/// Bytes under its pending and active contracts.
	pub used: u64,
	/// The shortest contract it takes, in periods.
	pub min_duration: Period,
	/// The longest contract it takes, in periods.
	pub max_duration: Period,
	/// Its bond, held from its balance; slashing lowers it.
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
	/// The most the client pays for the whole duration.
	pub max_price: Balance,
}

/// Where a contract stands.
#[derive(Clone, Copy, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum ContractState<BlockNumber> {
	/// Waiting for the provider, which must accept before block `accept_by`.
	Pending { accept_by: BlockNumber },
	/// Accepted: runs for periods `start..end`; `next` is the first period not settled.
	Active {
		start: Period,
		end: Period,
		next: Period,
		/// Challenged periods missed in a row.
		misses: u32,
		/// The last period the provider was paid for.
		last_proven: Option<Period>,
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
	/// Periods paid for.
	pub duration: Period,
	/// Escrow still held from the client for this contract.
	pub escrow: Balance,
	pub state: ContractState<BlockNumber>,
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an attested node.
	fn attest(who: &AccountId);
}

/// The price of `size` bytes for one period at `price_per_gib`, rounded up to a planck.
pub fn period_price(size: u64, price_per_gib: u128) -> u128 {
	(size as u128).saturating_mul(price_per_gib).div_ceil(GIB)
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::traits::{FragmentLedger, NodeRegistry, PeriodOutcome, ProvableFragment, StorageMarket};
	use polkadot_sdk::{
		frame_support::{
			pallet_prelude::*,
			traits::{
				fungible::{Inspect, InspectHold, Mutate, MutateHold},
				tokens::{Fortitude, Precision, Restriction},
			},
		},
		frame_system::{self, pallet_prelude::*},
		sp_runtime::{
			traits::{Saturating, Zero},
			SaturatedConversion,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ContractOf<T> = Contract<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type OrderOf<T> = FragmentOrder<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
	pub type Orders<T> = BoundedVec<OrderOf<T>, <T as Config>::MaxFragmentsPerFile>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;
		type RuntimeHoldReason: From<HoldReason>;
		/// Who is an attested node: only they offer storage.
		type Registry: NodeRegistry<Self::AccountId>;
		/// Told of each accepted fragment (the block author's reward).
		type Ledger: FragmentLedger;
		/// Blocks per challenge period (the same as the proofs pallet's).
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;
		/// Blocks a provider has to accept a contract.
		#[pallet::constant]
		type AcceptWindow: Get<BlockNumberFor<Self>>;
		/// The bond an offer holds.
		#[pallet::constant]
		type ProviderBond: Get<BalanceOf<Self>>;
		/// Challenged periods missed in a row that end a contract.
		#[pallet::constant]
		type MaxMissedProofs: Get<u32>;
		/// The longest contract, in periods.
		#[pallet::constant]
		type MaxDuration: Get<Period>;
		/// The largest segment (Merkle leaf) a contract may use.
		#[pallet::constant]
		type MaxSegmentSize: Get<u32>;
		/// Providers with an offer: bounded so the proofs pallet visits each every period.
		#[pallet::constant]
		type MaxProviders: Get<u32>;
		/// Active contracts per provider.
		#[pallet::constant]
		type MaxContractsPerProvider: Get<u32>;
		/// Contracts waiting for one provider's acceptance.
		#[pallet::constant]
		type MaxPendingPerProvider: Get<u32>;
		/// Contracts whose acceptance window ends in one block.
		#[pallet::constant]
		type MaxPendingPerBlock: Get<u32>;
		/// Fragments (contracts) of one file.
		#[pallet::constant]
		type MaxFragmentsPerFile: Get<u32>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's payment for its contracts, until each period is settled.
		Escrow,
		/// A provider's bond, slashed for missed proofs.
		ProviderBond,
	}

	/// Offers, by provider.
	#[pallet::storage]
	pub type Offers<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, Offer<BalanceOf<T>>>;

	/// Pending and active contracts.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Twox64Concat, ContractId, ContractOf<T>>;

	/// The id of the next contract.
	#[pallet::storage]
	pub type NextContractId<T> = StorageValue<_, ContractId, ValueQuery>;

	/// Each provider's active contracts, oldest first.
	#[pallet::storage]
	pub type ProviderContracts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<ContractId, T::MaxContractsPerProvider>, ValueQuery>;

	/// Each provider's contracts waiting for its acceptance.
	#[pallet::storage]
	pub type ProviderPending<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<ContractId, T::MaxPendingPerProvider>, ValueQuery>;

	/// Pending contracts by the block at which their acceptance window closes.
	#[pallet::storage]
	pub type AcceptDeadlines<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, BoundedVec<ContractId, T::MaxPendingPerBlock>, ValueQuery>;

	/// Each file's live contracts.
	#[pallet::storage]
	pub type FileContracts<T: Config> =
		StorageMap<_, Identity, ManifestId, BoundedVec<ContractId, T::MaxFragmentsPerFile>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider` offers storage on these terms.
		OfferSet { provider: T::AccountId, price_per_gib: BalanceOf<T>, capacity: u64, bond: BalanceOf<T> },
		/// `provider` withdrew its offer and got its bond back.
		OfferRemoved { provider: T::AccountId },
		/// A contract was made; `escrow` is held from the client.
		ContractCreated {
			id: ContractId,
			client: T::AccountId,
			provider: T::AccountId,
			manifest: ManifestId,
			root: [u8; 32],
			escrow: BalanceOf<T>,
		},
		/// The provider holds the fragment; the contract runs for periods `start..end`.
		ContractAccepted { id: ContractId, provider: T::AccountId, start: Period, end: Period },
		/// The client cancelled a contract before acceptance and got its escrow back.
		ContractCancelled { id: ContractId },
		/// The provider did not accept in time; the client got its escrow back.
		ContractExpired { id: ContractId },
		/// The client paid `escrow` more for periods up to `end`.
		ContractRenewed { id: ContractId, end: Period, escrow: BalanceOf<T> },
		/// Periods up to `period` settled: `paid` to the provider, `refunded` and `slashed`
		/// (from the provider's bond) to the client.
		PeriodSettled {
			id: ContractId,
			period: Period,
			paid: BalanceOf<T>,
			refunded: BalanceOf<T>,
			slashed: BalanceOf<T>,
		},
		/// The contract ran its course.
		ContractCompleted { id: ContractId },
		/// The provider missed `MaxMissedProofs` challenges in a row: the contract ended, the
		/// rest of the escrow went back to the client, and this fragment must be repaired.
		FragmentLost { id: ContractId, provider: T::AccountId, manifest: ManifestId, root: [u8; 32] },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only attested nodes offer storage.
		NotAttested,
		/// The provider has no offer.
		UnknownOffer,
		/// An offer's minimum duration is at least one period and at most its maximum, which
		/// is at most `MaxDuration`.
		BadDuration,
		/// The capacity is below what the provider's contracts already use.
		CapacityBelowUsed,
		/// The balance cannot cover the bond.
		InsufficientBond,
		/// As many providers as `MaxProviders` already have offers.
		TooManyProviders,
		/// The provider still has pending or active contracts.
		ContractsOpen,
		/// A file has at least one fragment.
		NoFragments,
		/// Fragments have at least one byte.
		ZeroSize,
		/// Durations are at least one period.
		ZeroDuration,
		/// A segment is 1..=`MaxSegmentSize` bytes.
		BadSegmentSize,
		/// The duration is outside the provider's minimum and maximum.
		DurationOutOfRange,
		/// The provider's price is above the client's maximum.
		PriceAboveMax,
		/// The provider's free capacity is too small for the fragment.
		ProviderFull,
		/// The provider's bond was slashed below `ProviderBond`: it takes no new contracts.
		ProviderUnderbonded,
		/// The provider has as many pending contracts as it may.
		TooManyPending,
		/// The provider has as many active contracts as it may.
		TooManyContracts,
		/// The file has as many contracts as it may.
		TooManyFragments,
		/// The balance cannot cover the escrow.
		InsufficientBalance,
		/// No such contract.
		UnknownContract,
		/// Only the contract's provider may do this.
		NotProvider,
		/// Only the contract's client may do this.
		NotClient,
		/// The contract is not pending.
		NotPending,
		/// The contract is not active.
		NotActive,
		/// The acceptance window has closed.
		AcceptWindowClosed,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Refunds contracts whose acceptance window closes at `now`.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let expired = AcceptDeadlines::<T>::take(now);
			let count = expired.len() as u32;
			for id in expired {
				if let Some(contract) = Contracts::<T>::get(id) {
					if matches!(contract.state, ContractState::Pending { .. }) {
						Self::drop_pending(id, &contract);
						Self::deposit_event(Event::ContractExpired { id });
					}
				}
			}
			T::WeightInfo::on_initialize(count)
		}

		fn integrity_test() {
			assert!(!T::ChallengePeriod::get().is_zero(), "ChallengePeriod must be at least one block");
			assert!(T::MaxMissedProofs::get() > 0, "MaxMissedProofs must be at least 1");
			assert!(T::MaxSegmentSize::get() > 0, "MaxSegmentSize must be at least 1");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by an attested node: offers storage at `price_per_gib` per GiB per period,
		/// up to `capacity` bytes, for contracts of `min_duration..=max_duration` periods.
		/// The first offer holds `ProviderBond`; a later one changes the terms (for new
		/// contracts) and tops a slashed bond up. Emits `OfferSet`.
		#[pallet::call_index(0)]
		pub fn set_offer(
			origin: OriginFor<T>,
			price_per_gib: BalanceOf<T>,
			capacity: u64,
			min_duration: Period,
			max_duration: Period,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			ensure!(T::Registry::is_attested(&provider), Error::<T>::NotAttested);
			ensure!(
				min_duration >= 1 && min_duration <= max_duration && max_duration <= T::MaxDuration::get(),
				Error::<T>::BadDuration
			);
			let existing = Offers::<T>::get(&provider);
			if existing.is_none() {
				ensure!(Offers::<T>::count() < T::MaxProviders::get(), Error::<T>::TooManyProviders);
			}
			let (used, bond) = existing.map(|o| (o.used, o.bond)).unwrap_or((0, Zero::zero()));
			ensure!(capacity >= used, Error::<T>::CapacityBelowUsed);
			let top_up = T::ProviderBond::get().saturating_sub(bond);
			if !top_up.is_zero() {
				T::Currency::hold(&HoldReason::ProviderBond.into(), &provider, top_up)
					.map_err(|_| Error::<T>::InsufficientBond)?;
			}
			let bond = bond.saturating_add(top_up);
			Offers::<T>::insert(&provider, Offer { price_per_gib, capacity, used, min_duration, max_duration, bond });
			Self::deposit_event(Event::OfferSet { provider, price_per_gib, capacity, bond });
			Ok(())
		}

		/// Signed by a provider without pending or active contracts: withdraws its offer and
		/// releases its bond. Emits `OfferRemoved`.
		#[pallet::call_index(1)]
		pub fn remove_offer(origin: OriginFor<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let offer = Offers::<T>::get(&provider).ok_or(Error::<T>::UnknownOffer)?;
			ensure!(offer.used == 0, Error::<T>::ContractsOpen);
			T::Currency::release(&HoldReason::ProviderBond.into(), &provider, offer.bond, Precision::BestEffort)?;
			Offers::<T>::remove(&provider);
			Self::deposit_event(Event::OfferRemoved { provider });
			Ok(())
		}

		/// Signed by a client: one contract per fragment of file `manifest`, each for
		/// `duration` periods, with `segment_size`-byte Merkle leaves. Each fragment's whole
		/// price is held as escrow; all contracts are made or none. Emits
		/// `ContractCreated` for each.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::create_contracts(fragments.len() as u32))]
		pub fn create_contracts(
			origin: OriginFor<T>,
			manifest: ManifestId,
			segment_size: u32,
			duration: Period,
			fragments: Orders<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			ensure!(!fragments.is_empty(), Error::<T>::NoFragments);
			ensure!(duration > 0, Error::<T>::ZeroDuration);
			ensure!(segment_size > 0 && segment_size <= T::MaxSegmentSize::get(), Error::<T>::BadSegmentSize);
			let now = frame_system::Pallet::<T>::block_number();
			let accept_by = now.saturating_add(T::AcceptWindow::get());
			let mut file = FileContracts::<T>::get(manifest);
			let mut deadlines = AcceptDeadlines::<T>::get(accept_by);
			for order in fragments {
				ensure!(order.size > 0, Error::<T>::ZeroSize);
				let mut offer = Offers::<T>::get(&order.provider).ok_or(Error::<T>::UnknownOffer)?;
				ensure!(T::Registry::is_attested(&order.provider), Error::<T>::NotAttested);
				ensure!(offer.bond >= T::ProviderBond::get(), Error::<T>::ProviderUnderbonded);
				ensure!((offer.min_duration..=offer.max_duration).contains(&duration), Error::<T>::DurationOutOfRange);
				let price = period_price(order.size, offer.price_per_gib.saturated_into())
					.checked_mul(duration as u128)
					.ok_or(Error::<T>::Overflow)?;
				ensure!(price <= order.max_price.saturated_into::<u128>(), Error::<T>::PriceAboveMax);
				let escrow: BalanceOf<T> = price.saturated_into();
				offer.used = offer.used.checked_add(order.size).ok_or(Error::<T>::Overflow)?;
				ensure!(offer.used <= offer.capacity, Error::<T>::ProviderFull);

				let id = NextContractId::<T>::get();
				ProviderPending::<T>::try_mutate(&order.provider, |p| p.try_push(id))
					.map_err(|_| Error::<T>::TooManyPending)?;
				deadlines.try_push(id).map_err(|_| Error::<T>::TooManyPending)?;
				file.try_push(id).map_err(|_| Error::<T>::TooManyFragments)?;
				T::Currency::hold(&HoldReason::Escrow.into(), &client, escrow)
					.map_err(|_| Error::<T>::InsufficientBalance)?;
				Offers::<T>::insert(&order.provider, offer);
				NextContractId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
				Contracts::<T>::insert(
					id,
					Contract {
						client: client.clone(),
						provider: order.provider.clone(),
						manifest,
						root: order.root,
						size: order.size,
						segment_size,
						duration,
						escrow,
						state: ContractState::Pending { accept_by },
					},
				);
				Self::deposit_event(Event::ContractCreated {
					id,
					client: client.clone(),
					provider: order.provider,
					manifest,
					root: order.root,
					escrow,
				});
			}
			FileContracts::<T>::insert(manifest, file);
			AcceptDeadlines::<T>::insert(accept_by, deadlines);
			Ok(())
		}

		/// Signed by the contract's provider, once it holds the fragment and before the
		/// acceptance window closes: the contract runs from the next period. Emits
		/// `ContractAccepted`.
		#[pallet::call_index(3)]
		pub fn accept_contract(origin: OriginFor<T>, id: ContractId) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
			ensure!(contract.provider == provider, Error::<T>::NotProvider);
			let ContractState::Pending { accept_by } = contract.state else {
				return Err(Error::<T>::NotPending.into());
			};
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < accept_by, Error::<T>::AcceptWindowClosed);
			ProviderContracts::<T>::try_mutate(&provider, |c| c.try_push(id))
				.map_err(|_| Error::<T>::TooManyContracts)?;
			ProviderPending::<T>::mutate(&provider, |p| p.retain(|c| *c != id));
			AcceptDeadlines::<T>::mutate(accept_by, |d| d.retain(|c| *c != id));
			let start = Self::period_of(now).saturating_add(1);
			let end = start.saturating_add(contract.duration);
			contract.state = ContractState::Active { start, end, next: start, misses: 0, last_proven: None };
			Contracts::<T>::insert(id, contract);
			T::Ledger::on_fragments_stored(1);
			Self::deposit_event(Event::ContractAccepted { id, provider, start, end });
			Ok(())
		}

		/// Signed by the client of a contract not yet accepted: cancels it and refunds the
		/// escrow. Emits `ContractCancelled`.
		#[pallet::call_index(4)]
		pub fn cancel_contract(origin: OriginFor<T>, id: ContractId) -> DispatchResult {
			let client = ensure_signed(origin)?;
			let contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
			ensure!(contract.client == client, Error::<T>::NotClient);
			let ContractState::Pending { accept_by } = contract.state else {
				return Err(Error::<T>::NotPending.into());
			};
			AcceptDeadlines::<T>::mutate(accept_by, |d| d.retain(|c| *c != id));
			Self::drop_pending(id, &contract);
			Self::deposit_event(Event::ContractCancelled { id });
			Ok(())
		}

		/// Signed by the client of an active contract: extends it by `extra` periods at the
		/// provider's current price, if that costs at most `max_price` and the periods left
		/// stay within the offer's maximum. Emits `ContractRenewed`.
		#[pallet::call_index(5)]
		pub fn renew_contract(
			origin: OriginFor<T>,
			id: ContractId,
			extra: Period,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			ensure!(extra > 0, Error::<T>::ZeroDuration);
			let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
			ensure!(contract.client == client, Error::<T>::NotClient);
			let ContractState::Active { start, end, next, misses, last_proven } = contract.state else {
				return Err(Error::<T>::NotActive.into());
			};
			let offer = Offers::<T>::get(&contract.provider).ok_or(Error::<T>::UnknownOffer)?;
			let new_end = end.checked_add(extra).ok_or(Error::<T>::Overflow)?;
			let left = new_end - next.max(Self::period_of(frame_system::Pallet::<T>::block_number()));
			ensure!(left <= offer.max_duration, Error::<T>::DurationOutOfRange);
			let price = period_price(contract.size, offer.price_per_gib.saturated_into())
				.checked_mul(extra as u128)
				.ok_or(Error::<T>::Overflow)?;
			ensure!(price <= max_price.saturated_into::<u128>(), Error::<T>::PriceAboveMax);
			let price: BalanceOf<T> = price.saturated_into();
			T::Currency::hold(&HoldReason::Escrow.into(), &client, price)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			contract.escrow = contract.escrow.saturating_add(price);
			contract.duration = contract.duration.saturating_add(extra);
			contract.state = ContractState::Active { start, end: new_end, next, misses, last_proven };
			Contracts::<T>::insert(id, contract);
			Self::deposit_event(Event::ContractRenewed { id, end: new_end, escrow: price });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The challenge period of block `n`.
		pub fn period_of(n: BlockNumberFor<T>) -> Period {
			(n / T::ChallengePeriod::get()).saturated_into()
		}

		/// Removes a pending contract and refunds its escrow.
		fn drop_pending(id: ContractId, contract: &ContractOf<T>) {
			Self::release_escrow(&contract.client, contract.escrow);
			ProviderPending::<T>::mutate(&contract.provider, |p| p.retain(|c| *c != id));
			Self::forget(id, contract);
		}

		/// Removes a contract from the file's list and frees the provider's capacity.
		fn forget(id: ContractId, contract: &ContractOf<T>) {
			Contracts::<T>::remove(id);
			Offers::<T>::mutate(&contract.provider, |o| {
				if let Some(o) = o {
					o.used = o.used.saturating_sub(contract.size);
				}
			});
			FileContracts::<T>::mutate_exists(contract.manifest, |f| {
				if let Some(list) = f {
					list.retain(|c| *c != id);
					if list.is_empty() {
						*f = None;
					}
				}
			});
		}

		/// Ends an active contract: refunds what escrow is left.
		fn end_active(id: ContractId, contract: &ContractOf<T>) {
			Self::release_escrow(&contract.client, contract.escrow);
			ProviderContracts::<T>::mutate_exists(&contract.provider, |c| {
				if let Some(list) = c {
					list.retain(|x| *x != id);
					if list.is_empty() {
						*c = None;
					}
				}
			});
			Self::forget(id, contract);
		}

		fn release_escrow(client: &T::AccountId, amount: BalanceOf<T>) {
			if amount.is_zero() {
				return;
			}
			if let Err(e) = T::Currency::release(&HoldReason::Escrow.into(), client, amount, Precision::BestEffort) {
				log::error!(target: "runtime::storage", "escrow of {client:?} not released: {e:?}");
			}
		}

		/// Settles contract `id` for the periods up to `period`.
		fn settle_contract(id: ContractId, period: Period, outcome: &PeriodOutcome) {
			let Some(mut contract) = Contracts::<T>::get(id) else { return };
			let ContractState::Active { start, end, next, mut misses, mut last_proven } = contract.state else {
				return;
			};
			if period < start || period < next || next >= end {
				return;
			}
			let periods = (period + 1).min(end) - next;
			let left = end - next;
			let escrow: u128 = contract.escrow.saturated_into();
			let amount = escrow.saturating_mul(periods as u128) / left as u128;
			let per_period = amount / periods as u128;
			let amount: BalanceOf<T> = amount.saturated_into();
			let missed = outcome.missed.contains(&id);
			let (mut paid, mut refunded, mut slashed) = (Zero::zero(), Zero::zero(), Zero::zero());
			if outcome.answered && !missed {
				match T::Currency::transfer_on_hold(
					&HoldReason::Escrow.into(),
					&contract.client,
					&contract.provider,
					amount,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Polite,
				) {
					Ok(moved) => paid = moved,
					Err(e) => log::error!(target: "runtime::storage", "contract {id}: payment failed: {e:?}"),
				}
				misses = 0;
				last_proven = Some(period);
			} else {
				Self::release_escrow(&contract.client, amount);
				refunded = amount;
				if missed {
					misses = misses.saturating_add(1);
					slashed = Self::slash(&contract, per_period.saturating_mul((misses - 1) as u128));
				}
			}
			contract.escrow = contract.escrow.saturating_sub(amount);
			contract.state = ContractState::Active { start, end, next: period + 1, misses, last_proven };
			Self::deposit_event(Event::PeriodSettled { id, period, paid, refunded, slashed });
			if misses >= T::MaxMissedProofs::get() {
				Self::end_active(id, &contract);
				Self::deposit_event(Event::FragmentLost {
					id,
					provider: contract.provider,
					manifest: contract.manifest,
					root: contract.root,
				});
			} else if period + 1 >= end {
				Self::end_active(id, &contract);
				Self::deposit_event(Event::ContractCompleted { id });
			} else {
				Contracts::<T>::insert(id, contract);
			}
		}

		/// Moves up to `amount` of the provider's bond to the client; returns what moved.
		fn slash(contract: &ContractOf<T>, amount: u128) -> BalanceOf<T> {
			let Some(mut offer) = Offers::<T>::get(&contract.provider) else { return Zero::zero() };
			let amount: BalanceOf<T> = amount.saturated_into::<BalanceOf<T>>().min(offer.bond);
			if amount.is_zero() {
				return amount;
			}
			let moved = T::Currency::transfer_on_hold(
				&HoldReason::ProviderBond.into(),
				&contract.provider,
				&contract.client,
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_else(|e| {
				log::error!(target: "runtime::storage", "slash of {:?} failed: {e:?}", contract.provider);
				Zero::zero()
			});
			offer.bond = offer.bond.saturating_sub(moved);
			Offers::<T>::insert(&contract.provider, offer);
			moved
		}

		/// What `size` bytes cost for `duration` periods with `provider`, if it takes them.
		pub fn quote(provider: &T::AccountId, size: u64, duration: Period) -> Option<BalanceOf<T>> {
			let offer = Offers::<T>::get(provider)?;
			let fits = offer.capacity.saturating_sub(offer.used) >= size
				&& (offer.min_duration..=offer.max_duration).contains(&duration)
				&& offer.bond >= T::ProviderBond::get()
				&& T::Registry::is_attested(provider);
			fits.then(|| {
				period_price(size, offer.price_per_gib.saturated_into())
					.saturating_mul(duration as u128)
					.saturated_into()
			})
		}

		/// An active contract of `provider` for a fragment, made without payment: for the
		/// proofs pallet's benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn insert_active_contract(provider: &T::AccountId, root: [u8; 32], size: u64, segment_size: u32) {
			let id = NextContractId::<T>::mutate(|id| {
				*id += 1;
				*id - 1
			});
			let start = Self::period_of(frame_system::Pallet::<T>::block_number());
			let contract = Contract {
				client: provider.clone(),
				provider: provider.clone(),
				manifest: [0; 32],
				root,
				size,
				segment_size,
				duration: 10,
				escrow: Zero::zero(),
				state: ContractState::Active { start, end: start + 10, next: start, misses: 0, last_proven: None },
			};
			Contracts::<T>::insert(id, contract);
			ProviderContracts::<T>::mutate(provider, |c| c.try_push(id).expect("room for benchmark contracts"));
		}

		/// Contracts waiting for `provider`'s acceptance.
		pub fn pending_for(provider: &T::AccountId) -> Vec<(ContractId, ContractOf<T>)> {
			ProviderPending::<T>::get(provider)
				.into_iter()
				.filter_map(|id| Contracts::<T>::get(id).map(|c| (id, c)))
				.collect()
		}
	}

	impl<T: Config> StorageMarket<T::AccountId> for Pallet<T> {
		fn provable(provider: &T::AccountId, period: Period) -> Vec<ProvableFragment> {
			ProviderContracts::<T>::get(provider)
				.into_iter()
				.filter_map(|id| {
					let c = Contracts::<T>::get(id)?;
					match c.state {
						ContractState::Active { start, end, next, .. }
							if start <= period && period < end && next <= period =>
						{
							Some(ProvableFragment {
								contract: id,
								root: c.root,
								size: c.size,
								segment_size: c.segment_size,
							})
						},
						_ => None,
					}
				})
				.collect()
		}

		fn next_provider(after: Option<&T::AccountId>) -> Option<T::AccountId> {
			match after {
				None => ProviderContracts::<T>::iter_keys().next(),
				Some(after) => {
					ProviderContracts::<T>::iter_keys_from(ProviderContracts::<T>::hashed_key_for(after)).next()
				},
			}
		}

		fn settle_period(provider: &T::AccountId, period: Period, outcome: PeriodOutcome) {
			for id in ProviderContracts::<T>::get(provider) {
				Self::settle_contract(id, period, &outcome);
			}
		}

		fn settle_weight() -> Weight {
			T::WeightInfo::settle_period(T::MaxContractsPerProvider::get())
		}
	}
}

/// What a client sees of a contract.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct ContractInfo<AccountId, Balance, BlockNumber> {
	pub id: ContractId,
	pub contract: Contract<AccountId, Balance, BlockNumber>,
}

/// A provider as clients choose it.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct ProviderInfo<AccountId, Balance> {
	pub provider: AccountId,
	pub offer: Offer<Balance>,
	/// Active contracts.
	pub contracts: u32,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Storage market queries for RPC, clients and providers' nodes.
	pub trait StorageApi<AccountId, Balance, BlockNumber> where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Every offer.
		fn providers() -> Vec<ProviderInfo<AccountId, Balance>>;
		/// What `size` bytes cost for `duration` periods with `provider`, if it takes them.
		fn quote(provider: AccountId, size: u64, duration: Period) -> Option<Balance>;
		/// A contract.
		fn contract(id: ContractId) -> Option<Contract<AccountId, Balance, BlockNumber>>;
		/// A file's live contracts.
		fn file_contracts(manifest: ManifestId) -> Vec<ContractInfo<AccountId, Balance, BlockNumber>>;
		/// Contracts waiting for `provider`'s acceptance.
		fn pending_for(provider: AccountId) -> Vec<ContractInfo<AccountId, Balance, BlockNumber>>;
	}
}
