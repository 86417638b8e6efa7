//! # Invites pallet
//!
//! How a community brings a friend in: an inviter creates a one-time *voucher*, a fresh
//! sr25519 key whose public half the inviter registers here with a *grant* (a starter
//! balance, held from the inviter's own funds) and an expiry. The invitation the inviter
//! hands over carries the voucher's secret; the newcomer, who may have no balance at all,
//! redeems it with an unsigned transaction signed by the voucher key over
//! [`redeem_payload`] (this chain's genesis hash, the voucher's id and the newcomer's
//! account), so a transaction seen in the pool cannot be redirected to another account
//! and a voucher of another chain, or an older voucher under the same key, does not
//! verify here.
//!
//! The voucher key also signs [`create_payload`] when the voucher is made (proof of
//! possession): nobody can open a voucher under a key whose secret they lack (squatting a
//! key seen in the pool, or a degenerate key that any signature verifies under).
//!
//! A redeem pays no fee: the inviter's `create` is charged for the redeem's weight too,
//! and redeems go into blocks at an ordinary priority, so free redeems cannot crowd out
//! the market's deadline-bound transactions.
//!
//! Lifecycle: `create` (held) -> `redeem` (the grant moves to the newcomer, free) or
//! `revoke` by the inviter, or, once expired, `reap` by anyone (free of fees): the grant
//! goes back to the inviter either way. A voucher is redeemed at most once: redeeming
//! removes it. Each inviter has at most `MaxOpenPerInviter` open vouchers, each lives at
//! most `MaxLifetime` blocks, and a grant is at least `MinGrant` (which covers the
//! existential deposit, so the newcomer's account exists after redeeming).

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
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A voucher's public key (sr25519).
pub type VoucherKey = [u8; 32];

/// What the voucher key signs to redeem: the domain, this chain's genesis hash, the
/// voucher's id (so a new voucher under an old key needs a new signature) and the
/// newcomer's account.
pub fn redeem_payload<Hash: Encode, AccountId: Encode>(genesis: &Hash, id: u64, newcomer: &AccountId) -> Vec<u8> {
	(b"cairn/invite/v1", genesis, id, newcomer).encode()
}

/// What the voucher key signs to be opened by `inviter`: proof that the inviter (or the
/// inviter's tool) holds the voucher's secret.
pub fn create_payload<Hash: Encode, AccountId: Encode>(genesis: &Hash, inviter: &AccountId) -> Vec<u8> {
	(b"cairn/invite/open/v1", genesis, inviter).encode()
}

