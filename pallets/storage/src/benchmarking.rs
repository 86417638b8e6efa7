//! Benchmarks of every call, the expiry hook and a partition's settlement, at their worst
//! case.

use super::*;
use crate::Pallet as Storage;
use cairn_primitives::traits::{PartitionRef, StorageMarket};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Mutate, Get, Hooks},
	frame_system::{self, RawOrigin},
	sp_runtime::traits::Bounded,
};

/// An attested account with plenty of balance.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000u32.into());
	T::BenchmarkHelper::attest(&who);
	who
}

/// `provider` offers at the price floor, any duration, ample capacity.
fn offer<T: Config>(provider: &T::AccountId) {
	Storage::<T>::set_offer(
		RawOrigin::Signed(provider.clone()).into(),
		Storage::<T>::params().min_price_per_gib,
		u64::MAX / 2,
		1,
		T::MaxDuration::get(),
	)
	.expect("offer");
}

/// `n` one-MiB fragments for `provider`, roots starting at `first`.
fn orders<T: Config>(provider: &T::AccountId, first: u32, n: u32) -> Orders<T> {
	(first..first + n)
		.map(|i| FragmentOrder {
			provider: provider.clone(),
			root: cairn_primitives::blake2_256(&i.to_le_bytes()),
			size: 1 << 20,
			max_price: BalanceOf::<T>::max_value(),
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("within the bound")
}

/// How many contracts one call and one provider's pending list hold.
fn batch<T: Config>() -> u32 {
	T::MaxFragmentsPerFile::get().min(T::MaxPendingPerProvider::get()).min(T::MaxPendingPerClient::get())
}

/// `client` makes `n` contracts with `provider` in file `file`.
fn create<T: Config>(client: &T::AccountId, provider: &T::AccountId, file: u32, first: u32, n: u32) {
	let manifest = cairn_primitives::blake2_256(&(b"file", file).encode());
	Storage::<T>::create_contracts(RawOrigin::Signed(client.clone()).into(), manifest, 1024, 10, orders::<T>(provider, first, n))
		.expect("contracts");
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_offer() {
		let provider = funded::<T>("provider", 0);
		let price = Storage::<T>::params().min_price_per_gib;
		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), price, 1 << 40, 1, T::MaxDuration::get());
		assert!(Offers::<T>::contains_key(&provider));
	}

	#[benchmark]
	fn remove_offer() {
		let provider = funded::<T>("provider", 0);
		offer::<T>(&provider);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));
		assert!(!Offers::<T>::contains_key(&provider));
	}

	#[benchmark]
	fn create_contracts(n: Linear<1, { batch::<T>() }>) {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		#[extrinsic_call]
		_(RawOrigin::Signed(client), [1; 32], 1024, 10, orders::<T>(&provider, 0, n));
		assert_eq!(NextContractId::<T>::get(), n as u64);
	}

	/// The provider's open partition is full: a new partition opens.
	#[benchmark]
	fn accept_contract() {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		create::<T>(&client, &provider, 0, 0, 1);
		Storage::<T>::insert_active_contracts(&provider, T::MaxPartitionSize::get(), 1 << 20, 1024, &|_| [9; 32]);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(matches!(Contracts::<T>::get(0).unwrap().state, ContractState::Active { partition: 1, .. }));
	}

	#[benchmark]
	fn cancel_contract() {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		create::<T>(&client, &provider, 0, 0, batch::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(client), 0);
		assert!(!Contracts::<T>::contains_key(0));
	}

	#[benchmark]
	fn reject_contract() {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		create::<T>(&client, &provider, 0, 0, batch::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(!Contracts::<T>::contains_key(0));
	}

	#[benchmark]
	fn renew_contract() {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		create::<T>(&client, &provider, 0, 0, 1);
		Storage::<T>::accept_contract(RawOrigin::Signed(provider).into(), 0).expect("accept");
		#[extrinsic_call]
		_(RawOrigin::Signed(client), 0, 5, BalanceOf::<T>::max_value());
		assert_eq!(Contracts::<T>::get(0).unwrap().duration, 15);
	}

	#[benchmark]
	fn set_params() {
		let params = MarketParams { fault_fee_windows: 4, ..Storage::<T>::params() };
		#[extrinsic_call]
		_(RawOrigin::Root, params);
		assert_eq!(Storage::<T>::params().fault_fee_windows, 4);
	}

	/// `n` pending contracts whose acceptance window closed are refunded.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
		let mut made = 0;
		let mut index = 0;
		while made < n {
			let provider = funded::<T>("provider", index);
			let client = funded::<T>("client", index);
			offer::<T>(&provider);
			let count = batch::<T>().min(n - made);
			create::<T>(&client, &provider, index, made, count);
			made += count;
			index += 1;
		}
		let closed = frame_system::Pallet::<T>::block_number() + Storage::<T>::params().accept_window.into();
		#[block]
		{
			Storage::<T>::on_initialize(closed);
		}
		assert_eq!(Contracts::<T>::iter().count(), 0);
	}

	/// A partition of `c` contracts of `c` clients, each missing its window for the last
	/// time: each refunds its client, pays it a fault fee and ends with its fragment lost.
	#[benchmark]
	fn settle_partition(c: Linear<1, { T::MaxPartitionSize::get() }>) {
		let provider = funded::<T>("provider", 0);
		offer::<T>(&provider);
		for i in 0..c {
			let client = funded::<T>("client", i);
			create::<T>(&client, &provider, i, i, 1);
			Storage::<T>::accept_contract(RawOrigin::Signed(provider.clone()).into(), i as u64).expect("accept");
		}
		let mut window = 0;
		let mut at = PartitionRef { provider: provider.clone(), deadline: 0, index: 0 };
		for id in 0..c as u64 {
			Contracts::<T>::mutate(id, |contract| {
				if let Some(Contract {
					state: ContractState::Active { start, misses, deadline, partition, .. }, ..
				}) = contract
				{
					*misses = Storage::<T>::params().max_missed - 1;
					window = *start;
					at = PartitionRef { provider: provider.clone(), deadline: *deadline, index: *partition };
				}
			});
		}
		#[block]
		{
			<Storage<T> as StorageMarket<T::AccountId>>::settle_unanswered(&at, window);
		}
		assert_eq!(Contracts::<T>::iter().count(), 0);
	}

	impl_benchmark_test_suite!(Storage, crate::mock::new_test_ext(), crate::mock::Test);
}
