//! Every call and every error, with real swtpm vectors (see `mock.rs`).

use crate::{mock::*, *};
use cairn_primitives::traits::NodeRegistry;
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec},
	sp_core::H256,
	sp_runtime::{
		testing::{TestSignature, UintAuthorityId},
		DispatchError, DispatchResult, Perbill, RuntimeAppPublic,
	},
};

fn cert(der: &[u8]) -> CertBytes {
	der.to_vec().try_into().unwrap()
}

fn ak(public: &[u8]) -> AkPublicBytes {
	public.to_vec().try_into().unwrap()
}

fn secret(seat: usize) -> [u8; 32] {
	[seat as u8 + 1; 32]
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Attestation(e) = r.event { Some(e) } else { None })
		.collect()
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::RequestDeposit.into(), &who)
}

fn seats(request_id: RequestId) -> Vec<u64> {
	Requests::<Test>::get(request_id).unwrap().seats.iter().map(|s| s.challenger).collect()
}

/// Posts the challenge of every seat, committing to secret(seat).
fn post_all(request_id: RequestId) {
	for (i, challenger) in seats(request_id).into_iter().enumerate() {
		assert_ok!(post(challenger, request_id, secret(i)));
	}
}

fn post(challenger: u64, request_id: RequestId, secret: [u8; 32]) -> DispatchResult {
	let challenge = Challenge {
		id_object: BoundedVec::truncate_from(vec![1; 66]),
		encrypted_secret: BoundedVec::truncate_from(vec![2; 256]),
		commitment: Attestation::commitment(request_id, &challenger, &secret),
	};
	post_challenge(challenger, request_id, challenge)
}

/// The binding of an open request (zeros if there is none).
fn request_binding(request_id: RequestId) -> [u8; 32] {
	Requests::<Test>::get(request_id)
		.map(|r| Attestation::binding(request_id, &r.who, &r.ek_id, &r.ak_name))
		.unwrap_or_default()
}

/// The binding of an audited request (zeros if there is none).
fn audit_binding(request_id: RequestId) -> [u8; 32] {
	Audits::<Test>::get(request_id)
		.map(|a| Attestation::binding(request_id, &a.who, &a.ek_id, &a.ak_name))
		.unwrap_or_default()
}

/// The challenger key's signature, as the test keys make it.
fn key_signature(challenger: u64, payload: &[u8]) -> TestSignature {
	UintAuthorityId(challenger).sign(&payload).unwrap()
}

/// Posts `challenge` as `challenger`'s off-chain worker does: unsigned, signed by its
/// challenger key (`UintAuthorityId(challenger)` in the tests).
fn post_challenge(challenger: u64, request_id: RequestId, challenge: Challenge) -> DispatchResult {
	let payload = Attestation::challenge_payload(request_id, &challenger, &request_binding(request_id), &challenge);
	let signature = key_signature(challenger, &payload);
	post_signed_by(challenger, request_id, challenge, signature)
}

fn post_signed_by(challenger: u64, request_id: RequestId, challenge: Challenge, signature: TestSignature) -> DispatchResult {
	let Challenge { id_object, encrypted_secret, commitment } = challenge;
	Attestation::post_challenge(
		RuntimeOrigin::none(),
		request_id,
		id_object,
		encrypted_secret,
		commitment,
		challenger,
		signature,
	)
}

fn activate(who: u64, request_id: RequestId, secrets: Vec<[u8; 32]>, quote: (&[u8], &[u8])) -> DispatchResult {
	Attestation::activate(
		RuntimeOrigin::signed(who),
		request_id,
		secrets.try_into().unwrap(),
		quote.0.to_vec().try_into().unwrap(),
		quote.1.to_vec().try_into().unwrap(),
	)
}

fn request(who: u64, ek: &[u8], ak_public: &[u8]) -> DispatchResult {
	Attestation::request_registration(RuntimeOrigin::signed(who), cert(ek), ak(ak_public))
}

fn bonded(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ValidatorBond.into(), &who)
}

/// The private seed of a challenger in these tests.
fn seed_of(challenger: u64) -> [u8; 32] {
	[challenger as u8; 32]
}

/// The challenge an honest challenger makes from its seed for a seat of a request.
fn honest_challenge(request_id: RequestId, challenger: u64) -> Challenge {
	let r = Requests::<Test>::get(request_id).unwrap();
	Attestation::make_challenge(&seed_of(challenger), request_id, &challenger, &r.who, &r.ek_id, &r.ek_modulus, &r.ak_name)
		.unwrap()
		.challenge
}


/// Every open seat posts what an honest challenger makes.
fn post_honest(request_id: RequestId) {
	let open: Vec<u64> = Requests::<Test>::get(request_id)
		.unwrap()
		.seats
		.iter()
		.filter(|s| s.challenge.is_none())
		.map(|s| s.challenger)
		.collect();
	for challenger in open {
		assert_ok!(post_challenge(challenger, request_id, honest_challenge(request_id, challenger)));
	}
}

fn reveal(challenger: u64, request_id: RequestId, seed: [u8; 32]) -> DispatchResult {
	let payload = Attestation::reveal_payload(request_id, &challenger, &audit_binding(request_id), &seed);
	let signature = key_signature(challenger, &payload);
	Attestation::reveal_challenge(RuntimeOrigin::none(), request_id, seed, challenger, signature)
}

/// Account 1 asks with TPM a; challengers are drawn and post.
fn ready_request() {
	assert_ok!(request(1, EK_A, AK_A));
	run_to_block(DRAW);
	post_all(0);
}

#[test]
fn a_node_registers_end_to_end() {
	new_test_ext().execute_with(|| {
		assert_eq!(Attestation::genesis_hash(), H256([69; 32]));
		assert_ok!(request(1, EK_A, AK_A));
		assert_eq!(held(1), DEPOSIT);
		let ek_id = Requests::<Test>::get(0).unwrap().ek_id;
		assert!(matches!(events().last(), Some(Event::RegistrationRequested { request_id: 0, who: 1, .. })));

		// The draw waits for a seed made only of VRF outputs of blocks after block 1.
		run_to_block(DRAW - 1);
		assert!(matches!(Requests::<Test>::get(0).unwrap().phase, Phase::Drawing(_)));
		run_to_block(DRAW);
		let challengers = seats(0);
		assert_eq!(challengers.len(), 3);
		assert!(challengers.iter().all(|c| Challengers::get().contains(c)));
		assert!(matches!(events().last(), Some(Event::ChallengersAssigned { request_id: 0, .. })));

		post_all(0);
		assert!(matches!(events().last(), Some(Event::ChallengesReady { request_id: 0, .. })));
		assert!(!Attestation::is_attested(&1));

		assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
		assert!(Attestation::is_attested(&1));
		assert_eq!(EkOwner::<Test>::get(ek_id), Some(1));
		assert_eq!(Nodes::<Test>::get(1).unwrap().ek_id, Some(ek_id));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), 10_000 + GRANT);
		assert_eq!(GrantsPaid::get(), vec![(1, GRANT)]);
		assert!(Requests::<Test>::get(0).is_none());
		assert!(RequestOfAccount::<Test>::get(1).is_none());
		assert_eq!(events().last(), Some(&Event::NodeRegistered { who: 1, ek_id, request_id: 0 }));
	});
}

#[test]
fn ek_from_an_untrusted_ca_is_refused() {
	// Only the root is trusted, not the intermediate that signed the EK.
	ext_with(vec![(ROOT_CA.to_vec(), None, b"root".to_vec())], vec![]).execute_with(|| {
		assert_noop!(request(1, EK_A, AK_A), Error::<Test>::UntrustedIssuer);
	});
	ext_with(vec![], vec![]).execute_with(|| {
		assert_noop!(request(1, EK_A, AK_A), Error::<Test>::UntrustedIssuer);
	});
}

#[test]
fn tampered_or_malformed_certificates_are_refused() {
	new_test_ext().execute_with(|| {
		let mut tampered = EK_A.to_vec();
		tampered[15] ^= 1; // the serial number, inside the signed part
		assert_noop!(request(1, &tampered, AK_A), Error::<Test>::BadCertSignature);
		let mut tampered = EK_A.to_vec();
		let last = tampered.len() - 3;
		tampered[last] ^= 1; // the signature
		assert_noop!(request(1, &tampered, AK_A), Error::<Test>::BadCertSignature);
		assert_noop!(request(1, b"garbage DER", AK_A), Error::<Test>::CertMalformed);
		assert_noop!(request(1, &[EK_A, &[0]].concat(), AK_A), Error::<Test>::CertMalformed);
		assert_noop!(request(1, &EK_A[..500], AK_A), Error::<Test>::CertMalformed);
		// A CA certificate is not an EK certificate (its key is not an EK's).
		assert_noop!(request(1, ISSUER_CA, AK_A), Error::<Test>::WrongEkType);
		// Nothing was held.
		assert_eq!(held(1), 0);
	});
}

