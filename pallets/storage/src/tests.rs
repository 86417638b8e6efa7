use crate::{mock::*, *};
use cairn_primitives::traits::{PeriodOutcome, ProvableFragment, StorageMarket};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		pallet_prelude::DispatchResult,
		traits::{
			fungible::{Inspect, InspectHold},
			Hooks,
		},
		BoundedVec,
	},
	frame_system::RawOrigin,
};

const G: u64 = GIB as u64;
const FILE: ManifestId = [7; 32];

fn signed(who: u64) -> RuntimeOrigin {
	RawOrigin::Signed(who).into()
}

fn offer(provider: u64) {
	assert_ok!(Storage::set_offer(signed(provider), 10, 10 * G, 1, 50));
}

fn order(provider: u64, root: u8, size: u64, max_price: u64) -> OrderOf<Test> {
	FragmentOrder { provider, root: [root; 32], size, max_price }
}

fn orders(list: Vec<OrderOf<Test>>) -> Orders<Test> {
	BoundedVec::try_from(list).unwrap()
}

fn create(list: Vec<OrderOf<Test>>, duration: Period) -> DispatchResult {
	Storage::create_contracts(signed(CLIENT), FILE, 1024, duration, orders(list))
}

fn escrow_held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

fn bond_held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Storage::on_initialize(next);
	}
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn state(id: ContractId) -> ContractState<u64> {
	Contracts::<Test>::get(id).expect("contract exists").state
}

/// Provider 1 offers; the client stores one GiB with it for 5 periods (escrow 50), and
/// provider 1 accepts in block 1: the contract runs for periods 1..6.
fn active_contract() -> ContractId {
	offer(1);
	assert_ok!(create(vec![order(1, 1, G, 50)], 5));
	assert_ok!(Storage::accept_contract(signed(1), 0));
	0
}

fn answered() -> PeriodOutcome {
	PeriodOutcome { answered: true, missed: vec![] }
}

fn missed(ids: Vec<ContractId>) -> PeriodOutcome {
	PeriodOutcome { answered: !ids.is_empty(), missed: ids }
}

#[test]
fn set_offer_holds_the_bond_once_and_updates_terms() {
	new_test_ext().execute_with(|| {
		offer(1);
		assert_eq!(bond_held(1), BOND);
		assert_eq!(
			last_event(),
			Event::OfferSet { provider: 1, price_per_gib: 10, capacity: 10 * G, bond: BOND }.into()
		);
		assert_ok!(Storage::set_offer(signed(1), 20, 5 * G, 2, 10));
		assert_eq!(bond_held(1), BOND, "a second offer holds nothing more");
		let o = Offers::<Test>::get(1).unwrap();
		assert_eq!((o.price_per_gib, o.capacity, o.min_duration, o.max_duration), (20, 5 * G, 2, 10));
	});
}

#[test]
fn set_offer_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::set_offer(signed(5), 10, G, 1, 5), Error::<Test>::NotAttested);
		assert_noop!(Storage::set_offer(signed(1), 10, G, 0, 5), Error::<Test>::BadDuration);
		assert_noop!(Storage::set_offer(signed(1), 10, G, 6, 5), Error::<Test>::BadDuration);
		assert_noop!(Storage::set_offer(signed(1), 10, G, 1, 101), Error::<Test>::BadDuration);
		assert_noop!(Storage::set_offer(signed(4), 10, G, 1, 5), Error::<Test>::InsufficientBond);
		offer(1);
		offer(2);
		offer(3);
		Attested::mutate(|a| a.push(11));
		assert_noop!(Storage::set_offer(signed(11), 10, G, 1, 5), Error::<Test>::TooManyProviders);
		assert_ok!(create(vec![order(1, 1, 2 * G, 1_000)], 5));
		assert_noop!(Storage::set_offer(signed(1), 10, G, 1, 5), Error::<Test>::CapacityBelowUsed);
	});
}

#[test]
fn remove_offer_releases_the_bond_only_without_contracts() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::remove_offer(signed(1)), Error::<Test>::UnknownOffer);
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		assert_noop!(Storage::remove_offer(signed(1)), Error::<Test>::ContractsOpen);
		assert_ok!(Storage::cancel_contract(signed(CLIENT), 0));
		assert_ok!(Storage::remove_offer(signed(1)));
		assert_eq!(bond_held(1), 0);
		assert_eq!(Balances::balance(&1), 10_000);
		assert!(Offers::<Test>::get(1).is_none());
		assert_eq!(last_event(), Event::OfferRemoved { provider: 1 }.into());
	});
}

