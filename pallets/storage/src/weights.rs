//! Weights of the storage pallet.
//!
//! `SubstrateWeight` takes its figures from the FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_storage`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_storage.{txt,rs}`), each at its worst case. One adjustment:
//! the benchmark of `settle_partition(c)` has one client and one provider, so their
//! accounts' reads and writes fall into its constant; contracts of a real partition have
//! many clients, so 2 reads and 3 writes per contract are added for the client's account
//! and holds (an estimate, counted from the code). `()` is for tests.

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

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_offer() -> Weight {
		Weight::from_parts(93_970_000, 4064).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn remove_offer() -> Weight {
		Weight::from_parts(70_752_000, 3622).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn create_contracts(n: u32) -> Weight {
		Weight::from_parts(51_665_182, 5563)
			.saturating_add(Weight::from_parts(60_337_127, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 8))
			.saturating_add(T::DbWeight::get().writes(2).saturating_mul(n.into()))
	}
	fn accept_contract() -> Weight {
		Weight::from_parts(240_932_000, 6254).saturating_add(T::DbWeight::get().reads_writes(13, 13))
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(168_970_000, 6196).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(187_596_000, 6254).saturating_add(T::DbWeight::get().reads_writes(7, 5))
	}
	fn reject_contract() -> Weight {
		Weight::from_parts(122_813_000, 5563).saturating_add(T::DbWeight::get().reads_writes(7, 7))
	}
	fn set_params() -> Weight {
		Weight::from_parts(17_086_000, 1559).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(28_331_763, 6196)
			.saturating_add(Weight::from_parts(132_708_771, 2745).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(8, 7))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn settle_partition(c: u32) -> Weight {
		Weight::from_parts(112_461_428, 6254)
			.saturating_add(Weight::from_parts(187_672_455, 2745).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(11, 10))
			// 2 + 2 measured, and the adjustment of the module doc.
			.saturating_add(T::DbWeight::get().reads_writes(4, 5).saturating_mul(c.into()))
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