#[test]
fn oversized_inputs_do_not_decode() {
	// Calls carry bounded vectors: an oversized certificate or AK never reaches the pallet.
	assert!(CertBytes::try_from(vec![0u8; 2049]).is_err());
	assert!(AkPublicBytes::try_from(vec![0u8; 513]).is_err());
	assert!(AttestBytes::try_from(vec![0u8; 257]).is_err());
	assert!(SignatureBytes::try_from(vec![0u8; 301]).is_err());
	let call = crate::Call::<Test>::request_registration { ek_cert: cert(EK_A), ak_public: ak(AK_A) };
	let mut encoded = codec::Encode::encode(&call);
	// Claim a 4000-byte certificate in the compact length prefix.
	encoded.splice(1..3, codec::Encode::encode(&codec::Compact(4000u32)));
	assert!(<crate::Call<Test> as codec::Decode>::decode(&mut &encoded[..]).is_err());
}

#[test]
fn ak_with_wrong_attributes_or_type_is_refused() {
	new_test_ext().execute_with(|| {
		let mut wrong = AK_A.to_vec();
		wrong[7] |= 0x02; // decrypt
		assert_noop!(request(1, EK_A, &wrong), Error::<Test>::WrongAkAttributes);
		let mut wrong = AK_A.to_vec();
		wrong[3] = 0x25;
		assert_noop!(request(1, EK_A, &wrong), Error::<Test>::WrongAkType);
		assert_noop!(request(1, EK_A, &AK_A[..30]), Error::<Test>::AkMalformed);
		assert_noop!(request(1, EK_A, &[]), Error::<Test>::AkMalformed);
	});
}

#[test]
fn a_second_account_cannot_claim_an_owned_ek() {
	new_test_ext().execute_with(|| {
		ready_request();
		assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
		assert_noop!(request(2, EK_A, AK_A), Error::<Test>::EkAlreadyOwned);
		assert_noop!(request(2, EK_A, AK_B), Error::<Test>::EkAlreadyOwned);
		// The owner cannot register twice either.
		assert_noop!(request(1, EK_B, AK_B), Error::<Test>::AlreadyRegistered);
	});
}

#[test]
fn one_open_request_per_account() {
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		assert_noop!(request(1, EK_B, AK_B), Error::<Test>::RequestPending);
	});
}

#[test]
fn quote_by_another_ak_is_refused() {
	new_test_ext().execute_with(|| {
		ready_request();
		assert_noop!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_B), Error::<Test>::BadQuoteSignature);
		let mut attest = QUOTE_A.0.to_vec();
		attest[50] ^= 1;
		assert_noop!(
			activate(1, 0, vec![secret(0), secret(1), secret(2)], (&attest, QUOTE_A.1)),
			Error::<Test>::BadQuoteSignature
		);
		assert_noop!(
			activate(1, 0, vec![secret(0), secret(1), secret(2)], (QUOTE_A.0, &QUOTE_A.1[..10])),
			Error::<Test>::QuoteMalformed
		);
	});
}

#[test]
fn quote_replayed_from_another_request_has_the_wrong_nonce() {
	new_test_ext().execute_with(|| {
		ready_request();
		assert_noop!(
			activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A_OTHER_REQUEST),
			Error::<Test>::WrongNonce
		);
	});
}

#[test]
fn secrets_that_do_not_match_the_commitments_are_refused() {
	new_test_ext().execute_with(|| {
		ready_request();
		// Replayed from elsewhere, or in the wrong order.
		assert_noop!(activate(1, 0, vec![secret(1), secret(0), secret(2)], QUOTE_A), Error::<Test>::CommitmentMismatch);
		assert_noop!(activate(1, 0, vec![[9; 32], secret(1), secret(2)], QUOTE_A), Error::<Test>::CommitmentMismatch);
		assert_noop!(activate(1, 0, vec![secret(0), secret(1)], QUOTE_A), Error::<Test>::WrongSecretCount);
	});
}

#[test]
fn a_second_tpm_cannot_answer_for_another_ek() {
	new_test_ext().execute_with(|| {
		// TPM b presents a's (public) EK certificate with its own AK. Its quote verifies
		// with its AK and carries the right nonce, but names b's EK as the AK's parent.
		assert_ok!(request(1, EK_A, AK_B));
		run_to_block(DRAW);
		post_all(0);
		assert_noop!(
			activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_B),
			Error::<Test>::WrongQualifiedSigner
		);
	});
}

#[test]
fn only_the_requester_activates_and_only_when_ready() {
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		let secrets = vec![secret(0), secret(1), secret(2)];
		assert_noop!(activate(1, 0, secrets.clone(), QUOTE_A), Error::<Test>::ChallengesNotReady);
		run_to_block(DRAW);
		assert_noop!(activate(1, 0, secrets.clone(), QUOTE_A), Error::<Test>::ChallengesNotReady);
		post_all(0);
		assert_noop!(activate(2, 0, secrets.clone(), QUOTE_A), Error::<Test>::NotRequester);
		assert_noop!(activate(1, 9, secrets, QUOTE_A), Error::<Test>::UnknownRequest);
	});
}

#[test]
fn challenges_come_only_from_assigned_challengers_once() {
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		// Before the draw, nobody is a challenger.
		assert_noop!(post(10, 0, [1; 32]), Error::<Test>::NotChallenging);
		run_to_block(DRAW);
		let seated = seats(0);
		let outsider = Challengers::get().into_iter().find(|c| !seated.contains(c)).unwrap();
		assert_noop!(post(outsider, 0, [1; 32]), Error::<Test>::NotAChallenger);
		assert_noop!(post(1, 0, [1; 32]), Error::<Test>::NotAChallenger);
		assert_ok!(post(seated[0], 0, [1; 32]));
		assert_noop!(post(seated[0], 0, [1; 32]), Error::<Test>::NotAChallenger);
		assert_noop!(post(seated[1], 5, [1; 32]), Error::<Test>::UnknownRequest);
		post_all_remaining(0);
		// Once all are in, the request no longer takes challenges.
		assert_noop!(post(outsider, 0, [1; 32]), Error::<Test>::NotChallenging);
	});
}

#[test]
#[allow(deprecated)]
fn challenges_are_signed_by_the_seats_challenger_key_and_validated_in_the_pool() {
	use codec::Encode;
	use polkadot_sdk::sp_runtime::{
		traits::ValidateUnsigned,
		transaction_validity::{InvalidTransaction, TransactionSource},
	};
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		run_to_block(DRAW);
		let [first, second, ..] = seats(0)[..] else { unreachable!() };
		let challenge = honest_challenge(0, first);
		let payload = Attestation::challenge_payload(0, &first, &request_binding(0), &challenge);
		// The funds account signing a transaction is no longer how a challenger posts.
		let Challenge { id_object, encrypted_secret, commitment } = challenge.clone();
		assert_noop!(
			Attestation::post_challenge(
				RuntimeOrigin::signed(first),
				0,
				id_object,
				encrypted_secret,
				commitment,
				first,
				key_signature(first, &payload),
			),
			DispatchError::BadOrigin
		);
		// Another validator's key, or a signature over another challenge, does not post.
		assert_noop!(
			post_signed_by(first, 0, challenge.clone(), key_signature(second, &payload)),
			Error::<Test>::BadChallengerSignature
		);
		let other = Attestation::challenge_payload(0, &first, &request_binding(0), &honest_challenge(0, second));
		assert_noop!(
			post_signed_by(first, 0, challenge.clone(), key_signature(first, &other)),
			Error::<Test>::BadChallengerSignature
		);
		// A validator without a challenger key cannot post.
		ChallengerKeyOverrides::set(vec![(first, None)]);
		assert_noop!(post_challenge(first, 0, challenge.clone()), Error::<Test>::NoChallengerKey);
		ChallengerKeyOverrides::set(vec![]);

		// The pool takes a seat's challenge once: it provides the seat, and is no longer
		// valid once the seat is posted.
		let call = Call::post_challenge {
			request_id: 0,
			id_object: challenge.id_object.clone(),
			encrypted_secret: challenge.encrypted_secret.clone(),
			commitment: challenge.commitment,
			challenger: first,
			signature: key_signature(first, &payload),
		};
		let valid = Attestation::validate_unsigned(TransactionSource::External, &call).expect("valid");
		assert_eq!(valid.provides, vec![("CairnAttestation", (&b"cairn/challenge"[..], 0u64, first)).encode()]);
		assert_ok!(post_challenge(first, 0, challenge));
		let not_a_challenger = Error::<Test>::NotAChallenger.encode()[0];
		assert_eq!(
			Attestation::validate_unsigned(TransactionSource::External, &call),
			Err(InvalidTransaction::Custom(not_a_challenger).into())
		);
	});
}

