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

/// `signer`'s receipt for contract `id` with `relay` on the chain `genesis`.
fn receipt_by(genesis: H256, signer: u64, relay: u64, id: u64, bytes: u64) -> TestSignature {
	TestSignature(signer, receipt_payload(genesis.as_ref(), &relay, id, bytes))
}

/// The client's receipt for contract `id` with `RELAY` on this chain.
fn receipt(id: u64, bytes: u64) -> TestSignature {
	receipt_by(GENESIS, CLIENT, RELAY, id, bytes)
}

/// `RELAY` redeems the client's receipt for `bytes`.
fn redeem(id: u64, bytes: u64) -> polkadot_sdk::sp_runtime::DispatchResult {
	Forwarding::redeem(origin(RELAY), id, bytes, receipt(id, bytes))
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
		// Its bond back, and the hour of reservation it held.
		assert_eq!(Balances::free_balance(RELAY), 100_000 + PER_HOUR);
		check();
	});
}

#[test]
fn a_contract_holds_its_price_and_the_relay_is_paid_by_the_latest_receipt_and_the_hours_begun() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		assert_eq!(escrow_of(CLIENT), 1044);
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 1044);
		let contract = pallet::Contracts::<Test>::get(id).unwrap();
		assert_eq!((contract.starts_at, contract.ends_at, contract.escrow), (1, 1 + 2 * HOUR, 1044));
		check();

		// Half the bytes, in the block it opened: no hour begun yet.
		assert_ok!(redeem(id, 512 * MIB));
		System::assert_last_event(Event::Redeemed { id, bytes: 512 * MIB, paid: 512 }.into());
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 512);
		assert_eq!(escrow_of(CLIENT), 1044 - 512);
		check();
		// A byte more, in the first hour: a planck (rounded up) and the first hour.
		System::set_block_number(2);
		assert_ok!(redeem(id, 512 * MIB + 1));
		System::assert_last_event(Event::Redeemed { id, bytes: 512 * MIB + 1, paid: 1 + PER_HOUR }.into());
		// In the second hour, a receipt past the contract counts as all its bytes.
		System::set_block_number(2 + HOUR);
		assert_ok!(redeem(id, GIB as u64 + 5));
		System::assert_last_event(Event::Redeemed { id, bytes: GIB as u64, paid: 511 + PER_HOUR }.into());
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 1044);
		assert_eq!(escrow_of(CLIENT), 0);
		let contract = pallet::Contracts::<Test>::get(id).unwrap();
		assert_eq!((contract.paid, contract.redeemed_bytes, contract.paid_hours), (1044, GIB as u64, 2));
		check();

		System::set_block_number(1 + 2 * HOUR + DISPUTE);
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		System::assert_last_event(Event::Closed { id, paid: 0, refunded: 0 }.into());
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 1044);
		assert!(pallet::Contracts::<Test>::get(id).is_none());
		assert!(pallet::RelayContracts::<Test>::get(RELAY).is_empty());
		assert!(pallet::ClientContracts::<Test>::get(CLIENT).is_empty());
		assert!(Forwarding::contracts_of(&CLIENT).is_empty());
		check();
	});
}

#[test]
fn relays_and_contracts_are_listed_for_rpc() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		offer(2, 1);
		let relays = Forwarding::relays();
		assert_eq!(relays.len(), 2);
		assert!(relays.iter().any(|(relay, offer, open)| (*relay, offer.capacity, *open) == (RELAY, 4, 1)));
		assert!(relays.iter().any(|(relay, offer, open)| (*relay, offer.capacity, *open) == (2, 1, 0)));
		// A relay that lost its attestation is not offered to nodes choosing one.
		Attested::set(vec![RELAY]);
		assert_eq!(Forwarding::relays().len(), 1);
		let listed = Forwarding::contracts_of(&CLIENT);
		assert_eq!(listed.len(), 1);
		assert_eq!((listed[0].0, listed[0].1.relay, listed[0].1.escrow), (id, RELAY, 1044));
		assert_eq!(Forwarding::contracts_of(&RELAY), listed, "the relay sees it too");
		assert!(Forwarding::contracts_of(&2).is_empty());
	});
}

