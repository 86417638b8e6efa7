//! Weights of the fragment proofs pallet.
//!
//! ESTIMATES, not generated: `submit_proofs` and the settlement changed with the windowed
//! market (issue 11), and these figures are counted by hand until
//! `scripts/bench-weights.sh pallet_fragment_proofs` is run in the wasm runtime and
//! replaces them. `submit_proofs(c)` counts, per contract, the market's reads of the
//! partition and the contract and two Merkle checks (two BLAKE2b leaf hashes of up to
//! 4 KiB and 40 node hashes), taken at 2x the native figure of the old benchmark; the
//! market's settlement of the proven contracts is added by the pallet from
//! `StorageMarket::settle_weight`. `()` is for tests.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

pub trait WeightInfo {
	/// Checking an answer of `c` fragments (without the market's settlement).
	fn submit_proofs(c: u32) -> Weight;
	/// Visiting one partition in the settlement (without the market's settlement).
	fn settle_partition() -> Weight;
}

/// Hand-counted estimates (see the module doc).
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_proofs(c: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(Weight::from_parts(60_000_000, 10_000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().reads(1).saturating_mul(c.into()))
	}
	fn settle_partition() -> Weight {
		Weight::from_parts(15_000_000, 4_000).saturating_add(T::DbWeight::get().reads(2))
	}
}

impl WeightInfo for () {
	fn submit_proofs(c: u32) -> Weight {
		Weight::from_parts(60_000_000, 10_000).saturating_mul(c.into())
	}
	fn settle_partition() -> Weight {
		Weight::from_parts(15_000_000, 4_000)
	}
}