#[test]
fn create_contracts_escrows_each_fragment() {
	new_test_ext().execute_with(|| {
		offer(1);
		offer(2);
		assert_ok!(create(vec![order(1, 1, G, 50), order(2, 2, G / 2, 25)], 5));
		// 1 GiB x 10 x 5 periods = 50; half a GiB = 25.
		assert_eq!(escrow_held(CLIENT), 75);
		assert_eq!(Balances::balance(&CLIENT), 10_000 - 75);
		let c = Contracts::<Test>::get(1).unwrap();
		assert_eq!((c.client, c.provider, c.root, c.size, c.escrow), (CLIENT, 2, [2; 32], G / 2, 25));
		assert_eq!(c.state, ContractState::Pending { accept_by: 1 + ACCEPT_WINDOW });
		assert_eq!(ProviderPending::<Test>::get(1).into_inner(), vec![0]);
		assert_eq!(FileContracts::<Test>::get(FILE).into_inner(), vec![0, 1]);
		assert_eq!(AcceptDeadlines::<Test>::get(1 + ACCEPT_WINDOW).into_inner(), vec![0, 1]);
		assert_eq!(Offers::<Test>::get(1).unwrap().used, G);
		assert_eq!(Storage::pending_for(&2).len(), 1);
		assert_eq!(Storage::quote(&1, G, 5), Some(50));
	});
}

#[test]
fn create_contracts_errors_leave_nothing_behind() {
	new_test_ext().execute_with(|| {
		offer(1);
		offer(2);
		let ok = order(1, 1, G, 50);
		assert_noop!(create(vec![], 5), Error::<Test>::NoFragments);
		assert_noop!(create(vec![ok.clone()], 0), Error::<Test>::ZeroDuration);
		assert_noop!(
			Storage::create_contracts(signed(CLIENT), FILE, 0, 5, orders(vec![ok.clone()])),
			Error::<Test>::BadSegmentSize
		);
		assert_noop!(
			Storage::create_contracts(signed(CLIENT), FILE, 4097, 5, orders(vec![ok.clone()])),
			Error::<Test>::BadSegmentSize
		);
		// A bad second fragment undoes the first.
		assert_noop!(create(vec![ok.clone(), order(2, 2, 0, 50)], 5), Error::<Test>::ZeroSize);
		assert_noop!(create(vec![ok.clone(), order(3, 3, G, 50)], 5), Error::<Test>::UnknownOffer);
		assert_noop!(create(vec![ok.clone()], 51), Error::<Test>::DurationOutOfRange);
		assert_noop!(create(vec![order(1, 1, G, 49)], 5), Error::<Test>::PriceAboveMax);
		assert_noop!(create(vec![order(1, 1, 11 * G, u64::MAX)], 5), Error::<Test>::ProviderFull);
		assert_ok!(Storage::set_offer(signed(2), 1_000, 10 * G, 1, 50));
		assert_noop!(create(vec![order(2, 1, G, u64::MAX)], 50), Error::<Test>::InsufficientBalance);
		Attested::set(vec![2]);
		assert_noop!(create(vec![ok.clone()], 5), Error::<Test>::NotAttested);
		Attested::set(vec![1, 2]);
		assert_eq!(escrow_held(CLIENT), 0);
		assert_eq!(NextContractId::<Test>::get(), 0);
	});
}

#[test]
fn create_contracts_bounds() {
	new_test_ext().execute_with(|| {
		offer(1);
		let small = |root| order(1, root, 1024, 50);
		assert_ok!(create(vec![small(1), small(2), small(3), small(4)], 5));
		// Provider 1 has 4 pending contracts, its maximum.
		offer(2);
		assert_noop!(create(vec![small(5)], 5), Error::<Test>::TooManyPending);
		// The file has 4 contracts, its maximum.
		assert_noop!(create(vec![order(2, 5, 1024, 50)], 5), Error::<Test>::TooManyFragments);
	});
}

