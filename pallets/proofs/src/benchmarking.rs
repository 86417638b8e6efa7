//! Benchmarks of the proof check and of the per-period work.
//!
//! A fragment whose segments are all alike has a tree whose levels are all alike: its
//! root and every segment's path take one hash per level to build, so the benchmarks use
//! fragments of 2^30 segments (paths of 30 nodes) without storing them.

use super::*;
use crate::Pallet as Proofs;
use cairn_primitives::merkle;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{Get, Hooks},
	frame_system::{self, RawOrigin},
	sp_runtime::{SaturatedConversion, Saturating},
};

/// Levels of the benchmark fragments' trees.
const DEPTH: u32 = 30;

/// A fragment of identical `segment_size`-byte segments filled with `fill`: its segment,
/// the path of any segment, and its root.
fn uniform_fragment(fill: u8, segment_size: u32) -> (Vec<u8>, Vec<Node>, Node) {
	let segment = alloc::vec![fill; segment_size as usize];
	let mut node = merkle::leaf_hash(&segment);
	let mut path = Vec::new();
	for _ in 0..DEPTH {
		path.push(node);
		node = merkle::inner_hash(&node, &node);
	}
	(segment, path, node)
}

/// `provider` holds `f` fragments of the largest segments, and the current period has a
/// seed: returns the period.
fn provider_with_fragments<T: Config>(provider: &T::AccountId, f: u32) -> Period {
	let segment_size = T::MaxSegmentSize::get();
	for i in 0..f {
		let (_, _, root) = uniform_fragment(i as u8, segment_size);
		T::BenchmarkHelper::add_fragment(provider, root, (segment_size as u64) << DEPTH, segment_size);
	}
	let period = Proofs::<T>::current_period();
	Seeds::<T>::insert(period, [7; 32]);
	period
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Proofs of `f` fragments, `SegmentsPerFragment` segments of `MaxSegmentSize` bytes
	/// each, with 30-node paths.
	#[benchmark]
	fn submit_proofs(f: Linear<1, { T::FragmentsPerChallenge::get() }>) {
		let provider: T::AccountId = account("provider", 0, 0);
		let period = provider_with_fragments::<T>(&provider, f);
		let challenge = Proofs::<T>::challenge(&provider, period).expect("seeded");
		assert_eq!(challenge.len(), f as usize);
		let proofs: ProofsOf<T> = challenge
			.iter()
			.map(|c| {
				let fill = (0..f)
					.find(|i| uniform_fragment(*i as u8, T::MaxSegmentSize::get()).2 == c.root)
					.expect("one of ours") as u8;
				let (segment, path, _) = uniform_fragment(fill, T::MaxSegmentSize::get());
				let one = SegmentProof {
					segment: segment.try_into().expect("max size"),
					path: path.try_into().expect("depth"),
				};
				FragmentProof {
					contract: c.contract,
					segments: alloc::vec![one; c.segments.len()].try_into().expect("per fragment"),
				}
			})
			.collect::<Vec<_>>()
			.try_into()
			.expect("per challenge");
		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), period, proofs);
		assert!(Proofs::<T>::answered(&provider, period));
	}

	/// Settling a provider that did not answer: its challenge is drawn again.
	#[benchmark]
	fn settle_provider() {
		let provider: T::AccountId = account("provider", 0, 0);
		let period = provider_with_fragments::<T>(&provider, T::FragmentsPerChallenge::get());
		#[block]
		{
			Proofs::<T>::settle(&provider, period);
		}
	}

	/// A period's first block: a seed, and `n` answers nobody settled cleared.
	#[benchmark]
	fn new_period(n: Linear<0, { T::MaxProviders::get() }>) {
		let period: Period = 5;
		for i in 0..n {
			let who: T::AccountId = account("provider", i, 0);
			Answers::<T>::insert(
				period - 2,
				who,
				Answer { challenged: Default::default(), proven: Default::default() },
			);
		}
		let first = T::ChallengePeriod::get().saturating_mul(period.saturated_into());
		frame_system::Pallet::<T>::set_block_number(first);
		#[block]
		{
			Proofs::<T>::on_initialize(first);
		}
		assert!(Seeds::<T>::contains_key(period));
		assert_eq!(Answers::<T>::iter_prefix(period - 2).count(), 0);
	}

	impl_benchmark_test_suite!(Proofs, crate::mock::new_test_ext(), crate::mock::Test);
}
