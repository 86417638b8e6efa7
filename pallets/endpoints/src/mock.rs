//! A test runtime: system and endpoints; accounts 1..=3 are attested.

use crate as pallet_endpoints;
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types, traits::ConstU64},
	frame_system::{
		self,
		offchain::{AppCrypto, CreateSignedTransaction, CreateTransactionBase, SigningTypes},
	},
	sp_io,
	sp_runtime::{
		testing::{TestSignature, TestXt, UintAuthorityId},
		BuildStorage,
	},
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Endpoints: pallet_endpoints,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub static Attested: Vec<u64> = vec![1, 2, 3];
	/// A dev chain: loopback addresses are fine.
	pub static AllowLocal: bool = true;
}

pub struct TestRegistry;
impl cairn_primitives::traits::NodeRegistry<u64> for TestRegistry {
	fn is_attested(who: &u64) -> bool {
		Attested::get().contains(who)
	}
}

pub const TTL: u64 = 100;

/// Transactions as the off-chain worker makes them: signed by the account, not checked.
pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

impl<LocalCall> CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateSignedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: u64,
		_nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

/// The keystore holds the `UintAuthorityId`s set with `UintAuthorityId::set_all_keys`.
pub struct TestNodeKey;
impl AppCrypto<UintAuthorityId, TestSignature> for TestNodeKey {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

impl pallet_endpoints::Config for Test {
	type NodeKey = TestNodeKey;
	type Registry = TestRegistry;
	type Ttl = ConstU64<TTL>;
	type AllowLocalAddresses = AllowLocal;
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

/// The test runtime with a keystore, for the benchmarks' peer keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn bench_ext() -> sp_io::TestExternalities {
	use polkadot_sdk::sp_keystore::{testing::MemoryKeystore, KeystoreExt};
	let mut ext = new_test_ext();
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