#[test]
fn underbonded_provider_takes_no_contracts_until_topped_up() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		run_to(PERIOD * 2);
		Storage::settle_period(&1, 1, missed(vec![id]));
		Storage::settle_period(&1, 2, missed(vec![id]));
		assert!(bond_held(1) < BOND);
		assert_noop!(
			Storage::create_contracts(signed(11), [8; 32], 1024, 5, orders(vec![order(1, 9, G, 50)])),
			Error::<Test>::ProviderUnderbonded
		);
		assert_eq!(Storage::quote(&1, G, 5), None);
		offer(1);
		assert_eq!(bond_held(1), BOND);
		assert_ok!(Storage::create_contracts(signed(11), [8; 32], 1024, 5, orders(vec![order(1, 9, G, 50)])));
	});
}

#[test]
fn accept_starts_the_contract_next_period_and_counts_the_fragment() {
	new_test_ext().execute_with(|| {
		offer(1);
		run_to(11);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		run_to(12);
		assert_ok!(Storage::accept_contract(signed(1), 0));
		assert_eq!(state(0), ContractState::Active { start: 2, end: 7, next: 2, misses: 0, last_proven: None });
		assert_eq!(last_event(), Event::ContractAccepted { id: 0, provider: 1, start: 2, end: 7 }.into());
		assert_eq!(Stored::get(), 1);
		assert!(ProviderPending::<Test>::get(1).is_empty());
		assert_eq!(ProviderContracts::<Test>::get(1).into_inner(), vec![0]);
		assert!(AcceptDeadlines::<Test>::get(11 + ACCEPT_WINDOW).is_empty());
	});
}

#[test]
fn accept_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::accept_contract(signed(1), 0), Error::<Test>::UnknownContract);
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		assert_noop!(Storage::accept_contract(signed(2), 0), Error::<Test>::NotProvider);
		// The window closes at block 6 (the hook refunds then).
		System::set_block_number(1 + ACCEPT_WINDOW);
		assert_noop!(Storage::accept_contract(signed(1), 0), Error::<Test>::AcceptWindowClosed);
		System::set_block_number(2);
		assert_ok!(Storage::accept_contract(signed(1), 0));
		assert_noop!(Storage::accept_contract(signed(1), 0), Error::<Test>::NotPending);
		// Four active contracts is provider 1's maximum.
		for root in 2..=4 {
			assert_ok!(Storage::create_contracts(
				signed(CLIENT),
				[root; 32],
				1024,
				5,
				orders(vec![order(1, root, 1024, 50)])
			));
			assert_ok!(Storage::accept_contract(signed(1), NextContractId::<Test>::get() - 1));
		}
		assert_ok!(Storage::create_contracts(signed(CLIENT), [9; 32], 1024, 5, orders(vec![order(1, 9, 1024, 50)])));
		assert_noop!(Storage::accept_contract(signed(1), 4), Error::<Test>::TooManyContracts);
	});
}

#[test]
fn unaccepted_contracts_are_refunded_when_the_window_closes() {
	new_test_ext().execute_with(|| {
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		run_to(ACCEPT_WINDOW);
		assert!(Contracts::<Test>::get(0).is_some());
		run_to(1 + ACCEPT_WINDOW);
		assert!(Contracts::<Test>::get(0).is_none());
		assert_eq!(last_event(), Event::ContractExpired { id: 0 }.into());
		assert_eq!(escrow_held(CLIENT), 0);
		assert_eq!(Balances::balance(&CLIENT), 10_000);
		assert_eq!(Offers::<Test>::get(1).unwrap().used, 0);
		assert!(FileContracts::<Test>::get(FILE).is_empty());
		assert!(ProviderPending::<Test>::get(1).is_empty());
	});
}

#[test]
fn cancel_refunds_a_pending_contract() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::cancel_contract(signed(CLIENT), 0), Error::<Test>::UnknownContract);
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50), order(1, 2, G, 50)], 5));
		assert_noop!(Storage::cancel_contract(signed(11), 0), Error::<Test>::NotClient);
		assert_ok!(Storage::cancel_contract(signed(CLIENT), 0));
		assert_eq!(last_event(), Event::ContractCancelled { id: 0 }.into());
		assert_eq!(escrow_held(CLIENT), 50);
		assert_eq!(AcceptDeadlines::<Test>::get(1 + ACCEPT_WINDOW).into_inner(), vec![1]);
		assert_ok!(Storage::accept_contract(signed(1), 1));
		assert_noop!(Storage::cancel_contract(signed(CLIENT), 1), Error::<Test>::NotPending);
	});
}

