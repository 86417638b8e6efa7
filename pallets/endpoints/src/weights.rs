//! Weights of the endpoints pallet.
//!
//! PROVISIONAL, hand-counted (no benchmark of this pallet has run yet): each call is a
//! bounded decode, one or two storage accesses and one registry read, weighed here by
//! those accesses plus a fixed cost.

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
		Weight::from_parts(40 * US, 1_300).saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20 * US, 1_300).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn prune() -> Weight {
		Weight::from_parts(25 * US, 1_300).saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}
}

impl WeightInfo for () {
	fn publish() -> Weight {
		Weight::from_parts(40 * US, 1_300)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20 * US, 1_300)
	}
	fn prune() -> Weight {
		Weight::from_parts(25 * US, 1_300)
	}
}
