use crate::{mock::*, *};
use cairn_primitives::merkle;
use codec::{Decode, Encode};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		dispatch::{DispatchClass, GetDispatchInfo, Pays},
		traits::ConstU32,
	},
	frame_system::RawOrigin,
};

fn signed(who: u64) -> RuntimeOrigin {
	RawOrigin::Signed(who).into()
}

/// The proof of segment `index` of `contract`'s fragment, as a provider's node makes it.
fn segment_proof(contract: ContractId, index: u64) -> SegmentProof<ConstU32<4096>, ConstU32<40>> {
	let data = data_of(contract);
	let segments: Vec<_> = data.chunks(SEGMENT as usize).collect();
	let levels = merkle::levels(
		segments.iter().enumerate().map(|(i, s)| merkle::leaf(s, i as u64, SEGMENT).unwrap()).collect(),
	);
	SegmentProof {
		segment: segments[index as usize].to_vec().try_into().unwrap(),
		path: merkle::proof(&levels, index).unwrap().try_into().unwrap(),
	}
}

/// The partition's challenge in the deadline in progress.
fn challenge_of(provider: u64, index: u32) -> Vec<Challenge> {
	let now = System::block_number() as u32;
	Proofs::deadline_challenge(&provider, now)
		.partitions
		.expect("seed drawn")
		.into_iter()
		.find(|p| p.index == index)
		.expect("partition due")
		.fragments
}

