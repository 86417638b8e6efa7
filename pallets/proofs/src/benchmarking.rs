//! Benchmarks of the proof check and of the settlement's visit to one partition.
//!
//! The benchmark fragments have 2^30 segments (paths of 30 nodes) of which only the
//! challenged ones exist: every other subtree's chaining value is a stand-in, which the
//! check cannot tell from real data (it sees only the path). So a fragment's root and
//! proofs cost a few hundred hashes, not a terabyte.

use super::*;
use crate::Pallet as Proofs;
use alloc::collections::BTreeMap;
use cairn_primitives::{
	merkle,
	traits::{ProvableFragment, StorageMarket},
};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::Get,
	frame_system::{self, RawOrigin},
	sp_runtime::SaturatedConversion,
};

/// Levels of the benchmark fragments' trees.
const DEPTH: u32 = 30;
/// The seed of the benchmarked deadline.
const SEED: [u8; 32] = [7; 32];
/// Contracts of other providers in storage while a deadline is benchmarked: the cost must
/// not depend on them (`submit_proofs_over` shows it up to a million).
const BACKGROUND: u32 = 10_000;

/// The tree of a fragment of `2^DEPTH` segments that holds only the segments `contract`
/// is challenged on under [`SEED`]: nodes by `(height, index)`, leaves at height 0.
struct Sparse {
	segment_size: u32,
	nodes: BTreeMap<(u32, u64), Node>,
	challenged: Vec<u64>,
}

impl Sparse {
	/// What stands for a subtree without challenged segments.
	const STAND_IN: Node = [0xab; 32];

	fn new<T: Config>(contract: ContractId, segment_size: u32) -> Self {
		let fragment = ProvableFragment { contract, root: [0; 32], size: (segment_size as u64) << DEPTH, segment_size };
		let challenged = Proofs::<T>::segments(&SEED, &fragment);
		let mut nodes = BTreeMap::new();
		for &index in &challenged {
			let leaf = merkle::leaf(&Self::segment(segment_size, index), index, segment_size).expect("aligned segment");
			nodes.insert((0, index), leaf);
		}
		for height in 1..=DEPTH {
			let parents: Vec<u64> = nodes.range((height - 1, 0)..(height, 0)).map(|(&(_, i), _)| i / 2).collect();
			for parent in parents {
				let child = |i| nodes.get(&(height - 1, i)).copied().unwrap_or(Self::STAND_IN);
				let (left, right) = (child(2 * parent), child(2 * parent + 1));
				let merge = if height == DEPTH { merkle::root_hash } else { merkle::inner_hash };
				nodes.insert((height, parent), merge(&left, &right));
			}
		}
		Self { segment_size, nodes, challenged }
	}

	fn segment(segment_size: u32, index: u64) -> Vec<u8> {
		alloc::vec![index as u8; segment_size as usize]
	}

	fn root(&self) -> Node {
		self.nodes[&(DEPTH, 0)]
	}

	/// The proofs of the challenged segments, in the order they are drawn.
	fn proofs<S: Get<u32>, P: Get<u32>>(&self) -> Vec<SegmentProof<S, P>> {
		self.challenged
			.iter()
			.map(|&index| {
				let path: Vec<Node> = (0..DEPTH)
					.map(|h| self.nodes.get(&(h, (index >> h) ^ 1)).copied().unwrap_or(Self::STAND_IN))
					.collect();
				SegmentProof {
					segment: Self::segment(self.segment_size, index).try_into().expect("max size"),
					path: path.try_into().expect("depth"),
				}
			})
			.collect()
	}
}

/// Moves to the second block of deadline 0 of the next window and draws its seed.
fn open_deadline<T: Config>() -> (Period, u32) {
	let schedule = T::Market::schedule();
	let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
	let window = schedule.window_of(now) + 1;
	let open = schedule.open(window, 0);
	frame_system::Pallet::<T>::set_block_number((open + 1).into());
	Seeds::<T>::insert(open, SEED);
	(window, open)
}

/// A provider's partition of `c` fragments of `MaxSegmentSize`-byte segments, each of its
/// own client and root, over `background` other contracts in storage, and the answer
/// proving all of them. Returns the provider, the window, the partition and the answer.
fn proven_partition<T: Config>(c: u32, background: u32) -> (T::AccountId, Period, u32, AnswerOf<T>) {
	let provider: T::AccountId = account("provider", 0, 0);
	let size = T::MaxSegmentSize::get();
	T::BenchmarkHelper::add_background(background);
	let root_of = |contract| Sparse::new::<T>(contract, size).root();
	let index = T::BenchmarkHelper::add_fragments(&provider, c, (size as u64) << DEPTH, size, &root_of);
	let (window, _) = open_deadline::<T>();
	let at = cairn_primitives::traits::PartitionRef { provider: provider.clone(), deadline: 0, index };
	let due = T::Market::due(&at, window).expect("partition");
	assert_eq!(due.len(), c as usize);
	let answer: AnswerOf<T> = due
		.iter()
		.map(|f| {
			let proofs = Sparse::new::<T>(f.contract, size).proofs();
			Some(FragmentProof { contract: f.contract, segments: proofs.try_into().expect("per fragment") })
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
		T::BenchmarkHelper::add_fragments(&provider, T::MaxPartitionSize::get(), 1 << 20, 1024, &|_| [9; 32]);
		SettleQueue::<T>::put(BoundedVec::try_from(alloc::vec![(0, 0)]).expect("one"));
		#[block]
		{
			Proofs::<T>::settle_some();
		}
	}

	impl_benchmark_test_suite!(Proofs, crate::mock::new_test_ext(), crate::mock::Test);
}
