//! The voucher's life, and every way a redeem can be refused.

// The pool's checks are `ValidateUnsigned`'s (see the pallet).
#![allow(deprecated)]

use crate::{create_payload, mock::*, redeem_payload, Error, Event, HoldReason, OpenVouchers, Vouchers};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		dispatch::Pays,
		pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
		traits::fungible::{Inspect, InspectHold},
	},
	frame_system,
	sp_core::{sr25519, Pair, H256},
	sp_runtime::{traits::ValidateUnsigned, DispatchError, DispatchResult},
};

fn voucher(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{seed}"), None).unwrap()
}

fn genesis() -> H256 {
	frame_system::BlockHash::<Test>::get(0)
}

/// The voucher key's signature redeeming voucher `id` for `newcomer` on `genesis`.
fn sign(pair: &sr25519::Pair, genesis: H256, id: u64, newcomer: u64) -> [u8; 64] {
	pair.sign(&redeem_payload(&genesis, id, &newcomer)).0
}

/// The voucher key's proof that `inviter` may open it.
fn proof(pair: &sr25519::Pair, inviter: u64) -> [u8; 64] {
	pair.sign(&create_payload(&genesis(), &inviter)).0
}

fn create(inviter: u64, pair: &sr25519::Pair, grant: u64) -> u64 {
	assert_ok!(Invites::create(RuntimeOrigin::signed(inviter), pair.public().0, grant, 50, proof(pair, inviter)));
	Vouchers::<Test>::get(pair.public().0).expect("open").id
}

/// `create` with everything but the grant and lifetime right.
fn try_create(inviter: u64, pair: &sr25519::Pair, grant: u64, lifetime: u64) -> DispatchResult {
	Invites::create(RuntimeOrigin::signed(inviter), pair.public().0, grant, lifetime, proof(pair, inviter))
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Invite.into(), &who)
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Invites(e) = r.event { Some(e) } else { None })
		.last()
		.expect("an invites event")
}

#[test]
fn create_holds_the_grant_until_redeemed_by_a_newcomer_with_nothing() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		assert_eq!(held(RICH), 40);
		assert_eq!(OpenVouchers::<Test>::get(RICH), 1);
		assert_eq!(
			last_event(),
			Event::VoucherCreated { inviter: RICH, voucher: v.public().0, id, grant: 40, expires_at: 51 }
		);

		assert_ok!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, sign(&v, genesis(), id, 100)));
		assert_eq!(Balances::balance(&100), 40);
		assert_eq!(held(RICH), 0);
		assert_eq!(Balances::balance(&RICH), 960);
		assert!(!Vouchers::<Test>::contains_key(v.public().0));
		assert!(!OpenVouchers::<Test>::contains_key(RICH));
		assert_eq!(
			last_event(),
			Event::VoucherRedeemed { inviter: RICH, voucher: v.public().0, newcomer: 100, grant: 40 }
		);
	});
}

#[test]
fn create_refuses_small_grants_bad_lifetimes_reused_keys_and_too_many_vouchers() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		assert_noop!(try_create(RICH, &v, MIN_GRANT - 1, 50), Error::<Test>::GrantTooSmall);
		assert_noop!(try_create(RICH, &v, MIN_GRANT, 0), Error::<Test>::BadLifetime);
		assert_noop!(try_create(RICH, &v, MIN_GRANT, MAX_LIFETIME + 1), Error::<Test>::BadLifetime);
		// 20 free, 5 of which must stay for the existential deposit.
		assert_noop!(try_create(POOR, &v, 16, 50), Error::<Test>::InsufficientBalance);
		assert_ok!(try_create(POOR, &v, 15, 50));
		assert_ok!(try_create(RICH, &voucher("w"), MIN_GRANT, MAX_LIFETIME));
		assert_noop!(try_create(RICH, &v, MIN_GRANT, 50), Error::<Test>::VoucherInUse);
		for i in 1..MAX_OPEN {
			create(RICH, &voucher(&format!("v{i}")), MIN_GRANT);
		}
		assert_noop!(try_create(RICH, &voucher("one too many"), MIN_GRANT, 50), Error::<Test>::TooManyVouchers);
		assert_eq!(held(RICH), MIN_GRANT * MAX_OPEN as u64);
		assert_ok!(Invites::do_try_state());
	});
}

