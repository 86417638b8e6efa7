//! Benchmarks of the four calls at their worst case.

use super::*;
use crate::Pallet as InvitesPallet;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor, RawOrigin},
	sp_core::{crypto::KeyTypeId, sr25519},
	sp_io,
	sp_runtime::traits::{Saturating, Zero},
};

const VOUCHER: KeyTypeId = KeyTypeId(*b"vouc");

fn genesis<T: Config>() -> T::Hash {
	frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
}

/// A fresh voucher key in the benchmark's keystore, and its proof for `inviter`.
fn voucher<T: Config>(inviter: &T::AccountId) -> (sr25519::Public, [u8; 64]) {
	let key = sp_io::crypto::sr25519_generate(VOUCHER, None);
	let proof =
		sp_io::crypto::sr25519_sign(VOUCHER, &key, &create_payload(&genesis::<T>(), inviter)).expect("in the keystore");
	(key, proof.0)
}

/// An inviter with funds for many grants and `open` vouchers open already; their keys.
fn inviter<T: Config>(open: u32) -> (T::AccountId, Vec<sr25519::Public>) {
	let who: T::AccountId = account("inviter", 0, 0);
	let grant = T::MinGrant::get();
	T::Currency::set_balance(&who, grant.saturating_mul(1_000_000u32.into()));
	let keys = (0..open)
		.map(|_| {
			let (key, proof) = voucher::<T>(&who);
			InvitesPallet::<T>::do_create(who.clone(), key.0, grant, T::MaxLifetime::get(), proof).expect("room");
			key
		})
		.collect();
	(who, keys)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The inviter's last free voucher slot; the proof is checked.
	#[benchmark]
	fn create() {
		let (who, _) = inviter::<T>(T::MaxOpenPerInviter::get() - 1);
		let (key, proof) = voucher::<T>(&who);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), key.0, T::MinGrant::get(), T::MaxLifetime::get(), proof);
		assert_eq!(OpenVouchers::<T>::get(&who), T::MaxOpenPerInviter::get());
	}

	/// A newcomer whose account does not exist yet; the signature is checked.
	#[benchmark]
	fn redeem() {
		let (_, keys) = inviter::<T>(1);
		let key = keys[0];
		let id = Vouchers::<T>::get(key.0).expect("open").id;
		let newcomer: T::AccountId = account("newcomer", 0, 0);
		let payload = redeem_payload(&genesis::<T>(), id, &newcomer);
		let signature = sp_io::crypto::sr25519_sign(VOUCHER, &key, &payload).expect("in the keystore");
		#[extrinsic_call]
		_(RawOrigin::None, key.0, newcomer.clone(), signature.0);
		assert!(!Vouchers::<T>::contains_key(key.0));
		assert_eq!(T::Currency::balance(&newcomer), T::MinGrant::get());
	}

	#[benchmark]
	fn revoke() {
		let (who, keys) = inviter::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), keys[0].0);
		assert!(!Vouchers::<T>::contains_key(keys[0].0));
	}

	/// Anyone removes an expired voucher.
	#[benchmark]
	fn reap() {
		let (_, keys) = inviter::<T>(1);
		let expires_at = Vouchers::<T>::get(keys[0].0).expect("open").expires_at;
		frame_system::Pallet::<T>::set_block_number(expires_at);
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), keys[0].0);
		assert!(!Vouchers::<T>::contains_key(keys[0].0));
	}

	impl_benchmark_test_suite!(InvitesPallet, crate::mock::bench_ext(), crate::mock::Test);
}