fn post_all_remaining(request_id: RequestId) {
	let request = Requests::<Test>::get(request_id).unwrap();
	for (i, seat) in request.seats.iter().enumerate() {
		if seat.challenge.is_none() {
			assert_ok!(post(seat.challenger, request_id, secret(i)));
		}
	}
}

#[test]
fn without_enough_challengers_the_request_is_cancelled_and_refunded() {
	new_test_ext().execute_with(|| {
		Challengers::set(vec![10, 11]);
		assert_ok!(request(1, EK_A, AK_A));
		run_to_block(DRAW);
		assert!(Requests::<Test>::get(0).is_none());
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), 10_000);
		assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
	});
}

#[test]
fn an_unanswered_request_expires_and_after_an_honest_audit_loses_part_of_its_deposit() {
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		run_to_block(DRAW);
		post_honest(0);
		let issuance = Balances::total_issuance();
		run_to_block(DRAW + RESPONSE_WINDOW);
		let penalty = DEPOSIT / 5;
		assert_eq!(events().last(), Some(&Event::RegistrationExpired { request_id: 0, who: 1, penalty }));
		// The penalty stays held while the challengers reveal their seeds.
		assert_eq!(held(1), penalty);
		assert!(!Attestation::is_attested(&1));
		assert_noop!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A), Error::<Test>::UnknownRequest);
		let seated: Vec<u64> = Audits::<Test>::get(0).unwrap().seats.iter().map(|s| s.challenger).collect();
		assert_eq!(seated.len(), 3);
		assert_noop!(reveal(1, 0, seed_of(1)), Error::<Test>::NotAnAuditedChallenger);
		assert_noop!(reveal(seated[0], 7, seed_of(seated[0])), Error::<Test>::UnknownAudit);
		// Reveals wait a little, so that an audit on a dropped fork sees none.
		assert_noop!(reveal(seated[0], 0, seed_of(seated[0])), Error::<Test>::RevealTooEarly);
		run_to_block(DRAW + RESPONSE_WINDOW + REVEAL_DELAY);
		for challenger in &seated {
			assert_ok!(reveal(*challenger, 0, seed_of(*challenger)));
		}
		assert_noop!(reveal(seated[0], 0, seed_of(seated[0])), Error::<Test>::UnknownAudit);
		// Every challenge was sound: the node's TPM failed, and the penalty is burnt.
		assert_eq!(events().last(), Some(&Event::AuditClosed { request_id: 0, who: 1, refunded: false, penalty }));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), 10_000 - penalty);
		assert_eq!(Balances::total_issuance(), issuance - penalty);
		assert!(seated.iter().all(|c| bonded(*c) == BOND));
		assert_eq!(OpenSeats::<Test>::iter().count(), 0, "every seat is resolved");
		// The account may try again.
		assert_ok!(request(1, EK_A, AK_A));
	});
}

#[test]
fn the_deposit_must_be_affordable() {
	new_test_ext().execute_with(|| {
		assert_noop!(request(5, EK_A, AK_A), Error::<Test>::InsufficientDeposit);
		assert_noop!(request(99, EK_A, AK_A), Error::<Test>::InsufficientDeposit);
	});
}

#[test]
fn deadline_lists_hold_only_live_entries_and_cannot_be_flooded_for_free() {
	new_test_ext().execute_with(|| {
		let listed = |id: RequestId| Deadlines::<Test>::iter().filter(|(_, due)| due.contains(&id)).count();
		// A request is listed once, at its phase's deadline.
		assert_ok!(request(1, EK_A, AK_A));
		assert_eq!(Deadlines::<Test>::get(DRAW).to_vec(), vec![0]);
		// Cancelled: it leaves the list, and the requester pays for the slot it held.
		assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(1), 0));
		assert_eq!(listed(0), 0);
		assert_eq!(Balances::free_balance(1), 10_000 - DEPOSIT / 5);
		assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: DEPOSIT / 5 }));

		// Through every phase, one entry; none once the node is registered.
		assert_ok!(request(2, EK_A, AK_A));
		run_to_block(DRAW);
		assert_eq!(listed(1), 1);
		post_all(1);
		assert_eq!(listed(1), 1);
		assert!(matches!(Requests::<Test>::get(1).unwrap().phase, Phase::Answering(_)));

		// A full list spills into the next blocks, a few of them, then refuses by name.
		let full = || BoundedVec::truncate_from(vec![100, 101, 102, 103]);
		let at = draw_after(DRAW);
		for block in at..at + 3 {
			Deadlines::<Test>::insert(block, full());
		}
		assert_ok!(request(3, EK_B, AK_B));
		assert_eq!(Deadlines::<Test>::get(at + 3).to_vec(), vec![2]);
		assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(3), 2));
		Deadlines::<Test>::insert(at + 3, full());
		assert_noop!(request(3, EK_B, AK_B), Error::<Test>::TooManyRequests);
	});
}

#[test]
fn genesis_nodes_are_attested_without_a_tpm() {
	ext_with(vec![], vec![7]).execute_with(|| {
		assert!(Attestation::is_attested(&7));
		assert!(!Attestation::is_attested(&1));
		assert_eq!(Nodes::<Test>::get(7).unwrap().ek_id, None);
	});
}

#[test]
fn governance_adds_and_revokes_cas() {
	ext_with(vec![], vec![]).execute_with(|| {
		let label = || LabelBytes::truncate_from(b"x".to_vec());
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::signed(1), cert(ROOT_CA), None, label()),
			DispatchError::BadOrigin
		);
		// The intermediate is not self-signed, and has no trusted parent yet.
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ISSUER_CA), None, label()),
			Error::<Test>::BadCertSignature
		);
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ISSUER_CA), Some(0), label()),
			Error::<Test>::UnknownCa
		);
		assert_ok!(Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ROOT_CA), None, label()));
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ROOT_CA), None, label()),
			Error::<Test>::DuplicateCa
		);
		// An EK certificate's issuer is the intermediate, not the root.
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(EK_A), Some(0), label()),
			Error::<Test>::IssuerMismatch
		);
		assert_ok!(Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ISSUER_CA), Some(0), label()));
		assert_eq!(events().last(), Some(&Event::CaAdded { ca_id: 1, parent: Some(0) }));
		// An EK certificate signed by the issuer is not a CA, though its signature holds.
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(EK_A), Some(1), label()),
			Error::<Test>::NotACaCertificate
		);
		assert_ok!(request(1, EK_A, AK_A));

		// Revoking the root revokes what is under it.
		assert_noop!(Attestation::revoke_ca(RuntimeOrigin::root(), 9), Error::<Test>::UnknownCa);
		assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 0));
		assert_noop!(request(2, EK_B, AK_B), Error::<Test>::CaRevoked);
	});
}

#[test]
fn a_ca_rolls_its_key_under_the_same_name() {
	const OLD: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/rollover_ca_old.der");
	const NEW: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/rollover_ca_new.der");
	const EK_ROLLED: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ek_a_rolled.der");
	const EK_NO_KEY_ID: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ek_a_rolled_no_aki.der");
	ext_with(vec![], vec![]).execute_with(|| {
		let add = |der: &[u8]| {
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(der), None, LabelBytes::truncate_from(b"x".to_vec()))
		};
		assert_ok!(add(OLD));
		// While only the old key is trusted, the subject's one CA is tried, and its key
		// does not verify the new one's certificates.
		assert_noop!(request(1, EK_ROLLED, AK_A), Error::<Test>::BadCertSignature);
		// The new key under the same name is another CA; the same key twice is not.
		assert_ok!(add(NEW));
		assert_noop!(add(NEW), Error::<Test>::DuplicateCa);
		// An EK certificate names its issuer's key: the new one.
		assert_ok!(request(1, EK_ROLLED, AK_A));
		assert_eq!(Requests::<Test>::get(0).unwrap().ca_id, 1);
		assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(1), 0));
		// Without a key id it could be either: refused with a clear error.
		assert_noop!(request(2, EK_NO_KEY_ID, AK_A), Error::<Test>::AmbiguousIssuer);
		// Revoking the old key leaves the new one trusted.
		assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 0));
		assert_ok!(request(2, EK_ROLLED, AK_A));
		assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 1));
		assert_noop!(request(3, EK_ROLLED, AK_B), Error::<Test>::CaRevoked);
	});
}

