use crate::{mock::*, pallet, receipt_payload, Error, Event, HoldReason, GIB};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold},
	sp_core::H256,
	sp_runtime::{testing::TestSignature, TokenError},
};

const MIB: u64 = 1 << 20;
/// 1 planck per MiB, 10 per hour.
const PER_GIB: u64 = 1024;
const PER_HOUR: u64 = 10;

fn origin(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn escrow_of(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ForwardingEscrow.into(), &who)
}

fn bond_of(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::RelayBond.into(), &who)
}

/// `signer`'s receipt for contract `id` of the chain `genesis`.
fn receipt_on(genesis: H256, signer: u64, id: u64, bytes: u64, hours: u32) -> TestSignature {
	TestSignature(signer, receipt_payload(genesis.as_ref(), id, bytes, hours))
}

/// The client's receipt for contract `id` of this chain.
fn receipt(id: u64, bytes: u64, hours: u32) -> TestSignature {
	receipt_on(GENESIS, CLIENT, id, bytes, hours)
}

fn offer(relay: u64, capacity: u32) {
	assert_ok!(Forwarding::offer_relay(origin(relay), PER_GIB, PER_HOUR, capacity));
}

/// Contract 0: `CLIENT` with `RELAY` for 2 hours and 1 GiB, 1044 planck.
fn open_one() -> u64 {
	offer(RELAY, 4);
	assert_ok!(Forwarding::open(origin(CLIENT), RELAY, 2, GIB as u64, 1044));
	0
}

fn check() {
	Forwarding::do_try_state().unwrap();
}

#[test]
fn a_relay_offers_with_a_bond_and_withdraws_only_without_open_contracts() {
	new_test_ext().execute_with(|| {
		assert_noop!(Forwarding::offer_relay(origin(5), PER_GIB, PER_HOUR, 1), Error::<Test>::NotAttested);
		assert_noop!(Forwarding::offer_relay(origin(RELAY), PER_GIB, PER_HOUR, 0), Error::<Test>::BadCapacity);
		assert_noop!(Forwarding::offer_relay(origin(RELAY), PER_GIB, PER_HOUR, 5), Error::<Test>::BadCapacity);
		assert_noop!(Forwarding::offer_relay(origin(3), PER_GIB, PER_HOUR, 1), TokenError::FundsUnavailable);
		assert_noop!(Forwarding::withdraw_offer(origin(RELAY)), Error::<Test>::NoOffer);

		offer(RELAY, 2);
		assert_eq!(bond_of(RELAY), BOND);
		// A new price: the same bond.
		assert_ok!(Forwarding::offer_relay(origin(RELAY), 2 * PER_GIB, PER_HOUR, 4));
		assert_eq!(bond_of(RELAY), BOND);
		System::assert_last_event(
			Event::RelayOffered { relay: RELAY, price_per_gib: 2 * PER_GIB, price_per_hour: PER_HOUR, capacity: 4 }
				.into(),
		);
		assert_ok!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 100));
		assert_noop!(Forwarding::withdraw_offer(origin(RELAY)), Error::<Test>::OfferInUse);
		System::set_block_number(1 + HOUR + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(5), 0));
		assert_ok!(Forwarding::withdraw_offer(origin(RELAY)));
		assert_eq!(bond_of(RELAY), 0);
		assert_eq!(Balances::free_balance(RELAY), 100_000);
		check();
	});
}

#[test]
fn a_contract_holds_its_price_and_the_relay_is_paid_by_the_latest_receipt() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		assert_eq!(escrow_of(CLIENT), 1044);
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 1044);
		let contract = pallet::Contracts::<Test>::get(id).unwrap();
		assert_eq!((contract.ends_at, contract.escrow), (1 + 2 * HOUR, 1044));
		check();

		// Half the bytes and one hour: 512 + 10.
		assert_ok!(Forwarding::redeem(origin(RELAY), id, 512 * MIB, 1, receipt(id, 512 * MIB, 1)));
		System::assert_last_event(Event::Redeemed { id, bytes: 512 * MIB, hours: 1, paid: 522 }.into());
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 522);
		assert_eq!(escrow_of(CLIENT), 1044 - 522);
		check();
		// The latest receipt pays what it adds, rounded up to a planck per receipt total.
		assert_ok!(Forwarding::redeem(origin(RELAY), id, 512 * MIB + 1, 1, receipt(id, 512 * MIB + 1, 1)));
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 523);
		assert_ok!(Forwarding::redeem(origin(RELAY), id, GIB as u64, 2, receipt(id, GIB as u64, 2)));
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 1044);
		assert_eq!(escrow_of(CLIENT), 0);
		check();

		System::set_block_number(1 + 2 * HOUR + DISPUTE);
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		System::assert_last_event(Event::Closed { id, refunded: 0 }.into());
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 1044);
		assert!(pallet::Contracts::<Test>::get(id).is_none());
		assert!(pallet::RelayContracts::<Test>::get(RELAY).is_empty());
		assert!(pallet::ClientContracts::<Test>::get(CLIENT).is_empty());
		check();
	});
}

