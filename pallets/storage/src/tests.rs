use crate::{mock::*, *};
use cairn_primitives::traits::{PartitionRef, ProvableFragment, StorageMarket};
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
	pallet_balances,
	sp_runtime::DispatchError,
};

const G: u64 = GIB as u64;
const FILE: ManifestId = [7; 32];

fn signed(who: u64) -> RuntimeOrigin {
	RawOrigin::Signed(who).into()
}

/// 10 plancks per GiB per window, 10 GiB, 1..=50 windows.
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

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

/// The escrow of active contracts in the pot (it also keeps the existential deposit).
fn in_pot() -> u64 {
	Balances::balance(&Storage::pot()) - Balances::minimum_balance()
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Storage::on_initialize(next);
	}
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Storage(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn state(id: ContractId) -> ContractState<u64> {
	Contracts::<Test>::get(id).expect("contract exists").state
}

fn partition(provider: u64, deadline: u32, index: u32) -> PartitionRef<u64> {
	PartitionRef { provider, deadline, index }
}

/// Every partition of every deadline misses `window` (what the proofs pallet's settlement
/// does for partitions nobody answered).
fn settle_all(window: Period) {
	for deadline in 0..2 {
		let mut after = None;
		while let Some((p, key)) = Storage::next_partition(deadline, after.as_deref()) {
			Storage::settle_unanswered(&p, window);
			after = Some(key);
		}
	}
}

/// Provider 1 offers; the client stores one GiB with it for 5 windows (escrow 50, fee 5,
/// reservation 1) and provider 1 accepts in window 0: the contract runs for windows 1..6
/// in deadline 0, partition 0, with collateral 100 and a mint budget of 2.
fn active_contract() -> ContractId {
	offer(1);
	assert_ok!(create(vec![order(1, 1, G, 50)], 5));
	assert_ok!(Storage::accept_contract(signed(1), 0));
	0
}

fn check() {
	Storage::do_try_state().expect("invariants hold");
}

#[test]
fn offers_need_an_attested_node_and_a_price_at_the_floor() {
	new_test_ext().execute_with(|| {
		assert_noop!(Storage::set_offer(signed(5), 10, G, 1, 5), Error::<Test>::NotAttested);
		assert_noop!(Storage::set_offer(signed(1), 0, G, 1, 5), Error::<Test>::PriceBelowFloor);
		assert_noop!(Storage::set_offer(signed(1), 10, G, 0, 5), Error::<Test>::BadDuration);
		assert_noop!(Storage::set_offer(signed(1), 10, G, 6, 5), Error::<Test>::BadDuration);
		let mut params = Storage::params();
		params.min_price_per_gib = 20;
		assert_ok!(Storage::set_params(RawOrigin::Root.into(), params));
		assert_noop!(Storage::set_offer(signed(1), 19, G, 1, 5), Error::<Test>::PriceBelowFloor);
		assert_ok!(Storage::set_offer(signed(1), 20, G, 1, 5));
		assert_eq!(held(HoldReason::ProviderBond, 1), BOND);
	});
}

#[test]
fn set_params_is_root_only_checked_and_keeps_the_schedule_of_active_contracts() {
	new_test_ext().execute_with(|| {
		let params = Storage::params();
		assert_noop!(Storage::set_params(signed(1), params.clone()), DispatchError::BadOrigin);
		for bad in [
			MarketParams { deadlines: 3, ..params.clone() },
			MarketParams { window: 4, deadlines: 2, ..params.clone() },
			MarketParams { mint_percent: 51, ..params.clone() },
			MarketParams { max_missed: 0, ..params.clone() },
			MarketParams { min_price_per_gib: 0, ..params.clone() },
			MarketParams { min_market_fee: 0, ..params.clone() },
			MarketParams { collateral_percent: 99, ..params.clone() },
			MarketParams { collateral_percent: 1_001, ..params.clone() },
		] {
			assert_noop!(Storage::set_params(RawOrigin::Root.into(), bad), Error::<Test>::BadParams);
		}
		active_contract();
		assert_noop!(
			Storage::set_params(RawOrigin::Root.into(), MarketParams { window: 20, ..params.clone() }),
			Error::<Test>::ScheduleInUse
		);
		assert_ok!(Storage::set_params(RawOrigin::Root.into(), MarketParams { fault_fee_windows: 5, ..params }));
		assert_eq!(Storage::params().fault_fee_windows, 5);
	});
}

#[test]
fn create_holds_escrow_fee_and_reservation() {
	new_test_ext().execute_with(|| {
		offer(1);
		assert_noop!(create(vec![order(1, 1, G, 49)], 5), Error::<Test>::PriceAboveMax);
		assert_noop!(create(vec![order(1, 1, 11 * G, u64::MAX)], 5), Error::<Test>::ProviderFull);
		assert_noop!(create(vec![order(1, 1, 0, 50)], 5), Error::<Test>::ZeroSize);
		assert_noop!(create(vec![order(2, 1, G, 50)], 5), Error::<Test>::UnknownOffer);
		assert_noop!(create(vec![order(1, 1, G, 50)], 51), Error::<Test>::DurationOutOfRange);
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		assert_eq!(held(HoldReason::Escrow, CLIENT), 50 + 5 + 1);
		assert_eq!(Offers::<Test>::get(1).unwrap().used, G);
		assert!(matches!(state(0), ContractState::Pending { accept_by: 21 }));
		check();
	});
}

#[test]
fn accept_holds_collateral_burns_the_fee_and_returns_the_reservation() {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		let id = active_contract();
		assert_eq!(held(HoldReason::Escrow, CLIENT), 0, "the escrow moved to the pot");
		assert_eq!(in_pot(), 50);
		assert_eq!(held(HoldReason::Collateral, 1), 100);
		assert_eq!(Balances::total_issuance(), issuance - 5, "the market fee is burned");
		let c = Contracts::<Test>::get(id).unwrap();
		assert_eq!((c.fee, c.reservation, c.collateral, c.mint), (0, 0, 100, 2));
		assert_eq!(
			c.state,
			ContractState::Active { start: 1, end: 6, next: 1, misses: 0, last_proven: None, deadline: 0, partition: 0 }
		);
		assert_noop!(Storage::accept_contract(signed(1), id), Error::<Test>::NotPending);
		check();
	});
}