/// An open voucher: who pays, how much, until when.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Voucher<AccountId, Balance, BlockNumber> {
	/// Its number, unique on this chain.
	pub id: u64,
	/// Who created it; the grant is held from this account.
	pub inviter: AccountId,
	/// What the newcomer receives.
	pub grant: Balance,
	/// The first block at which it can no longer be redeemed.
	pub expires_at: BlockNumber,
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use polkadot_sdk::{
		frame_support::{
			pallet_prelude::*,
			traits::{
				fungible::{Inspect, InspectHold, Mutate, MutateHold},
				tokens::{Fortitude, Precision, Preservation, Restriction},
			},
		},
		frame_system::{self, pallet_prelude::*},
		sp_core::sr25519,
		sp_runtime::{
			traits::{Saturating, Zero},
			SaturatedConversion,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type VoucherOf<T> = Voucher<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The currency grants are held in and paid from.
		type Currency: Mutate<Self::AccountId> + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		type RuntimeHoldReason: From<HoldReason>;
		/// The smallest grant: at least the existential deposit.
		#[pallet::constant]
		type MinGrant: Get<BalanceOf<Self>>;
		/// How many open vouchers one inviter may have.
		#[pallet::constant]
		type MaxOpenPerInviter: Get<u32>;
		/// The longest a voucher lives, in blocks.
		#[pallet::constant]
		type MaxLifetime: Get<BlockNumberFor<Self>>;
		/// The pool priority of a redeeming transaction.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The grant of an open voucher, held from its inviter.
		Invite,
	}

	/// Open vouchers by key.
	#[pallet::storage]
	pub type Vouchers<T: Config> = StorageMap<_, Blake2_128Concat, VoucherKey, VoucherOf<T>>;

	/// How many open vouchers each inviter has (at most `MaxOpenPerInviter`).
	#[pallet::storage]
	pub type OpenVouchers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The id of the next voucher.
	#[pallet::storage]
	pub type NextVoucherId<T: Config> = StorageValue<_, u64, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An inviter created a voucher; `grant` is held until it ends.
		VoucherCreated {
			inviter: T::AccountId,
			voucher: VoucherKey,
			id: u64,
			grant: BalanceOf<T>,
			expires_at: BlockNumberFor<T>,
		},
		/// A newcomer redeemed a voucher and received its grant.
		VoucherRedeemed { inviter: T::AccountId, voucher: VoucherKey, newcomer: T::AccountId, grant: BalanceOf<T> },
		/// The inviter withdrew a voucher; the grant is free again.
		VoucherRevoked { inviter: T::AccountId, voucher: VoucherKey },
		/// An expired voucher was removed; the grant is free again.
		VoucherExpired { inviter: T::AccountId, voucher: VoucherKey },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The grant is below `MinGrant`.
		GrantTooSmall,
		/// The lifetime is zero or longer than `MaxLifetime`.
		BadLifetime,
		/// A voucher with this key is open already.
		VoucherInUse,
		/// The inviter has `MaxOpenPerInviter` open vouchers.
		TooManyVouchers,
		/// The inviter cannot hold the grant (free balance too low).
		InsufficientBalance,
		/// No open voucher has this key (never made, redeemed, revoked or reaped).
		UnknownVoucher,
		/// The voucher has expired.
		Expired,
		/// The voucher has not expired yet: only its inviter may remove it.
		NotExpired,
		/// The signature is not the voucher key's over this chain, voucher and newcomer.
		BadSignature,
		/// The voucher key did not sign its opening by this inviter on this chain.
		BadVoucherProof,
		/// Only the voucher's inviter may revoke it.
		NotInviter,
		/// The grant could not be paid to the newcomer (e.g. the account cannot exist).
		GrantNotPaid,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		fn integrity_test() {
			assert!(
				T::MinGrant::get() >= <T::Currency as Inspect<T::AccountId>>::minimum_balance(),
				"MinGrant must cover the existential deposit, or a newcomer's account may not exist"
			);
			assert!(T::MaxOpenPerInviter::get() > 0, "inviters must be able to invite");
			assert!(!T::MaxLifetime::get().is_zero(), "a voucher must be able to live a block");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by the inviter: opens a voucher under `voucher` (a fresh sr25519 public
		/// key, whose signature over [`create_payload`] is `proof`) worth `grant`,
		/// redeemable for `lifetime` blocks. Holds `grant` from the inviter's spendable
		/// balance; its fee also pays for the redeem. Emits `VoucherCreated`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create().saturating_add(T::WeightInfo::redeem()))]
		pub fn create(
			origin: OriginFor<T>,
			voucher: VoucherKey,
			grant: BalanceOf<T>,
			lifetime: BlockNumberFor<T>,
			proof: [u8; 64],
		) -> DispatchResult {
			let inviter = ensure_signed(origin)?;
			Self::do_create(inviter, voucher, grant, lifetime, proof)
		}

		/// Unsigned, by anyone holding the voucher's secret: pays the grant to `newcomer`
		/// and closes the voucher. `signature` is the voucher key's over
		/// [`redeem_payload`]. Free: `create` paid for it. Emits `VoucherRedeemed`.
		#[pallet::call_index(1)]
		pub fn redeem(
			origin: OriginFor<T>,
			voucher: VoucherKey,
			newcomer: T::AccountId,
			signature: [u8; 64],
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_redeem(voucher, newcomer, signature)
		}

		/// Signed by the voucher's inviter: closes it; the grant is free again. Emits
		/// `VoucherRevoked`.
		#[pallet::call_index(2)]
		pub fn revoke(origin: OriginFor<T>, voucher: VoucherKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let open = Vouchers::<T>::get(voucher).ok_or(Error::<T>::UnknownVoucher)?;
			ensure!(open.inviter == who, Error::<T>::NotInviter);
			Self::close(voucher, &open)?;
			Self::deposit_event(Event::VoucherRevoked { inviter: open.inviter, voucher });
			Ok(())
		}

		/// Signed by anyone, free when it succeeds: removes an expired voucher; the grant
		/// goes back to its inviter. Emits `VoucherExpired`.
		#[pallet::call_index(3)]
		pub fn reap(origin: OriginFor<T>, voucher: VoucherKey) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let open = Vouchers::<T>::get(voucher).ok_or(Error::<T>::UnknownVoucher)?;
			ensure!(frame_system::Pallet::<T>::block_number() >= open.expires_at, Error::<T>::NotExpired);
			Self::close(voucher, &open)?;
			Self::deposit_event(Event::VoucherExpired { inviter: open.inviter, voucher });
			Ok(Pays::No.into())
		}
	}

	// `ValidateUnsigned` is deprecated for `#[pallet::authorize]`; the runtime moves all
	// its unsigned calls at once (see pallet-attestation).
	#[allow(deprecated)]
	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		/// A redeem enters the pool only with the voucher key's signature over this
		/// chain, voucher and newcomer, while the voucher is open; one per voucher.
		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			let Call::redeem { voucher, newcomer, signature } = call else {
				return InvalidTransaction::Call.into();
			};
			let open = Self::check_redeem(voucher, newcomer, signature).map_err(invalid::<T>)?;
			let left = open.expires_at.saturating_sub(frame_system::Pallet::<T>::block_number());
			ValidTransaction::with_tag_prefix("CairnInvites")
				.priority(T::UnsignedPriority::get())
				.and_provides((b"cairn/redeem", voucher))
				.longevity(left.saturated_into::<u64>().max(1))
				.propagate(true)
				.build()
		}
	}

	/// A pallet error as a transaction validity error: `Custom` with the error's index.
	fn invalid<T: Config>(error: Error<T>) -> TransactionValidityError {
		match DispatchError::from(error) {
			DispatchError::Module(module) => InvalidTransaction::Custom(module.error[0]).into(),
			_ => InvalidTransaction::Call.into(),
		}
	}

	/// Whether `signature` is `key`'s sr25519 signature over `message`.
	fn verify(key: &VoucherKey, message: &[u8], signature: &[u8; 64]) -> bool {
		polkadot_sdk::sp_io::crypto::sr25519_verify(
			&sr25519::Signature::from_raw(*signature),
			message,
			&sr25519::Public::from_raw(*key),
		)
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn do_create(
			inviter: T::AccountId,
			voucher: VoucherKey,
			grant: BalanceOf<T>,
			lifetime: BlockNumberFor<T>,
			proof: [u8; 64],
		) -> DispatchResult {
			ensure!(grant >= T::MinGrant::get(), Error::<T>::GrantTooSmall);
			ensure!(!lifetime.is_zero() && lifetime <= T::MaxLifetime::get(), Error::<T>::BadLifetime);
			ensure!(!Vouchers::<T>::contains_key(voucher), Error::<T>::VoucherInUse);
			let open = OpenVouchers::<T>::get(&inviter);
			ensure!(open < T::MaxOpenPerInviter::get(), Error::<T>::TooManyVouchers);
			ensure!(
				verify(&voucher, &create_payload(&Self::genesis_hash(), &inviter), &proof),
				Error::<T>::BadVoucherProof
			);
			// Spendable funds only: `hold` alone would also take frozen ones.
			let spendable = T::Currency::reducible_balance(&inviter, Preservation::Protect, Fortitude::Polite);
			ensure!(spendable >= grant, Error::<T>::InsufficientBalance);
			T::Currency::hold(&HoldReason::Invite.into(), &inviter, grant)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			let id = NextVoucherId::<T>::get();
			NextVoucherId::<T>::put(id.checked_add(1).ok_or(Error::<T>::TooManyVouchers)?);
			let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(lifetime);
			Vouchers::<T>::insert(voucher, Voucher { id, inviter: inviter.clone(), grant, expires_at });
			OpenVouchers::<T>::insert(&inviter, open.saturating_add(1));
			Self::deposit_event(Event::VoucherCreated { inviter, voucher, id, grant, expires_at });
			Ok(())
		}

		pub(crate) fn do_redeem(voucher: VoucherKey, newcomer: T::AccountId, signature: [u8; 64]) -> DispatchResult {
			let open = Self::check_redeem(&voucher, &newcomer, &signature)?;
			T::Currency::transfer_on_hold(
				&HoldReason::Invite.into(),
				&open.inviter,
				&newcomer,
				open.grant,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.map_err(|_| Error::<T>::GrantNotPaid)?;
			Self::forget(voucher, &open.inviter);
			Self::deposit_event(Event::VoucherRedeemed { inviter: open.inviter, voucher, newcomer, grant: open.grant });
			Ok(())
		}

		/// The open voucher `voucher`, if `signature` redeems it for `newcomer` now.
		pub(crate) fn check_redeem(
			voucher: &VoucherKey,
			newcomer: &T::AccountId,
			signature: &[u8; 64],
		) -> Result<VoucherOf<T>, Error<T>> {
			let open = Vouchers::<T>::get(voucher).ok_or(Error::<T>::UnknownVoucher)?;
			ensure!(frame_system::Pallet::<T>::block_number() < open.expires_at, Error::<T>::Expired);
			let payload = redeem_payload(&Self::genesis_hash(), open.id, newcomer);
			ensure!(verify(voucher, &payload, signature), Error::<T>::BadSignature);
			// What the pool takes is paid at dispatch: a redeem that could not be would be
			// included for free again and again.
			let held = T::Currency::balance_on_hold(&HoldReason::Invite.into(), &open.inviter);
			ensure!(held >= open.grant, Error::<T>::GrantNotPaid);
			Ok(open)
		}

		fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// Releases a voucher's grant to its inviter and removes it.
		fn close(voucher: VoucherKey, open: &VoucherOf<T>) -> DispatchResult {
			T::Currency::release(&HoldReason::Invite.into(), &open.inviter, open.grant, Precision::BestEffort)?;
			Self::forget(voucher, &open.inviter);
			Ok(())
		}

		fn forget(voucher: VoucherKey, inviter: &T::AccountId) {
			Vouchers::<T>::remove(voucher);
			OpenVouchers::<T>::mutate_exists(inviter, |open| {
				*open = open.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
			});
		}

		/// The invariants: each inviter's held grants are its open vouchers' grants, its
		/// count is their number (at most `MaxOpenPerInviter`), and ids were handed out.
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let mut per_inviter = alloc::collections::BTreeMap::<T::AccountId, (u32, BalanceOf<T>)>::new();
			let next = NextVoucherId::<T>::get();
			for (_, voucher) in Vouchers::<T>::iter() {
				ensure!(voucher.id < next, "a voucher's id was never handed out");
				let entry = per_inviter.entry(voucher.inviter).or_insert((0, Zero::zero()));
				entry.0 += 1;
				entry.1 = entry.1.saturating_add(voucher.grant);
			}
			ensure!(
				OpenVouchers::<T>::iter().count() == per_inviter.len(),
				"an inviter is counted without open vouchers"
			);
			for (inviter, (count, grants)) in per_inviter {
				ensure!(OpenVouchers::<T>::get(&inviter) == count, "an inviter's count is not its vouchers'");
				ensure!(count <= T::MaxOpenPerInviter::get(), "an inviter has too many vouchers");
				let held = T::Currency::balance_on_hold(&HoldReason::Invite.into(), &inviter);
				ensure!(held == grants, "an inviter's held grants are not its vouchers'");
			}
			Ok(())
		}

		/// The open voucher under `voucher`, for the runtime API.
		pub fn voucher(voucher: &VoucherKey) -> Option<VoucherOf<T>> {
			Vouchers::<T>::get(voucher)
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Voucher queries for RPC and clients (`cairn join` checks its invitation with it).
	pub trait InvitesApi<AccountId, Balance, BlockNumber> where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// The open voucher under `key`, if any.
		fn voucher(key: VoucherKey) -> Option<Voucher<AccountId, Balance, BlockNumber>>;
	}
}
