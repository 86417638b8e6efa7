//! # Fragment proofs pallet
//!
//! Providers prove, in every proving window, every fragment they are paid for
//! (Filecoin's WindowPoSt shape; the schedule is [`ProvingSchedule`], set by the market).
//!
//! - **Deadlines.** A window is cut into deadlines; each active contract belongs to one
//!   partition of its provider in one deadline, fixed at acceptance. A contract accepted in
//!   window `w` is first due in window `w + 1`, so a deadline's contract set is frozen
//!   when its window begins.
//! - **Challenges.** In the block after a deadline opens, the pallet draws the deadline's
//!   seed from the runtime's randomness (BABE's VRF output of the deadline's first block,
//!   made after the freeze). Each due fragment's challenge, `SegmentsPerFragment` segment
//!   indices, is derived from the seed and the contract id when asked, never stored.
//! - **Proofs.** During the deadline the provider's node sends one `submit_proofs` per
//!   partition: for each due contract, in order, its segments with Merkle paths, or
//!   `None` to declare the fragment lost for the window. Every proof sent must verify, or
//!   the whole transaction fails (and pays its fee). An accepted answer is free; the
//!   market pays proven contracts and faults declared ones at once. Proofs are
//!   operational transactions: ordinary ones cannot fill the block space they need.
//! - **Settlement.** Once a deadline closes, the pallet walks that deadline's partitions,
//!   `SettlePerBlock` per block, and the market faults every due contract of a partition
//!   that was not answered. The work per block depends on the partitions due, never on
//!   the number of providers or contracts in all.
//!
//! Bias that remains: the author of a deadline's first block knows its VRF output before
//! publishing and may withhold the block (losing its reward) to let the next slot's
//! author draw instead. That chooses between seeds, never which contracts are due, so
//! it helps only a provider that keeps part of a fragment, and at most doubles its odds
//! of passing one window.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use cairn_primitives::{
	merkle::Node,
	traits::{ProvableFragment, ProvingSchedule},
	ContractId, Period,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::frame_support::{
	pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;

/// A segment and its Merkle path.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxSegment, MaxPath))]
pub struct SegmentProof<MaxSegment: Get<u32>, MaxPath: Get<u32>> {
	pub segment: BoundedVec<u8, MaxSegment>,
	pub path: BoundedVec<Node, MaxPath>,
}

/// The proof of one due fragment: its challenged segments in the challenge's order.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxSegment, MaxPath, MaxSegments))]
pub struct FragmentProof<MaxSegment: Get<u32>, MaxPath: Get<u32>, MaxSegments: Get<u32>> {
	pub contract: ContractId,
	pub segments: BoundedVec<SegmentProof<MaxSegment, MaxPath>, MaxSegments>,
}

/// One due fragment: which segments to prove.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct Challenge {
	pub contract: ContractId,
	pub root: Node,
	pub size: u64,
	pub segment_size: u32,
	/// Segment indices, in the order the proofs must follow.
	pub segments: Vec<u64>,
}

/// One of a provider's partitions in the current deadline.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct PartitionChallenge {
	pub index: u32,
	/// Whether its answer for this window was accepted.
	pub answered: bool,
	/// Its due fragments, in the order the answer must follow.
	pub fragments: Vec<Challenge>,
}

/// What a provider's node needs to answer the deadline in progress.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct DeadlineChallenge {
	pub schedule: ProvingSchedule,
	pub window: Period,
	pub deadline: u32,
	/// Proofs are taken in blocks `open + 1 .. close`.
	pub open: u32,
	pub close: u32,
	/// `None` until the seed is drawn (in block `open + 1`).
	pub partitions: Option<Vec<PartitionChallenge>>,
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Gives `provider` `count` fragments under active contracts, each of its own client
	/// and of root `root_of(contract)`, due in deadline 0 of the current window's
	/// successor and ending with it; returns the partition index.
	fn add_fragments(
		provider: &AccountId,
		count: u32,
		size: u64,
		segment_size: u32,
		root_of: &dyn Fn(ContractId) -> Node,
	) -> u32;
	/// Adds `count` other contracts in storage (other providers, other deadlines).
	fn add_background(count: u32);
}