#[test]
fn accept_without_free_collateral_is_refused() {
	new_test_ext().execute_with(|| {
		// Account 4 has 150: the bond leaves 50, less than the collateral of 100.
		assert_ok!(Storage::set_offer(signed(4), 10, 10 * G, 1, 50));
		assert_ok!(create(vec![order(4, 1, G, 50)], 5));
		assert_noop!(Storage::accept_contract(signed(4), 0), Error::<Test>::InsufficientCollateral);
		assert!(matches!(state(0), ContractState::Pending { .. }));
		assert_noop!(Storage::accept_contract(signed(1), 0), Error::<Test>::NotProvider);
	});
}

#[test]
fn a_contract_left_to_expire_pays_the_reservation_to_the_provider() {
	new_test_ext().execute_with(|| {
		offer(1);
		let (client, provider) = (Balances::balance(&CLIENT), Balances::balance(&1));
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		run_to(20);
		assert!(Contracts::<Test>::contains_key(0));
		run_to(21);
		assert!(!Contracts::<Test>::contains_key(0));
		assert_eq!(Balances::balance(&CLIENT), client - 1);
		assert_eq!(Balances::balance(&1), provider + 1);
		assert_eq!(held(HoldReason::Escrow, CLIENT), 0);
		assert_eq!(Offers::<Test>::get(1).unwrap().used, 0);
		assert!(events().contains(&Event::ContractExpired { id: 0, reservation: 1 }));
		assert_noop!(Storage::accept_contract(signed(1), 0), Error::<Test>::UnknownContract);
		check();
	});
}

