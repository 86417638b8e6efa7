//! Weights of the rewards pallet.
//!
//! `SubstrateWeight` takes its figure from the FRAME benchmark run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_rewards`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_rewards.{txt,rs}`): the block's reward read, the author found
//! from the BABE pre-digest and the session's validators, and the reward minted into its
//! account. `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	/// Minting the block's reward to its author.
	fn on_finalize() -> Weight;
}

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn on_finalize() -> Weight {
		Weight::from_parts(33_880_000, 3593).saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
}

impl WeightInfo for () {
	fn on_finalize() -> Weight {
		Weight::from_parts(40_000_000, 3_000)
	}
}
