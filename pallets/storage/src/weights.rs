//! Weights of the storage pallet.
//!
//! ESTIMATES, not generated: the windowed market (issue 11) changed every call, and these
//! figures are counted by hand until `scripts/bench-weights.sh pallet_storage` is run in
//! the wasm runtime and replaces them. Each counts the storage reads and writes the code
//! does, plus compute taken as 2x the old market's measured-in-wasm order of magnitude
//! (tens of microseconds per call, per contract) so that a block can never be overfull.
//! `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn set_offer() -> Weight;
	fn remove_offer() -> Weight;
	fn create_contracts(n: u32) -> Weight;
	fn accept_contract() -> Weight;
	fn cancel_contract() -> Weight;
	fn renew_contract() -> Weight;
	fn reject_contract() -> Weight;
	fn set_params() -> Weight;
	fn on_initialize(n: u32) -> Weight;
	/// Proven or missed windows of `c` contracts of one partition.
	fn settle_partition(c: u32) -> Weight;
}

/// Hand-counted estimates (see the module doc).
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
			.saturating_add(T::DbWeight::get().reads_writes(6, 5))
			.saturating_add(T::DbWeight::get().reads_writes(5, 6).saturating_mul(n.into()))
	}
	fn accept_contract() -> Weight {
		Weight::from_parts(90_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(12, 11))
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(7, 7))
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(80_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(6, 5))
	}
	fn reject_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(7, 6))
	}
	fn set_params() -> Weight {
		Weight::from_parts(20_000_000, 1_000).saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(60_000_000, 6_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
			.saturating_add(T::DbWeight::get().reads_writes(7, 7).saturating_mul(n.into()))
	}
	fn settle_partition(c: u32) -> Weight {
		Weight::from_parts(10_000_000, 4_000)
			.saturating_add(Weight::from_parts(100_000_000, 8_000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
			.saturating_add(T::DbWeight::get().reads_writes(6, 5).saturating_mul(c.into()))
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
		Weight::from_parts(90_000_000, 10_000)
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(80_000_000, 8_000)
	}
	fn reject_contract() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
	}
	fn set_params() -> Weight {
		Weight::from_parts(20_000_000, 1_000)
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(60_000_000, 6_000).saturating_mul(n.into())
	}
	fn settle_partition(c: u32) -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_mul(c.into())
	}
}
