//! Weights of the rewards pallet.
//!
//! ESTIMATE (hand-counted, no benchmark run yet): `on_finalize` reads the block's sum,
//! the author (Authorship's digest scan) and the issuance, and mints into one account;
//! counted as 4 reads and 3 writes plus 40 µs of compute until a benchmark of the hook
//! measures it in the wasm runtime. `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	/// Minting the block's reward to its author.
	fn on_finalize() -> Weight;
}

/// Hand-counted estimate (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn on_finalize() -> Weight {
		Weight::from_parts(40_000_000, 3_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
}

impl WeightInfo for () {
	fn on_finalize() -> Weight {
		Weight::from_parts(40_000_000, 3_000)
	}
}
