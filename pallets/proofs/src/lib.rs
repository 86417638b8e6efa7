//! # Fragment proofs pallet
//!
//! Providers prove, every challenge period, that they still hold the fragments they are
//! paid for.
//!
//! - **Challenges.** At the first block of period `p` the pallet draws a seed from the
//!   runtime's randomness (BABE's VRF output): nobody knew it when the contracts were made.
//!   A provider's challenge for `p` is derived from that seed when asked, never stored:
//!   up to `FragmentsPerChallenge` of its fragments due in `p` (all of them when it has
//!   no more), and `SegmentsPerFragment` segment indices in each. No hook walks the
//!   contracts.
//! - **Proofs.** During period `p` the provider's node sends one `submit_proofs` with a
//!   segment and its Merkle path for each challenged segment it holds; the runtime checks
//!   them against the contracts' roots ([`cairn_primitives::merkle::verify`]). A fragment
//!   is proven when all its challenged segments are. A correct submission is free.
//! - **Settlement.** During period `p + 1` the pallet visits each provider with
//!   contracts, `ChecksPerBlock` per block, and hands the outcome of `p` to the market
//!   ([`StorageMarket::settle_period`]): proven fragments and unchallenged ones of a
//!   provider that answered are paid; challenged fragments without a proof are missed.

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
use cairn_primitives::{merkle::Node, ContractId, Period};
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

/// The proofs of one challenged fragment: its segments in the challenge's order.
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

/// One challenged fragment: which segments to prove.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo)]
pub struct Challenge {
	pub contract: ContractId,
	pub root: Node,
	pub size: u64,
	pub segment_size: u32,
	/// Segment indices, in the order the proofs must follow.
	pub segments: Vec<u64>,
}

/// A provider's answer to a period's challenge.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(Max))]
pub struct Answer<Max: Get<u32>> {
	/// The challenged contracts, when the answer came.
	pub challenged: BoundedVec<ContractId, Max>,
	/// Those proven.
	pub proven: BoundedVec<ContractId, Max>,
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Gives `provider` a fragment under an active contract, due in the current period.
	fn add_fragment(provider: &AccountId, root: Node, size: u64, segment_size: u32);
}