#[test]
fn a_sweep_lists_the_nodes_under_a_revoked_ca() {
	new_test_ext().execute_with(|| {
		ready_request();
		assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
		let ek_id = Nodes::<Test>::get(1).unwrap().ek_id.unwrap();
		// Node 1's EK was issued by the intermediate (1), under the root (0); the
		// challengers came from genesis, without a TPM.
		assert_eq!(Attestation::nodes_under_ca(1), vec![(1, ek_id)]);
		assert_eq!(Attestation::nodes_under_ca(0), vec![(1, ek_id)]);
		assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 0));
		assert_eq!(Attestation::nodes_under_ca(0), vec![(1, ek_id)], "still listed: governance revokes the EKs");
		assert_ok!(Attestation::revoke_ek(RuntimeOrigin::root(), ek_id));
		assert_eq!(Attestation::nodes_under_ca(0), vec![]);
		assert_eq!(Attestation::nodes_under_ca(7), vec![]);
	});
}

#[test]
fn the_ca_list_is_bounded() {
	ext_with(vec![], vec![]).execute_with(|| {
		CaCount::<Test>::put(8);
		assert_noop!(
			Attestation::add_trusted_ca(RuntimeOrigin::root(), cert(ROOT_CA), None, LabelBytes::default()),
			Error::<Test>::TooManyCas
		);
	});
}

#[test]
fn a_revoked_ek_loses_its_node_and_cannot_register() {
	new_test_ext().execute_with(|| {
		ready_request();
		assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
		let ek_id = Nodes::<Test>::get(1).unwrap().ek_id.unwrap();
		assert_noop!(Attestation::revoke_ek(RuntimeOrigin::signed(1), ek_id), DispatchError::BadOrigin);
		assert_ok!(Attestation::revoke_ek(RuntimeOrigin::root(), ek_id));
		assert_eq!(events().last(), Some(&Event::EkRevoked { ek_id, owner: Some(1) }));
		assert!(!Attestation::is_attested(&1));
		assert_noop!(request(1, EK_A, AK_A), Error::<Test>::EkRevoked);
	});
}

#[test]
fn one_open_request_per_ek() {
	new_test_ext().execute_with(|| {
		// Parallel requests for one EK would each draw seats of their own.
		assert_ok!(request(1, EK_A, AK_A));
		assert_noop!(request(2, EK_A, AK_A), Error::<Test>::EkRequestPending);
		assert_noop!(request(2, EK_A, AK_B), Error::<Test>::EkRequestPending);
		assert_ok!(request(2, EK_B, AK_B));
		// Once it ends, the EK may be asked for again.
		assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(1), 0));
		assert_ok!(request(3, EK_A, AK_A));
	});
}

#[test]
fn only_the_requester_cancels_an_open_request() {
	new_test_ext().execute_with(|| {
		assert_ok!(request(1, EK_A, AK_A));
		assert_noop!(Attestation::cancel_request(RuntimeOrigin::signed(2), 0), Error::<Test>::NotRequester);
		assert_noop!(Attestation::cancel_request(RuntimeOrigin::signed(1), 9), Error::<Test>::UnknownRequest);
		// Cancelled once all challenges are in, it is audited as an expired request is.
		run_to_block(DRAW);
		post_honest(0);
		assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(1), 0));
		assert_eq!(events().last(), Some(&Event::RegistrationExpired { request_id: 0, who: 1, penalty: DEPOSIT / 5 }));
		assert!(Audits::<Test>::contains_key(0));
		assert_eq!(held(1), DEPOSIT / 5);
	});
}

/// What a coalition of validators, or a requester grinding the draw, tries.
mod colluding_challengers {
	use super::*;

	fn phase(request_id: RequestId) -> Phase<u64> {
		Requests::<Test>::get(request_id).unwrap().phase
	}