#[test]
fn renew_extends_an_active_contract_at_the_current_price() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		assert_ok!(Storage::set_offer(signed(1), 20, 10 * G, 1, 50));
		assert_ok!(Storage::renew_contract(signed(CLIENT), id, 3, 60));
		assert_eq!(last_event(), Event::ContractRenewed { id, end: 9, escrow: 60 }.into());
		assert_eq!(escrow_held(CLIENT), 110);
		assert_eq!(Contracts::<Test>::get(id).unwrap().escrow, 110);
		assert!(matches!(state(id), ContractState::Active { end: 9, .. }));
	});
}

#[test]
fn renew_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 1, 100), Error::<Test>::UnknownContract);
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 1, 100), Error::<Test>::NotActive);
		assert_ok!(Storage::accept_contract(signed(1), 0));
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 0, 100), Error::<Test>::ZeroDuration);
		assert_noop!(Storage::renew_contract(signed(11), 0, 1, 100), Error::<Test>::NotClient);
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 1, 9), Error::<Test>::PriceAboveMax);
		// 5 periods left + 46 > the offer's 50.
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 46, u64::MAX), Error::<Test>::DurationOutOfRange);
		assert_ok!(Storage::set_offer(signed(1), 10_000, 10 * G, 1, 50));
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 1, u64::MAX), Error::<Test>::InsufficientBalance);
		Offers::<Test>::remove(1);
		assert_noop!(Storage::renew_contract(signed(CLIENT), 0, 1, u64::MAX), Error::<Test>::UnknownOffer);
	});
}

#[test]
fn proven_periods_pay_the_provider_and_the_last_completes_the_contract() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let provider_before = Balances::balance(&1);
		// Period 0 precedes the contract: nothing happens.
		Storage::settle_period(&1, 0, answered());
		assert_eq!(escrow_held(CLIENT), 50);
		for period in 1..=4 {
			Storage::settle_period(&1, period, answered());
			assert_eq!(last_event(), Event::PeriodSettled { id, period, paid: 10, refunded: 0, slashed: 0 }.into());
		}
		// Settling the same period twice pays once.
		Storage::settle_period(&1, 4, answered());
		assert_eq!(Balances::balance(&1), provider_before + 40);
		assert!(matches!(state(id), ContractState::Active { next: 5, last_proven: Some(4), .. }));
		Storage::settle_period(&1, 5, answered());
		assert_eq!(last_event(), Event::ContractCompleted { id }.into());
		assert_eq!(Balances::balance(&1), provider_before + 50);
		assert_eq!(escrow_held(CLIENT), 0);
		assert_eq!(Balances::total_balance(&CLIENT), 10_000 - 50);
		assert!(Contracts::<Test>::get(id).is_none());
		assert!(!ProviderContracts::<Test>::contains_key(1));
		assert_eq!(Offers::<Test>::get(1).unwrap().used, 0);
	});
}

#[test]
fn an_unanswered_period_refunds_without_a_slash_when_not_challenged() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		Storage::settle_period(&1, 1, PeriodOutcome { answered: false, missed: vec![] });
		assert_eq!(last_event(), Event::PeriodSettled { id, period: 1, paid: 0, refunded: 10, slashed: 0 }.into());
		assert_eq!(escrow_held(CLIENT), 40);
		assert_eq!(bond_held(1), BOND);
	});
}

#[test]
fn misses_are_forgiven_once_then_slashed_more_and_end_the_contract() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		// Another contract of the same provider, proven all along.
		assert_ok!(Storage::create_contracts(signed(11), [8; 32], 1024, 5, orders(vec![order(1, 2, G, 50)])));
		assert_ok!(Storage::accept_contract(signed(1), 1));
		Storage::settle_period(&1, 1, missed(vec![id]));
		assert_eq!(bond_held(1), BOND, "the first miss is forgiven");
		assert!(matches!(state(id), ContractState::Active { misses: 1, .. }));
		// A proof in between resets the count.
		Storage::settle_period(&1, 2, answered());
		assert!(matches!(state(id), ContractState::Active { misses: 0, .. }));
		Storage::settle_period(&1, 3, missed(vec![id]));
		Storage::settle_period(&1, 4, missed(vec![id]));
		assert_eq!(bond_held(1), BOND - 10, "the second miss in a row costs a period's price");
		let client_before = Balances::total_balance(&CLIENT);
		Storage::settle_period(&1, 5, missed(vec![id]));
		// The third miss costs two periods' price and ends the contract.
		assert_eq!(bond_held(1), BOND - 30);
		System::assert_has_event(Event::FragmentLost { id, provider: 1, manifest: FILE, root: [1; 32] }.into());
		assert!(Contracts::<Test>::get(id).is_none());
		assert_eq!(escrow_held(CLIENT), 0);
		assert_eq!(Balances::total_balance(&CLIENT), client_before + 20);
		// The other contract was paid for every period, and is done.
		System::assert_has_event(Event::PeriodSettled { id: 1, period: 5, paid: 10, refunded: 0, slashed: 0 }.into());
		System::assert_last_event(Event::ContractCompleted { id: 1 }.into());
	});
}

