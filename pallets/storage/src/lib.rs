//! # Storage pallet
//!
//! Cairn's storage market. `docs/market.md` explains the economics and why they hold
//! against lazy providers, self-dealers and griefers.
//!
//! - **Offers.** An attested node offers storage: a price per GiB per proving window (at
//!   least the network's floor), a capacity, and the shortest and longest contract it
//!   takes. An offer holds `ProviderBond` as a deposit until it is removed.
//! - **Contracts.** A client stores a file as one contract per fragment
//!   (`create_contracts`): provider, fragment root, size, duration in windows and the most
//!   it will pay. Held from the client: the whole price (escrow), the market fee and a
//!   reservation fee. Only the named provider may accept, before the acceptance window
//!   closes, and only with free balance for the contract's collateral (a share of its
//!   price); acceptance burns the market fee and returns the reservation. The provider may
//!   reject (everything returns to the client); a contract the client cancels or leaves
//!   to expire pays the provider the reservation fee. A deadline takes at most as many
//!   partitions as the settlement visits before the deadline comes round again. Files are
//!   recorded per client.
//! - **Proofs and pay.** An accepted contract joins one of the provider's partitions, in
//!   one deadline of the proving window, and is proven there in every window it runs
//!   (the proofs pallet checks the proofs and calls [`StorageMarket::record_proofs`]). A
//!   proven window pays its share of the escrow to the provider and mints its share of
//!   the contract's mint budget to the block author; a missed window (no proof, a
//!   declared loss, or a proof that did not verify) returns the share to the client and
//!   moves a fault fee from the provider's collateral to the client. `max_missed` misses in
//!   a row end the contract: the client gets the rest of the escrow and of the collateral,
//!   and [`Event::FragmentLost`] names the fragment to repair. A contract that ran its
//!   course returns the collateral to the provider.
//!
//! A pending contract's payment is held on the client's account; acceptance moves it into
//! the market's pot ([`Pallet::pot`]), from which a proven partition's windows are paid to
//! its provider in one transfer and missed windows are refunded to their clients. The
//! market fee is burned, and the rewards pallet mints at most `mint_percent` (at most
//! half) of it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod market;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use cairn_primitives::{ContractId, ManifestId, Period};
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an attested node.
	fn attest(who: &AccountId);
}

/// The price of `size` bytes for one window at `price_per_gib`, rounded up to a planck.
pub fn period_price(size: u64, price_per_gib: u128) -> u128 {
	(size as u128).saturating_mul(price_per_gib).div_ceil(GIB)
}