	#[test]
	fn grinding_gets_one_draw_per_period_and_costs_the_penalty_each_time() {
		// Retries of an EK made at any block of an epoch all draw at the next epoch's
		// start, with the same randomness: they meet the same seats.
		let mut drawn = Vec::new();
		for (who, at) in [(1, 3), (2, 4), (3, 5)] {
			new_test_ext().execute_with(|| {
				run_to_block(at);
				assert_ok!(request(who, EK_A, AK_A));
				// Not with the seed of the period under way (outputs of blocks before the
				// request are in it), but the next one.
				run_to_block(3 * EPOCH - 1);
				assert!(matches!(phase(0), Phase::Drawing(_)), "randomness known at the request is not used");
				run_to_block(3 * EPOCH);
				drawn.push(seats(0));
			});
		}
		assert!(drawn.windows(2).all(|w| w[0] == w[1]), "{drawn:?}");

		// Each retry in a row costs the penalty: cancelling before the seats post...
		new_test_ext().execute_with(|| {
			let issuance = Balances::total_issuance();
			for who in 1..=3u64 {
				assert_ok!(request(who, EK_A, AK_A));
				let id = who - 1;
				run_to_block(draw_after(System::block_number()));
				assert!(matches!(phase(id), Phase::Challenging(_)));
				assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(who), id));
				assert_eq!(Balances::free_balance(who), 10_000 - DEPOSIT / 5);
			}
			assert_eq!(Balances::total_issuance(), issuance - 3 * DEPOSIT / 5);
		});
	}

	#[test]
	fn the_draw_takes_only_vrf_outputs_of_blocks_after_the_request() {
		// The author of the block that includes a request (and those before it) know
		// their VRF outputs: changing them changes nothing.
		let seats_with = |overrides: Vec<(u64, H256)>| {
			VrfOverrides::set(overrides);
			new_test_ext().execute_with(|| {
				run_to_block(3);
				assert_ok!(request(1, EK_A, AK_A));
				run_to_block(draw_after(3));
				seats(0)
			})
		};
		let honest = seats_with(vec![]);
		let ground: Vec<_> = (0..=3).map(|n| (n, H256([n as u8 + 1; 32]))).collect();
		assert_eq!(seats_with(ground), honest);
		// The seed is made of the blocks after it: each one's output counts.
		let mut changed = 0;
		for block in 4..draw_after(3) - 1 {
			for byte in 0..8u8 {
				if seats_with(vec![(block, H256([byte; 32]))]) != honest {
					changed += 1;
				}
			}
		}
		VrfOverrides::set(vec![]);
		assert!(changed > 0, "later VRF outputs move the draw");
	}

	#[test]
	fn leaving_once_the_seed_is_known_does_not_reshuffle_the_draw() {
		let draw = |leaver: Option<usize>| {
			new_test_ext().execute_with(|| {
				assert_ok!(request(1, EK_A, AK_A));
				// The seed of the period [3, 6) is known once block 5 is made; a colluder
				// leaves in block 5 to change the pool.
				run_to_block(DRAW - 1);
				if let Some(at) = leaver {
					let who = [10u64, 11, 12, 13][at];
					assert_ok!(Attestation::leave_validators(RuntimeOrigin::signed(who)));
				}
				run_to_block(DRAW);
				seats(0)
			})
		};
		let seated = draw(None);
		for at in 0..4 {
			assert_eq!(draw(Some(at)), seated, "validator {at} left");
		}
	}

	#[test]
	fn seats_taken_earlier_in_a_block_count_against_the_limit() {
		new_test_ext().execute_with(|| {
			// Validator 10 has room for one more seat; two requests draw in one block.
			OpenSeats::<Test>::insert(10, MAX_SEATS - 1);
			assert_ok!(request(1, EK_A, AK_A));
			assert_ok!(request(2, EK_B, AK_B));
			run_to_block(DRAW);
			let holding = [0, 1].iter().filter(|id| seats(**id).contains(&10)).count();
			assert!(holding <= 1, "10 was seated {holding} times");
			assert!(OpenSeats::<Test>::get(10) <= MAX_SEATS);
		});
	}

	#[test]
	fn a_round_with_a_silent_challenger_fails_and_the_next_draw_leaves_it_out() {
		new_test_ext().execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			let first = seats(0);
			for challenger in &first[..2] {
				assert_ok!(post_challenge(*challenger, 0, honest_challenge(0, *challenger)));
			}
			run_to_block(DRAW + CHALLENGE_WINDOW);
			// Two challenges are not enough: the request does not go on without the third.
			let benched_until = DRAW + CHALLENGE_WINDOW + SILENCE_BENCH;
			assert!(events().contains(&Event::ChallengersSilent { request_id: 0, silent: vec![first[2]], benched_until }));
			assert!(matches!(phase(0), Phase::Drawing(_)));
			assert!(seats(0).is_empty());
			assert_noop!(activate(1, 0, vec![secret(0), secret(1)], QUOTE_A), Error::<Test>::ChallengesNotReady);
			// The next draw takes randomness made after the round failed, and leaves the
			// silent out.
			let next = draw_after(DRAW + CHALLENGE_WINDOW);
			run_to_block(next - 1);
			assert!(matches!(phase(0), Phase::Drawing(_)));
			run_to_block(next);
			let second = seats(0);
			assert_eq!(second.len(), 3);
			assert!(!second.contains(&first[2]));
			assert!(matches!(events().last(), Some(Event::ChallengersAssigned { request_id: 0, round: 2, .. })));
			post_honest(0);
			assert!(matches!(phase(0), Phase::Answering(_)));
		});
	}

	#[test]
	fn a_silenced_honest_challenger_never_lets_the_others_decide_alone() {
		new_test_ext().execute_with(|| {
			// Three candidates: once one is silent, only two are left to draw.
			Challengers::set(vec![10, 11, 12]);
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			let first = seats(0);
			for challenger in &first[..2] {
				assert_ok!(post_challenge(*challenger, 0, honest_challenge(0, *challenger)));
			}
			run_to_block(draw_after(DRAW + CHALLENGE_WINDOW));
			assert!(Requests::<Test>::get(0).is_none());
			assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
			assert_eq!(held(1), 0);
			assert_eq!(Balances::free_balance(1), 10_000);
		});
	}

	#[test]
	fn after_its_last_round_a_request_ends_refunded() {
		new_test_ext().execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			let mut at = DRAW;
			for round in 1..=MAX_ROUNDS {
				run_to_block(at);
				assert!(matches!(phase(0), Phase::Challenging(_)), "round {round}");
				// Two post, one is silent: the round fails.
				for challenger in &seats(0)[..2] {
					assert_ok!(post_challenge(*challenger, 0, honest_challenge(0, *challenger)));
				}
				run_to_block(at + CHALLENGE_WINDOW);
				at = draw_after(at + CHALLENGE_WINDOW);
			}
			assert!(Requests::<Test>::get(0).is_none());
			assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
			assert_eq!(Balances::free_balance(1), 10_000);
		});
	}

	/// Request 0 of account 1 with all challenges in, one of them (`cheater`'s) a
	/// credential that does not open; it expires unanswered.
	fn griefed_request() -> (Vec<u64>, u64) {
		assert_ok!(request(1, EK_A, AK_A));
		run_to_block(DRAW);
		let seated = seats(0);
		let cheater = seated[2];
		for challenger in &seated[..2] {
			assert_ok!(post_challenge(*challenger, 0, honest_challenge(0, *challenger)));
		}
		assert_ok!(post(cheater, 0, secret(2)));
		assert!(matches!(phase(0), Phase::Answering(_)));
		run_to_block(DRAW + RESPONSE_WINDOW);
		assert_eq!(held(1), DEPOSIT / 5);
		run_to_block(DRAW + RESPONSE_WINDOW + REVEAL_DELAY);
		(seated, cheater)
	}

	#[test]
	fn a_challenger_whose_credential_does_not_open_is_slashed_and_the_node_refunded() {
		new_test_ext().execute_with(|| {
			let (seated, cheater) = griefed_request();
			for challenger in &seated[..2] {
				assert_ok!(reveal(*challenger, 0, seed_of(*challenger)));
			}
			// Whatever seed the cheater reveals, the runtime does not make its challenge.
			assert_ok!(reveal(cheater, 0, seed_of(cheater)));
			let reward = BOND / 10;
			assert!(events().contains(&Event::ChallengerSlashed {
				request_id: 0,
				challenger: cheater,
				reason: SlashReason::BadChallenge,
				slashed: BOND,
				reward,
			}));
			assert_eq!(
				events().last(),
				Some(&Event::AuditClosed { request_id: 0, who: 1, refunded: true, penalty: DEPOSIT / 5 })
			);
			assert_eq!(held(1), 0);
			assert_eq!(Balances::free_balance(1), 10_000 + reward);
			assert_eq!(bonded(cheater), 0);
			assert!(!ValidatorCandidates::<Test>::get().iter().any(|(v, _)| *v == cheater));
			assert!(seated[..2].iter().all(|c| bonded(*c) == BOND));
			// It is no longer drawn.
			assert_ok!(request(2, EK_B, AK_B));
			run_to_block(draw_after(System::block_number()));
			assert!(!seats(1).contains(&cheater));
			// Every seat of the audit is resolved.
			assert!(OpenSeats::<Test>::iter().all(|(c, _)| seats(1).contains(&c)));
		});
	}

	#[test]
	fn a_reveal_not_signed_by_the_challenger_key_slashes_nobody() {
		// Anyone could "reveal" a wrong seed for an honest seat, if reveals were not signed:
		// the honest challenger would be slashed for a lie it never told.
		new_test_ext().execute_with(|| {
			let (seated, _) = griefed_request();
			let honest = seated[0];
			let wrong_seed = [0xee; 32];
			let payload = Attestation::reveal_payload(0, &honest, &audit_binding(0), &wrong_seed);
			for signer in [seated[1], 1] {
				assert_noop!(
					Attestation::reveal_challenge(
						RuntimeOrigin::none(),
						0,
						wrong_seed,
						honest,
						key_signature(signer, &payload)
					),
					Error::<Test>::BadChallengerSignature
				);
			}
			assert_noop!(
				Attestation::reveal_challenge(
					RuntimeOrigin::signed(honest),
					0,
					seed_of(honest),
					honest,
					key_signature(honest, &Attestation::reveal_payload(0, &honest, &audit_binding(0), &seed_of(honest)))
				),
				DispatchError::BadOrigin
			);
			assert_eq!(bonded(honest), BOND);
			assert_ok!(reveal(honest, 0, seed_of(honest)));
			assert!(events().contains(&Event::ChallengeRevealed { request_id: 0, challenger: honest }));
		});
	}

	#[test]
	fn a_challenger_that_does_not_reveal_is_slashed_after_the_window() {
		new_test_ext().execute_with(|| {
			let (seated, cheater) = griefed_request();
			for challenger in &seated[..2] {
				assert_ok!(reveal(*challenger, 0, seed_of(*challenger)));
			}
			let window_end = DRAW + RESPONSE_WINDOW + REVEAL_WINDOW;
			run_to_block(window_end - 1);
			assert_noop!(Attestation::close_audit(RuntimeOrigin::signed(5), 0), Error::<Test>::AuditNotOver);
			assert_noop!(Attestation::close_audit(RuntimeOrigin::signed(5), 9), Error::<Test>::UnknownAudit);
			run_to_block(window_end);
			// Anyone closes it, for free.
			let info = Attestation::close_audit(RuntimeOrigin::signed(5), 0).unwrap();
			assert_eq!(info.pays_fee, polkadot_sdk::frame_support::dispatch::Pays::No);
			assert!(events().contains(&Event::ChallengerSlashed {
				request_id: 0,
				challenger: cheater,
				reason: SlashReason::NoReveal,
				slashed: BOND,
				reward: BOND / 10,
			}));
			assert!(!Audits::<Test>::contains_key(0));
			assert_eq!(held(1), 0);
			assert_eq!(Balances::free_balance(1), 10_000 + BOND / 10);
			assert_eq!(OpenSeats::<Test>::iter().count(), 0, "no seat is left open");
		});
	}

	#[test]
	fn a_leaving_challenger_can_still_be_slashed_while_unbonding() {
		new_test_ext().execute_with(|| {
			let (seated, cheater) = griefed_request();
			for challenger in &seated[..2] {
				assert_ok!(reveal(*challenger, 0, seed_of(*challenger)));
			}
			assert_ok!(Attestation::leave_validators(RuntimeOrigin::signed(cheater)));
			assert_eq!(bonded(cheater), BOND);
			// Its bond is not freed while the seat is open, even after unbonding.
			run_to_block(DRAW + RESPONSE_WINDOW + REVEAL_DELAY + UNBONDING);
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(cheater)), Error::<Test>::SeatsOpen);
			assert_ok!(Attestation::close_audit(RuntimeOrigin::signed(5), 0));
			assert_eq!(bonded(cheater), 0);
			assert!(!Unbonding::<Test>::contains_key(cheater));
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(cheater)), Error::<Test>::NotUnbonding);
		});
	}

	#[test]
	fn a_signed_challenge_from_one_fork_does_not_post_on_another() {
		// Request 0 names AK a on one fork and AK b on the other. A challenge posted on the
		// first, replayed into the second, would fill the seat with a credential the
		// honest challenger cannot reveal there, and get it slashed.
		let signed_on_fork_a = new_test_ext().execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			let challenger = seats(0)[0];
			let challenge = honest_challenge(0, challenger);
			let payload = Attestation::challenge_payload(0, &challenger, &request_binding(0), &challenge);
			(challenger, challenge.clone(), key_signature(challenger, &payload))
		});
		new_test_ext().execute_with(|| {
			assert_ok!(request(1, EK_A, AK_B));
			run_to_block(DRAW);
			let (challenger, challenge, signature) = signed_on_fork_a.clone();
			assert_eq!(seats(0)[0], challenger, "the same seats: the draw depends on the EK and the seed");
			assert_noop!(post_signed_by(challenger, 0, challenge, signature), Error::<Test>::BadChallengerSignature);
		});
	}

	#[test]
	fn a_secret_is_bound_to_its_chain_request_requester_ek_and_ak() {
		// On two forks, request 0 is a different EK of a different account. A challenger
		// with one private seed makes unrelated secrets for them, so the secret a TPM
		// opens on one fork answers nothing on the other.
		let on_fork = |who: u64, ek: &[u8], ak_public: &[u8]| {
			new_test_ext().execute_with(|| {
				assert_ok!(request(who, ek, ak_public));
				run_to_block(DRAW);
				let r = Requests::<Test>::get(0).unwrap();
				let made = Attestation::make_challenge(&[7; 32], 0, &10, &r.who, &r.ek_id, &r.ek_modulus, &r.ak_name)
					.unwrap();
				(made.secret, made.challenge.commitment)
			})
		};
		let (secret_a, commitment_a) = on_fork(1, EK_A, AK_A);
		let (secret_b, commitment_b) = on_fork(2, EK_B, AK_B);
		assert_ne!(secret_a, secret_b);
		assert_ne!(commitment_a, commitment_b);
		// The same EK and AK asked for by another account: another secret too.
		let (secret_c, _) = on_fork(2, EK_A, AK_A);
		assert_ne!(secret_a, secret_c);
		// And the same request, account and EK with another AK.
		let (secret_d, _) = on_fork(1, EK_A, AK_B);
		assert_ne!(secret_a, secret_d);
		assert_eq!(on_fork(1, EK_A, AK_A).0, secret_a, "deterministic, so that it can be audited");
	}

	#[test]
	fn a_pending_request_of_a_revoked_ca_cannot_activate_and_ends_without_penalty() {
		new_test_ext().execute_with(|| {
			ready_request();
			assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 1));
			assert_noop!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A), Error::<Test>::CaRevoked);
			assert_ok!(Attestation::cancel_request(RuntimeOrigin::signed(1), 0));
			assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
			assert_eq!(Balances::free_balance(1), 10_000);
			assert_eq!(OpenSeats::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn a_request_of_a_revoked_ca_that_expires_is_not_audited_nor_penalised() {
		new_test_ext().execute_with(|| {
			ready_request();
			assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 0));
			run_to_block(DRAW + RESPONSE_WINDOW);
			assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
			assert!(!Audits::<Test>::contains_key(0));
			assert_eq!(Balances::free_balance(1), 10_000);
		});
	}

	#[test]
	fn revoking_an_ek_ends_its_open_request_refunded() {
		new_test_ext().execute_with(|| {
			ready_request();
			let ek_id = Requests::<Test>::get(0).unwrap().ek_id;
			assert_ok!(Attestation::revoke_ek(RuntimeOrigin::root(), ek_id));
			assert_noop!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A), Error::<Test>::UnknownRequest);
			assert!(Requests::<Test>::get(0).is_none());
			assert!(RequestOfEk::<Test>::get(ek_id).is_none());
			assert_eq!(Balances::free_balance(1), 10_000);
			assert_eq!(OpenSeats::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn one_bond_answers_for_a_bounded_number_of_seats() {
		new_test_ext().execute_with(|| {
			// Validator 10 already holds as many open seats as one bond answers for.
			OpenSeats::<Test>::insert(10, MAX_SEATS);
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			assert_eq!(seats(0).len(), 3);
			assert!(!seats(0).contains(&10), "a validator at its seat limit is not drawn");
			// Seats are counted while open and released when the request ends.
			assert!(seats(0).iter().all(|c| OpenSeats::<Test>::get(c) == 1));
			post_all(0);
			assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
			assert_eq!(OpenSeats::<Test>::iter().collect::<Vec<_>>(), vec![(10, MAX_SEATS)]);
			// A validator leaving with open seats gets its bond back only once they close.
			assert_ok!(Attestation::leave_validators(RuntimeOrigin::signed(10)));
			run_to_block(DRAW + UNBONDING);
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(10)), Error::<Test>::SeatsOpen);
			OpenSeats::<Test>::remove(10);
			assert_ok!(Attestation::withdraw_bond(RuntimeOrigin::signed(10)));
		});
	}

	#[test]
	fn a_request_whose_answering_deadline_finds_no_room_ends_refunded_without_blame() {
		new_test_ext().execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			let full = || BoundedVec::truncate_from(vec![100, 101, 102, 103]);
			for block in DRAW + RESPONSE_WINDOW..DRAW + RESPONSE_WINDOW + 4 {
				Deadlines::<Test>::insert(block, full());
			}
			post_honest(0);
			assert!(Requests::<Test>::get(0).is_none());
			assert_eq!(events().last(), Some(&Event::RegistrationCancelled { request_id: 0, who: 1, penalty: 0 }));
			assert!(Benched::<Test>::get().is_empty(), "the challengers all posted");
			assert_eq!(OpenSeats::<Test>::iter().count(), 0);
		});
	}
}