#[test]
fn replayed_lower_forged_and_other_receipts_are_refused_and_move_nothing() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		// A second contract of the same client with the same relay.
		assert_ok!(Forwarding::open(origin(CLIENT), RELAY, 1, MIB, 100));
		assert_ok!(redeem(id, 100 * MIB));

		let refused = [
			// Replayed, lower.
			((100 * MIB, receipt(id, 100 * MIB)), Error::<Test>::StaleReceipt),
			((50 * MIB, receipt(id, 50 * MIB)), Error::<Test>::StaleReceipt),
			// Signed by another account, for the other contract, for another relay, on
			// another chain, or for other bytes than those claimed.
			((200 * MIB, receipt_by(GENESIS, 11, RELAY, id, 200 * MIB)), Error::<Test>::BadReceipt),
			((200 * MIB, receipt(1, 200 * MIB)), Error::<Test>::BadReceipt),
			((200 * MIB, receipt_by(GENESIS, CLIENT, 2, id, 200 * MIB)), Error::<Test>::BadReceipt),
			((200 * MIB, receipt_by(H256([7; 32]), CLIENT, RELAY, id, 200 * MIB)), Error::<Test>::BadReceipt),
			((900 * MIB, receipt(id, 200 * MIB)), Error::<Test>::BadReceipt),
		];
		for ((bytes, signature), error) in refused {
			assert_noop!(Forwarding::redeem(origin(RELAY), id, bytes, signature), error);
		}
		// Only the relay redeems; only an open contract.
		assert_noop!(Forwarding::redeem(origin(2), id, 200 * MIB, receipt(id, 200 * MIB)), Error::<Test>::NotRelay);
		assert_noop!(redeem(9, 200 * MIB), Error::<Test>::NoContract);
		// Past the contract's bytes, once they are all redeemed: nothing to add.
		assert_ok!(redeem(id, GIB as u64));
		let (relay, client) = (Balances::free_balance(RELAY), escrow_of(CLIENT));
		assert_noop!(redeem(id, GIB as u64 + 1), Error::<Test>::StaleReceipt);
		// After the dispute window, not even a good receipt.
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_noop!(Forwarding::redeem(origin(RELAY), 1, MIB, receipt(1, MIB)), Error::<Test>::DisputeOver);
		assert_eq!((Balances::free_balance(RELAY), escrow_of(CLIENT)), (relay, client));
		check();
	});
}

#[test]
fn a_slot_held_without_traffic_is_paid_by_the_hour_and_no_more() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(1 + 2 * HOUR + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(5), id));
		// Two hours of reservation; the bytes it never forwarded go back.
		System::assert_last_event(Event::Closed { id, paid: 2 * PER_HOUR, refunded: 1024 }.into());
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 2 * PER_HOUR);
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 2 * PER_HOUR);
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NoContract);
		check();
	});
}

#[test]
fn a_relay_that_forwards_nothing_earns_only_the_hour_begun_before_its_client_cancels() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		System::set_block_number(3);
		assert_noop!(Forwarding::cancel(origin(RELAY), id), Error::<Test>::NotClient);
		assert_ok!(Forwarding::cancel(origin(CLIENT), id));
		assert_eq!(pallet::Contracts::<Test>::get(id).unwrap().ends_at, 3);
		assert_noop!(Forwarding::cancel(origin(CLIENT), id), Error::<Test>::Ended);
		System::set_block_number(3 + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		System::assert_last_event(Event::Closed { id, paid: PER_HOUR, refunded: 1044 - PER_HOUR }.into());
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + PER_HOUR);
		check();
	});
}

#[test]
fn a_cancelled_contract_ends_now_and_its_relay_redeems_within_the_dispute_window() {
	new_test_ext().execute_with(|| {
		let id = open_one();
		System::set_block_number(5);
		assert_ok!(Forwarding::cancel(origin(CLIENT), id));
		System::set_block_number(5 + DISPUTE);
		assert_ok!(redeem(id, 10 * MIB));
		assert_noop!(Forwarding::close(origin(CLIENT), id), Error::<Test>::NotClosable);
		System::set_block_number(5 + DISPUTE + 1);
		assert_ok!(Forwarding::close(origin(CLIENT), id));
		// 10 MiB and the one hour begun before the cancel.
		assert_eq!(Balances::free_balance(CLIENT), 100_000 - 10 - PER_HOUR);
		assert_eq!(Balances::free_balance(RELAY), 100_000 - BOND + 10 + PER_HOUR);
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
