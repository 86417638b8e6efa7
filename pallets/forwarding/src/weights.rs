//! Weights of the forwarding pallet.
//!
//! ESTIMATE (hand-made; no benchmark output behind it): no FRAME benchmark has measured
//! this pallet in the wasm runtime yet (this
//! machine has no benchmark build of the runtime: its first takes about 50 minutes). Each
//! figure is that of a measured call of `pallet-storage`
//! (`benches/weights/pallet_storage.txt`) doing the same kind of work (an offer with a
//! held bond; a contract opened with a hold; a transfer on hold), rounded up, plus an
//! sr25519 verification (about 50 µs) for `redeem`, and the storage reads and writes each
//! call makes at most. The proof sizes bound the largest values read: an offer, a
//! contract, a relay's and a client's list of contracts (256 and 8 ids in the runtime).
//! `redeem` and `close` count a transfer on hold each. `benchmarking.rs` measures every
//! call at its worst case (it runs in the mock with `--features runtime-benchmarks`);
//! replace these with its figures from the wasm runtime
//! (`scripts/bench-weights.sh pallet_forwarding`).

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn offer_relay() -> Weight;
	fn withdraw_offer() -> Weight;
	fn open() -> Weight;
	fn redeem() -> Weight;
	fn cancel() -> Weight;
	fn close() -> Weight;
}

/// Estimates for a runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn offer_relay() -> Weight {
		Weight::from_parts(70_000_000, 4_100).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn withdraw_offer() -> Weight {
		Weight::from_parts(55_000_000, 4_100).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn open() -> Weight {
		Weight::from_parts(90_000_000, 12_000).saturating_add(T::DbWeight::get().reads_writes(8, 6))
	}
	fn redeem() -> Weight {
		Weight::from_parts(180_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(5, 4))
	}
	fn cancel() -> Weight {
		Weight::from_parts(30_000_000, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn close() -> Weight {
		Weight::from_parts(90_000_000, 12_000).saturating_add(T::DbWeight::get().reads_writes(6, 6))
	}
}

impl WeightInfo for () {
	fn offer_relay() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
	}
	fn withdraw_offer() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
	}
	fn open() -> Weight {
		Weight::from_parts(80_000_000, 12_000)
	}
	fn redeem() -> Weight {
		Weight::from_parts(150_000_000, 8_000)
	}
	fn cancel() -> Weight {
		Weight::from_parts(20_000_000, 1_000)
	}
	fn close() -> Weight {
		Weight::from_parts(80_000_000, 12_000)
	}
}
