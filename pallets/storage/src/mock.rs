//! A test runtime: system, balances and storage. Accounts 1..=4 are attested nodes (4 is
//! too poor for a bond); 10 and 11 are clients; 5 is not attested.

use crate as pallet_storage;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{ConstU32, ConstU64},
	},
	frame_system, pallet_balances, sp_io,
	sp_runtime::BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Storage: pallet_storage,
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
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub static Attested: Vec<u64> = vec![1, 2, 3, 4];
	pub static Stored: u32 = 0;
}

pub struct TestRegistry;
impl cairn_primitives::traits::NodeRegistry<u64> for TestRegistry {
	fn is_attested(who: &u64) -> bool {
		Attested::get().contains(who)
	}
}

pub struct TestLedger;
impl cairn_primitives::traits::FragmentLedger for TestLedger {
	fn on_fragments_stored(count: u32) {
		Stored::mutate(|s| *s += count);
	}
}

pub const PERIOD: u64 = 10;
pub const ACCEPT_WINDOW: u64 = 5;
pub const BOND: u64 = 100;
pub const MAX_MISSES: u32 = 3;

impl pallet_storage::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = TestRegistry;
	type Ledger = TestLedger;
	type ChallengePeriod = ConstU64<PERIOD>;
	type AcceptWindow = ConstU64<ACCEPT_WINDOW>;
	type ProviderBond = ConstU64<BOND>;
	type MaxMissedProofs = ConstU32<MAX_MISSES>;
	type MaxDuration = ConstU32<100>;
	type MaxSegmentSize = ConstU32<4096>;
	type MaxProviders = ConstU32<3>;
	type MaxContractsPerProvider = ConstU32<4>;
	type MaxPendingPerProvider = ConstU32<4>;
	type MaxPendingPerBlock = ConstU32<8>;
	type MaxFragmentsPerFile = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestRegistry;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestRegistry {
	fn attest(who: &u64) {
		Attested::mutate(|a| a.push(*who));
	}
}

pub const CLIENT: u64 = 10;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: [1, 2, 3, 5, 10, 11].into_iter().map(|a| (a, 10_000)).chain([(4, 50)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Attested::set(vec![1, 2, 3, 4]);
		Stored::set(0);
	});
	ext
}