#[test]
fn cancel_pays_the_reservation_to_the_provider_and_reject_refunds_everything() {
	new_test_ext().execute_with(|| {
		offer(1);
		let (client, provider) = (Balances::balance(&CLIENT), Balances::balance(&1));
		assert_ok!(create(vec![order(1, 1, G, 50), order(1, 2, G, 50)], 5));
		assert_noop!(Storage::cancel_contract(signed(11), 0), Error::<Test>::NotClient);
		assert_noop!(Storage::reject_contract(signed(2), 0), Error::<Test>::NotProvider);
		assert_ok!(Storage::cancel_contract(signed(CLIENT), 0));
		assert_ok!(Storage::reject_contract(signed(1), 1));
		assert_eq!(Balances::balance(&CLIENT), client - 1);
		assert_eq!(Balances::balance(&1), provider + 1);
		assert_eq!(held(HoldReason::Escrow, CLIENT), 0);
		assert_eq!(ProviderPending::<Test>::get(1).len(), 0);
		assert_eq!(ClientPending::<Test>::get(CLIENT), 0);
		check();
	});
}

#[test]
fn pending_contracts_per_client_are_bounded() {
	new_test_ext().execute_with(|| {
		offer(1);
		offer(2);
		let list = |p| (0..4).map(|r| order(p, r, 1, 10)).collect::<Vec<_>>();
		assert_ok!(create(list(1), 1));
		assert_ok!(create(list(2), 1));
		assert_noop!(create(vec![order(2, 9, 1, 10)], 1), Error::<Test>::ClientTooManyPending);
		// Another client is not affected by this one's orders.
		assert_ok!(Storage::create_contracts(signed(11), FILE, 1024, 1, orders(vec![order(2, 9, 1, 10)])));
	});
}

#[test]
fn expiry_has_no_per_block_bucket_and_catches_up() {
	new_test_ext().execute_with(|| {
		for p in [1, 2, 3] {
			offer(p);
		}
		// Nine contracts close in block 21; three are refunded per block.
		for (client, p) in [(10, 1), (11, 2), (5, 3)] {
			let list: Vec<_> = (0..3).map(|r| order(p, r, 1, 10)).collect();
			assert_ok!(Storage::create_contracts(signed(client), FILE, 1024, 1, orders(list)));
		}
		run_to(21);
		assert_eq!(Contracts::<Test>::iter().count(), 6);
		run_to(23);
		assert_eq!(Contracts::<Test>::iter().count(), 0);
		check();
	});
}

#[test]
fn file_records_are_per_client_so_nobody_squats_another_clients_file() {
	new_test_ext().execute_with(|| {
		offer(1);
		offer(2);
		// A stranger fills FILE's record under its own account first.
		let squat: Vec<_> = (0..8).map(|r| order(2, r, 1, 10)).collect();
		assert_ok!(Storage::create_contracts(signed(11), FILE, 1024, 1, orders(squat)));
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		let mine = Storage::file_contracts(&CLIENT, &FILE);
		assert_eq!(mine.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![8]);
		assert_eq!(Storage::file_contracts(&11, &FILE).len(), 8);
	});
}

#[test]
fn a_proven_window_pays_its_share_and_mints_its_share() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let p = partition(1, 0, 0);
		assert_eq!(Storage::due(&p, 0), Some(vec![]), "not due before its first window");
		let expected = ProvableFragment { contract: id, root: [1; 32], size: G, segment_size: 1024 };
		assert_eq!(Storage::due(&p, 1), Some(vec![expected]));
		let provider = Balances::balance(&1);
		Storage::record_proofs(&p, 1, &[true]);
		assert!(Storage::answered(&p, 1));
		assert_eq!(Storage::due(&p, 1), Some(vec![]), "a settled window is not proven again");
		assert_eq!(Balances::balance(&1), provider + 10);
		assert_eq!(Minted::get(), 0, "a budget of 2 over 5 windows mints 0, 0, 0, 1, 1");
		for w in 2..=5 {
			Storage::record_proofs(&p, w, &[true]);
		}
		assert_eq!(Balances::balance(&1), provider + 50 + 100, "all the escrow, and the collateral back");
		assert_eq!(Minted::get(), 2);
		assert!(!Contracts::<Test>::contains_key(id));
		assert!(events().contains(&Event::ContractCompleted { id, collateral: 100 }));
		assert_eq!(Storage::next_partition(0, None), None, "the empty partition is gone");
		assert_eq!(Offers::<Test>::get(1).unwrap().used, 0);
		check();
	});
}

