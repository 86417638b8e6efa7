//! Benchmarks of the proof check and of the settlement's visit to one partition.
//!
//! A fragment whose segments are all alike has a tree whose levels are all alike: its
//! root and every segment's path take one hash per level to build, so the benchmarks use
//! fragments of 2^30 segments (paths of 30 nodes) without storing them.

use super::*;
use crate::Pallet as Proofs;
use cairn_primitives::{merkle, traits::StorageMarket};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::Get,
	frame_system::{self, RawOrigin},
	sp_runtime::SaturatedConversion,
};

/// Levels of the benchmark fragments' trees.
const DEPTH: u32 = 30;
/// Contracts of other providers in storage while a deadline is benchmarked: the cost must
/// not depend on them.
const BACKGROUND: u32 = 10_000;

/// A fragment of identical `segment_size`-byte segments: its segment, the path of any
/// segment, and its root.
fn uniform_fragment(segment_size: u32) -> (Vec<u8>, Vec<Node>, Node) {
	let segment = alloc::vec![7u8; segment_size as usize];
	let mut node = merkle::leaf_hash(&segment);
	let mut path = Vec::new();
	for _ in 0..DEPTH {
		path.push(node);
		node = merkle::inner_hash(&node, &node);
	}
	(segment, path, node)
}

/// Moves to the second block of deadline 0 of the next window and draws its seed.
fn open_deadline<T: Config>() -> (Period, u32) {
	let schedule = T::Market::schedule();
	let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
	let window = schedule.window_of(now) + 1;
	let open = schedule.open(window, 0);
	frame_system::Pallet::<T>::set_block_number((open + 1).into());
	Seeds::<T>::insert(open, [7; 32]);
	(window, open)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// An answer for a partition of `c` fragments, `SegmentsPerFragment` segments of
	/// `MaxSegmentSize` bytes each, with 30-node paths, over 10,000 other contracts.
	#[benchmark]
	fn submit_proofs(c: Linear<1, { T::MaxPartitionSize::get() }>) {
		let provider: T::AccountId = account("provider", 0, 0);
		let size = T::MaxSegmentSize::get();
		let (segment, path, root) = uniform_fragment(size);
		T::BenchmarkHelper::add_background(BACKGROUND);
		let index = T::BenchmarkHelper::add_fragments(&provider, root, (size as u64) << DEPTH, size, c);
		let (window, _) = open_deadline::<T>();
		let one = SegmentProof { segment: segment.try_into().expect("max size"), path: path.try_into().expect("depth") };
		let at = cairn_primitives::traits::PartitionRef { provider: provider.clone(), deadline: 0, index };
		let due = T::Market::due(&at, window).expect("partition");
		assert_eq!(due.len(), c as usize);
		let answer: AnswerOf<T> = due
			.iter()
			.map(|f| {
				Some(FragmentProof {
					contract: f.contract,
					segments: alloc::vec![one.clone(); T::SegmentsPerFragment::get() as usize]
						.try_into()
						.expect("per fragment"),
				})
			})
			.collect::<Vec<_>>()
			.try_into()
			.expect("per partition");
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), window, 0, index, answer);
		assert!(T::Market::answered(&at, window));
	}

	/// The settlement's visit to one partition (the market's work for its contracts is
	/// weighed by the market).
	#[benchmark]
	fn settle_partition() {
		let provider: T::AccountId = account("provider", 0, 0);
		let (_, _, root) = uniform_fragment(1024);
		T::BenchmarkHelper::add_fragments(&provider, root, 1 << 20, 1024, 1);
		SettleQueue::<T>::put(BoundedVec::try_from(alloc::vec![(0, 0)]).expect("one"));
		#[block]
		{
			Proofs::<T>::settle_some();
		}
	}

	impl_benchmark_test_suite!(Proofs, crate::mock::new_test_ext(), crate::mock::Test);
}
