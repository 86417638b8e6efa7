//! A test runtime: system, balances and storage. Accounts 1..=4 are attested nodes (4 is
//! too poor for a bond); 10 and 11 are clients; 5 is not attested. Market parameters are
//! the pallet's defaults: 10-block windows in 2 deadlines of 5 blocks.

use crate as pallet_storage;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{ConstU32, ConstU64},
	},
	frame_system::{self, EnsureRoot},
	pallet_balances, sp_io,
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
	/// What the ledger was told to mint, in all.
	pub static Minted: u64 = 0;
}

pub struct TestRegistry;
impl cairn_primitives::traits::NodeRegistry<u64> for TestRegistry {
	fn is_attested(who: &u64) -> bool {
		Attested::get().contains(who)
	}
}

pub struct TestLedger;
impl cairn_primitives::traits::FragmentLedger<u64> for TestLedger {
	fn on_proven(amount: u64) {
		Minted::mutate(|m| *m += amount);
	}
}

pub const WINDOW: u64 = 10;
pub const BOND: u64 = 100;
pub const PARTITION_SIZE: u32 = 4;

impl pallet_storage::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = TestRegistry;
	type Ledger = TestLedger;
	type ParamsOrigin = EnsureRoot<u64>;
	type ProviderBond = ConstU64<BOND>;
	type MaxDuration = ConstU32<100>;
	type MaxSegmentSize = ConstU32<4096>;
	type MaxPartitionSize = ConstU32<PARTITION_SIZE>;
	type SettlePerBlock = ConstU32<2>;
	type MaxPendingPerProvider = ConstU32<8>;
	type MaxPendingPerClient = ConstU32<8>;
	type MaxExpiriesPerBlock = ConstU32<3>;
	type MaxFragmentsPerFile = ConstU32<8>;
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
		balances: [1, 2, 3, 5, 10, 11].into_iter().map(|a| (a, 100_000)).chain([(4, 150)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_storage::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Attested::set(vec![1, 2, 3, 4]);
		Minted::set(0);
	});
	ext
}