/// The attested validator set that feeds pallet-session.
mod validators {
	use super::*;
	use polkadot_sdk::pallet_session::SessionManager;

	fn genesis() -> polkadot_sdk::sp_io::TestExternalities {
		// 1 and 2 are nodes; 1 validates from genesis.
		ext_with_validators(vec![], vec![1, 2], vec![1])
	}

	#[test]
	fn a_node_with_session_keys_bonds_and_validates_from_the_next_session() {
		genesis().execute_with(|| {
			assert_eq!(Attestation::new_session(1), Some(vec![1]));
			assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(2)));
			assert_eq!(bonded(2), BOND);
			assert_eq!(events().last(), Some(&Event::ValidatorJoined { who: 2, bond: BOND }));
			assert_eq!(Attestation::new_session(2), Some(vec![1, 2]));

			assert_ok!(Attestation::leave_validators(RuntimeOrigin::signed(2)));
			assert_eq!(Attestation::new_session(3), Some(vec![1]));
			// The bond stays held, and slashable, until the unbonding period is over.
			let unbonds_at = 1 + UNBONDING;
			assert_eq!(events().last(), Some(&Event::ValidatorLeft { who: 2, unbonds_at }));
			assert_eq!(bonded(2), BOND);
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(2)), Error::<Test>::StillUnbonding);
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(2)), Error::<Test>::UnbondingNotOver);
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(3)), Error::<Test>::NotUnbonding);
			run_to_block(unbonds_at);
			assert_ok!(Attestation::withdraw_bond(RuntimeOrigin::signed(2)));
			assert_eq!(events().last(), Some(&Event::BondWithdrawn { who: 2, bond: BOND }));
			assert_eq!(bonded(2), 0);
			assert_eq!(Balances::free_balance(2), 10_000);
			assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(2)));
		});
	}

	#[test]
	fn governance_removes_validators_and_genesis_validators_are_ordinary_members() {
		genesis().execute_with(|| {
			WithKeys::set(vec![1, 2]);
			assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(2)));
			assert_noop!(Attestation::remove_validator(RuntimeOrigin::signed(1), 2), DispatchError::BadOrigin);
			assert_noop!(Attestation::remove_validator(RuntimeOrigin::root(), 3), Error::<Test>::NotAValidator);
			// The genesis validator bonded at genesis and is removed like any other.
			assert_eq!(bonded(1), BOND);
			assert_ok!(Attestation::remove_validator(RuntimeOrigin::root(), 1));
			assert_eq!(events().last(), Some(&Event::ValidatorRemoved { who: 1, unbonds_at: 1 + UNBONDING }));
			assert_eq!(Attestation::new_session(2), Some(vec![2]));
			assert_noop!(Attestation::withdraw_bond(RuntimeOrigin::signed(1)), Error::<Test>::UnbondingNotOver);
		});
	}

	#[test]
	fn revoking_an_ek_or_its_ca_removes_the_validator() {
		for revoke_ca in [false, true] {
			new_test_ext().execute_with(|| {
				ready_request();
				assert_ok!(activate(1, 0, vec![secret(0), secret(1), secret(2)], QUOTE_A));
				assert_eq!(Nodes::<Test>::get(1).unwrap().ca_id, Some(1), "the issuing CA is recorded");
				assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(1)));
				assert!(Attestation::new_session(1).unwrap().contains(&1));
				if revoke_ca {
					assert_ok!(Attestation::revoke_ca(RuntimeOrigin::root(), 0));
				} else {
					let ek_id = Nodes::<Test>::get(1).unwrap().ek_id.unwrap();
					assert_ok!(Attestation::revoke_ek(RuntimeOrigin::root(), ek_id));
				}
				assert!(events().contains(&Event::ValidatorRemoved { who: 1, unbonds_at: DRAW + UNBONDING }));
				assert!(!ValidatorCandidates::<Test>::get().iter().any(|(v, _)| *v == 1));
				assert!(!Attestation::new_session(2).unwrap().contains(&1));
				// The challengers, whose nodes came from genesis, stay.
				assert_eq!(ValidatorCandidates::<Test>::get().len(), 4);
			});
		}
	}

	#[test]
	fn only_nodes_with_keys_and_a_bond_join_once() {
		genesis().execute_with(|| {
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(3)), Error::<Test>::NotANode);
			WithKeys::set(vec![1]);
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(2)), Error::<Test>::NoSessionKeys);
			WithKeys::set(vec![1, 2]);
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(1)), Error::<Test>::AlreadyValidator);
			assert_noop!(Attestation::leave_validators(RuntimeOrigin::signed(2)), Error::<Test>::NotAValidator);
			assert_noop!(Attestation::leave_validators(RuntimeOrigin::signed(1)), Error::<Test>::LastValidator);
		});
		// Account 5 holds 50, less than the bond.
		ext_with_validators(vec![], vec![1, 5], vec![1]).execute_with(|| {
			WithKeys::set(vec![1, 5]);
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(5)), Error::<Test>::InsufficientBond);
		});
		// The set is bounded.
		let eight = vec![1, 2, 3, 4, 10, 11, 12, 13];
		ext_with_validators(vec![], [eight.clone(), vec![6]].concat(), eight.clone()).execute_with(|| {
			WithKeys::set([eight, vec![6]].concat());
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(6)), Error::<Test>::TooManyValidators);
		});
	}

	#[test]
	fn a_revoked_node_or_one_without_keys_drops_out_and_the_set_is_never_empty() {
		genesis().execute_with(|| {
			WithKeys::set(vec![1, 2]);
			assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(2)));
			// 2 loses its attestation (its EK revoked): not a validator from the next session.
			Nodes::<Test>::remove(2);
			assert_eq!(Attestation::new_session(2), Some(vec![1]));
			// 1 purges its keys: nobody is left, so the current set stays.
			WithKeys::set(vec![]);
			assert_eq!(Attestation::new_session(3), None);
		});
	}

	#[test]
	fn an_offender_loses_part_of_its_bond_once_per_offence_and_leaves() {
		genesis().execute_with(|| {
			WithKeys::set(vec![1, 2]);
			assert_ok!(Attestation::join_validators(RuntimeOrigin::signed(2)));
			let reporter_before = Balances::free_balance(3);
			// An equivocation in session 4 reported by 3, with a slash fraction below the
			// floor: the floor (20 %) applies.
			Attestation::punish_offender(&2, Perbill::from_percent(5), 4, Some(&3));
			let slashed = BOND / 5;
			let reward = slashed / 10;
			let unbonds_at = 1 + UNBONDING;
			assert_eq!(
				events().last(),
				Some(&Event::OffenderSlashed { who: 2, session: 4, slashed, reward, unbonds_at })
			);
			assert_eq!(Balances::free_balance(3), reporter_before + reward);
			assert_eq!(bonded(2), BOND - slashed);
			assert_eq!(Unbonding::<Test>::get(2), Some((BOND - slashed, unbonds_at)));
			assert_eq!(Attestation::new_session(2), Some(vec![1]), "it leaves at the next session");
			assert_noop!(Attestation::join_validators(RuntimeOrigin::signed(2)), Error::<Test>::StillUnbonding);

			// pallet-offences reports the same offender again with each concurrent one.
			Attestation::punish_offender(&2, Perbill::from_percent(5), 4, Some(&3));
			assert_eq!(bonded(2), BOND - slashed);
			// Another offence while unbonding is slashed again, a larger fraction as given;
			// an offender's own report earns it nothing.
			Attestation::punish_offender(&2, Perbill::from_percent(50), 5, Some(&2));
			let second = (BOND - slashed) / 2;
			assert_eq!(bonded(2), BOND - slashed - second);
			assert_eq!(
				events().last(),
				Some(&Event::OffenderSlashed { who: 2, session: 5, slashed: second, reward: 0, unbonds_at })
			);
			// Reported again in turns, neither offence is punished twice.
			Attestation::punish_offender(&2, Perbill::from_percent(50), 4, Some(&3));
			Attestation::punish_offender(&2, Perbill::from_percent(50), 5, Some(&3));
			assert_eq!(bonded(2), BOND - slashed - second);
			run_to_block(unbonds_at);
			assert_ok!(Attestation::withdraw_bond(RuntimeOrigin::signed(2)));
			assert!(PunishedOffence::<Test>::get(2).is_empty());
			assert_eq!(Balances::free_balance(2), 10_000 - slashed - second);
		});
	}

	#[test]
	fn an_offender_without_a_bond_is_left_alone_and_a_whole_slash_leaves_nothing_unbonding() {
		genesis().execute_with(|| {
			// 2 is a node but never bonded.
			let before = <Balances as polkadot_sdk::frame_support::traits::fungible::Inspect<u64>>::total_balance(&2);
			Attestation::punish_offender(&2, Perbill::one(), 1, None);
			assert_eq!(<Balances as polkadot_sdk::frame_support::traits::fungible::Inspect<u64>>::total_balance(&2), before);
			assert!(!events().iter().any(|e| matches!(e, Event::OffenderSlashed { .. })));
			// The genesis validator loses all of it, with no reporter to reward.
			Attestation::punish_offender(&1, Perbill::one(), 1, None);
			assert_eq!(bonded(1), 0);
			assert_eq!(Unbonding::<Test>::get(1), None);
			assert_eq!(ValidatorCandidates::<Test>::get().len(), 0);
			assert_eq!(<Balances as polkadot_sdk::frame_support::traits::fungible::Inspect<u64>>::total_balance(&1), 10_000 - BOND);
		});
	}
}