#[test]
fn provable_lists_active_contracts_due_in_the_period() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		offer(2);
		assert_eq!(Storage::provable(&1, 0), vec![]);
		let expected = ProvableFragment { contract: id, root: [1; 32], size: G, segment_size: 1024 };
		assert_eq!(Storage::provable(&1, 1), vec![expected]);
		assert_eq!(expected.segments(), G / 1024);
		Storage::settle_period(&1, 1, answered());
		assert_eq!(Storage::provable(&1, 1), vec![], "a settled period is not proven again");
		assert_eq!(Storage::provable(&1, 6), vec![], "after the end");
		// Only providers with active contracts are visited.
		assert_eq!(Storage::next_provider(None), Some(1));
		assert_eq!(Storage::next_provider(Some(&1)), None);
	});
}

/// A small deterministic generator for the property test.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

/// Over random sequences of offers, contracts, acceptances, cancellations, renewals,
/// expiries and settlements (proven, unanswered, missed), no balance appears or
/// disappears: the total issuance and the sum of all accounts' balances stay the same,
/// and every planck held as escrow belongs to a live contract.
#[test]
fn balances_are_conserved_over_random_calls() {
	let accounts = [1u64, 2, 3, 4, 5, 10, 11];
	for seed in 1..=40u64 {
		new_test_ext().execute_with(|| {
			let mut rng = Rng(seed * 0x9E37_79B9_7F4A_7C15);
			let total = || accounts.iter().map(|a| Balances::total_balance(a)).sum::<u64>();
			let (issuance, sum) = (Balances::total_issuance(), total());
			for _ in 0..200 {
				let provider = 1 + rng.below(4);
				let client = [10, 11, 5][rng.below(3) as usize];
				let id = rng.below(NextContractId::<Test>::get() + 1);
				let _ = match rng.below(9) {
					0 => Storage::set_offer(
						signed(provider),
						rng.below(30),
						rng.below(8) * G,
						1,
						1 + rng.below(10) as u32,
					),
					1 => Storage::remove_offer(signed(provider)),
					2 | 3 => {
						let size = 1 + rng.below(2 * G);
						let list = vec![order(provider, rng.below(255) as u8, size, rng.below(2_000))];
						let manifest = [rng.below(4) as u8; 32];
						Storage::create_contracts(signed(client), manifest, 1024, 1 + rng.below(6) as u32, orders(list))
					},
					4 => Storage::accept_contract(signed(provider), id),
					5 => Storage::cancel_contract(signed(client), id),
					6 => Storage::renew_contract(signed(client), id, 1 + rng.below(3) as u32, rng.below(500)),
					7 => {
						let period = Storage::period_of(System::block_number());
						let challenged: Vec<_> = Storage::provable(&provider, period)
							.into_iter()
							.map(|f| f.contract)
							.filter(|_| rng.below(2) == 0)
							.collect();
						let outcome = PeriodOutcome { answered: rng.below(4) != 0, missed: challenged };
						Storage::settle_period(&provider, period, outcome);
						Ok(())
					},
					_ => {
						run_to(System::block_number() + 1 + rng.below(PERIOD));
						Ok(())
					},
				};
				assert_eq!(Balances::total_issuance(), issuance, "seed {seed}");
				assert_eq!(total(), sum, "seed {seed}");
				let escrow: u64 = Contracts::<Test>::iter().map(|(_, c)| c.escrow).sum();
				assert_eq!(escrow, accounts.iter().map(|a| escrow_held(*a)).sum::<u64>(), "seed {seed}");
				let bonds: u64 = Offers::<Test>::iter().map(|(_, o)| o.bond).sum();
				assert_eq!(bonds, accounts.iter().map(|a| bond_held(*a)).sum::<u64>(), "seed {seed}");
			}
		});
	}
}
