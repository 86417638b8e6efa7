//! Weights of the attestation pallet.
//!
//! `request_registration`, `post_challenge`, `activate`, `add_trusted_ca` and
//! `reveal_challenge` are FRAME benchmarks run in the wasm runtime
//! (`scripts/bench-weights.sh`, 20 steps, 10 repeats, on the 2-core build machine; the
//! full output is in `benches/weights/`): an EK certificate and an ECDSA P-256 AK from a
//! software TPM. M1 and `add_trusted_ca` are benchmarked under an RSA-2048, an RSA-4096
//! and a P-384 CA, and weigh what the slowest (P-384) takes. `post_challenge` and
//! `reveal_challenge` check an sr25519 signature by the challenger key;
//! `reveal_challenge` remakes MakeCredential (one RSA-2048 OAEP encryption, KDFa,
//! AES-128-CFB, an HMAC) and closes the audit. The
//! other calls do no cryptography and a few storage accesses; their reference times are
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
	fn cancel_request() -> Weight;
	fn reveal_challenge() -> Weight;
	fn remove_validator() -> Weight;
	fn withdraw_bond() -> Weight;
	fn close_audit(k: u32) -> Weight;
	/// Folding the parent block's VRF output into the draw seed; at a period's end
	/// (`boundary` = 1) also publishing the seed and snapshotting the pool.
	fn fold_randomness(boundary: u32) -> Weight;
	/// `entries` requests or audits at their deadline, each with up to `k` seats.
	fn on_initialize(entries: u32, k: u32) -> Weight;
}

/// Weights for a runtime with database weights `T::DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);

/// Picoseconds per millisecond.
const MS: u64 = 1_000_000_000;

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn request_registration() -> Weight {
		// Benchmarked: 5.06 ms under a P-384 CA (RSA-4096: 2.71 ms, RSA-2048: 1.54 ms);
		// at most 13 reads (a chain of two CAs), 7 writes.
		Weight::from_parts(5_064_121_000, 9188).saturating_add(T::DbWeight::get().reads_writes(13, 7))
	}
	fn post_challenge() -> Weight {
		// Benchmarked: 103 µs (the challenger key's signature; the last challenge, which
		// starts the answering phase).
		Weight::from_parts(103_141_000, 11665).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn activate(k: u32) -> Weight {
		// Benchmarked over k = 1..=16: 1.31 ms + 5 µs and a seat count per secret (the
		// ECDSA P-256 quote check dominates; a commitment is one BLAKE2 hash).
		Weight::from_parts(1_311_103_473, 11665)
			.saturating_add(Weight::from_parts(5_030_230, 2527).saturating_mul(k as u64))
			.saturating_add(T::DbWeight::get().reads_writes(10 + k as u64, 8 + k as u64))
	}
	fn add_trusted_ca() -> Weight {
		// Benchmarked: 5.03 ms for a self-signed P-384 root (RSA-4096: 2.63 ms; an
		// RSA-2048 CA under its root: 1.52 ms), a certificate parse and the constraints.
		Weight::from_parts(5_030_654_000, 5089).saturating_add(T::DbWeight::get().reads_writes(4, 4))
	}
	fn revoke_ca() -> Weight {
		// Estimate: the sweep reads each of up to 100 candidates' node and up to two CAs
		// above it, and unbonds the affected.
		Weight::from_parts(MS / 5, 40_000).saturating_add(T::DbWeight::get().reads_writes(302, 102))
	}
	fn revoke_ek() -> Weight {
		Weight::from_parts(MS / 50, 4_000).saturating_add(T::DbWeight::get().reads_writes(3, 5))
	}
	fn join_validators() -> Weight {
		// The node, its session keys, the candidate list (up to 100 entries) and the hold.
		Weight::from_parts(MS / 20, 4_000).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
	fn leave_validators() -> Weight {
		Weight::from_parts(MS / 20, 4_000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn cancel_request() -> Weight {
		// Estimate: the request, its indexes, its deadline list and the hold.
		Weight::from_parts(MS / 10, 12_000).saturating_add(T::DbWeight::get().reads_writes(5, 6))
	}
	fn reveal_challenge() -> Weight {
		// Benchmarked: 0.84 ms, 6 reads, 4 writes (the challenger key's signature, the last
		// seat, which closes the audit); the reads and writes of a slash on a bad seed
		// added as an estimate.
		Weight::from_parts(843_620_000, 11109).saturating_add(T::DbWeight::get().reads_writes(10, 8))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(MS / 20, 4_000).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn withdraw_bond() -> Weight {
		Weight::from_parts(MS / 20, 1_000).saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn fold_randomness(boundary: u32) -> Weight {
		// Estimate: the VRF output and the accumulator; at a boundary the session's
		// validators (at most 100) and whether each is attested, the candidates, the
		// bench, and three writes of at most 100 accounts.
		let fold = Weight::from_parts(MS / 100, 1_000).saturating_add(T::DbWeight::get().reads_writes(2, 1));
		let publish = Weight::from_parts(MS / 5, 12_000).saturating_add(T::DbWeight::get().reads_writes(104, 4));
		fold.saturating_add(publish.saturating_mul(boundary as u64))
	}
	fn close_audit(k: u32) -> Weight {
		// Estimate: the audit and the penalty; per unrevealed seat a slash (the candidate
		// list or the unbonding bond, two hold operations) and its seat count.
		Weight::from_parts(MS / 10, 16_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 3))
			.saturating_add(T::DbWeight::get().reads_writes(6, 6).saturating_mul(k as u64))
	}
	fn on_initialize(entries: u32, k: u32) -> Weight {
		// Estimate. With entries due, the drawable set is read once: the last period's pool
		// (at most 100), the candidates, and each one's unbonding bond and open seats.
		// Each entry is a draw (the seed, k seat counts), a failed round (k seat counts,
		// the bench) or an expiry (the audit).
		let once = if entries > 0 { T::DbWeight::get().reads(202) } else { Weight::zero() };
		let per_entry = Weight::from_parts(MS / 5, 16_000)
			.saturating_add(T::DbWeight::get().reads_writes(6 + 4 * k as u64, 6 + 4 * k as u64));
		Weight::from_parts(MS / 50, 1_000).saturating_add(once).saturating_add(per_entry.saturating_mul(entries as u64))
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
	fn cancel_request() -> Weight {
		Weight::from_parts(MS / 10, 4_000)
	}
	fn reveal_challenge() -> Weight {
		Weight::from_parts(10 * MS, 4_000)
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(MS / 20, 4_000)
	}
	fn withdraw_bond() -> Weight {
		Weight::from_parts(MS / 20, 4_000)
	}
	fn close_audit(k: u32) -> Weight {
		Weight::from_parts(MS / 10 + k as u64 * MS / 20, 4_000)
	}
	fn fold_randomness(boundary: u32) -> Weight {
		Weight::from_parts(MS / 100 + boundary as u64 * MS / 5, 1_000)
	}
	fn on_initialize(entries: u32, k: u32) -> Weight {
		Weight::from_parts(MS / 50 + entries as u64 * (MS / 5 + k as u64 * MS / 50), 1_000)
	}
}
