//! Weights of the invites pallet.
//!
//! `SubstrateWeight` is an **estimate**, not yet measured: `benchmarking.rs` holds the
//! benchmarks (`scripts/bench-weights.sh pallet_invites` runs them in the wasm runtime),
//! and until their output is committed in `benches/weights/` the figures below are set
//! from the measured calls of the other pallets that do the same work: `revoke`/`reap`
//! release a balance and write two map entries, like pallet-endpoints' `withdraw`/`prune`
//! (21-23 µs measured) plus a hold; `create` adds an sr25519 check (the proof of
//! possession), and `redeem` checks one in the pool and again in the block, as
//! pallet-attestation's `post_challenge` does once (103 µs measured,
//! `benches/weights/pallet_attestation.txt`), then moves a held balance and may create an
//! account. Each is rounded up about twofold.
//! `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	fn create() -> Weight;
	fn redeem() -> Weight;
	fn revoke() -> Weight;
	fn reap() -> Weight;
}

/// Estimated (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create() -> Weight {
		Weight::from_parts(200_000_000, 12_000).saturating_add(T::DbWeight::get().reads_writes(6, 5))
	}
	fn redeem() -> Weight {
		Weight::from_parts(400_000_000, 16_000).saturating_add(T::DbWeight::get().reads_writes(7, 6))
	}
	fn revoke() -> Weight {
		Weight::from_parts(90_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn reap() -> Weight {
		Weight::from_parts(90_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
}

impl WeightInfo for () {
	fn create() -> Weight {
		Weight::from_parts(200_000_000, 12_000)
	}
	fn redeem() -> Weight {
		Weight::from_parts(400_000_000, 16_000)
	}
	fn revoke() -> Weight {
		Weight::from_parts(90_000_000, 8_000)
	}
	fn reap() -> Weight {
		Weight::from_parts(90_000_000, 8_000)
	}
}
