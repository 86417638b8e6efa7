//! Weights of the endpoints pallet.
//!
//! `SubstrateWeight` takes its figures from the FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_endpoints`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_endpoints.{txt,rs}`), each at its worst case: `publish` with
//! eight 128-byte DNS addresses, an Ed25519 signature, and a peer id taken over from
//! another node while the caller's own old endpoint is replaced. `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn publish() -> Weight;
	fn withdraw() -> Weight;
	fn prune() -> Weight;
}

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn publish() -> Weight {
		Weight::from_parts(107_691_000, 8258).saturating_add(T::DbWeight::get().reads_writes(8, 4))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(21_479_000, 4624).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn prune() -> Weight {
		Weight::from_parts(22_981_000, 4624).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
}

impl WeightInfo for () {
	fn publish() -> Weight {
		Weight::from_parts(290_000_000, 2_600)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20_000_000, 1_300)
	}
	fn prune() -> Weight {
		Weight::from_parts(25_000_000, 1_300)
	}
}