#[test]
fn nobody_opens_a_voucher_under_a_key_whose_secret_they_lack() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let signed = RuntimeOrigin::signed(RICH);
		// A key seen elsewhere, with a proof made for another inviter or by another key.
		assert_noop!(
			Invites::create(signed.clone(), v.public().0, 40, 50, proof(&v, POOR)),
			Error::<Test>::BadVoucherProof
		);
		assert_noop!(
			Invites::create(signed.clone(), v.public().0, 40, 50, proof(&voucher("other"), RICH)),
			Error::<Test>::BadVoucherProof
		);
		// The identity point, under which a signature can be made without any secret.
		assert_noop!(Invites::create(signed, [0; 32], 40, 50, [0; 64]), Error::<Test>::BadVoucherProof);
		assert_eq!(held(RICH), 0);
	});
}

#[test]
fn a_voucher_is_redeemed_once() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		let signature = sign(&v, genesis(), id, 100);
		assert_ok!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, signature));
		assert_noop!(
			Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, signature),
			Error::<Test>::UnknownVoucher
		);
		assert_eq!(Balances::balance(&100), 40);
	});
}

#[test]
fn a_redeem_seen_in_the_pool_cannot_be_redirected() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		let for_newcomer = sign(&v, genesis(), id, 100);
		assert_noop!(
			Invites::redeem(RuntimeOrigin::none(), v.public().0, 666, for_newcomer),
			Error::<Test>::BadSignature
		);
		assert_ok!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, for_newcomer));
	});
}

#[test]
fn forged_and_other_chain_signatures_are_refused() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		let forged = sign(&voucher("not the voucher"), genesis(), id, 100);
		assert_noop!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, forged), Error::<Test>::BadSignature);
		let other_chain = sign(&v, H256::repeat_byte(8), id, 100);
		assert_noop!(
			Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, other_chain),
			Error::<Test>::BadSignature
		);
		assert_noop!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, [0; 64]), Error::<Test>::BadSignature);
	});
}

#[test]
fn an_old_signature_does_not_redeem_a_new_voucher_under_the_same_key() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let first = create(RICH, &v, 40);
		let old = sign(&v, genesis(), first, 100);
		assert_ok!(Invites::revoke(RuntimeOrigin::signed(RICH), v.public().0));
		let second = create(RICH, &v, 400);
		assert_ne!(first, second);
		assert_noop!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, old), Error::<Test>::BadSignature);
	});
}

#[test]
fn an_expired_voucher_is_not_redeemed_and_anyone_reaps_it_for_free() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		let signature = sign(&v, genesis(), id, 100);
		let early = Invites::reap(RuntimeOrigin::signed(100), v.public().0).unwrap_err();
		assert_eq!(early.error, Error::<Test>::NotExpired.into());
		assert_eq!(early.post_info.pays_fee, Pays::Yes);
		// The last block it can be redeemed in is the one before `expires_at`.
		System::set_block_number(50);
		let last = Invites::validate_unsigned(
			TransactionSource::External,
			&crate::Call::<Test>::redeem { voucher: v.public().0, newcomer: 100, signature },
		)
		.expect("valid");
		assert_eq!(last.longevity, 1);
		System::set_block_number(51);
		assert_noop!(Invites::redeem(RuntimeOrigin::none(), v.public().0, 100, signature), Error::<Test>::Expired);
		let reaped = Invites::reap(RuntimeOrigin::signed(POOR), v.public().0).unwrap();
		assert_eq!(reaped.pays_fee, Pays::No);
		assert_eq!(held(RICH), 0);
		assert_eq!(Balances::balance(&RICH), 1_000);
		assert_eq!(last_event(), Event::VoucherExpired { inviter: RICH, voucher: v.public().0 });
		assert_noop!(Invites::reap(RuntimeOrigin::signed(POOR), v.public().0), Error::<Test>::UnknownVoucher);
		assert_ok!(Invites::do_try_state());
	});
}

#[test]
fn only_the_inviter_revokes_and_gets_the_grant_back() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		create(RICH, &v, 40);
		assert_noop!(Invites::revoke(RuntimeOrigin::signed(POOR), v.public().0), Error::<Test>::NotInviter);
		assert_ok!(Invites::revoke(RuntimeOrigin::signed(RICH), v.public().0));
		assert_eq!(held(RICH), 0);
		assert_eq!(Balances::balance(&RICH), 1_000);
		assert_eq!(last_event(), Event::VoucherRevoked { inviter: RICH, voucher: v.public().0 });
		assert_noop!(Invites::revoke(RuntimeOrigin::signed(RICH), v.public().0), Error::<Test>::UnknownVoucher);
	});
}

