//! Benchmark of the block's end: the author is found and its reward minted.

use super::*;
use crate::Pallet as Rewards;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Inspect, Hooks},
	frame_system,
};

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The proofs of the block earned a reward: the author is looked up and paid.
	#[benchmark]
	fn on_finalize() {
		let author = T::BenchmarkHelper::set_author();
		MintInBlock::<T>::put(BalanceOf::<T>::from(1_000_000u32));
		let before = T::Currency::balance(&author);
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Rewards::<T>::on_finalize(now);
		}
		assert!(T::Currency::balance(&author) > before);
		assert!(MintInBlock::<T>::get() == BalanceOf::<T>::from(0u32));
	}

	impl_benchmark_test_suite!(Rewards, crate::tests::new_test_ext(), crate::tests::Test);
}