/// `percent` % of `amount`, rounded down.
pub fn percent_of(amount: u128, percent: u32) -> u128 {
	amount.saturating_mul(percent as u128) / 100
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::traits::{FragmentLedger, NodeRegistry};
	use polkadot_sdk::{
		frame_support::{
			pallet_prelude::*,
			traits::{
				fungible::{Inspect, InspectHold, Mutate, MutateHold},
				tokens::{Fortitude, Precision, Preservation, Restriction},
			},
			PalletId,
		},
		frame_system::{self, pallet_prelude::*},
		sp_runtime::{
			traits::{AccountIdConversion, Zero},
			SaturatedConversion,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ContractOf<T> = Contract<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type OrderOf<T> = FragmentOrder<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
	pub type Orders<T> = BoundedVec<OrderOf<T>, <T as Config>::MaxFragmentsPerFile>;
	pub type ParamsOf<T> = MarketParams<BalanceOf<T>>;
	pub type PartitionOf<T> = Partition<<T as Config>::MaxPartitionSize>;

	/// The storage layout's version: 1 is the windowed market (deadlines, partitions,
	/// collateral, per-client file records); 2 keeps active contracts' escrow in the pot.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	/// Whose account is the market's pot.
	const MARKET_POT: PalletId = PalletId(*b"cairn/mk");

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;
		type RuntimeHoldReason: From<HoldReason>;
		/// Who is an attested node: only they offer storage.
		type Registry: NodeRegistry<Self::AccountId>;
		/// Mints the block author's share for proven windows.
		type Ledger: FragmentLedger<BalanceOf<Self>>;
		/// Who may change the market's parameters.
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The deposit an offer holds.
		#[pallet::constant]
		type ProviderBond: Get<BalanceOf<Self>>;
		/// The longest contract, in windows.
		#[pallet::constant]
		type MaxDuration: Get<Period>;
		/// The largest segment (Merkle leaf) a contract may use.
		#[pallet::constant]
		type MaxSegmentSize: Get<u32>;
		/// Contracts in one partition: what one proof transaction covers.
		#[pallet::constant]
		type MaxPartitionSize: Get<u32>;
		/// Partitions the proofs pallet settles per block after their deadline closes. A
		/// deadline of `d` blocks holds at most `d * SettlePerBlock` partitions over all
		/// providers, so its settlement ends before the same deadline of the next window.
		#[pallet::constant]
		type SettlePerBlock: Get<u32>;
		/// Contracts waiting for one provider's acceptance.
		#[pallet::constant]
		type MaxPendingPerProvider: Get<u32>;
		/// Contracts one client may have waiting for acceptance.
		#[pallet::constant]
		type MaxPendingPerClient: Get<u32>;
		/// Expired pending contracts refunded per block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;
		/// Fragments (contracts) of one file.
		#[pallet::constant]
		type MaxFragmentsPerFile: Get<u32>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's payment, market fee and reservation fee for its contracts.
		Escrow,
		/// A provider's offer deposit.
		ProviderBond,
		/// A provider's collateral for its active contracts.
		Collateral,
	}

	/// The market's parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf<T>, OptionQuery>;

	/// Offers, by provider.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Offer<BalanceOf<T>>>;

	/// Pending and active contracts.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Twox64Concat, ContractId, ContractOf<T>>;

	/// The id of the next contract.
	#[pallet::storage]
	pub type NextContractId<T> = StorageValue<_, ContractId, ValueQuery>;

	/// Active contracts, over all providers.
	#[pallet::storage]
	pub type ActiveContracts<T> = StorageValue<_, u64, ValueQuery>;

	/// Each provider's contracts waiting for its acceptance.
	#[pallet::storage]
	pub type ProviderPending<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<ContractId, T::MaxPendingPerProvider>, ValueQuery>;

	/// How many contracts each client has waiting for acceptance.
	#[pallet::storage]
	pub type ClientPending<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Pending contracts in the order their acceptance windows close: a queue from
	/// `ExpiryHead` (the next to look at) to `ExpiryTail` (the next free slot).
	#[pallet::storage]
	pub type ExpiryQueue<T> = StorageMap<_, Twox64Concat, u64, ContractId>;

	#[pallet::storage]
	pub type ExpiryHead<T> = StorageValue<_, u64, ValueQuery>;

	#[pallet::storage]
	pub type ExpiryTail<T> = StorageValue<_, u64, ValueQuery>;

	/// Each client's files' live contracts.
	#[pallet::storage]
	pub type FileContracts<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Identity,
		ManifestId,
		BoundedVec<ContractId, T::MaxFragmentsPerFile>,
		ValueQuery,
	>;

	/// Partitions by (deadline, provider, index).
	#[pallet::storage]
	pub type Partitions<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, u32>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, u32>,
		),
		PartitionOf<T>,
	>;

	/// Partitions per deadline, over all providers.
	#[pallet::storage]
	pub type PartitionCount<T> = StorageMap<_, Twox64Concat, u32, u32, ValueQuery>;

	/// Where each provider's next contracts go.
	#[pallet::storage]
	pub type ProviderSchedules<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderSchedule>;

	/// Active contracts per fragment root: only the first earns minting.
	#[pallet::storage]
	pub type RootRefs<T> = StorageMap<_, Identity, [u8; 32], u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(polkadot_sdk::frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The market's parameters; `None` leaves [`Pallet::params`]'s defaults.
		pub params: Option<ParamsOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = &self.params {
				Pallet::<T>::check_params(params).expect("genesis market parameters are valid");
				Params::<T>::put(params);
			}
			Pallet::<T>::fund_pot();
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider` offers storage on these terms.
		OfferSet { provider: T::AccountId, price_per_gib: BalanceOf<T>, capacity: u64, bond: BalanceOf<T> },
		/// `provider` withdrew its offer and got its bond back.
		OfferRemoved { provider: T::AccountId },
		/// A contract was made; `escrow`, `fee` and `reservation` are held from the client.
		ContractCreated {
			id: ContractId,
			client: T::AccountId,
			provider: T::AccountId,
			manifest: ManifestId,
			root: [u8; 32],
			size: u64,
			escrow: BalanceOf<T>,
			fee: BalanceOf<T>,
			reservation: BalanceOf<T>,
		},
		/// The provider holds the fragment: the contract runs for windows `start..end`, is
		/// proven in `deadline`, holds `collateral` from the provider; `fee_burned` was burned.
		ContractAccepted {
			id: ContractId,
			provider: T::AccountId,
			start: Period,
			end: Period,
			deadline: u32,
			partition: u32,
			collateral: BalanceOf<T>,
			fee_burned: BalanceOf<T>,
		},
		/// The provider turned the contract down; the client got everything back.
		ContractRejected { id: ContractId },
		/// The client cancelled a pending contract: the escrow and fee went back to it, the
		/// reservation fee to the provider.
		ContractCancelled { id: ContractId, reservation: BalanceOf<T> },
		/// The provider did not accept in time: the escrow and fee went back to the client,
		/// the reservation fee to the provider.
		ContractExpired { id: ContractId, reservation: BalanceOf<T> },
		/// The client paid `escrow` more for windows up to `end`; the provider holds
		/// `collateral` more; `fee_burned` was burned.
		ContractRenewed {
			id: ContractId,
			end: Period,
			escrow: BalanceOf<T>,
			collateral: BalanceOf<T>,
			fee_burned: BalanceOf<T>,
		},
		/// A partition's proof for `window` was accepted: `proven` contracts were paid
		/// `paid` in all and earned `minted` for the block author; `faulty` were declared lost
		/// for the window.
		PartitionProven {
			provider: T::AccountId,
			deadline: u32,
			partition: u32,
			window: Period,
			proven: u32,
			faulty: u32,
			paid: BalanceOf<T>,
			minted: BalanceOf<T>,
		},
		/// The contract's `window` was not proven: its share `refunded` and `fault_fee` from
		/// the provider's collateral went to the client; `misses` in a row so far.
		WindowMissed {
			id: ContractId,
			window: Period,
			refunded: BalanceOf<T>,
			fault_fee: BalanceOf<T>,
			misses: u32,
		},
		/// The contract ran its course; `collateral` went back to the provider.
		ContractCompleted { id: ContractId, collateral: BalanceOf<T> },
		/// The provider missed `max_missed` windows in a row: the contract ended, the client
		/// got the rest of the escrow and `collateral`, and this fragment must be repaired.
		FragmentLost {
			id: ContractId,
			provider: T::AccountId,
			client: T::AccountId,
			manifest: ManifestId,
			root: [u8; 32],
			collateral: BalanceOf<T>,
		},
		/// Root changed the market's parameters.
		ParamsSet { params: ParamsOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only attested nodes offer storage.
		NotAttested,
		/// The provider has no offer.
		UnknownOffer,
		/// An offer's minimum duration is at least one window and at most its maximum, which
		/// is at most `MaxDuration`.
		BadDuration,
		/// The price is below the network's floor (`min_price_per_gib`).
		PriceBelowFloor,
		/// The capacity is below what the provider's contracts already use.
		CapacityBelowUsed,
		/// The balance cannot cover the offer's bond.
		InsufficientBond,
		/// The provider still has pending or active contracts.
		ContractsOpen,
		/// A file has at least one fragment.
		NoFragments,
		/// Fragments have at least one byte.
		ZeroSize,
		/// Durations are at least one window.
		ZeroDuration,
		/// A segment is a power of two of at least 1 KiB (a subtree of the fragment's BLAKE3
		/// tree) and at most `MaxSegmentSize` bytes.
		BadSegmentSize,
		/// The duration is outside the provider's minimum and maximum.
		DurationOutOfRange,
		/// The provider's price is above the client's maximum.
		PriceAboveMax,
		/// The provider's free capacity is too small for the fragment.
		ProviderFull,
		/// The provider has as many pending contracts as it may.
		TooManyPending,
		/// The client has as many pending contracts as it may.
		ClientTooManyPending,
		/// The file has as many contracts as it may.
		TooManyFragments,
		/// The balance cannot cover the escrow, the market fee and the reservation fee.
		InsufficientBalance,
		/// The provider's free balance cannot cover the contract's collateral.
		InsufficientCollateral,
		/// Every deadline holds as many partitions as the network allows; try later.
		DeadlinesFull,
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
		/// The parameters are unusable: the window must split into deadlines of at least
		/// 3 blocks, `max_missed` and `accept_window` at least 1, `collateral_percent` from 100
		/// (a loss costs at least the price) to 1,000,
		/// `mint_percent` at most 50, `market_fee_percent` at most 100, and the price floor
		/// and the least market fee above zero.
		BadParams,
		/// The proving schedule cannot change while contracts are active.
		ScheduleInUse,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Refunds up to `MaxExpiriesPerBlock` contracts whose acceptance window closed.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let visited = Self::expire_pending(now);
			T::WeightInfo::on_initialize(visited)
		}

		fn integrity_test() {
			assert!(T::MaxPartitionSize::get() > 0, "a partition holds at least one contract");
			assert!(
				cairn_primitives::merkle::is_segment_size(T::MaxSegmentSize::get()),
				"MaxSegmentSize is a segment size: a power of two of at least 1 KiB"
			);
			assert!(T::MaxExpiriesPerBlock::get() > 0, "expiry must make progress");
			assert!(T::SettlePerBlock::get() > 0, "settlement must make progress");
			assert!(
				T::MaxPendingPerClient::get() >= T::MaxFragmentsPerFile::get(),
				"a client must be able to place one whole file"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by an attested node: offers storage at `price_per_gib` per GiB per window
		/// (at least the floor), up to `capacity` bytes, for contracts of
		/// `min_duration..=max_duration` windows. The first offer holds `ProviderBond`; a
		/// later one changes the terms for new contracts. Emits `OfferSet`.
		#[pallet::call_index(0)]
		pub fn set_offer(
			origin: OriginFor<T>,
			price_per_gib: BalanceOf<T>,
			capacity: u64,
			min_duration: Period,
			max_duration: Period,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::do_set_offer(provider, price_per_gib, capacity, min_duration, max_duration)
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

		/// Signed by a client: one contract per fragment of its file `manifest`, each for
		/// `duration` windows, with `segment_size`-byte Merkle leaves. Held per contract:
		/// its whole price, the market fee and the reservation fee. All contracts are made
		/// or none. Emits `ContractCreated` for each.
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
			Self::do_create_contracts(client, manifest, segment_size, duration, fragments)
		}

		/// Signed by the contract's provider, once it holds the fragment and before the
		/// acceptance window closes, with free balance for the collateral: the contract runs
		/// from the next window, the market fee is burned and the reservation returns to the
		/// client. Emits `ContractAccepted`.
		#[pallet::call_index(3)]
		pub fn accept_contract(origin: OriginFor<T>, id: ContractId) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::do_accept(provider, id)
		}

		/// Signed by the client of a pending contract: cancels it. The escrow and the fee
		/// return to the client; the reservation fee goes to the provider. Emits
		/// `ContractCancelled`.
		#[pallet::call_index(4)]
		pub fn cancel_contract(origin: OriginFor<T>, id: ContractId) -> DispatchResult {
			let client = ensure_signed(origin)?;
			let contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
			ensure!(contract.client == client, Error::<T>::NotClient);
			ensure!(matches!(contract.state, ContractState::Pending { .. }), Error::<T>::NotPending);
			let reservation = Self::drop_pending(id, &contract, true);
			Self::deposit_event(Event::ContractCancelled { id, reservation });
			Ok(())
		}

		/// Signed by the client of an active contract: extends it by `extra` windows at the
		/// provider's current price, if that costs at most `max_price` and the windows left
		/// stay within the offer's maximum. Holds the price and a market fee (burned) from
		/// the client, and the matching collateral from the provider. Emits
		/// `ContractRenewed`.
		#[pallet::call_index(5)]
		pub fn renew_contract(
			origin: OriginFor<T>,
			id: ContractId,
			extra: Period,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			Self::do_renew(client, id, extra, max_price)
		}

		/// Signed by the contract's provider: turns a pending contract down (it cannot or
		/// will not store the fragment). Everything held returns to the client. Emits
		/// `ContractRejected`.
		#[pallet::call_index(6)]
		pub fn reject_contract(origin: OriginFor<T>, id: ContractId) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let contract = Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)?;
			ensure!(contract.provider == provider, Error::<T>::NotProvider);
			ensure!(matches!(contract.state, ContractState::Pending { .. }), Error::<T>::NotPending);
			Self::drop_pending(id, &contract, false);
			Self::deposit_event(Event::ContractRejected { id });
			Ok(())
		}

		/// Root: sets the market's parameters. The proving schedule (`window`,
		/// `deadlines`) may change only while no contract is active. Emits `ParamsSet`.
		#[pallet::call_index(7)]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			if params.schedule() != Self::params().schedule() {
				ensure!(ActiveContracts::<T>::get() == 0, Error::<T>::ScheduleInUse);
			}
			Params::<T>::put(&params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The parameters in force: what genesis or root set, else the defaults of a
		/// one-minute window (for tests and dev chains).
		pub fn params() -> ParamsOf<T> {
			Params::<T>::get().unwrap_or_else(Self::default_params)
		}

		/// One-minute windows (10 blocks) in 2 deadlines; 200 % collateral; a missed window
		/// costs 3 windows' price; 3 misses end a contract; 10 % market fee, half of it
		/// minted back.
		pub fn default_params() -> ParamsOf<T> {
			MarketParams {
				window: 10,
				deadlines: 2,
				accept_window: 20,
				collateral_percent: 200,
				fault_fee_windows: 3,
				max_missed: 3,
				min_price_per_gib: 1u32.into(),
				market_fee_percent: 10,
				min_market_fee: 1u32.into(),
				mint_percent: 50,
				reservation_fee: 1u32.into(),
			}
		}

		/// Whether `params` are usable.
		pub fn check_params(params: &ParamsOf<T>) -> DispatchResult {
			let schedule = params.schedule();
			ensure!(
				schedule.is_valid() &&
					params.max_missed >= 1 &&
					params.accept_window >= 1 &&
					(100..=1_000).contains(&params.collateral_percent) &&
					params.mint_percent <= 50 &&
					params.market_fee_percent <= 100 &&
					!params.min_price_per_gib.is_zero() &&
					!params.min_market_fee.is_zero(),
				Error::<T>::BadParams
			);
			Ok(())
		}

		/// The proving window of block `n`.
		pub fn window_of(n: BlockNumberFor<T>) -> Period {
			Self::params().schedule().window_of(n.saturated_into())
		}

		/// The market fee of a contract priced `price`.
		pub fn market_fee(params: &ParamsOf<T>, price: u128) -> u128 {
			percent_of(price, params.market_fee_percent as u32).max(params.min_market_fee.saturated_into())
		}

		/// What `size` bytes cost for `duration` windows with `provider`, if it takes them:
		/// the escrow, without the market and reservation fees.
		pub fn quote(provider: &T::AccountId, size: u64, duration: Period) -> Option<BalanceOf<T>> {
			let offer = Offers::<T>::get(provider)?;
			let fits = offer.capacity.saturating_sub(offer.used) >= size &&
				(offer.min_duration..=offer.max_duration).contains(&duration) &&
				T::Registry::is_attested(provider);
			fits.then(|| {
				period_price(size, offer.price_per_gib.saturated_into())
					.saturating_mul(duration as u128)
					.saturated_into()
			})
		}

		/// Contracts waiting for `provider`'s acceptance.
		pub fn pending_for(provider: &T::AccountId) -> Vec<(ContractId, ContractOf<T>)> {
			ProviderPending::<T>::get(provider)
				.into_iter()
				.filter_map(|id| Contracts::<T>::get(id).map(|c| (id, c)))
				.collect()
		}

		/// Every live contract naming `provider`: those waiting for its acceptance, then
		/// those in its partitions. Read by its node to know which fragments and manifests
		/// to keep: `O(contracts of the provider)`, for off-chain use only.
		pub fn holdings(provider: &T::AccountId) -> Vec<(ContractId, ContractOf<T>)> {
			let deadlines = Self::params().deadlines.max(1);
			let active = (0..deadlines)
				.flat_map(|d| Partitions::<T>::iter_prefix_values((d, provider)))
				.flat_map(|partition| partition.contracts.into_inner());
			ProviderPending::<T>::get(provider)
				.into_iter()
				.chain(active)
				.filter_map(|id| Contracts::<T>::get(id).map(|c| (id, c)))
				.filter(|(_, c)| c.provider == *provider)
				.collect()
		}

		/// A client's file's live contracts.
		pub fn file_contracts(client: &T::AccountId, manifest: &ManifestId) -> Vec<(ContractId, ContractOf<T>)> {
			FileContracts::<T>::get(client, manifest)
				.into_iter()
				.filter_map(|id| Contracts::<T>::get(id).map(|c| (id, c)))
				.collect()
		}

		/// The account that holds the escrow of active contracts.
		pub fn pot() -> T::AccountId {
			MARKET_POT.into_account_truncating()
		}

		/// Keeps the pot alive: it holds the existential deposit, minted once, besides the
		/// escrow it owes, and pays out only what keeps it there.
		pub(crate) fn fund_pot() {
			let pot = Self::pot();
			let (ed, have) = (T::Currency::minimum_balance(), T::Currency::balance(&pot));
			if have < ed {
				if let Err(e) = T::Currency::mint_into(&pot, ed - have) {
					log::error!(target: "runtime::storage", "the market pot not funded: {e:?}");
				}
			}
		}

		/// Pays `amount` from the pot to `to`'s free balance; returns what `to` got. What
		/// `to` cannot take (an amount that leaves a reaped account below the existential
		/// deposit) is burned, so the pot always equals what it owes.
		pub(crate) fn pay_out(to: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
			if amount.is_zero() {
				return amount;
			}
			let pot = Self::pot();
			match T::Currency::transfer(&pot, to, amount, Preservation::Preserve) {
				Ok(paid) => paid,
				Err(e) => {
					log::warn!(target: "runtime::storage", "{amount:?} to {to:?} burned: {e:?}");
					let _ = T::Currency::burn_from(&pot, amount, Preservation::Preserve, Precision::BestEffort, Fortitude::Force);
					Zero::zero()
				},
			}
		}

		pub(crate) fn release_escrow(client: &T::AccountId, amount: BalanceOf<T>) {
			if amount.is_zero() {
				return;
			}
			if let Err(e) = T::Currency::release(&HoldReason::Escrow.into(), client, amount, Precision::BestEffort) {
				log::error!(target: "runtime::storage", "escrow of {client:?} not released: {e:?}");
			}
		}

		/// Moves `amount` held for `reason` from `from` to `to`'s free balance; what moved.
		pub(crate) fn move_held(
			reason: HoldReason,
			from: &T::AccountId,
			to: &T::AccountId,
			amount: BalanceOf<T>,
		) -> BalanceOf<T> {
			if amount.is_zero() {
				return amount;
			}
			T::Currency::transfer_on_hold(
				&reason.into(),
				from,
				to,
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_else(|e| {
				log::error!(target: "runtime::storage", "{amount:?} held from {from:?} not moved: {e:?}");
				Zero::zero()
			})
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
	/// Partitions it proves (each up to `MaxPartitionSize` active contracts).
	pub partitions: u32,
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
		/// What `size` bytes cost for `duration` windows with `provider`, if it takes them
		/// (the escrow; the market and reservation fees come on top, see `params`).
		fn quote(provider: AccountId, size: u64, duration: Period) -> Option<Balance>;
		/// A contract.
		fn contract(id: ContractId) -> Option<Contract<AccountId, Balance, BlockNumber>>;
		/// A client's file's live contracts.
		fn file_contracts(client: AccountId, manifest: ManifestId) -> Vec<ContractInfo<AccountId, Balance, BlockNumber>>;
		/// Contracts waiting for `provider`'s acceptance.
		fn pending_for(provider: AccountId) -> Vec<ContractInfo<AccountId, Balance, BlockNumber>>;
		/// Every live (pending or active) contract naming `provider`: what its node keeps.
		fn holdings(provider: AccountId) -> Vec<ContractInfo<AccountId, Balance, BlockNumber>>;
		/// The market's parameters in force.
		fn params() -> MarketParams<Balance>;
	}
}
