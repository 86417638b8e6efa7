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
/// not depend on them (`submit_proofs_over` shows it up to a million).
const BACKGROUND: u32 = 10_000;

/// A fragment of identical `segment_size`-byte segments filled with `fill`: its segment,
/// the path of any segment, and its root.
fn uniform_fragment(segment_size: u32, fill: u8) -> (Vec<u8>, Vec<Node>, Node) {
	let segment = alloc::vec![fill; segment_size as usize];
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

/// A provider's partition of `c` fragments of `MaxSegmentSize`-byte segments, each of its
/// own client and root, over `background` other contracts in storage, and the answer
/// proving all of them. Returns the provider, the window, the partition and the answer.
fn proven_partition<T: Config>(c: u32, background: u32) -> (T::AccountId, Period, u32, AnswerOf<T>) {
	let provider: T::AccountId = account("provider", 0, 0);
	let size = T::MaxSegmentSize::get();
	let fragments: Vec<_> = (0..c).map(|i| uniform_fragment(size, i as u8)).collect();
	let roots: Vec<Node> = fragments.iter().map(|(_, _, root)| *root).collect();
	T::BenchmarkHelper::add_background(background);
	let index = T::BenchmarkHelper::add_fragments(&provider, &roots, (size as u64) << DEPTH, size);
	let (window, _) = open_deadline::<T>();
	let at = cairn_primitives::traits::PartitionRef { provider: provider.clone(), deadline: 0, index };
	let due = T::Market::due(&at, window).expect("partition");
	assert_eq!(due.len(), c as usize);
	let answer: AnswerOf<T> = due
		.iter()
		.zip(fragments)
		.map(|(f, (segment, path, _))| {
			let one = SegmentProof { segment: segment.try_into().expect("max size"), path: path.try_into().expect("depth") };
			Some(FragmentProof {
				contract: f.contract,
				segments: alloc::vec![one; T::SegmentsPerFragment::get() as usize].try_into().expect("per fragment"),
			})
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("per partition");
	(provider, window, index, answer)
}

/// Whether the last answer proved `c` contracts of the partition.
fn accepted<T: Config>(provider: T::AccountId, window: Period, partition: u32, c: u32) -> bool {
	let expected: <T as frame_system::Config>::RuntimeEvent =
		Event::<T>::ProofsAccepted { provider, window, deadline: 0, partition, proven: c, faulty: 0 }.into();
	frame_system::Pallet::<T>::events().iter().any(|r| r.event == expected)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// An answer for a partition of `c` fragments, `SegmentsPerFragment` segments of
	/// `MaxSegmentSize` bytes each, with 30-node paths, over 10,000 other contracts. Each
	/// contract has a client and a root of its own and is in its last window, so the market
	/// pays it and ends it: the costliest path of a proven contract.
	#[benchmark]
	fn submit_proofs(c: Linear<1, { T::MaxPartitionSize::get() }>) {
		let (provider, window, index, answer) = proven_partition::<T>(c, BACKGROUND);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), window, 0, index, answer);
		assert!(accepted::<T>(provider, window, index, c));
	}

	/// A full partition's answer over `n` thousand other contracts in storage: the cost of
	/// a deadline must not grow with the chain's contracts in all. Run on its own, at 10
	/// and 1,000 (`scripts/bench-weights.sh pallet_fragment_proofs`).
	#[benchmark]
	fn submit_proofs_over(n: Linear<10, 1_000>) {
		let c = T::MaxPartitionSize::get();
		let (provider, window, index, answer) = proven_partition::<T>(c, n * 1_000);
		#[extrinsic_call]
		submit_proofs(RawOrigin::Signed(provider.clone()), window, 0, index, answer);
		assert!(accepted::<T>(provider, window, index, c));
	}

	/// The settlement's visit to one unanswered partition whose contracts are all read and
	/// none is due (they joined in this window): the market's work for contracts that are
	/// due is weighed by the market.
	#[benchmark]
	fn settle_partition() {
		let provider: T::AccountId = account("provider", 0, 0);
		let roots: Vec<Node> = (0..T::MaxPartitionSize::get()).map(|i| uniform_fragment(1024, i as u8).2).collect();
		T::BenchmarkHelper::add_fragments(&provider, &roots, 1 << 20, 1024);
		SettleQueue::<T>::put(BoundedVec::try_from(alloc::vec![(0, 0)]).expect("one"));
		#[block]
		{
			Proofs::<T>::settle_some();
		}
	}

	impl_benchmark_test_suite!(Proofs, crate::mock::new_test_ext(), crate::mock::Test);
}