#[test]
fn the_pool_takes_one_valid_redeem_per_voucher_and_tells_why_it_refuses() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		let call = |newcomer, signature| crate::Call::<Test>::redeem { voucher: v.public().0, newcomer, signature };
		let valid = Invites::validate_unsigned(TransactionSource::External, &call(100, sign(&v, genesis(), id, 100)))
			.expect("valid");
		assert_eq!(valid.provides.len(), 1);
		assert_eq!(valid.longevity, 50);
		// A redeem for someone else, with the same voucher, is the same tag: one wins.
		let other = Invites::validate_unsigned(TransactionSource::External, &call(101, sign(&v, genesis(), id, 101)))
			.expect("valid");
		assert_eq!(valid.provides, other.provides);

		let index = |e: Error<Test>| match DispatchError::from(e) {
			DispatchError::Module(m) => m.error[0],
			_ => unreachable!(),
		};
		assert_eq!(
			Invites::validate_unsigned(TransactionSource::External, &call(666, sign(&v, genesis(), id, 100))),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(index(Error::BadSignature))))
		);
		System::set_block_number(51);
		assert_eq!(
			Invites::validate_unsigned(TransactionSource::External, &call(100, sign(&v, genesis(), id, 100))),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(index(Error::Expired))))
		);
		// Blocks check what the pool checked.
		System::set_block_number(1);
		assert_ok!(Invites::pre_dispatch(&call(100, sign(&v, genesis(), id, 100))));
		assert!(Invites::pre_dispatch(&call(100, [0; 64])).is_err());
		let revoke = crate::Call::<Test>::revoke { voucher: v.public().0 };
		assert_eq!(
			Invites::validate_unsigned(TransactionSource::External, &revoke),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Call))
		);
	});
}

#[test]
fn a_redeemed_voucher_frees_the_inviters_slot() {
	new_test_ext().execute_with(|| {
		let pairs: Vec<_> = (0..MAX_OPEN).map(|i| voucher(&format!("v{i}"))).collect();
		let ids: Vec<_> = pairs.iter().map(|p| create(RICH, p, MIN_GRANT)).collect();
		assert_ok!(Invites::redeem(
			RuntimeOrigin::none(),
			pairs[0].public().0,
			100,
			sign(&pairs[0], genesis(), ids[0], 100)
		));
		assert_eq!(OpenVouchers::<Test>::get(RICH), MAX_OPEN - 1);
		create(RICH, &voucher("next"), MIN_GRANT);
	});
}

#[test]
fn a_signed_origin_cannot_redeem() {
	new_test_ext().execute_with(|| {
		let v = voucher("v");
		let id = create(RICH, &v, 40);
		assert_noop!(
			Invites::redeem(RuntimeOrigin::signed(100), v.public().0, 100, sign(&v, genesis(), id, 100)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn held_grants_stay_equal_to_open_vouchers_through_a_mixed_life() {
	new_test_ext().execute_with(|| {
		let [a, b, c] = [voucher("a"), voucher("b"), voucher("c")];
		let ida = create(RICH, &a, 20);
		create(RICH, &b, 30);
		create(POOR, &c, MIN_GRANT);
		assert_ok!(Invites::do_try_state());
		assert_ok!(Invites::redeem(RuntimeOrigin::none(), a.public().0, RICH, sign(&a, genesis(), ida, RICH)));
		assert_eq!((held(RICH), Balances::balance(&RICH)), (30, 970));
		assert_ok!(Invites::do_try_state());
		assert_ok!(Invites::revoke(RuntimeOrigin::signed(RICH), b.public().0));
		assert_ok!(Invites::do_try_state());
		System::set_block_number(51);
		assert_ok!(Invites::reap(RuntimeOrigin::signed(RICH), c.public().0));
		assert_ok!(Invites::do_try_state());
		assert_eq!((held(RICH), held(POOR), Balances::balance(&POOR)), (0, 0, 20));
		assert_eq!(OpenVouchers::<Test>::iter().count(), 0);
		assert_eq!(Balances::total_issuance(), 1_020);
	});
}

#[test]
fn creating_pays_for_the_free_redeem() {
	use crate::WeightInfo;
	use polkadot_sdk::frame_support::dispatch::GetDispatchInfo;
	let v = voucher("v");
	let call = crate::Call::<Test>::create { voucher: v.public().0, grant: 40, lifetime: 50, proof: [0; 64] };
	let weight = call.get_dispatch_info().call_weight;
	assert_eq!(weight, <() as WeightInfo>::create() + <() as WeightInfo>::redeem());
}