/// Contracts of several clients in one partition: their escrow waits in the pot, the
/// window's pay reaches the provider in one transfer, and a miss refunds from the pot.
#[test]
fn a_partition_is_paid_from_the_pot_in_one_transfer() {
	new_test_ext().execute_with(|| {
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50), order(1, 2, G, 50)], 5));
		assert_ok!(Storage::create_contracts(signed(11), FILE, 1024, 5, orders(vec![order(1, 3, G, 50)])));
		for id in 0..3 {
			assert_ok!(Storage::accept_contract(signed(1), id));
		}
		assert_eq!(in_pot(), 150);
		assert_eq!((held(HoldReason::Escrow, CLIENT), held(HoldReason::Escrow, 11)), (0, 0));
		let (provider, client) = (Balances::balance(&1), Balances::balance(&11));
		System::reset_events();
		Storage::record_proofs(&partition(1, 0, 0), 1, &[true, true, false]);
		let pot = Storage::pot();
		let transfers: Vec<_> = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount }) if from == pot => {
					Some((to, amount))
				},
				_ => None,
			})
			.collect();
		assert_eq!(transfers, vec![(11, 10), (1, 20)], "the miss refunds 11, the two proven pay 1 at once");
		assert_eq!(Balances::balance(&1), provider + 20);
		assert_eq!(Balances::balance(&11), client + 10 + 30, "its share back and a fault fee of 3 windows");
		assert_eq!(in_pot(), 120);
		check();
	});
}

#[test]
fn a_missed_window_refunds_its_share_and_takes_the_fault_fee() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let client = Balances::balance(&CLIENT);
		settle_all(1);
		assert_eq!(Balances::balance(&CLIENT), client + 10 + 30);
		assert_eq!(held(HoldReason::Collateral, 1), 70);
		assert!(events().contains(&Event::WindowMissed { id, window: 1, refunded: 10, fault_fee: 30, misses: 1 }));
		// A proof resets the count.
		Storage::record_proofs(&partition(1, 0, 0), 2, &[true]);
		assert!(matches!(state(id), ContractState::Active { misses: 0, next: 3, last_proven: Some(2), .. }));
		check();
	});
}

#[test]
fn misses_in_a_row_lose_the_fragment_and_give_the_client_the_collateral() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let client = Balances::balance(&CLIENT);
		let provider_total = Balances::total_balance(&1);
		settle_all(1);
		// A declared loss counts as a miss.
		Storage::record_proofs(&partition(1, 0, 0), 2, &[false]);
		settle_all(3);
		assert!(!Contracts::<Test>::contains_key(id));
		assert_eq!(Balances::balance(&CLIENT), client + 50 + 100, "all the escrow and all the collateral");
		assert_eq!(Balances::total_balance(&1), provider_total - 100);
		assert!(events().iter().any(|e| matches!(e, Event::FragmentLost { id: 0, root, collateral: 10, .. } if *root == [1; 32])));
		assert_eq!(held(HoldReason::Collateral, 1), 0);
		check();
	});
}

#[test]
fn skipped_settlements_are_caught_up_as_misses_before_a_later_proof_pays() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let provider = Balances::balance(&1);
		Storage::record_proofs(&partition(1, 0, 0), 2, &[true]);
		assert!(matches!(state(id), ContractState::Active { misses: 0, next: 3, .. }));
		assert_eq!(Balances::balance(&1), provider + 10, "window 1 was refunded, window 2 paid");
		assert!(events().contains(&Event::WindowMissed { id, window: 1, refunded: 10, fault_fee: 30, misses: 1 }));
	});
}

#[test]
fn only_the_first_live_contract_of_a_root_earns_minting() {
	new_test_ext().execute_with(|| {
		active_contract();
		assert_ok!(create(vec![order(1, 1, G, 50)], 5));
		assert_ok!(Storage::accept_contract(signed(1), 1));
		assert_eq!(Contracts::<Test>::get(1).unwrap().mint, 0);
		assert_eq!(RootRefs::<Test>::get([1; 32]), 2);
	});
}

