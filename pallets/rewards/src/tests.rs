//! Rewards over real balances, with the author set by each test.

use crate::{self as pallet_rewards, *};
use cairn_primitives::traits::{FragmentLedger, GrantPayer};
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{
			fungible::{Balanced, Inspect},
			ConstU64, Hooks, OnUnbalanced,
		},
	},
	frame_system, pallet_balances, sp_io,
	sp_runtime::BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Rewards: pallet_rewards,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub static Author: Option<u64> = Some(7);
	pub const Share: Perbill = Perbill::from_percent(80);
}

impl pallet_rewards::Config for Test {
	type Currency = Balances;
	type Author = Author;
	type FeeShare = Share;
	/// Genesis issues 1_000.
	type MaxIssuance = ConstU64<1_100>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Author;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Author {
	fn set_author() -> u64 {
		Author::set(Some(7));
		7
	}
}

pub(crate) fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(1, 1_000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Author::set(Some(7));
	});
	ext
}

fn end_block() {
	Rewards::on_finalize(System::block_number());
}

#[test]
fn the_author_is_paid_what_the_proofs_in_its_block_earned() {
	new_test_ext().execute_with(|| {
		Rewards::on_proven(10);
		Rewards::on_proven(5);
		end_block();
		assert_eq!(Balances::balance(&7), 15);
		assert_eq!(Balances::total_issuance(), 1_015);
		System::assert_last_event(Event::AuthorRewarded { author: 7, amount: 15 }.into());
		// The count starts again in the next block.
		end_block();
		assert_eq!(Balances::balance(&7), 15);
	});
}

#[test]
fn a_block_without_fragments_or_author_mints_nothing() {
	new_test_ext().execute_with(|| {
		end_block();
		Author::set(None);
		Rewards::on_proven(20);
		end_block();
		assert_eq!(Balances::total_issuance(), 1_000);
		assert!(System::events().is_empty());
	});
}

#[test]
fn minting_stops_at_the_issuance_cap() {
	new_test_ext().execute_with(|| {
		Rewards::pay_grant(&2, 90);
		System::assert_last_event(Event::GrantPaid { who: 2, amount: 90 }.into());
		Rewards::on_proven(20);
		end_block();
		// 20 earned, 10 left under the cap.
		assert_eq!(Balances::balance(&7), 10);
		Rewards::pay_grant(&3, 90);
		System::assert_last_event(Event::GrantPaid { who: 3, amount: 0 }.into());
		assert_eq!(Balances::total_issuance(), 1_100);
	});
}

#[test]
fn fees_go_in_part_to_the_author_and_the_rest_is_burned() {
	new_test_ext().execute_with(|| {
		let fee = <Balances as Balanced<u64>>::withdraw(
			&1,
			100,
			polkadot_sdk::frame_support::traits::tokens::Precision::Exact,
			polkadot_sdk::frame_support::traits::tokens::Preservation::Preserve,
			polkadot_sdk::frame_support::traits::tokens::Fortitude::Polite,
		)
		.unwrap();
		FeesToAuthor::<Test>::on_unbalanced(fee);
		assert_eq!(Balances::balance(&7), 80);
		assert_eq!(Balances::total_issuance(), 980);
	});
}