/// An answer proving every fragment of the partition but those in `lost` (declared).
fn answer(provider: u64, index: u32, lost: &[ContractId]) -> AnswerOf<Test> {
	challenge_of(provider, index)
		.iter()
		.map(|c| {
			(!lost.contains(&c.contract)).then(|| FragmentProof {
				contract: c.contract,
				segments: c.segments.iter().map(|i| segment_proof(c.contract, *i)).collect::<Vec<_>>().try_into().unwrap(),
			})
		})
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

fn submit(provider: u64, window: Period, deadline: u32, index: u32, answer: AnswerOf<Test>) -> DispatchResultWithPostInfo {
	Proofs::submit_proofs(signed(provider), window, deadline, index, answer)
}

use polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo;

#[test]
fn each_deadline_draws_its_seed_in_its_second_block_and_two_are_kept() {
	new_test_ext().execute_with(|| {
		run_to(1);
		assert!(Seeds::<Test>::get(0).is_some());
		run_to(5);
		assert!(Seeds::<Test>::get(5).is_none(), "not in the deadline's first block");
		run_to(6);
		assert!(Seeds::<Test>::get(5).is_some());
		assert_ne!(Seeds::<Test>::get(0), Seeds::<Test>::get(5));
		run_to(11);
		assert!(Seeds::<Test>::get(0).is_none());
		assert!(Seeds::<Test>::get(5).is_some() && Seeds::<Test>::get(10).is_some());
	});
}

#[test]
fn challenges_cover_every_due_fragment_with_segments_in_range() {
	new_test_ext().execute_with(|| {
		for c in 0..4 {
			add_fragment((0, 1, 0), c, 10 * 1024 + 100);
		}
		add_fragment((1, 1, 1), 9, 3000);
		assert_eq!(Proofs::deadline_challenge(&1, 0).partitions, None, "no seed, no challenge");
		let mut seen = std::collections::BTreeSet::new();
		for window in 0..4u64 {
			run_to(window * 10 + 1);
			let challenge = challenge_of(1, 0);
			assert_eq!(challenge.iter().map(|c| c.contract).collect::<Vec<_>>(), vec![0, 1, 2, 3], "every one");
			assert_eq!(challenge, challenge_of(1, 0), "the same when asked again");
			for c in &challenge {
				assert_eq!(c.segments.len(), 2);
				assert!(c.segments.iter().all(|s| *s < 11));
				seen.extend(c.segments.iter().copied());
			}
			let d = Proofs::deadline_challenge(&1, (window * 10 + 1) as u32);
			assert_eq!((d.window, d.deadline, d.open, d.close), (window as u32, 0, window as u32 * 10, window as u32 * 10 + 5));
			assert!(d.partitions.unwrap().iter().all(|p| p.index == 0), "deadline 1's partition is not due in 0");
		}
		assert!(seen.len() > 4, "different windows challenge different segments");
	});
}

#[test]
fn a_correct_answer_is_free_operational_and_recorded() {
	new_test_ext().execute_with(|| {
		add_fragment((0, 1, 0), 1, 5000);
		add_fragment((0, 1, 0), 2, 1024);
		run_to(2);
		let answer = answer(1, 0, &[]);
		let call = Call::<Test>::submit_proofs { window: 0, deadline: 0, partition: 0, answer: answer.clone() };
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		let info = submit(1, 0, 0, 0, answer).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(Recorded::get(), vec![((0, 1, 0), 0, vec![true, true])]);
		System::assert_last_event(
			Event::ProofsAccepted { provider: 1, window: 0, deadline: 0, partition: 0, proven: 2, faulty: 0 }.into(),
		);
	});
}

#[test]
fn a_declared_loss_is_recorded_as_not_proven() {
	new_test_ext().execute_with(|| {
		add_fragment((0, 1, 0), 1, 5000);
		add_fragment((0, 1, 0), 2, 5000);
		run_to(2);
		assert_ok!(submit(1, 0, 0, 0, answer(1, 0, &[2])));
		assert_eq!(Recorded::get(), vec![((0, 1, 0), 0, vec![true, false])]);
	});
}

#[test]
fn bad_answers_are_named_errors_and_record_nothing() {
	new_test_ext().execute_with(|| {
		add_fragment((0, 1, 0), 1, 5000);
		add_fragment((0, 1, 0), 3, 2048);
		add_fragment((0, 2, 0), 2, 5000);
		add_fragment((0, 3, 0), 4, 5000);
		Partitions::mutate(|p| p.insert((0, 3, 1), vec![]));
		run_to(2);
		let good = answer(1, 0, &[]);
		// The attack of issue 11: an empty answer proves nothing and is refused.
		assert_noop!(submit(1, 0, 0, 0, Default::default()), Error::<Test>::WrongProofCount);
		assert_noop!(submit(1, 0, 0, 0, answer(1, 0, &[]).into_iter().take(1).collect::<Vec<_>>().try_into().unwrap()), Error::<Test>::WrongProofCount);
		assert_noop!(submit(1, 0, 2, 0, good.clone()), Error::<Test>::BadDeadline);
		assert_noop!(submit(1, 0, 1, 0, good.clone()), Error::<Test>::DeadlineNotOpen);
		assert_noop!(submit(1, 0, 0, 7, good.clone()), Error::<Test>::UnknownPartition);
		assert_noop!(submit(3, 0, 0, 1, Default::default()), Error::<Test>::NothingToProve);
		// Another provider's proofs for this one's partition.
		let mut theirs = good.clone();
		theirs[0] = answer(2, 0, &[])[0].clone();
		assert_noop!(submit(1, 0, 0, 0, theirs), Error::<Test>::WrongContract);
		// Swapped order.
		let mut swapped = good.clone().into_inner();
		swapped.swap(0, 1);
		let swapped: AnswerOf<Test> = swapped.try_into().unwrap();
		assert_noop!(submit(1, 0, 0, 0, swapped), Error::<Test>::WrongContract);
		let mut short = good.clone();
		short[0].as_mut().unwrap().segments.pop();
		assert_noop!(submit(1, 0, 0, 0, short), Error::<Test>::WrongSegmentCount);
		// A flipped byte, a wrong path, a segment of the wrong length.
		let mut flipped = good.clone();
		flipped[0].as_mut().unwrap().segments[0].segment[0] ^= 1;
		assert_noop!(submit(1, 0, 0, 0, flipped), Error::<Test>::InvalidProof);
		let mut wrong_path = good.clone();
		wrong_path[0].as_mut().unwrap().segments[0].path[0] = [0; 32];
		assert_noop!(submit(1, 0, 0, 0, wrong_path), Error::<Test>::InvalidProof);
		let mut longer = good.clone();
		longer[0].as_mut().unwrap().segments[0].segment.try_push(0).unwrap();
		assert_noop!(submit(1, 0, 0, 0, longer), Error::<Test>::InvalidProof);
		assert!(Recorded::get().is_empty());
		// The good answer still goes in, once, and only in its deadline.
		assert_ok!(submit(1, 0, 0, 0, good.clone()));
		assert_noop!(submit(1, 0, 0, 0, good.clone()), Error::<Test>::AlreadySubmitted);
		run_to(5);
		Answered::set(vec![]);
		assert_noop!(submit(1, 0, 0, 0, good), Error::<Test>::DeadlineClosed);
	});
}

#[test]
fn a_failed_answer_pays_its_fee() {
	new_test_ext().execute_with(|| {
		add_fragment((0, 1, 0), 1, 5000);
		run_to(2);
		let err = submit(1, 0, 0, 0, Default::default()).unwrap_err();
		assert_eq!(err.post_info.pays_fee, Pays::Yes);
	});
}

#[test]
fn oversized_answers_do_not_decode() {
	let entry = Some(FragmentProof::<ConstU32<4096>, ConstU32<40>, ConstU32<2>> { contract: 1, segments: Default::default() });
	assert!(AnswerOf::<Test>::decode(&mut &vec![entry; 5].encode()[..]).is_err());
	let big_segment = (vec![0u8; 4097], Vec::<[u8; 32]>::new());
	assert!(SegmentProof::<ConstU32<4096>, ConstU32<40>>::decode(&mut &big_segment.encode()[..]).is_err());
	let long_path = (vec![0u8; 1], vec![[0u8; 32]; 41]);
	assert!(SegmentProof::<ConstU32<4096>, ConstU32<40>>::decode(&mut &long_path.encode()[..]).is_err());
}

#[test]
fn a_closed_deadline_settles_its_unanswered_partitions_one_per_block() {
	new_test_ext().execute_with(|| {
		add_fragment((0, 1, 0), 1, 5000);
		add_fragment((0, 2, 0), 2, 5000);
		add_fragment((0, 3, 0), 3, 5000);
		add_fragment((1, 1, 1), 4, 5000);
		run_to(2);
		assert_ok!(submit(2, 0, 0, 0, answer(2, 0, &[])));
		run_to(4);
		assert!(Unanswered::get().is_empty(), "nothing settles during the deadline");
		run_to(5);
		assert_eq!(SettleQueue::<Test>::get().into_inner(), vec![(0, 0)]);
		assert_eq!(Unanswered::get(), vec![((0, 1, 0), 0)]);
		run_to(6);
		assert_eq!(Unanswered::get().len(), 1, "partition 2 answered");
		run_to(7);
		assert_eq!(Unanswered::get(), vec![((0, 1, 0), 0), ((0, 3, 0), 0)]);
		// The block that visits the last partition ends the deadline's settlement: three
		// partitions at one per block take three blocks, not four.
		assert!(SettleQueue::<Test>::get().is_empty());
		assert!(SettleCursor::<Test>::get().is_none());
		System::assert_has_event(Event::DeadlineSettled { window: 0, deadline: 0, faulted: 1 }.into());
		// Deadline 1 settles from block 10.
		run_to(12);
		assert_eq!(Unanswered::get().last(), Some(&((1, 1, 1), 0)));
	});
}