#[test]
fn renewal_holds_more_escrow_and_collateral_and_burns_a_fee() {
	new_test_ext().execute_with(|| {
		let id = active_contract();
		let issuance = Balances::total_issuance();
		assert_noop!(Storage::renew_contract(signed(11), id, 2, 20), Error::<Test>::NotClient);
		assert_noop!(Storage::renew_contract(signed(CLIENT), id, 2, 19), Error::<Test>::PriceAboveMax);
		assert_noop!(Storage::renew_contract(signed(CLIENT), id, 0, 20), Error::<Test>::ZeroDuration);
		assert_ok!(Storage::renew_contract(signed(CLIENT), id, 2, 20));
		assert_eq!(in_pot(), 70);
		assert_eq!(held(HoldReason::Collateral, 1), 140);
		assert_eq!(Balances::total_issuance(), issuance - 2);
		assert!(matches!(state(id), ContractState::Active { end: 8, .. }));
		check();
	});
}

#[test]
fn partitions_fill_up_then_open_in_the_next_deadline() {
	new_test_ext().execute_with(|| {
		offer(1);
		let list: Vec<_> = (0..6).map(|r| order(1, r, 1, 10)).collect();
		assert_ok!(create(list, 1));
		for id in 0..6 {
			assert_ok!(Storage::accept_contract(signed(1), id));
		}
		let at = |id| match state(id) {
			ContractState::Active { deadline, partition, .. } => (deadline, partition),
			_ => panic!("active"),
		};
		assert_eq!((0..6).map(at).collect::<Vec<_>>(), vec![(0, 0), (0, 0), (0, 0), (0, 0), (1, 1), (1, 1)]);
		assert_eq!(Storage::partitions_of(&1, 0), vec![0]);
		assert_eq!(Storage::partitions_of(&1, 1), vec![1]);
		assert_eq!(PartitionCount::<Test>::get(0), 1);
		check();
	});
}

#[test]
fn acceptance_stops_when_every_deadline_is_full() {
	new_test_ext().execute_with(|| {
		// Deadlines of 5 blocks, 2 partitions settled per block: 10 partitions per
		// deadline, 2 deadlines, 20 partitions of 4 contracts.
		for p in [1, 2, 3] {
			offer(p);
		}
		let mut accepted = 0;
		let mut refused = false;
		for round in 0..8u8 {
			for p in [1u64, 2, 3] {
				let first = NextContractId::<Test>::get();
				let list: Vec<_> = (0..4).map(|r| order(p, round * 4 + r, 1, 10)).collect();
				let client = [10, 11, 5][(p - 1) as usize];
				assert_ok!(Storage::create_contracts(signed(client), [round; 32], 1024, 1, orders(list)));
				for id in first..first + 4 {
					match Storage::accept_contract(signed(p), id) {
						Ok(()) => accepted += 1,
						Err(e) => {
							assert_eq!(e, Error::<Test>::DeadlinesFull.into());
							refused = true;
							let _ = Storage::cancel_contract(signed(client), id);
						},
					}
				}
			}
		}
		assert!(refused);
		assert_eq!(accepted, 20 * 4);
		check();
	});
}

/// The attack of issue 11: a provider that stores nothing and never answers, with 16
/// accepted contracts, earns nothing and loses collateral; the clients get their money.
#[test]
fn a_provider_that_proves_nothing_earns_nothing_and_loses_collateral() {
	new_test_ext().execute_with(|| {
		offer(1);
		let list: Vec<_> = (0..8).map(|r| order(1, r, G / 2, 50)).collect();
		assert_ok!(create(list.clone(), 5));
		for id in 0..8 {
			assert_ok!(Storage::accept_contract(signed(1), id));
		}
		assert_ok!(Storage::create_contracts(signed(11), FILE, 1024, 5, orders(list)));
		for id in 8..16 {
			assert_ok!(Storage::accept_contract(signed(1), id));
		}
		let provider = Balances::total_balance(&1);
		for window in 1..=5 {
			settle_all(window);
		}
		assert_eq!(Contracts::<Test>::iter().count(), 0, "every contract ended as lost");
		// Each held 200 % of its 25-planck price as collateral.
		assert_eq!(Balances::total_balance(&1), provider - 16 * 50, "all collateral lost");
		assert_eq!(Minted::get(), 0);
		check();
	});
}