/// A random `u64` from the period's seed, the provider and a counter.
fn draw(seed: &[u8; 32], provider: &[u8], what: &[u8], counter: u64) -> u64 {
	let hash = cairn_primitives::blake2_256(&(b"cairn/challenge", seed, provider, what, counter).encode());
	u64::from_le_bytes(hash[..8].try_into().expect("8 bytes"))
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::{
		merkle,
		traits::{PeriodOutcome, ProvableFragment, StorageMarket},
	};
	use polkadot_sdk::{
		frame_support::{pallet_prelude::*, traits::Randomness},
		frame_system::{self, pallet_prelude::*},
		sp_runtime::SaturatedConversion,
	};

	pub type ProofOf<T> =
		FragmentProof<<T as Config>::MaxSegmentSize, <T as Config>::MaxPathLength, <T as Config>::SegmentsPerFragment>;
	pub type ProofsOf<T> = BoundedVec<ProofOf<T>, <T as Config>::FragmentsPerChallenge>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The storage market: providers' fragments and settlement.
		type Market: StorageMarket<Self::AccountId>;
		/// Randomness nobody can predict a period ahead: BABE's VRF output (`None` only in
		/// the first block, where the parent hash stands in).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
		/// Blocks per challenge period (the same as the market's).
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;
		/// Fragments challenged per provider per period.
		#[pallet::constant]
		type FragmentsPerChallenge: Get<u32>;
		/// Segments challenged per fragment.
		#[pallet::constant]
		type SegmentsPerFragment: Get<u32>;
		/// The largest segment (the market's bound).
		#[pallet::constant]
		type MaxSegmentSize: Get<u32>;
		/// The longest Merkle path: 40 covers 2^40 segments.
		#[pallet::constant]
		type MaxPathLength: Get<u32>;
		/// Providers settled per block; with `MaxProviders` this must fit a period.
		#[pallet::constant]
		type ChecksPerBlock: Get<u32>;
		/// The market's bound on providers.
		#[pallet::constant]
		type MaxProviders: Get<u32>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each period's seed: the current and the previous one are kept.
	#[pallet::storage]
	pub type Seeds<T> = StorageMap<_, Twox64Concat, Period, [u8; 32]>;

	/// Answers by period and provider, until the period is settled.
	#[pallet::storage]
	pub type Answers<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Period, Blake2_128Concat, T::AccountId, Answer<T::FragmentsPerChallenge>>;

	/// The settlement in progress: its period and the last provider visited.
	#[pallet::storage]
	pub type Cursor<T: Config> = StorageValue<_, (Period, Option<T::AccountId>)>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `provider` proved `proven` of its `challenged` fragments for `period`.
		ProofsAccepted { provider: T::AccountId, period: Period, proven: u32, challenged: u32 },
		/// `provider` left `missed` challenged fragments of `period` unproven (`answered`
		/// says whether it sent proofs at all).
		ProofsMissed { provider: T::AccountId, period: Period, missed: u32, answered: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Proofs for a period that has ended.
		StalePeriod,
		/// Proofs for a period that has not begun.
		FuturePeriod,
		/// The period's seed is not drawn yet; try in the next block.
		NoChallenge,
		/// The provider has no fragments due in this period.
		NothingToProve,
		/// The provider already answered this period.
		AlreadySubmitted,
		/// A proof names a contract that is not in the provider's challenge (another
		/// provider's, unknown, or not drawn).
		NotChallenged,
		/// Two proofs for one contract.
		DuplicateProof,
		/// A fragment's proof does not have one segment per challenged index.
		WrongSegmentCount,
		/// A segment does not hash to the contract's root along its path.
		InvalidProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// At a period's first block: draws its seed and starts settling the previous one.
		/// Every block: settles up to `ChecksPerBlock` providers.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let period = Self::period_of(now);
			let mut weight = T::DbWeight::get().reads(2);
			if !Seeds::<T>::contains_key(period) {
				let (random, _) = T::Randomness::random(b"cairn/proofs");
				let random = random.unwrap_or_else(frame_system::Pallet::<T>::parent_hash);
				Seeds::<T>::insert(period, cairn_primitives::blake2_256(random.as_ref()));
				if period >= 2 {
					Seeds::<T>::remove(period - 2);
					// Answers nobody settled (only if the settlement could not finish).
					let _ = Answers::<T>::clear_prefix(period - 2, T::MaxProviders::get(), None);
				}
				if period >= 1 {
					Cursor::<T>::put((period - 1, None::<T::AccountId>));
				}
				weight = weight.saturating_add(T::WeightInfo::new_period(T::MaxProviders::get()));
			}
			if let Some((settling, mut last)) = Cursor::<T>::get() {
				let mut done = false;
				for _ in 0..T::ChecksPerBlock::get() {
					let Some(provider) = T::Market::next_provider(last.as_ref()) else {
						done = true;
						break;
					};
					Self::settle(&provider, settling);
					weight = weight
						.saturating_add(T::WeightInfo::settle_provider())
						.saturating_add(T::Market::settle_weight());
					last = Some(provider);
				}
				if done {
					Cursor::<T>::kill();
				} else {
					Cursor::<T>::put((settling, last));
				}
			}
			weight
		}

		fn integrity_test() {
			let period: u32 = T::ChallengePeriod::get().saturated_into();
			assert!(period >= 2, "a period needs a block to answer and one to settle");
			assert!(
				T::MaxProviders::get() <= T::ChecksPerBlock::get().saturating_mul(period - 1),
				"every provider must be settled within a period"
			);
			assert!(T::FragmentsPerChallenge::get() > 0 && T::SegmentsPerFragment::get() > 0);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by a provider during `period`: proofs of the segments its challenge
		/// names, one [`FragmentProof`] per fragment it holds, each with its segments in the
		/// challenge's order. Every proof sent must be correct; challenged fragments left
		/// out count as missed. Free when accepted. Emits `ProofsAccepted`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::submit_proofs(proofs.len() as u32))]
		pub fn submit_proofs(origin: OriginFor<T>, period: Period, proofs: ProofsOf<T>) -> DispatchResultWithPostInfo {
			let provider = ensure_signed(origin)?;
			let current = Self::period_of(frame_system::Pallet::<T>::block_number());
			ensure!(period >= current, Error::<T>::StalePeriod);
			ensure!(period <= current, Error::<T>::FuturePeriod);
			ensure!(!Answers::<T>::contains_key(period, &provider), Error::<T>::AlreadySubmitted);
			let challenge = Self::challenge(&provider, period).ok_or(Error::<T>::NoChallenge)?;
			ensure!(!challenge.is_empty(), Error::<T>::NothingToProve);
			let mut proven = BoundedVec::<ContractId, T::FragmentsPerChallenge>::new();
			for proof in &proofs {
				let c = challenge.iter().find(|c| c.contract == proof.contract).ok_or(Error::<T>::NotChallenged)?;
				ensure!(!proven.contains(&c.contract), Error::<T>::DuplicateProof);
				ensure!(proof.segments.len() == c.segments.len(), Error::<T>::WrongSegmentCount);
				for (index, segment) in c.segments.iter().zip(&proof.segments) {
					ensure!(Self::verify(c, *index, segment), Error::<T>::InvalidProof);
				}
				proven.try_push(c.contract).map_err(|_| Error::<T>::DuplicateProof)?;
			}
			let challenged: BoundedVec<_, _> =
				challenge.iter().map(|c| c.contract).collect::<Vec<_>>().try_into().expect("at most the bound");
			let (proven_count, challenged_count) = (proven.len() as u32, challenged.len() as u32);
			Answers::<T>::insert(period, &provider, Answer { challenged, proven });
			Self::deposit_event(Event::ProofsAccepted {
				provider,
				period,
				proven: proven_count,
				challenged: challenged_count,
			});
			Ok(Pays::No.into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The challenge period of block `n`.
		pub fn period_of(n: BlockNumberFor<T>) -> Period {
			(n / T::ChallengePeriod::get()).saturated_into()
		}

		/// `provider`'s challenge for `period`, or `None` before the period's seed is drawn.
		pub fn challenge(provider: &T::AccountId, period: Period) -> Option<Vec<Challenge>> {
			let seed = Seeds::<T>::get(period)?;
			let who = provider.encode();
			let mut due = T::Market::provable(provider, period);
			let pick = (T::FragmentsPerChallenge::get() as usize).min(due.len());
			// A partial Fisher-Yates shuffle: the first `pick` are a uniform sample.
			for i in 0..pick {
				let j = i + (draw(&seed, &who, b"fragment", i as u64) % (due.len() - i) as u64) as usize;
				due.swap(i, j);
			}
			due.truncate(pick);
			Some(
				due.into_iter()
					.map(|f: ProvableFragment| Challenge {
						contract: f.contract,
						root: f.root,
						size: f.size,
						segment_size: f.segment_size,
						segments: (0..T::SegmentsPerFragment::get() as u64)
							.map(|j| draw(&seed, &who, &f.contract.to_le_bytes(), j) % f.segments().max(1))
							.collect(),
					})
					.collect(),
			)
		}

		/// Whether `proof` shows segment `index` of the challenged fragment.
		fn verify(c: &Challenge, index: u64, proof: &SegmentProof<T::MaxSegmentSize, T::MaxPathLength>) -> bool {
			let seg = c.segment_size as u64;
			let expected = seg.min(c.size.saturating_sub(index.saturating_mul(seg)));
			proof.segment.len() as u64 == expected
				&& merkle::verify(
					&c.root,
					c.size.div_ceil(seg.max(1)),
					index,
					merkle::leaf_hash(&proof.segment),
					&proof.path,
				)
		}

		/// Hands `provider`'s outcome of `period` to the market.
		pub(crate) fn settle(provider: &T::AccountId, period: Period) {
			let outcome = match Answers::<T>::take(period, provider) {
				Some(answer) => PeriodOutcome {
					answered: true,
					missed: answer.challenged.into_iter().filter(|c| !answer.proven.contains(c)).collect(),
				},
				None => PeriodOutcome {
					answered: false,
					missed: Self::challenge(provider, period)
						.unwrap_or_default()
						.into_iter()
						.map(|c| c.contract)
						.collect(),
				},
			};
			if !outcome.missed.is_empty() || !outcome.answered {
				Self::deposit_event(Event::ProofsMissed {
					provider: provider.clone(),
					period,
					missed: outcome.missed.len() as u32,
					answered: outcome.answered,
				});
			}
			T::Market::settle_period(provider, period, outcome);
		}

		/// Whether `provider` answered `period`.
		pub fn answered(provider: &T::AccountId, period: Period) -> bool {
			Answers::<T>::contains_key(period, provider)
		}

		/// The current period, by the block being built.
		pub fn current_period() -> Period {
			Self::period_of(frame_system::Pallet::<T>::block_number())
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Challenges for providers' nodes.
	pub trait ProofsApi<AccountId> where AccountId: codec::Codec {
		/// The current period, `provider`'s challenge in it (`None` before its seed is drawn)
		/// and whether it answered already.
		fn challenge(provider: AccountId) -> (Period, Option<Vec<Challenge>>, bool);
	}
}