/// The challengers' off-chain worker, with an off-chain database, a transaction pool and
/// a keystore of `UintAuthorityId`s.
mod offchain_worker {
	use super::*;
	use crate::offchain::{MAX_CHALLENGES_PER_RUN, RESEND_AFTER};
	use codec::{Decode, Encode};
	use polkadot_sdk::{
		frame_support::{dispatch::GetDispatchInfo, traits::Hooks},
		sp_core::offchain::{
			testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
			OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
		},
		sp_io,
		sp_runtime::{generic::Preamble, testing::UintAuthorityId, traits::Dispatchable},
	};
	use std::sync::Arc;

	fn ext(keys: Vec<u64>) -> (sp_io::TestExternalities, Arc<parking_lot::RwLock<PoolState>>) {
		UintAuthorityId::set_all_keys(keys);
		let mut ext = new_test_ext();
		let (offchain, state) = TestOffchainExt::new();
		state.write().seed = [7; 32];
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		(ext, pool_state)
	}

	/// The challenges and reveals in the pool, with the challenger each is for, and
	/// empties it.
	fn take_sent(pool: &parking_lot::RwLock<PoolState>) -> Vec<(u64, Call<Test>)> {
		pool.write()
			.transactions
			.drain(..)
			.map(|bytes| {
				let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
				assert!(matches!(xt.preamble, Preamble::Bare(_)), "unsigned, signed by the challenger key");
				let RuntimeCall::Attestation(call) = xt.function else { panic!("not an attestation call") };
				let challenger = match &call {
					Call::post_challenge { challenger, .. } | Call::reveal_challenge { challenger, .. } => *challenger,
					other => panic!("not a challenge or reveal: {other:?}"),
				};
				(challenger, call)
			})
			.collect()
	}