/// A provider that keeps half its fragments earns at most half the escrow.
#[test]
fn a_provider_holding_half_earns_at_most_half() {
	new_test_ext().execute_with(|| {
		offer(1);
		let list: Vec<_> = (0..8).map(|r| order(1, r, G, 50)).collect();
		assert_ok!(create(list, 5));
		for id in 0..8 {
			assert_ok!(Storage::accept_contract(signed(1), id));
		}
		let provider = Balances::total_balance(&1);
		for window in 1..=5 {
			for deadline in 0..2 {
				for index in Storage::partitions_of(&1, deadline) {
					let p = partition(1, deadline, index);
					let due = Storage::due(&p, window).unwrap();
					// Holds the fragments with even roots.
					let proven: Vec<bool> = due.iter().map(|f| f.root[0] % 2 == 0).collect();
					Storage::record_proofs(&p, window, &proven);
				}
			}
		}
		let earned = Balances::total_balance(&1) as i128 - provider as i128;
		assert!(earned <= 8 * 50 / 2, "earned {earned}");
		assert!(earned <= 4 * 50 - 4 * 100, "and lost the collateral of the rest: {earned}");
		check();
	});
}

/// A small deterministic generator for the property tests.
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

/// Invariant 2 of THREATS.md: a party that is client, provider and block author at once,
/// proving everything, ends with less than it started, whatever the sizes, prices and
/// durations (the minted currency counts as the party's).
#[test]
fn self_dealing_never_profits() {
	for seed in 1..=60u64 {
		new_test_ext().execute_with(|| {
			let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
			let party = |minted: u64| Balances::total_balance(&1) + Balances::total_balance(&CLIENT) + minted;
			let start = party(0);
			let price = Storage::params().min_price_per_gib + rng.below(100);
			assert_ok!(Storage::set_offer(signed(1), price, u64::MAX / 4, 1, 50));
			let duration = 1 + rng.below(8) as u32;
			let n = 1 + rng.below(8);
			let list: Vec<_> = (0..n).map(|r| order(1, r as u8, 1 + rng.below(G), u64::MAX)).collect();
			assert_ok!(create(list, duration));
			for id in 0..n {
				assert_ok!(Storage::accept_contract(signed(1), id));
			}
			for window in 1..=duration {
				for deadline in 0..2 {
					for index in Storage::partitions_of(&1, deadline) {
						let p = partition(1, deadline, index);
						let due = Storage::due(&p, window).unwrap();
						Storage::record_proofs(&p, window, &vec![true; due.len()]);
					}
				}
			}
			assert_eq!(Contracts::<Test>::iter().count(), 0);
			assert!(party(Minted::get()) < start, "seed {seed}: {} >= {start}", party(Minted::get()));
		});
	}
}

/// Over random sequences of offers, contracts, acceptances, rejections, cancellations,
/// renewals, proofs, misses and expiries: the total issuance falls by exactly the fees
/// burned, the accounts' balances sum to it, and `try_state` holds (every held planck
/// belongs to a live contract or offer).
#[test]
fn balances_are_conserved_over_random_calls() {
	let accounts = [1u64, 2, 3, 4, 5, 10, 11];
	for seed in 1..=40u64 {
		new_test_ext().execute_with(|| {
			let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
			let pot = Storage::pot();
			let total = || accounts.iter().chain([&pot]).map(|a| Balances::total_balance(a)).sum::<u64>();
			let issuance = Balances::total_issuance();
			for _ in 0..200 {
				let provider = 1 + rng.below(4);
				let client = [10, 11, 5][rng.below(3) as usize];
				let id = rng.below(NextContractId::<Test>::get() + 1);
				let window = Storage::window_of(System::block_number());
				let _ = match rng.below(11) {
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
					6 => Storage::reject_contract(signed(provider), id),
					7 => Storage::renew_contract(signed(client), id, 1 + rng.below(3) as u32, rng.below(500)),
					8 => {
						for deadline in 0..2 {
							for index in Storage::partitions_of(&provider, deadline) {
								let p = partition(provider, deadline, index);
								let due = Storage::due(&p, window).unwrap();
								let proven: Vec<bool> = due.iter().map(|_| rng.below(3) != 0).collect();
								Storage::record_proofs(&p, window, &proven);
							}
						}
						Ok(())
					},
					9 => {
						settle_all(window);
						Ok(())
					},
					_ => {
						run_to(System::block_number() + 1 + rng.below(WINDOW));
						Ok(())
					},
				};
				let burned: u64 = events()
					.iter()
					.map(|e| match e {
						Event::ContractAccepted { fee_burned, .. } | Event::ContractRenewed { fee_burned, .. } => {
							*fee_burned
						},
						_ => 0,
					})
					.sum();
				assert_eq!(Balances::total_issuance(), issuance - burned, "seed {seed}");
				assert_eq!(total(), issuance - burned, "seed {seed}");
				check();
			}
		});
	}
}