#[test]
fn replayed_lower_forged_and_other_receipts_are_refused_and_move_nothing() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		// A second contract of the same client with the same relay.
		assert_ok!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 100));
		assert_ok!(Forwarding::redeem(origin(RELAY), id, 100 * MIB, 1, receipt(id, 100 * MIB, 1)));
		let (relay, client) = (Balances::free_balance(RELAY), escrow_of(CLIENT));

		let refused = [
			// Replayed, lower, lower in one count.
			((100 * MIB, 1, receipt(id, 100 * MIB, 1)), Error::<Test>::StaleReceipt),
			((50 * MIB, 1, receipt(id, 50 * MIB, 1)), Error::<Test>::StaleReceipt),
			((200 * MIB, 0, receipt(id, 200 * MIB, 0)), Error::<Test>::StaleReceipt),
			// Past what the contract pays for.
			((GIB as u64 + 1, 1, receipt(id, GIB as u64 + 1, 1)), Error::<Test>::ReceiptOverLimit),
			((100 * MIB, 3, receipt(id, 100 * MIB, 3)), Error::<Test>::ReceiptOverLimit),
			// Signed by another account, for the other contract, on another chain, or for
			// other figures than those claimed.
			((200 * MIB, 1, receipt_on(GENESIS, 11, id, 200 * MIB, 1)), Error::<Test>::BadReceipt),
			((200 * MIB, 1, receipt(1, 200 * MIB, 1)), Error::<Test>::BadReceipt),
			((200 * MIB, 1, receipt_on(H256([7; 32]), CLIENT, id, 200 * MIB, 1)), Error::<Test>::BadReceipt),
			((900 * MIB, 2, receipt(id, 200 * MIB, 1)), Error::<Test>::BadReceipt),
		];
		for ((bytes, hours, signature), error) in refused {
			assert_noop!(Forwarding::redeem(origin(RELAY), id, bytes, hours, signature), error);
		}
		// Only the relay redeems; only an open contract.
		assert_noop!(
			Forwarding::redeem(origin(2), id, 200 * MIB, 1, receipt(id, 200 * MIB, 1)),
			Error::<Test>::NotRelay
		);
		assert_noop!(
			Forwarding::redeem(origin(RELAY), 9, 200 * MIB, 1, receipt(9, 200 * MIB, 1)),
			Error::<Test>::NoContract
		);
		// After the dispute window, not even a good receipt.
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_noop!(
			Forwarding::redeem(origin(RELAY), id, 200 * MIB, 1, receipt(id, 200 * MIB, 1)),
			Error::<Test>::DisputeOver
		);
		assert_eq!((Balances::free_balance(RELAY), escrow_of(CLIENT)), (relay, client));
		check();
	});
}

#[test]
fn a_relay_that_forwards_nothing_is_not_paid() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		System::assert_last_event(Event::Closed { id, refunded: 1044 }.into());
		assert_eq!(Balances::free_balance(CLIENT), 100_000);
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND);
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NoContract);
		check();
	});
}

#[test]
fn a_cancelled_contract_ends_now_and_its_relay_redeems_within_the_dispute_window() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		System::set_block_number(5);
		assert_noop!(Forwarding::cancel(origin(RELAY), id), Error::<Test>::NotClient);
		assert_ok!(Forwarding::cancel(origin(CLIENT), id));
		assert_eq!(pallet::Contracts::<Test>::get(id).unwrap().ends_at, 5);
		assert_noop!(Forwarding::cancel(origin(CLIENT), id), Error::<Test>::Ended);
		System::set_block_number(5 + DISPUTE);
		assert_ok!(Forwarding::redeem(origin(RELAY), id, 10 * MIB, 1, receipt(id, 10 * MIB, 1)));
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(5 + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 20);
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 20);
		check();
	});
}

#[test]
fn an_open_that_cannot_be_met_is_refused_in_words() {
	new_test_ext().execute_with(|| {
		assert_noop!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 100), Error::<Test>::NoOffer);
		offer(RELAY, 1);
		assert_noop!(Forwarding::open(origin(RELAY), RELAY, 1, MIB, 100), Error::<Test>::OwnRelay);
		assert_noop!(Forwarding::open(origin(CLIENT), RELAY, 0, MIB, 100), Error::<Test>::BadDuration);
		assert_noop!(Forwarding::open(origin(CLIENT), RELAY, 25, MIB, 1000), Error::<Test>::BadDuration);
		assert_noop!(Forwarding::open(origin(CLIENT), RELAY, 1, 0, 100), Error::<Test>::NoBytes);
		// 1 planck for the MiB and 10 for the hour.
		assert_noop!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 10), Error::<Test>::PriceAboveMax);
		assert_noop!(Forwarding::open(origin(3), RELAY, 24, MIB, 1000), TokenError::FundsUnavailable);
		assert_ok!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 11));
		assert_noop!(Forwarding::open(origin(11), RELAY, 1, MIB, 11), Error::<Test>::RelayFull);
		// A client's contracts are bounded, over all relays.
		offer(2, 4);
		assert_ok!(Forwarding::open(origin(CLIENT), 2, 1, MIB, 11));
		assert_noop!(Forwarding::open(origin(CLIENT), 2, 1, MIB, 11), Error::<Test>::TooManyContracts);
		// A relay that lost its attestation takes no new contract.
		Attested::set(vec![1]);
		assert_noop!(Forwarding::open(origin(11), 2, 1, MIB, 11), Error::<Test>::NotAttested);
		// A price that does not fit the balance type.
		assert_ok!(Forwarding::offer_relay(origin(RELAY), u64::MAX, PER_HOUR, 4));
		assert_noop!(Forwarding::open(origin(11), RELAY, 1, u64::MAX, u64::MAX), Error::<Test>::Overflow);
		check();
	});
}
