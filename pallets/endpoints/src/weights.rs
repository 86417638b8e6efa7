//! Weights of the endpoints pallet.
//!
//! `SubstrateWeight` takes its figures from the FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh pallet_endpoints`, 20 steps, 10 repeats; raw output in
//! `benches/weights/pallet_endpoints.{txt,rs}`), each at its worst case: `publish` with
//! eight 128-byte DNS addresses, an Ed25519 signature, and a peer id taken over from
//! another node while the caller's own old endpoint is replaced. `()` is for tests.
//!
//! `publish_apps` is an **estimate**, not measured: it came with the apps' listing and
//! the benchmark build (~50 min on 2 cores) was not run for it yet; its benchmark is in
//! `benchmarking.rs`. It does less than `publish` (no signature check, no address
//! parsing; up to 32 names of 32 bytes compared and one origin of 128 bytes scanned), so
//! it is charged `withdraw`'s measured time twice plus 1 µs a name, and the reads and
//! writes it makes (the registry's attestation, the endpoint, the listing). `withdraw`,
//! `prune` and `publish` (taking a peer id over) also remove a listing now: one read and one write are added to their
//! measured figures (estimate, for the same reason).

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn publish() -> Weight;
	fn withdraw() -> Weight;
	fn prune() -> Weight;
	fn publish_apps(n: u32) -> Weight;
}

/// The proof size of a listing: its key and its largest value (origin, names, expiry).
const APPS_PROOF: u64 = 48 + 130 + 1 + 32 * 33 + 4;

/// Measured in the wasm runtime (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn publish() -> Weight {
		Weight::from_parts(107_691_000, 8258 + APPS_PROOF).saturating_add(T::DbWeight::get().reads_writes(9, 5))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(21_479_000, 4624 + APPS_PROOF).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn prune() -> Weight {
		Weight::from_parts(22_981_000, 4624 + APPS_PROOF).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn publish_apps(n: u32) -> Weight {
		Weight::from_parts(43_000_000 + 1_000_000 * u64::from(n), 4624 + APPS_PROOF)
			.saturating_add(T::DbWeight::get().reads_writes(3, 1))
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
	fn publish_apps(_: u32) -> Weight {
		Weight::from_parts(50_000_000, 1_300)
	}
}