#[test]
fn holdings_list_a_providers_live_contracts_until_they_end() {
	new_test_ext().execute_with(|| {
		offer(1);
		offer(2);
		// Provider 1: one to accept, one pending, one cancelled; provider 2: one of the same root.
		assert_ok!(create(vec![order(1, 1, G, 50), order(1, 2, G, 50), order(1, 3, G, 50), order(2, 1, G, 50)], 5));
		assert_ok!(Storage::accept_contract(signed(1), 0));
		assert_ok!(Storage::cancel_contract(signed(CLIENT), 2));
		let ids = |p| {
			let mut ids: Vec<_> = Storage::holdings(&p).into_iter().map(|(id, _)| id).collect();
			ids.sort();
			ids
		};
		assert_eq!(ids(1), vec![0, 1], "the active and the pending one, not the cancelled");
		assert_eq!(ids(2), vec![3]);
		assert!(Storage::holdings(&1).iter().all(|(_, c)| c.provider == 1 && c.manifest == FILE));
		// Three missed windows in a row end the active one; the pending one expires.
		settle_all(1);
		settle_all(2);
		settle_all(3);
		run_to(1_000);
		assert_eq!(ids(1), Vec::<ContractId>::new());
		check();
	});
}

/// A chain of storage version 1 kept active contracts' escrow held on the client: the
/// migration moves it into the pot, once, and the books agree after it.
#[test]
fn the_v2_migration_moves_active_escrow_into_the_pot() {
	use polkadot_sdk::frame_support::traits::{
		fungible::{Mutate, MutateHold},
		tokens::Preservation,
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	new_test_ext().execute_with(|| {
		offer(1);
		assert_ok!(create(vec![order(1, 1, G, 50), order(1, 2, G, 50)], 5));
		assert_ok!(Storage::accept_contract(signed(1), 0));
		assert_ok!(Storage::accept_contract(signed(1), 1));
		// Contract 1's escrow where version 1 kept it: held on the client.
		Balances::transfer(&Storage::pot(), &CLIENT, 50, Preservation::Preserve).unwrap();
		Balances::hold(&HoldReason::Escrow.into(), &CLIENT, 50).unwrap();
		StorageVersion::new(1).put::<Storage>();
		assert_eq!((held(HoldReason::Escrow, CLIENT), in_pot()), (50, 50));
		assert!(Storage::do_try_state().is_err(), "version 1's books");

		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!((held(HoldReason::Escrow, CLIENT), in_pot()), (0, 100));
		assert_eq!(Storage::on_chain_storage_version(), 2);
		check();
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(in_pot(), 100, "it runs once");
	});
}

#[test]
fn segments_are_subtrees_of_the_fragment_tree() {
	new_test_ext().execute_with(|| {
		offer(1);
		let create_with = |segment_size| {
			Storage::create_contracts(signed(CLIENT), FILE, segment_size, 1, orders(vec![order(1, 1, G, 50)]))
		};
		// Not a power of two of at least 1 KiB, or above `MaxSegmentSize` (4 KiB here).
		for bad in [0, 1, 512, 1000, 3072, 8192, u32::MAX] {
			assert_noop!(create_with(bad), Error::<Test>::BadSegmentSize);
		}
		assert_ok!(create_with(4096));
		assert_eq!(Contracts::<Test>::get(0).unwrap().segment_size, 4096);
	});
}
