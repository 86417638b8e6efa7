//! A test runtime: system, balances and invites. Account 1 is a rich inviter, 2 a poor
//! one; newcomers (100 and up) start with nothing.

use crate as pallet_invites;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl,
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
		Invites: pallet_invites,
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
	type ExistentialDeposit = ConstU64<ED>;
}

pub const ED: u64 = 5;
pub const MIN_GRANT: u64 = 10;
pub const MAX_OPEN: u32 = 3;
pub const MAX_LIFETIME: u64 = 100;
pub const RICH: u64 = 1;
pub const POOR: u64 = 2;

impl pallet_invites::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MinGrant = ConstU64<MIN_GRANT>;
	type MaxOpenPerInviter = ConstU32<MAX_OPEN>;
	type MaxLifetime = ConstU64<MAX_LIFETIME>;
	type UnsignedPriority = ConstU64<100>;
	type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(RICH, 1_000), (POOR, 20)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// The genesis hash, which redeem signatures name.
		frame_system::BlockHash::<Test>::insert(0, polkadot_sdk::sp_core::H256::repeat_byte(7));
	});
	ext
}

/// The test runtime with a keystore, for the benchmarks' voucher keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn bench_ext() -> sp_io::TestExternalities {
	use polkadot_sdk::sp_keystore::{testing::MemoryKeystore, KeystoreExt};
	let mut ext = new_test_ext();
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext
}
