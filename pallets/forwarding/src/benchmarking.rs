//! Benchmarks of every call at its worst case: the relay's and the client's lists of
//! contracts as full as they get, a redeem paying traffic and reservation.

use super::*;
use crate::Pallet as Forwarding;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Mutate, Get},
	frame_system::{self, pallet_prelude::BlockNumberFor, RawOrigin},
	sp_runtime::traits::{Bounded, Saturating},
};

/// An account with plenty of balance (and attested, for a relay).
fn funded<T: Config>(who: T::AccountId) -> T::AccountId {
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000u32.into());
	who
}

/// An attested relay offering at a planck per GiB and per hour, at full capacity.
fn relay<T: Config>() -> T::AccountId {
	let relay = funded::<T>(account("relay", 0, 0));
	T::BenchmarkHelper::attest(&relay);
	Forwarding::<T>::offer_relay(
		RawOrigin::Signed(relay.clone()).into(),
		1u32.into(),
		1u32.into(),
		T::MaxContractsPerRelay::get(),
	)
	.expect("offer");
	relay
}

/// `client` opens a contract of one hour and a GiB with `relay`.
fn open_contract<T: Config>(client: &T::AccountId, relay: &T::AccountId) {
	Forwarding::<T>::open(
		RawOrigin::Signed(client.clone()).into(),
		relay.clone(),
		1,
		GIB as u64,
		BalanceOf::<T>::max_value(),
	)
	.expect("open");
}

/// Fills `relay`'s list to one short of full with other clients' contracts, and gives a
/// signing client all but one of the contracts it may have; returns that client.
fn crowd<T: Config>(relay: &T::AccountId) -> T::AccountId {
	let client = funded::<T>(T::BenchmarkHelper::signer());
	let per_client = T::MaxContractsPerClient::get();
	for _ in 1..per_client {
		open_contract::<T>(&client, relay);
	}
	let mut others = 0;
	while RelayContracts::<T>::decode_len(relay).unwrap_or(0) as u32 + 1 < T::MaxContractsPerRelay::get() {
		let other = funded::<T>(account("other", others / per_client, 0));
		open_contract::<T>(&other, relay);
		others += 1;
	}
	client
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn offer_relay() {
		let relay = funded::<T>(account("relay", 0, 0));
		T::BenchmarkHelper::attest(&relay);
		#[extrinsic_call]
		_(RawOrigin::Signed(relay.clone()), 1u32.into(), 1u32.into(), T::MaxContractsPerRelay::get());
		assert!(Offers::<T>::contains_key(&relay));
	}

	#[benchmark]
	fn withdraw_offer() {
		let relay = relay::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(relay.clone()));
		assert!(!Offers::<T>::contains_key(&relay));
	}

	#[benchmark]
	fn open() {
		let relay = relay::<T>();
		let client = crowd::<T>(&relay);
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), relay.clone(), 1, GIB as u64, BalanceOf::<T>::max_value());
		assert_eq!(RelayContracts::<T>::decode_len(&relay), Some(T::MaxContractsPerRelay::get() as usize));
	}

	#[benchmark]
	fn redeem() {
		let relay = relay::<T>();
		let client = crowd::<T>(&relay);
		open_contract::<T>(&client, &relay);
		let id = NextId::<T>::get() - 1;
		// In the contract's hour: traffic and the reservation are both paid.
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));
		let payload = receipt_payload(Forwarding::<T>::genesis_hash().as_ref(), &relay, id, GIB as u64);
		let signature = T::BenchmarkHelper::sign(&client, &payload);
		#[extrinsic_call]
		_(RawOrigin::Signed(relay.clone()), id, GIB as u64, signature);
		assert_eq!(Contracts::<T>::get(id).map(|c| c.redeemed_bytes), Some(GIB as u64));
	}

	#[benchmark]
	fn cancel() {
		let relay = relay::<T>();
		let client = funded::<T>(account("client", 0, 0));
		open_contract::<T>(&client, &relay);
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), 0);
		assert!(Contracts::<T>::get(0).is_some_and(|c| c.ends_at == frame_system::Pallet::<T>::block_number()));
	}

	#[benchmark]
	fn close() {
		let relay = relay::<T>();
		let client = crowd::<T>(&relay);
		open_contract::<T>(&client, &relay);
		let id = NextId::<T>::get() - 1;
		let after: BlockNumberFor<T> =
			T::BlocksPerHour::get().saturating_add(T::DisputeWindow::get()).saturating_add(2u32.into());
		frame_system::Pallet::<T>::set_block_number(frame_system::Pallet::<T>::block_number().saturating_add(after));
		#[extrinsic_call]
		_(RawOrigin::Signed(client.clone()), id);
		assert!(!Contracts::<T>::contains_key(id));
	}

	impl_benchmark_test_suite!(Forwarding, crate::mock::new_test_ext(), crate::mock::Test);
}
