//! Benchmarks of every call and of the per-period settlement, at their worst case.

use super::*;
use crate::Pallet as Storage;
use cairn_primitives::traits::{PeriodOutcome, StorageMarket};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{fungible::Mutate, Get, Hooks},
		BoundedVec,
	},
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

/// `provider` offers a planck per GiB per period, any duration, ample capacity.
fn offer<T: Config>(provider: &T::AccountId) {
	Storage::<T>::set_offer(
		RawOrigin::Signed(provider.clone()).into(),
		1u32.into(),
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
	T::MaxFragmentsPerFile::get().min(T::MaxPendingPerProvider::get())
}

/// `client` makes `n` contracts with `provider` in file `file`.
fn create<T: Config>(client: &T::AccountId, provider: &T::AccountId, file: u32, first: u32, n: u32) {
	let manifest = cairn_primitives::blake2_256(&(b"file", file).encode());
	Storage::<T>::create_contracts(
		RawOrigin::Signed(client.clone()).into(),
		manifest,
		1024,
		10,
		orders::<T>(provider, first, n),
	)
	.expect("contracts");
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_offer() {
		let provider = funded::<T>("provider", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), 1u32.into(), 1 << 40, 1, T::MaxDuration::get());
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

	#[benchmark]
	fn accept_contract() {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		create::<T>(&client, &provider, 0, 0, 1);
		// The longest list of active contracts to extend.
		let others = (1..T::MaxContractsPerProvider::get() as u64).collect::<Vec<_>>();
		ProviderContracts::<T>::insert(&provider, BoundedVec::try_from(others).expect("bound - 1"));
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), 0);
		assert!(matches!(Contracts::<T>::get(0).unwrap().state, ContractState::Active { .. }));
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

	/// `n` pending contracts whose acceptance window closes in this block are refunded.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxPendingPerBlock::get() }>) {
		let client = funded::<T>("client", 0);
		let mut made = 0;
		let mut index = 0;
		while made < n {
			let provider = funded::<T>("provider", index);
			offer::<T>(&provider);
			let count = batch::<T>().min(n - made);
			create::<T>(&client, &provider, index, made, count);
			made += count;
			index += 1;
		}
		let deadline = frame_system::Pallet::<T>::block_number() + T::AcceptWindow::get();
		#[block]
		{
			Storage::<T>::on_initialize(deadline);
		}
		assert_eq!(Contracts::<T>::iter().count(), 0);
	}

	/// A provider with `c` active contracts, all challenged and missed a second time in a
	/// row: every contract refunds a period and slashes the bond.
	#[benchmark]
	fn settle_period(c: Linear<1, { T::MaxContractsPerProvider::get() }>) {
		let provider = funded::<T>("provider", 0);
		let client = funded::<T>("client", 0);
		offer::<T>(&provider);
		let mut made = 0;
		let mut file = 0;
		while made < c {
			let count = batch::<T>().min(c - made);
			create::<T>(&client, &provider, file, made, count);
			for id in made..made + count {
				Storage::<T>::accept_contract(RawOrigin::Signed(provider.clone()).into(), id as u64).expect("accept");
			}
			made += count;
			file += 1;
		}
		let ids: Vec<u64> = (0..c as u64).collect();
		let mut start = 0;
		for id in &ids {
			Contracts::<T>::mutate(id, |contract| {
				if let Some(Contract { state: ContractState::Active { start: s, misses, .. }, .. }) = contract {
					*misses = 1;
					start = *s;
				}
			});
		}
		#[block]
		{
			<Storage<T> as StorageMarket<T::AccountId>>::settle_period(
				&provider,
				start,
				PeriodOutcome { answered: true, missed: ids.clone() },
			);
		}
		assert!(Offers::<T>::get(&provider).unwrap().bond < T::ProviderBond::get());
	}

	impl_benchmark_test_suite!(Storage, crate::mock::new_test_ext(), crate::mock::Test);
}