	/// Validates an unsigned call as the pool does, then dispatches it.
	#[allow(deprecated)]
	fn dispatch(_challenger: u64, call: Call<Test>) -> DispatchResult {
		use polkadot_sdk::sp_runtime::{traits::ValidateUnsigned, transaction_validity::TransactionSource};
		assert!(call.get_dispatch_info().call_weight.ref_time() > 0);
		Attestation::validate_unsigned(TransactionSource::External, &call).expect("valid in the pool");
		RuntimeCall::Attestation(call).dispatch(RuntimeOrigin::none()).map(|_| ()).map_err(|e| e.error)
	}

	#[test]
	fn challengers_post_their_seats_and_the_secrets_match_the_commitments() {
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			Attestation::offchain_worker(DRAW);
			let sent = take_sent(&pool);
			let mut signers: Vec<_> = sent.iter().map(|(s, _)| *s).collect();
			signers.sort();
			let mut expected = seats(0);
			expected.sort();
			assert_eq!(signers, expected, "one challenge per seat, each signed by its challenger");

			for (signer, call) in sent {
				let Call::post_challenge { request_id, commitment, ref id_object, ref encrypted_secret, .. } = call else {
					panic!("not a challenge: {call:?}")
				};
				assert_eq!(request_id, 0);
				assert_eq!(encrypted_secret.len(), 256, "RSA-2048 OAEP");
				assert_eq!(id_object.len(), 2 + 32 + 2 + 32, "the integrity HMAC and the encrypted sized secret");
				// The secret the TPM will recover is the one committed to.
				let r = Requests::<Test>::get(0).unwrap();
				let binding = Attestation::binding(0, &r.who, &r.ek_id, &r.ak_name);
				let secret = crate::secret_from_seed(&Attestation::private_seed(0, &signer, &binding), &binding);
				assert_eq!(commitment, Attestation::commitment(0, &signer, &secret));
				assert_ok!(dispatch(signer, call));
			}
			assert!(matches!(Requests::<Test>::get(0).unwrap().phase, Phase::Answering(_)));
		});
	}

	#[test]
	fn a_seat_is_resent_only_after_the_wait_and_with_the_same_challenge() {
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			Attestation::offchain_worker(DRAW);
			let first = take_sent(&pool);
			assert_eq!(first.len(), 3);
			// Not included yet: the next blocks do not send again...
			for n in DRAW + 1..DRAW + RESEND_AFTER as u64 {
				System::set_block_number(n);
				Attestation::offchain_worker(n);
				assert!(take_sent(&pool).is_empty(), "resent at block {n}");
			}
			// ...until the wait is over; then the very same challenges go out.
			System::set_block_number(DRAW + RESEND_AFTER as u64);
			Attestation::offchain_worker(DRAW + RESEND_AFTER as u64);
			let mut again = take_sent(&pool);
			let mut first = first;
			let key = |(s, _): &(u64, Call<Test>)| *s;
			first.sort_by_key(key);
			again.sort_by_key(key);
			assert_eq!(first, again);
		});
	}

	#[test]
	fn seats_of_other_nodes_and_posted_seats_are_left_alone() {
		let (mut ext, pool) = ext(vec![42]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			Attestation::offchain_worker(DRAW);
			assert!(take_sent(&pool).is_empty(), "42 holds no seat");

			let mine = seats(0)[0];
			UintAuthorityId::set_all_keys(vec![mine]);
			assert_ok!(post(mine, 0, secret(0)));
			Attestation::offchain_worker(DRAW);
			assert!(take_sent(&pool).is_empty(), "the seat is posted already");
		});
	}

	#[test]
	fn requests_still_drawing_or_answering_get_no_challenges() {
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			Attestation::offchain_worker(1);
			assert!(take_sent(&pool).is_empty(), "challengers are not drawn yet");
			run_to_block(DRAW);
			post_all(0);
			Attestation::offchain_worker(DRAW);
			assert!(take_sent(&pool).is_empty(), "all challenges are in");
		});
	}

	#[test]
	fn one_run_makes_a_bounded_number_of_challenges() {
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			// Four requests, three seats each, all held by this node: 12 challenges due.
			// (The fixtures hold two EKs: the other two requests are copies.)
			assert_ok!(request(1, EK_A, AK_A));
			assert_ok!(request(2, EK_B, AK_B));
			run_to_block(DRAW);
			for id in 2..=3 {
				Requests::<Test>::insert(id, Requests::<Test>::get(id - 2).unwrap());
			}
			Attestation::offchain_worker(DRAW);
			assert_eq!(take_sent(&pool).len(), MAX_CHALLENGES_PER_RUN);
			Attestation::offchain_worker(DRAW);
			assert_eq!(take_sent(&pool).len(), 12 - MAX_CHALLENGES_PER_RUN, "the next run goes on");
		});
	}

	#[test]
	fn challengers_reveal_their_seeds_when_a_request_is_audited() {
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			Attestation::offchain_worker(DRAW);
			for (signer, call) in take_sent(&pool) {
				assert_ok!(dispatch(signer, call));
			}
			// The node does not answer: the request is audited.
			let opened = DRAW + RESPONSE_WINDOW;
			run_to_block(opened);
			assert!(Audits::<Test>::contains_key(0));
			let finalized = |n: u64| {
				sp_io::offchain::local_storage_set(
					polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
					crate::offchain::FINALIZED_KEY,
					&n.encode(),
				)
			};
			// Not before the reveal delay, and not before the audit's opening is final.
			Attestation::offchain_worker(opened);
			assert!(take_sent(&pool).is_empty(), "no finalized block known");
			finalized(opened - 1);
			run_to_block(opened + REVEAL_DELAY);
			Attestation::offchain_worker(opened + REVEAL_DELAY);
			assert!(take_sent(&pool).is_empty(), "the audit may be on a fork that is dropped");
			finalized(opened);
			Attestation::offchain_worker(opened + REVEAL_DELAY);
			let sent = take_sent(&pool);
			assert_eq!(sent.len(), 3, "one reveal per seat");
			Attestation::offchain_worker(opened + REVEAL_DELAY);
			assert!(take_sent(&pool).is_empty(), "not resent at once");
			for (signer, call) in sent {
				assert!(matches!(call, Call::reveal_challenge { request_id: 0, .. }), "{call:?}");
				assert_ok!(dispatch(signer, call));
			}
			// Every seed made its challenge again: nobody is slashed, the penalty is burnt.
			assert_eq!(
				events().last(),
				Some(&Event::AuditClosed { request_id: 0, who: 1, refunded: false, penalty: DEPOSIT / 5 })
			);
			assert_eq!(ValidatorCandidates::<Test>::get().len(), 4);
		});
	}

	#[test]
	fn a_seed_that_does_not_make_the_challenge_on_chain_is_not_revealed() {
		// Another node holding the same key posted the challenge, or this node lost its
		// seed: revealing would slash it for nothing.
		let (mut ext, pool) = ext(vec![10, 11, 12, 13]);
		ext.execute_with(|| {
			assert_ok!(request(1, EK_A, AK_A));
			run_to_block(DRAW);
			// Challenges made from seeds this node does not hold.
			post_honest(0);
			let opened = DRAW + RESPONSE_WINDOW;
			run_to_block(opened + REVEAL_DELAY);
			sp_io::offchain::local_storage_set(
				polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
				crate::offchain::FINALIZED_KEY,
				&opened.encode(),
			);
			Attestation::offchain_worker(opened + REVEAL_DELAY);
			assert!(take_sent(&pool).is_empty());
		});
	}
}