/// A random `u64` from a deadline's seed, a contract and a counter.
fn draw(seed: &[u8; 32], contract: ContractId, counter: u64) -> u64 {
	let hash = cairn_primitives::blake2_256(&(b"cairn/challenge", seed, contract, counter).encode());
	u64::from_le_bytes(hash[..8].try_into().expect("8 bytes"))
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::{
		merkle,
		traits::{PartitionRef, StorageMarket},
	};
	use polkadot_sdk::{
		frame_support::{pallet_prelude::*, traits::Randomness},
		frame_system::{self, pallet_prelude::*},
		sp_runtime::SaturatedConversion,
	};

	pub type ProofOf<T> =
		FragmentProof<<T as Config>::MaxSegmentSize, <T as Config>::MaxPathLength, <T as Config>::SegmentsPerFragment>;
	pub type AnswerOf<T> = BoundedVec<Option<ProofOf<T>>, <T as Config>::MaxPartitionSize>;

	/// 1: seeds per deadline, per-partition answers, settlement per deadline.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The storage market: schedule, partitions and settlement.
		type Market: StorageMarket<Self::AccountId>;
		/// Randomness from the parent block: BABE's VRF output (`None` only in the first
		/// block, where the parent hash stands in).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
		/// Segments challenged per fragment per window.
		#[pallet::constant]
		type SegmentsPerFragment: Get<u32>;
		/// The largest segment (the market's bound).
		#[pallet::constant]
		type MaxSegmentSize: Get<u32>;
		/// The longest Merkle path: 40 covers 2^40 segments.
		#[pallet::constant]
		type MaxPathLength: Get<u32>;
		/// Contracts per partition (the market's bound).
		#[pallet::constant]
		type MaxPartitionSize: Get<u32>;
		/// Partitions settled per block after their deadline closed.
		#[pallet::constant]
		type SettlePerBlock: Get<u32>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each deadline's seed, by the block the deadline opened at (the last two are kept).
	#[pallet::storage]
	pub type Seeds<T> = StorageMap<_, Twox64Concat, u32, [u8; 32]>;

	/// Deadlines waiting to be settled, `(window, deadline)`, oldest first.
	#[pallet::storage]
	pub type SettleQueue<T> = StorageValue<_, BoundedVec<(Period, u32), ConstU32<8>>, ValueQuery>;

	/// The storage key of the last partition settled of the queue's first deadline.
	#[pallet::storage]
	pub type SettleCursor<T> = StorageValue<_, BoundedVec<u8, ConstU32<256>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider`'s answer for a partition was checked: `proven` contracts proven,
		/// `faulty` declared lost for the window.
		ProofsAccepted { provider: T::AccountId, window: Period, deadline: u32, partition: u32, proven: u32, faulty: u32 },
		/// Deadline `deadline` of `window` was settled: `faulted` contracts of unanswered
		/// partitions missed the window.
		DeadlineSettled { window: Period, deadline: u32, faulted: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The deadline's answer window has passed.
		DeadlineClosed,
		/// The deadline's answer window has not begun (its seed is drawn in the block after
		/// it opens).
		DeadlineNotOpen,
		/// No such deadline in the schedule.
		BadDeadline,
		/// The provider has no such partition.
		UnknownPartition,
		/// The partition has no contract due in this window.
		NothingToProve,
		/// The partition was already answered for this window.
		AlreadySubmitted,
		/// The answer does not have one entry per due contract.
		WrongProofCount,
		/// An entry names another contract than the one due at its place.
		WrongContract,
		/// A fragment's proof does not have one segment per challenged index.
		WrongSegmentCount,
		/// A segment does not hash to the contract's root along its path.
		InvalidProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// In the block after a deadline opens: draws its seed. In the block a deadline
		/// closes: queues its settlement. Every block: settles up to `SettlePerBlock`
		/// partitions.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let now: u32 = now.saturated_into();
			let schedule = T::Market::schedule();
			let len = schedule.deadline_len();
			let mut weight = T::DbWeight::get().reads(2);
			if now % len == 1 {
				let open = now - 1;
				let (random, _) = T::Randomness::random(b"cairn/proofs");
				let random = random.unwrap_or_else(frame_system::Pallet::<T>::parent_hash);
				Seeds::<T>::insert(open, cairn_primitives::blake2_256(&(open, random).encode()));
				if let Some(old) = open.checked_sub(2 * len) {
					Seeds::<T>::remove(old);
				}
				weight = weight.saturating_add(T::DbWeight::get().writes(2));
			}
			if now % len == 0 && now >= len {
				let closed = schedule.deadline_at(now - len);
				let pushed = SettleQueue::<T>::mutate(|q| q.try_push((closed.window, closed.deadline)).is_ok());
				if !pushed {
					// Cannot happen while the market bounds a deadline's partitions by
					// `SettlePerBlock` times its length; contracts of a dropped
					// deadline are faulted at their next settlement.
					log::error!(target: "runtime::proofs", "settlement queue full; deadline {closed:?} dropped");
				}
				weight = weight.saturating_add(T::DbWeight::get().reads_writes(1, 1));
			}
			weight.saturating_add(Self::settle_some())
		}

		fn integrity_test() {
			assert!(T::SegmentsPerFragment::get() > 0, "a proof shows at least one segment");
			assert!(T::SettlePerBlock::get() > 0, "settlement must make progress");
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by a provider during deadline `deadline` of `window`: the answer for its
		/// partition `partition`, one entry per due contract in the challenge's order,
		/// each the segments the challenge names with their Merkle paths, or `None` to
		/// declare the fragment lost for the window (a miss, without the cost of a wrong
		/// proof). Every proof sent must verify. Free when accepted; an operational
		/// transaction. Emits `ProofsAccepted`.
		#[pallet::call_index(0)]
		#[pallet::weight((Pallet::<T>::answer_weight(answer), DispatchClass::Operational))]
		pub fn submit_proofs(
			origin: OriginFor<T>,
			window: Period,
			deadline: u32,
			partition: u32,
			answer: AnswerOf<T>,
		) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			let schedule = T::Market::schedule();
			ensure!(deadline < schedule.deadlines, Error::<T>::BadDeadline);
			let open = schedule.open(window, deadline);
			let now: u32 = frame_system::Pallet::<T>::block_number().saturated_into();
			ensure!(now > open, Error::<T>::DeadlineNotOpen);
			ensure!(now < open.saturating_add(schedule.deadline_len()), Error::<T>::DeadlineClosed);
			let seed = Seeds::<T>::get(open).ok_or(Error::<T>::DeadlineNotOpen)?;
			let at = PartitionRef { provider: provider.clone(), deadline, index: partition };
			let due = T::Market::due(&at, window).ok_or(Error::<T>::UnknownPartition)?;
			ensure!(!due.is_empty(), Error::<T>::NothingToProve);
			ensure!(!T::Market::answered(&at, window), Error::<T>::AlreadySubmitted);
			ensure!(answer.len() == due.len(), Error::<T>::WrongProofCount);
			let mut proven = Vec::with_capacity(due.len());
			for (fragment, entry) in due.iter().zip(&answer) {
				let Some(proof) = entry else {
					proven.push(false);
					continue;
				};
				ensure!(proof.contract == fragment.contract, Error::<T>::WrongContract);
				let segments = Self::segments(&seed, fragment);
				ensure!(proof.segments.len() == segments.len(), Error::<T>::WrongSegmentCount);
				for (index, segment) in segments.iter().zip(&proof.segments) {
					ensure!(Self::verify(fragment, *index, segment), Error::<T>::InvalidProof);
				}
				proven.push(true);
			}
			T::Market::record_proofs(&at, window, &proven);
			let count = proven.iter().filter(|p| **p).count() as u32;
			Self::deposit_event(Event::ProofsAccepted {
				provider,
				window,
				deadline,
				partition,
				proven: count,
				faulty: proven.len() as u32 - count,
			});
			Ok(polkadot_sdk::frame_support::dispatch::PostDispatchInfo {
				actual_weight: Some(Self::answer_weight(&answer)),
				pays_fee: Pays::No,
			})
		}
	}

	impl<T: Config> Pallet<T> {
		/// What an answer costs: the check with the market's costliest path for each proven
		/// contract (paid and ended), plus the market's path of a lost fragment for each
		/// declared loss.
		pub fn answer_weight(answer: &AnswerOf<T>) -> Weight {
			let lost = answer.iter().filter(|entry| entry.is_none()).count() as u32;
			let check = T::WeightInfo::submit_proofs(answer.len() as u32);
			if lost == 0 {
				check
			} else {
				check.saturating_add(T::Market::settle_weight(lost))
			}
		}

		/// The segment indices a fragment must show for a deadline with `seed`.
		pub fn segments(seed: &[u8; 32], fragment: &ProvableFragment) -> Vec<u64> {
			(0..T::SegmentsPerFragment::get() as u64)
				.map(|j| draw(seed, fragment.contract, j) % fragment.segments().max(1))
				.collect()
		}

		/// Whether `proof` shows segment `index` of the fragment.
		fn verify(
			f: &ProvableFragment,
			index: u64,
			proof: &SegmentProof<T::MaxSegmentSize, T::MaxPathLength>,
		) -> bool {
			merkle::verify_segment(&f.root, f.size, f.segment_size, index, &proof.segment, &proof.path)
		}

		/// Settles up to `SettlePerBlock` partitions of the oldest queued deadline.
		pub(crate) fn settle_some() -> Weight {
			let mut queue = SettleQueue::<T>::get();
			let Some(&(window, deadline)) = queue.first() else { return Weight::zero() };
			let mut cursor = SettleCursor::<T>::get().map(|c| c.into_inner());
			let mut weight = T::DbWeight::get().reads_writes(2, 2);
			let mut faulted = 0u32;
			let mut done = true;
			// One look past the block's budget, so that a deadline whose last partition is
			// visited here ends here (a deadline holds `SettlePerBlock` per block of its
			// length, and must be settled within that many blocks).
			for visit in 0..=T::SettlePerBlock::get() {
				let Some((partition, key)) = T::Market::next_partition(deadline, cursor.as_deref()) else {
					done = true;
					break;
				};
				if visit == T::SettlePerBlock::get() {
					done = false;
					weight = weight.saturating_add(T::DbWeight::get().reads(1));
					break;
				}
				let settled = T::Market::settle_unanswered(&partition, window);
				faulted = faulted.saturating_add(settled);
				weight = weight.saturating_add(T::WeightInfo::settle_partition());
				if settled > 0 {
					weight = weight.saturating_add(T::Market::settle_weight(settled));
				}
				cursor = Some(key);
				done = false;
			}
			if done {
				queue.remove(0);
				SettleQueue::<T>::put(queue);
				SettleCursor::<T>::kill();
				Self::deposit_event(Event::DeadlineSettled { window, deadline, faulted });
			} else {
				match cursor.and_then(|c| BoundedVec::try_from(c).ok()) {
					Some(c) => SettleCursor::<T>::put(c),
					None => SettleCursor::<T>::kill(),
				}
				if faulted > 0 {
					Self::deposit_event(Event::DeadlineSettled { window, deadline, faulted });
				}
			}
			weight
		}

		/// What `provider`'s node must answer in the deadline that block `at` falls in.
		pub fn deadline_challenge(provider: &T::AccountId, at: u32) -> DeadlineChallenge {
			let schedule = T::Market::schedule();
			let now = schedule.deadline_at(at);
			let close = now.open.saturating_add(schedule.deadline_len());
			let partitions = Seeds::<T>::get(now.open).map(|seed| {
				T::Market::partitions_of(provider, now.deadline)
					.into_iter()
					.filter_map(|index| {
						let at = PartitionRef { provider: provider.clone(), deadline: now.deadline, index };
						let due = T::Market::due(&at, now.window)?;
						Some(PartitionChallenge {
							index,
							answered: T::Market::answered(&at, now.window),
							fragments: due
								.iter()
								.map(|f| Challenge {
									contract: f.contract,
									root: f.root,
									size: f.size,
									segment_size: f.segment_size,
									segments: Self::segments(&seed, f),
								})
								.collect(),
						})
					})
					.filter(|p| !p.fragments.is_empty())
					.collect()
			});
			DeadlineChallenge {
				schedule,
				window: now.window,
				deadline: now.deadline,
				open: now.open,
				close,
				partitions,
			}
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Challenges for providers' nodes.
	pub trait ProofsApi<AccountId> where AccountId: codec::Codec {
		/// What `provider` must answer in the deadline of the next block (the block its
		/// transactions can enter first).
		fn deadline_challenge(provider: AccountId) -> DeadlineChallenge;
	}
}
