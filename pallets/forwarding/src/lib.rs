//! # Forwarding pallet
//!
//! Cairn's forwarding market: nodes that others cannot dial (behind NAT, on carrier
//! networks) pay relays to forward their traffic.
//!
//! - **Offers.** An attested node offers to relay: a price per GiB forwarded, a price per
//!   hour of reservation, and how many contracts it takes at once. An offer holds
//!   `RelayBond` until it is withdrawn, which it can be only while no contract is open.
//! - **Contracts.** A relayed node opens a forwarding contract with a relay for some
//!   hours and at most some bytes, at the offer's prices (and at most the price it names:
//!   an offer changed under it does not cost it more). The whole price is held from it as
//!   escrow.
//! - **Reservation.** The relay holds a slot for the contract: it earns the hourly price
//!   for every hour begun until the contract ends, paid with its next receipt or at the
//!   close. A client whose relay does not serve it cancels; the contract ends at once and
//!   the client pays for the hours begun, at most one it was not served. So a slot is never
//!   held for free, and a relay that serves nothing earns at most an hour.
//! - **Receipts.** The relayed node signs cumulative receipts: "contract `id` with relay
//!   `relay` on the chain `genesis` has forwarded `bytes` bytes", with its account's key
//!   ([`receipt_payload`]). The relay redeems the latest one, until the contract's end plus
//!   `DisputeWindow` blocks, and is paid what it adds to the last one redeemed (a receipt
//!   past the contract's bytes counts as its bytes). A receipt that adds nothing
//!   (replayed, lower), is for another contract, relay or chain, or is not the client's
//!   signature is refused with a named error. A relay that forwards nothing gets no
//!   receipt for traffic: a relayed node signs only for bytes it saw.
//! - **Closing.** After the dispute window anyone may close a contract: the relay gets
//!   the reservation it is owed, the rest of the escrow returns to the client.
//!
//! Every planck of a contract is the client's held escrow until a receipt moves it to the
//! relay or the close releases it (`try_state` checks the sums).

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

use codec::{Decode, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// Makes `who` an attested node.
	fn attest(who: &AccountId);
	/// A fresh account whose key [`Self::sign`] signs with.
	fn signer() -> AccountId;
	/// `who`'s signature over `payload`; `who` came from [`Self::signer`].
	fn sign(who: &AccountId, payload: &[u8]) -> Signature;
}

/// A forwarding contract's id.
pub type ForwardingId = u64;

/// Bytes in a GiB, the unit of a relay's traffic price.
pub const GIB: u128 = 1 << 30;

/// The domain of a receipt's signature.
pub const RECEIPT_DOMAIN: &[u8] = b"cairn-forwarding-receipt-v1";

/// What a relayed node signs for a receipt: the chain, the relay, the contract, and the
/// cumulative bytes forwarded.
pub fn receipt_payload(genesis: &[u8], relay: &impl Encode, id: ForwardingId, bytes: u64) -> alloc::vec::Vec<u8> {
	(RECEIPT_DOMAIN, genesis, relay, id, bytes).encode()
}

/// What `bytes` bytes cost at `price_per_gib`, rounded up to a planck; `None` if it does
/// not fit.
pub fn traffic_price(bytes: u64, price_per_gib: u128) -> Option<u128> {
	Some((bytes as u128).checked_mul(price_per_gib)?.div_ceil(GIB))
}

/// A relay's offer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct RelayOffer<Balance> {
	/// Price of a GiB forwarded.
	pub price_per_gib: Balance,
	/// Price of an hour of reservation.
	pub price_per_hour: Balance,
	/// Contracts it takes at once.
	pub capacity: u32,
	/// The deposit the offer holds.
	pub bond: Balance,
}

