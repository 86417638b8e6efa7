//! A test runtime: system, balances and forwarding. Accounts 1..=3 are attested nodes (3
//! is too poor for a bond); 10 and 11 are relayed nodes; 5 is not attested. An hour is 10
//! blocks, the dispute window 5 blocks.

use crate as pallet_forwarding;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{ConstU32, ConstU64},
	},
	frame_system, pallet_balances,
	sp_core::H256,
	sp_io,
	sp_runtime::{testing::TestSignature, BuildStorage},
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Forwarding: pallet_forwarding,
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
	pub static Attested: Vec<u64> = vec![1, 2, 3];
}

pub struct TestRegistry;
impl cairn_primitives::traits::NodeRegistry<u64> for TestRegistry {
	fn is_attested(who: &u64) -> bool {
		Attested::get().contains(who)
	}
}

pub const HOUR: u64 = 10;
pub const DISPUTE: u64 = 5;
pub const BOND: u64 = 100;
pub const GENESIS: H256 = H256([69; 32]);

impl pallet_forwarding::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = TestRegistry;
	type Signature = TestSignature;
	type RelayBond = ConstU64<BOND>;
	type BlocksPerHour = ConstU64<HOUR>;
	type MaxHours = ConstU32<24>;
	type DisputeWindow = ConstU64<DISPUTE>;
	type MaxContractsPerRelay = ConstU32<4>;
	type MaxContractsPerClient = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestRegistry;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64, TestSignature> for TestRegistry {
	fn attest(who: &u64) {
		Attested::mutate(|a| a.push(*who));
	}
	fn signer() -> u64 {
		77
	}
	fn sign(who: &u64, payload: &[u8]) -> TestSignature {
		TestSignature(*who, payload.to_vec())
	}
}

pub const RELAY: u64 = 1;
pub const CLIENT: u64 = 10;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: [1, 2, 5, 10, 11].into_iter().map(|a| (a, 100_000)).chain([(3, 50)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		frame_system::BlockHash::<Test>::insert(0, GENESIS);
		System::set_block_number(1);
		Attested::set(vec![1, 2, 3]);
	});
	ext
}
