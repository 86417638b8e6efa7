//! Weights of the storage pallet.
//!
//! `SubstrateWeight` takes its figures from the FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_storage`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_storage.{txt,rs}`), each at its worst case. `settle_partition(c)`
//! is a partition of `c` contracts of `c` clients, each missing its last allowed window
//! (refund, fault fee, the rest of the collateral to the client, the contract ended); it
//! adds `cairn_primitives::DEPTH_MARGIN_PER_ACCESS` per storage access for a state of
//! 10,000,000 contracts, as the proofs pallet's answer check does. `()` is for tests.

use cairn_primitives::DEPTH_MARGIN_PER_ACCESS;
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
	/// Missed windows of `c` contracts of one partition, each its contract's last.
	fn settle_partition(c: u32) -> Weight;
}

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_offer() -> Weight {
		Weight::from_parts(68_033_000, 4069).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn remove_offer() -> Weight {
		Weight::from_parts(50_614_000, 3622).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn create_contracts(n: u32) -> Weight {
		Weight::from_parts(55_525_141, 5563)
			.saturating_add(Weight::from_parts(43_234_032, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 8))
			.saturating_add(T::DbWeight::get().writes(2).saturating_mul(n.into()))
	}
	fn accept_contract() -> Weight {
		Weight::from_parts(216_134_000, 8799).saturating_add(T::DbWeight::get().reads_writes(14, 14))
	}
	fn cancel_contract() -> Weight {
		Weight::from_parts(124_441_000, 6196).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn renew_contract() -> Weight {
		Weight::from_parts(130_025_000, 8799).saturating_add(T::DbWeight::get().reads_writes(7, 5))
	}
	fn reject_contract() -> Weight {
		Weight::from_parts(88_189_000, 5563).saturating_add(T::DbWeight::get().reads_writes(7, 7))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_648_000, 1559).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn on_initialize(n: u32) -> Weight {
		Weight::from_parts(37_798_874, 6196)
			.saturating_add(Weight::from_parts(74_905_801, 2745).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(8, 7))
			.saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into()))
	}
	fn settle_partition(c: u32) -> Weight {
		// 9 + 4c reads and 8 + 4c writes.
		Weight::from_parts(71_766_586 + 17 * DEPTH_MARGIN_PER_ACCESS, 6196)
			.saturating_add(Weight::from_parts(148_347_656 + 8 * DEPTH_MARGIN_PER_ACCESS, 3069).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(9, 8))
			.saturating_add(T::DbWeight::get().reads_writes(4, 4).saturating_mul(c.into()))
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