/// A forwarding contract.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Forwarding<AccountId, Balance, BlockNumber> {
	pub relay: AccountId,
	/// The relayed node, who pays.
	pub client: AccountId,
	pub price_per_gib: Balance,
	pub price_per_hour: Balance,
	/// The most bytes it pays for.
	pub max_bytes: u64,
	/// The hours of reservation it pays for.
	pub hours: u32,
	/// What is still held from the client for it.
	pub escrow: Balance,
	/// What the relay was paid so far.
	pub paid: Balance,
	/// The bytes of the last receipt redeemed.
	pub redeemed_bytes: u64,
	/// The hours of reservation paid so far.
	pub paid_hours: u32,
	/// The block it was opened at.
	pub starts_at: BlockNumber,
	/// The block it ends at (earlier if cancelled); receipts are redeemed until
	/// `ends_at + DisputeWindow`.
	pub ends_at: BlockNumber,
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::traits::NodeRegistry;
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
			traits::{IdentifyAccount, Saturating, Verify, Zero},
			SaturatedConversion,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ForwardingOf<T> = Forwarding<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;
		type RuntimeHoldReason: From<HoldReason>;
		/// Who is an attested node: only they relay.
		type Registry: NodeRegistry<Self::AccountId>;
		/// A relayed node's signature over a receipt, by its account's key.
		type Signature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>> + Parameter;
		/// The deposit an offer holds.
		#[pallet::constant]
		type RelayBond: Get<BalanceOf<Self>>;
		/// Blocks in an hour of reservation.
		#[pallet::constant]
		type BlocksPerHour: Get<BlockNumberFor<Self>>;
		/// The longest contract, in hours.
		#[pallet::constant]
		type MaxHours: Get<u32>;
		/// Blocks after a contract's end in which its relay may still redeem a receipt.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;
		/// Open contracts of one relay (an offer's capacity is at most this).
		#[pallet::constant]
		type MaxContractsPerRelay: Get<u32>;
		/// Open contracts of one relayed node.
		#[pallet::constant]
		type MaxContractsPerClient: Get<u32>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A relayed node's payment for its forwarding contracts.
		ForwardingEscrow,
		/// A relay's offer deposit.
		RelayBond,
	}

	/// Relays' offers.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RelayOffer<BalanceOf<T>>>;

	/// Open contracts (until closed).
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Twox64Concat, ForwardingId, ForwardingOf<T>>;

	/// The id of the next contract.
	#[pallet::storage]
	pub type NextId<T> = StorageValue<_, ForwardingId, ValueQuery>;

	/// Each relay's open contracts.
	#[pallet::storage]
	pub type RelayContracts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<ForwardingId, T::MaxContractsPerRelay>, ValueQuery>;

	/// Each relayed node's open contracts.
	#[pallet::storage]
	pub type ClientContracts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<ForwardingId, T::MaxContractsPerClient>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A relay offered (or changed its offer).
		RelayOffered { relay: T::AccountId, price_per_gib: BalanceOf<T>, price_per_hour: BalanceOf<T>, capacity: u32 },
		/// A relay withdrew its offer; its bond is free.
		OfferWithdrawn { relay: T::AccountId },
		/// A forwarding contract was opened, its price held from the client.
		Opened {
			id: ForwardingId,
			relay: T::AccountId,
			client: T::AccountId,
			escrow: BalanceOf<T>,
			ends_at: BlockNumberFor<T>,
		},
		/// A receipt was redeemed: the relay was paid what it adds to the last one, and the
		/// reservation owed so far.
		Redeemed { id: ForwardingId, bytes: u64, paid: BalanceOf<T> },
		/// The client ended the contract early.
		Cancelled { id: ForwardingId },
		/// The contract was closed: the relay got the reservation it was owed, the rest went
		/// back to the client.
		Closed { id: ForwardingId, paid: BalanceOf<T>, refunded: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only attested nodes relay.
		NotAttested,
		/// A relay takes at least one contract, and at most `MaxContractsPerRelay`.
		BadCapacity,
		/// No such relay offer.
		NoOffer,
		/// The relay has open contracts: the offer stays until they are closed.
		OfferInUse,
		/// The relay takes no more contracts now.
		RelayFull,
		/// The client has as many open contracts as it may.
		TooManyContracts,
		/// A node does not relay for itself.
		OwnRelay,
		/// A contract runs at least one hour and at most `MaxHours`.
		BadDuration,
		/// A contract pays for at least one byte.
		NoBytes,
		/// The contract costs more than the most the client named.
		PriceAboveMax,
		/// No such contract.
		NoContract,
		/// Only the contract's client may do this.
		NotClient,
		/// Only the contract's relay may redeem its receipts.
		NotRelay,
		/// The receipt's signature is not the client's over this chain, relay, contract and
		/// bytes.
		BadReceipt,
		/// The receipt adds nothing to the last one redeemed (replayed or lower).
		StaleReceipt,
		/// The contract's dispute window is over: no receipt is redeemed any more.
		DisputeOver,
		/// The contract has not ended, or its dispute window is still open.
		NotClosable,
		/// The contract has ended already.
		Ended,
		/// The price does not fit the balance type.
		Overflow,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Offers to relay at these prices, for at most `capacity` contracts at once;
		/// the first offer holds `RelayBond`. Open contracts keep their prices.
		#[pallet::call_index(0)]
		pub fn offer_relay(
			origin: OriginFor<T>,
			price_per_gib: BalanceOf<T>,
			price_per_hour: BalanceOf<T>,
			capacity: u32,
		) -> DispatchResult {
			let relay = ensure_signed(origin)?;
			ensure!(T::Registry::is_attested(&relay), Error::<T>::NotAttested);
			ensure!(capacity > 0 && capacity <= T::MaxContractsPerRelay::get(), Error::<T>::BadCapacity);
			let bond = match Offers::<T>::get(&relay) {
				Some(offer) => offer.bond,
				None => {
					let bond = T::RelayBond::get();
					T::Currency::hold(&HoldReason::RelayBond.into(), &relay, bond)?;
					bond
				},
			};
			Offers::<T>::insert(&relay, RelayOffer { price_per_gib, price_per_hour, capacity, bond });
			Self::deposit_event(Event::RelayOffered { relay, price_per_gib, price_per_hour, capacity });
			Ok(())
		}

		/// Withdraws the relay's offer and frees its bond; only with no contract open.
		#[pallet::call_index(1)]
		pub fn withdraw_offer(origin: OriginFor<T>) -> DispatchResult {
			let relay = ensure_signed(origin)?;
			let offer = Offers::<T>::get(&relay).ok_or(Error::<T>::NoOffer)?;
			ensure!(RelayContracts::<T>::get(&relay).is_empty(), Error::<T>::OfferInUse);
			T::Currency::release(&HoldReason::RelayBond.into(), &relay, offer.bond, Precision::BestEffort)?;
			Offers::<T>::remove(&relay);
			Self::deposit_event(Event::OfferWithdrawn { relay });
			Ok(())
		}

		/// Opens a forwarding contract with `relay` for `hours` hours and at most
		/// `max_bytes` bytes, at its offer's prices, if that costs at most `max_price`;
		/// the price is held from the caller.
		#[pallet::call_index(2)]
		pub fn open(
			origin: OriginFor<T>,
			relay: T::AccountId,
			hours: u32,
			max_bytes: u64,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let client = ensure_signed(origin)?;
			ensure!(client != relay, Error::<T>::OwnRelay);
			ensure!(hours > 0 && hours <= T::MaxHours::get(), Error::<T>::BadDuration);
			ensure!(max_bytes > 0, Error::<T>::NoBytes);
			let offer = Offers::<T>::get(&relay).ok_or(Error::<T>::NoOffer)?;
			// An offer outlives its node's attestation only until the contracts end.
			ensure!(T::Registry::is_attested(&relay), Error::<T>::NotAttested);
			let price = Self::price(&offer, max_bytes, hours).ok_or(Error::<T>::Overflow)?;
			ensure!(price <= max_price, Error::<T>::PriceAboveMax);
			let id = NextId::<T>::get();
			// Checked before anything is written.
			let mut relay_ids = RelayContracts::<T>::get(&relay);
			ensure!((relay_ids.len() as u32) < offer.capacity, Error::<T>::RelayFull);
			relay_ids.try_push(id).map_err(|_| Error::<T>::RelayFull)?;
			let mut client_ids = ClientContracts::<T>::get(&client);
			client_ids.try_push(id).map_err(|_| Error::<T>::TooManyContracts)?;
			T::Currency::hold(&HoldReason::ForwardingEscrow.into(), &client, price)?;
			RelayContracts::<T>::insert(&relay, relay_ids);
			ClientContracts::<T>::insert(&client, client_ids);
			let duration = T::BlocksPerHour::get().saturating_mul(hours.into());
			let ends_at = frame_system::Pallet::<T>::block_number().saturating_add(duration);
			NextId::<T>::put(id + 1);
			Contracts::<T>::insert(
				id,
				Forwarding {
					relay: relay.clone(),
					client: client.clone(),
					price_per_gib: offer.price_per_gib,
					price_per_hour: offer.price_per_hour,
					max_bytes,
					hours,
					escrow: price,
					paid: Zero::zero(),
					redeemed_bytes: 0,
					paid_hours: 0,
					starts_at: frame_system::Pallet::<T>::block_number(),
					ends_at,
				},
			);
			Self::deposit_event(Event::Opened { id, relay, client, escrow: price, ends_at });
			Ok(())
		}

		/// Redeems the client's receipt for contract `id`: `bytes` forwarded in all (at most
		/// the contract's), signed by the client; the relay is paid what it adds to the last
		/// receipt redeemed, and the reservation owed so far.
		#[pallet::call_index(3)]
		pub fn redeem(origin: OriginFor<T>, id: ForwardingId, bytes: u64, signature: T::Signature) -> DispatchResult {
			let relay = ensure_signed(origin)?;
			let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::NoContract)?;
			ensure!(contract.relay == relay, Error::<T>::NotRelay);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= contract.ends_at.saturating_add(T::DisputeWindow::get()), Error::<T>::DisputeOver);
			let counted = bytes.min(contract.max_bytes);
			ensure!(counted > contract.redeemed_bytes, Error::<T>::StaleReceipt);
			let payload = receipt_payload(Self::genesis_hash().as_ref(), &relay, id, bytes);
			ensure!(signature.verify(&payload[..], &contract.client), Error::<T>::BadReceipt);
			let per_gib: u128 = contract.price_per_gib.saturated_into();
			let traffic = |bytes| traffic_price(bytes, per_gib).ok_or(Error::<T>::Overflow);
			let due = traffic(counted)?.saturating_sub(traffic(contract.redeemed_bytes)?);
			contract.redeemed_bytes = counted;
			let paid = Self::pay(&mut contract, due.saturated_into(), now)?;
			Contracts::<T>::insert(id, contract);
			Self::deposit_event(Event::Redeemed { id, bytes: counted, paid });
			Ok(())
		}

		/// The client ends contract `id` now; its relay may still redeem receipts for the
		/// dispute window.
		#[pallet::call_index(4)]
		pub fn cancel(origin: OriginFor<T>, id: ForwardingId) -> DispatchResult {
			let client = ensure_signed(origin)?;
			let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::NoContract)?;
			ensure!(contract.client == client, Error::<T>::NotClient);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < contract.ends_at, Error::<T>::Ended);
			contract.ends_at = now;
			Contracts::<T>::insert(id, contract);
			Self::deposit_event(Event::Cancelled { id });
			Ok(())
		}

		/// Closes contract `id` once its dispute window is over (anyone may): its relay gets
		/// the reservation it is owed, the rest returns to the client.
		#[pallet::call_index(5)]
		pub fn close(origin: OriginFor<T>, id: ForwardingId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::NoContract)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now > contract.ends_at.saturating_add(T::DisputeWindow::get()), Error::<T>::NotClosable);
			let paid = Self::pay(&mut contract, Zero::zero(), now)?;
			T::Currency::release(
				&HoldReason::ForwardingEscrow.into(),
				&contract.client,
				contract.escrow,
				Precision::Exact,
			)?;
			Contracts::<T>::remove(id);
			RelayContracts::<T>::mutate(&contract.relay, |ids| ids.retain(|other| *other != id));
			ClientContracts::<T>::mutate(&contract.client, |ids| ids.retain(|other| *other != id));
			Self::deposit_event(Event::Closed { id, paid, refunded: contract.escrow });
			Ok(())
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// The genesis hash, which binds receipts to this chain.
		pub fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// Hours of `contract`'s reservation begun by block `now` (all of them from its end
		/// on).
		pub fn hours_begun(contract: &ForwardingOf<T>, now: BlockNumberFor<T>) -> u32 {
			let until = now.min(contract.ends_at);
			if until <= contract.starts_at {
				return 0;
			}
			let blocks: u128 = (until - contract.starts_at).saturated_into();
			let per_hour: u128 = T::BlocksPerHour::get().saturated_into::<u128>().max(1);
			blocks.div_ceil(per_hour).min(contract.hours as u128) as u32
		}

		/// Pays `contract`'s relay `traffic` and the reservation owed by block `now` from the
		/// client's escrow (never more than it holds); what was paid.
		fn pay(
			contract: &mut ForwardingOf<T>,
			traffic: BalanceOf<T>,
			now: BlockNumberFor<T>,
		) -> Result<BalanceOf<T>, DispatchError> {
			let hours = Self::hours_begun(contract, now).max(contract.paid_hours);
			let reservation = contract.price_per_hour.saturating_mul((hours - contract.paid_hours).into());
			let due = traffic.saturating_add(reservation).min(contract.escrow);
			if !due.is_zero() {
				T::Currency::transfer_on_hold(
					&HoldReason::ForwardingEscrow.into(),
					&contract.client,
					&contract.relay,
					due,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				)?;
			}
			contract.paid_hours = hours;
			contract.escrow.saturating_reduce(due);
			contract.paid.saturating_accrue(due);
			Ok(due)
		}

		/// What `max_bytes` bytes and `hours` hours cost at `offer`'s prices.
		pub fn price(offer: &RelayOffer<BalanceOf<T>>, max_bytes: u64, hours: u32) -> Option<BalanceOf<T>> {
			let traffic = traffic_price(max_bytes, offer.price_per_gib.saturated_into())?;
			let reservation = (hours as u128).checked_mul(offer.price_per_hour.saturated_into())?;
			let total = traffic.checked_add(reservation)?;
			let balance: BalanceOf<T> = total.try_into().ok()?;
			Some(balance)
		}

		/// Every attested relay's offer and how many contracts it has open.
		pub fn relays() -> alloc::vec::Vec<(T::AccountId, RelayOffer<BalanceOf<T>>, u32)> {
			Offers::<T>::iter()
				.filter(|(relay, _)| T::Registry::is_attested(relay))
				.map(|(relay, offer)| {
					let open = RelayContracts::<T>::decode_len(&relay).unwrap_or(0) as u32;
					(relay, offer, open)
				})
				.collect()
		}

		/// The open contracts `who` relays or is relayed by (bounded by
		/// `MaxContractsPerRelay + MaxContractsPerClient`).
		pub fn contracts_of(who: &T::AccountId) -> alloc::vec::Vec<(ForwardingId, ForwardingOf<T>)> {
			let mut ids: alloc::vec::Vec<ForwardingId> = RelayContracts::<T>::get(who).into_inner();
			ids.extend(ClientContracts::<T>::get(who));
			ids.sort_unstable();
			ids.dedup();
			ids.into_iter().filter_map(|id| Contracts::<T>::get(id).map(|contract| (id, contract))).collect()
		}

		/// Each account's escrow held equals its open contracts' escrow, and each relay's and
		/// client's list names exactly its open contracts.
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			use alloc::collections::BTreeMap;
			let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (id, contract) in Contracts::<T>::iter() {
				let held = escrow.entry(contract.client.clone()).or_default();
				*held = held.saturating_add(contract.escrow);
				ensure!(RelayContracts::<T>::get(&contract.relay).contains(&id), "a relay's list misses a contract");
				ensure!(ClientContracts::<T>::get(&contract.client).contains(&id), "a client's list misses a contract");
			}
			for (client, held) in escrow {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::ForwardingEscrow.into(), &client) == held,
					"a client's forwarding escrow differs from its contracts'"
				);
			}
			for (client, ids) in ClientContracts::<T>::iter() {
				ensure!(
					ids.iter().all(|id| Contracts::<T>::get(id).is_some_and(|c| c.client == client)),
					"a client's list names a closed or another's contract"
				);
			}
			for (relay, ids) in RelayContracts::<T>::iter() {
				ensure!(
					ids.iter().all(|id| Contracts::<T>::get(id).is_some_and(|c| c.relay == relay)),
					"a relay's list names a closed or another's contract"
				);
			}
			for (relay, offer) in Offers::<T>::iter() {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::RelayBond.into(), &relay) == offer.bond,
					"a relay's bond held differs from its offer's"
				);
			}
			Ok(())
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// The forwarding market, for RPC (`cairn_relays`, `cairn_forwarding`) and nodes
	/// choosing a relay.
	pub trait ForwardingApi<AccountId, Balance, BlockNumber> where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Every relay's offer and how many contracts it has open.
		fn relays() -> alloc::vec::Vec<(AccountId, RelayOffer<Balance>, u32)>;
		/// The open contracts `who` relays or is relayed by.
		fn contracts_of(who: AccountId) -> alloc::vec::Vec<(ForwardingId, Forwarding<AccountId, Balance, BlockNumber>)>;
	}
}
