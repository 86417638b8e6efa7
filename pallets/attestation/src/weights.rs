//! Weights of the attestation pallet.
//!
//! `request_registration`, `post_challenge`, `activate` and `add_trusted_ca` are FRAME
//! benchmarks run in the wasm runtime (`scripts/bench-weights.sh`, 20 steps, 10 repeats,
//! on the 2-core build machine; the full output is in `benches/weights/`): an RSA-2048 EK
//! certificate under an RSA-2048 CA and an ECDSA P-256 AK from a software TPM. The other
//! calls do no cryptography and a few storage accesses; their reference times are
//! estimates with a wide margin, to be benchmarked with them.

use core::marker::PhantomData;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

/// The weight of each call.
pub trait WeightInfo {
	fn request_registration() -> Weight;
	fn post_challenge() -> Weight;
	fn activate(k: u32) -> Weight;
	fn add_trusted_ca() -> Weight;
	fn revoke_ca() -> Weight;
	fn revoke_ek() -> Weight;
	fn join_validators() -> Weight;
	fn leave_validators() -> Weight;
	fn on_initialize(requests: u32) -> Weight;
}

/// Weights for a runtime with database weights `T::DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);

/// Picoseconds per millisecond.
const MS: u64 = 1_000_000_000;

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn request_registration() -> Weight {
		// Benchmarked: 2.35 ms (minimum 1.88 ms); 11 reads, 6 writes.
		Weight::from_parts(2_345_942_000, 9188).saturating_add(T::DbWeight::get().reads_writes(11, 6))
	}
	fn post_challenge() -> Weight {
		// Benchmarked: 76 µs (the last challenge, which starts the answering phase).
		Weight::from_parts(76_402_000, 11653).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn activate(_k: u32) -> Weight {
		// Benchmarked over k = 1..=16: 2.38 ms, no measurable cost per secret (the
		// ECDSA P-256 quote check dominates; a commitment is one BLAKE2 hash).
		Weight::from_parts(2_375_640_285, 11653).saturating_add(T::DbWeight::get().reads_writes(6, 6))
	}
	fn add_trusted_ca() -> Weight {
		// Benchmarked: 1.90 ms (an RSA-2048 signature check and a certificate parse).
		Weight::from_parts(1_896_254_000, 5089).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn revoke_ca() -> Weight {
		Weight::from_parts(MS / 50, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn revoke_ek() -> Weight {
		Weight::from_parts(MS / 50, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 3))
	}
	fn join_validators() -> Weight {
		// The node, its session keys, the candidate list (up to 100 entries) and the hold.
		Weight::from_parts(MS / 20, 4_000).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn leave_validators() -> Weight {
		Weight::from_parts(MS / 20, 4_000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn on_initialize(requests: u32) -> Weight {
		// With requests due, the candidate list is read once: the runtime's validators
		// (at most 100) and whether each is attested.
		let candidates = if requests > 0 { T::DbWeight::get().reads(101) } else { Weight::zero() };
		Weight::from_parts(MS / 50, 1_000).saturating_add(candidates).saturating_add(
			Weight::from_parts(MS / 5, 4_000)
				.saturating_add(T::DbWeight::get().reads_writes(4, 4))
				.saturating_mul(requests as u64),
		)
	}
}

impl WeightInfo for () {
	fn request_registration() -> Weight {
		Weight::from_parts(8 * MS, 4_000)
	}
	fn post_challenge() -> Weight {
		Weight::from_parts(MS / 20, 2_000)
	}
	fn activate(k: u32) -> Weight {
		Weight::from_parts(8 * MS + k as u64 * MS / 50, 4_000)
	}
	fn add_trusted_ca() -> Weight {
		Weight::from_parts(8 * MS, 4_000)
	}
	fn revoke_ca() -> Weight {
		Weight::from_parts(MS / 50, 1_000)
	}
	fn revoke_ek() -> Weight {
		Weight::from_parts(MS / 50, 1_000)
	}
	fn join_validators() -> Weight {
		Weight::from_parts(MS / 20, 4_000)
	}
	fn leave_validators() -> Weight {
		Weight::from_parts(MS / 20, 4_000)
	}
	fn on_initialize(requests: u32) -> Weight {
		Weight::from_parts(MS / 50 + requests as u64 * MS / 5, 1_000)
	}
}
