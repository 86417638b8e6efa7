use crate::{mock::*, *};
use cairn_primitives::{merkle, traits::PeriodOutcome};
use codec::{Decode, Encode};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, dispatch::Pays},
	frame_system::RawOrigin,
};

type Proofs_ = ProofsOf<Test>;

fn signed(who: u64) -> RuntimeOrigin {
	RawOrigin::Signed(who).into()
}

/// The proof of segment `index` of `contract`'s fragment, as a provider's node makes it.
fn segment_proof(contract: ContractId, index: u64) -> SegmentProof<ConstU32<4096>, ConstU32<40>> {
	let data = data_of(contract);
	let segments: Vec<_> = data.chunks(SEGMENT as usize).collect();
	let levels = merkle::levels(segments.iter().map(|s| merkle::leaf_hash(s)).collect());
	SegmentProof {
		segment: segments[index as usize].to_vec().try_into().unwrap(),
		path: merkle::proof(&levels, index).unwrap().try_into().unwrap(),
	}
}

use polkadot_sdk::frame_support::traits::ConstU32;

/// Proofs of every segment `provider`'s challenge names, for the fragments in `contracts`.
fn answer(provider: u64, period: Period, contracts: &[ContractId]) -> Proofs_ {
	let challenge = Proofs::challenge(&provider, period).expect("seed drawn");
	challenge
		.iter()
		.filter(|c| contracts.contains(&c.contract))
		.map(|c| FragmentProof {
			contract: c.contract,
			segments: c.segments.iter().map(|i| segment_proof(c.contract, *i)).collect::<Vec<_>>().try_into().unwrap(),
		})
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

fn challenged(provider: u64, period: Period) -> Vec<ContractId> {
	Proofs::challenge(&provider, period).unwrap().iter().map(|c| c.contract).collect()
}

#[test]
fn each_period_draws_a_seed_and_keeps_two() {
	new_test_ext().execute_with(|| {
		assert!(Seeds::<Test>::get(0).is_some());
		run_to(PERIOD);
		assert!(Seeds::<Test>::get(1).is_some());
		assert_ne!(Seeds::<Test>::get(0), Seeds::<Test>::get(1));
		run_to(2 * PERIOD);
		assert!(Seeds::<Test>::get(0).is_none());
		assert!(Seeds::<Test>::get(1).is_some() && Seeds::<Test>::get(2).is_some());
		assert_eq!(Proofs::challenge(&1, 3), None, "no challenge before its period");
	});
}

#[test]
fn challenges_sample_fragments_and_segments_in_range() {
	new_test_ext().execute_with(|| {
		add_fragment(1, 7, 3000);
		assert_eq!(challenged(1, 0), vec![7], "all fragments when fewer than the sample");
		for c in 8..14 {
			add_fragment(1, c, 10 * 1024 + 100);
		}
		let mut seen = std::collections::BTreeSet::new();
		for period in 0..6 {
			run_to(period as u64 * PERIOD + 1);
			let challenge = Proofs::challenge(&1, period).unwrap();
			assert_eq!(challenge.len(), 2);
			assert_ne!(challenge[0].contract, challenge[1].contract);
			assert_eq!(challenge, Proofs::challenge(&1, period).unwrap(), "the same when asked again");
			for c in &challenge {
				assert_eq!(c.segments.len(), 2);
				assert!(c.segments.iter().all(|s| *s < c.size.div_ceil(1024)));
				seen.insert(c.contract);
			}
		}
		assert!(seen.len() > 2, "different periods challenge different fragments");
	});
}

#[test]
fn correct_proofs_are_accepted_for_free() {
	new_test_ext().execute_with(|| {
		add_fragment(1, 1, 5000);
		add_fragment(1, 2, 1024);
		let proofs = answer(1, 0, &[1, 2]);
		let info = Proofs::submit_proofs(signed(1), 0, proofs).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		System::assert_last_event(Event::ProofsAccepted { provider: 1, period: 0, proven: 2, challenged: 2 }.into());
		assert!(Proofs::answered(&1, 0));
	});
}

#[test]
fn bad_proofs_are_named_errors_and_record_nothing() {
	new_test_ext().execute_with(|| {
		add_fragment(1, 1, 5000);
		add_fragment(2, 2, 5000);
		add_fragment(1, 3, 2048);
		let good = answer(1, 0, &[1, 3]);
		assert_noop!(Proofs::submit_proofs(signed(1), 1, good.clone()), Error::<Test>::FuturePeriod);
		assert_noop!(Proofs::submit_proofs(signed(3), 0, Default::default()), Error::<Test>::NothingToProve);
		// Another provider's contract.
		let theirs = answer(2, 0, &[2]);
		assert_noop!(Proofs::submit_proofs(signed(1), 0, theirs), Error::<Test>::NotChallenged);
		// The same fragment twice.
		let mut twice = good.clone();
		twice[1] = twice[0].clone();
		assert_noop!(Proofs::submit_proofs(signed(1), 0, twice), Error::<Test>::DuplicateProof);
		// One segment short.
		let mut short = good.clone();
		short[0].segments.pop();
		assert_noop!(Proofs::submit_proofs(signed(1), 0, short), Error::<Test>::WrongSegmentCount);
		// A flipped byte, a wrong path, a segment of the wrong length.
		let mut flipped = good.clone();
		flipped[0].segments[0].segment[0] ^= 1;
		assert_noop!(Proofs::submit_proofs(signed(1), 0, flipped), Error::<Test>::InvalidProof);
		let mut wrong_path = good.clone();
		wrong_path[0].segments[0].path[0] = [0; 32];
		assert_noop!(Proofs::submit_proofs(signed(1), 0, wrong_path), Error::<Test>::InvalidProof);
		let mut longer = good.clone();
		longer[0].segments[0].segment.try_push(0).unwrap();
		assert_noop!(Proofs::submit_proofs(signed(1), 0, longer), Error::<Test>::InvalidProof);
		// Nothing was recorded: the good proofs still go in, once.
		assert_ok!(Proofs::submit_proofs(signed(1), 0, good.clone()));
		assert_noop!(Proofs::submit_proofs(signed(1), 0, good.clone()), Error::<Test>::AlreadySubmitted);
		run_to(PERIOD);
		assert_noop!(Proofs::submit_proofs(signed(1), 0, good), Error::<Test>::StalePeriod);
	});
}

#[test]
fn no_challenge_before_the_seed() {
	new_test_ext().execute_with(|| {
		add_fragment(1, 1, 5000);
		Seeds::<Test>::remove(0);
		assert_noop!(Proofs::submit_proofs(signed(1), 0, Default::default()), Error::<Test>::NoChallenge);
	});
}

#[test]
fn oversized_proofs_do_not_decode() {
	let too_many =
		vec![
			FragmentProof::<ConstU32<4096>, ConstU32<40>, ConstU32<2>> { contract: 1, segments: Default::default() };
			3
		];
	assert!(Proofs_::decode(&mut &too_many.encode()[..]).is_err());
	let big_segment = (vec![0u8; 4097], Vec::<[u8; 32]>::new());
	assert!(SegmentProof::<ConstU32<4096>, ConstU32<40>>::decode(&mut &big_segment.encode()[..]).is_err());
	let long_path = (vec![0u8; 1], vec![[0u8; 32]; 41]);
	assert!(SegmentProof::<ConstU32<4096>, ConstU32<40>>::decode(&mut &long_path.encode()[..]).is_err());
}

#[test]
fn the_next_period_settles_every_provider_one_per_block() {
	new_test_ext().execute_with(|| {
		add_fragment(1, 1, 5000);
		add_fragment(1, 2, 5000);
		add_fragment(2, 3, 5000);
		add_fragment(3, 4, 5000);
		// Provider 1 proves one of its two fragments; 2 proves all; 3 sends nothing.
		assert_ok!(Proofs::submit_proofs(signed(1), 0, answer(1, 0, &[1])));
		assert_ok!(Proofs::submit_proofs(signed(2), 0, answer(2, 0, &[3])));
		run_to(PERIOD - 1);
		assert!(Settled::get().is_empty(), "nothing settles during the period");
		run_to(PERIOD);
		assert_eq!(Settled::get(), vec![(1, 0, PeriodOutcome { answered: true, missed: vec![2] })]);
		run_to(PERIOD + 2);
		assert_eq!(
			Settled::get()[1..],
			[
				(2, 0, PeriodOutcome { answered: true, missed: vec![] }),
				(3, 0, PeriodOutcome { answered: false, missed: vec![4] }),
			]
		);
		System::assert_has_event(Event::ProofsMissed { provider: 1, period: 0, missed: 1, answered: true }.into());
		System::assert_has_event(Event::ProofsMissed { provider: 3, period: 0, missed: 1, answered: false }.into());
		run_to(PERIOD + 3);
		assert!(Cursor::<Test>::get().is_none(), "done until the next period");
		assert!(!Proofs::answered(&1, 0), "settled answers are removed");
		run_to(2 * PERIOD + 5);
		assert_eq!(Settled::get().len(), 6);
	});
}
