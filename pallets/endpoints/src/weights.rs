//! Weights of the endpoints pallet.
//!
//! PROVISIONAL, hand-counted estimates (no benchmark of this pallet has run yet): each
//! call is a bounded decode, a few storage accesses and one registry read, weighed here
//! by those accesses plus a fixed cost; `publish` adds an Ed25519 verification, taken at
//! 250 µs (several times its native cost, for the wasm runtime).

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn publish() -> Weight;
	fn withdraw() -> Weight;
	fn prune() -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);

/// Picoseconds per microsecond.
const US: u64 = 1_000_000;

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn publish() -> Weight {
		// The registry, the genesis hash, the peer's owner and its endpoint, the
		// account's endpoint; the endpoint, the owner, and a replaced owner's endpoint.
		Weight::from_parts(290 * US, 2_600).saturating_add(T::DbWeight::get().reads_writes(6, 4))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20 * US, 1_300).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn prune() -> Weight {
		Weight::from_parts(25 * US, 1_300).saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
}

impl WeightInfo for () {
	fn publish() -> Weight {
		Weight::from_parts(290 * US, 2_600)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20 * US, 1_300)
	}
	fn prune() -> Weight {
		Weight::from_parts(25 * US, 1_300)
	}
}
