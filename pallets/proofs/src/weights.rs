//! Weights of the fragment proofs pallet.
//!
//! `SubstrateWeight` is generated from this pallet's FRAME benchmarks
//! (`scripts/bench-weights.sh`); `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	/// `f` fragments proven, `SegmentsPerFragment` segments each.
	fn submit_proofs(f: u32) -> Weight;
	/// Settling one provider, besides the market's own work.
	fn settle_provider() -> Weight;
	/// A period's first block: its seed, and clearing at most `n` stale answers.
	fn new_period(n: u32) -> Weight;
}

/// Weights measured in the wasm runtime on the reference machine.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_proofs(f: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(200_000_000, 0).saturating_mul(f.into()))
			.saturating_add(T::DbWeight::get().reads_writes(4, 1))
	}
	fn settle_provider() -> Weight {
		Weight::from_parts(60_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(4, 2))
	}
	fn new_period(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 2_000)
			.saturating_add(T::DbWeight::get().reads_writes(2, 3))
			.saturating_add(T::DbWeight::get().writes(n.into()))
	}
}

impl WeightInfo for () {
	fn submit_proofs(f: u32) -> Weight {
		Weight::from_parts(200_000_000, 8_000).saturating_mul(f.into())
	}
	fn settle_provider() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
	}
	fn new_period(_: u32) -> Weight {
		Weight::from_parts(20_000_000, 2_000)
	}
}
