//! Weights of the fragment proofs pallet.
//!
//! `SubstrateWeight` takes its figures from the FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_fragment_proofs`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_fragment_proofs.{txt,rs}`): `submit_proofs(c)` for answers of
//! `c` fragments with two 4 KiB segments and 30-node paths each, over 10,000 other
//! contracts in storage (it includes the market's bookkeeping for contracts without
//! escrow; the pallet adds the market's `settle_weight` on top). `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	/// Checking an answer of `c` fragments (without the market's settlement).
	fn submit_proofs(c: u32) -> Weight;
	/// Visiting one partition in the settlement (without the market's settlement).
	fn settle_partition() -> Weight;
}

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_proofs(c: u32) -> Weight {
		Weight::from_parts(204_362_064, 3799)
			.saturating_add(Weight::from_parts(112_474_893, 2745).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(3, 1))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1).saturating_mul(c.into()))
	}
	fn settle_partition() -> Weight {
		Weight::from_parts(82_154_000, 6608).saturating_add(T::DbWeight::get().reads_writes(6, 3))
	}
}

impl WeightInfo for () {
	fn submit_proofs(c: u32) -> Weight {
		Weight::from_parts(60_000_000, 10_000).saturating_mul(c.into())
	}
	fn settle_partition() -> Weight {
		Weight::from_parts(15_000_000, 4_000)
	}
}
