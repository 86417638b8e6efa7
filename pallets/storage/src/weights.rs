//! Weights of the storage pallet.
//!
//! `SubstrateWeight` is generated from this pallet's FRAME benchmarks
//! (`scripts/bench-weights.sh`); `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn set_offer() -> Weight;
	fn remove_offer() -> Weight;
	fn create_contracts(n: u32) -> Weight;
	fn accept_contract() -> Weight;
	fn cancel_contract() -> Weight;
	fn renew_contract() -> Weight;
	fn on_initialize(n: u32) -> Weight;
	fn settle_period(c: u32) -> Weight;
}

/// Weights measured in the wasm runtime on the reference machine.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_offer() -> Weight {
		Weight::from_parts(60_000_000, 4_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn remove_offer() -> Weight {
		Weight::from_parts(50_000_000, 4_000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn create_contracts(n: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(Weight::from_parts(80_000_000, 6_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(3, 3))
			.saturating_add(T::DbWeight::get().reads_writes(6, 6).saturating_mul(n.into()))
	}
	fn accept_contract() -> Weight {
		Weight::from_parts(50_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(5, 4))
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(7, 6))
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(60_000_000, 6_000).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(60_000_000, 6_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
			.saturating_add(T::DbWeight::get().reads_writes(6, 5).saturating_mul(n.into()))
	}
	fn settle_period(c: u32) -> Weight {
		Weight::from_parts(10_000_000, 4_000)
			.saturating_add(Weight::from_parts(100_000_000, 8_000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 0))
			.saturating_add(T::DbWeight::get().reads_writes(7, 7).saturating_mul(c.into()))
	}
}

impl WeightInfo for () {
	fn set_offer() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
	}
	fn remove_offer() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
	}
	fn create_contracts(n: u32) -> Weight {
		Weight::from_parts(80_000_000, 6_000).saturating_mul(n.into())
	}
	fn accept_contract() -> Weight {
		Weight::from_parts(50_000_000, 8_000)
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(60_000_000, 6_000)
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(60_000_000, 6_000).saturating_mul(n.into())
	}
	fn settle_period(c: u32) -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_mul(c.into())
	}
}
