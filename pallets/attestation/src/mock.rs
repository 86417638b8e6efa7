//! A test runtime: system, balances and attestation, with challengers 10..=13.

use crate as pallet_attestation;
use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{fungible::Mutate, ConstU32, ConstU64, Hooks, Randomness},
	},
	frame_system::{
		self,
		offchain::{CreateBare, CreateTransactionBase},
	},
	pallet_balances,
	sp_core::H256,
	sp_io,
	sp_runtime::{
		testing::{TestSignature, TestXt, UintAuthorityId},
		traits::Convert,
		BuildStorage, Perbill,
	},
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Attestation: pallet_attestation,
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
	/// Accounts with session keys.
	pub static WithKeys: Vec<u64> = vec![1, 2, 3, 10, 11, 12, 13];
	pub static Challengers: Vec<u64> = vec![10, 11, 12, 13];
	pub static GrantsPaid: Vec<(u64, u64)> = vec![];
}

/// Blocks per draw period.
pub const EPOCH: u64 = 3;

parameter_types! {
	/// VRF outputs that differ from the default one of a block.
	pub static VrfOverrides: Vec<(u64, H256)> = vec![];
}

/// The VRF output of block `n`: fixed per block, as BABE's is for its author.
pub fn vrf_of(n: u64) -> H256 {
	VrfOverrides::get()
		.into_iter()
		.find(|(block, _)| *block == n)
		.map(|(_, vrf)| vrf)
		.unwrap_or_else(|| H256(sp_io::hashing::blake2_256(&(b"vrf", n).encode())))
}

/// BABE's `ParentBlockRandomness`: the parent block's VRF output.
pub struct ParentVrf;
impl Randomness<Option<H256>, u64> for ParentVrf {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let parent = System::block_number().saturating_sub(1);
		(Some(H256(sp_io::hashing::blake2_256(&(subject, vrf_of(parent)).encode()))), parent)
	}
}

pub struct TestChallengers;
impl cairn_primitives::traits::ChallengerSet<u64> for TestChallengers {
	fn challengers() -> Vec<u64> {
		Challengers::get()
	}
}

/// Mints the grant, as the rewards pallet will.
pub struct MintGrant;
impl cairn_primitives::traits::GrantPayer<u64, u64> for MintGrant {
	fn pay_grant(who: &u64, amount: u64) {
		Balances::mint_into(who, amount).expect("minting works in tests");
		GrantsPaid::mutate(|g| g.push((*who, amount)));
	}
}

pub const DEPOSIT: u64 = 100;
pub const GRANT: u64 = 1_000;
pub const CHALLENGE_WINDOW: u64 = 5;
pub const RESPONSE_WINDOW: u64 = 10;
pub const REVEAL_WINDOW: u64 = 10;
pub const REVEAL_DELAY: u64 = 2;
pub const MAX_SEATS: u32 = 2;
pub const SILENCE_BENCH: u64 = 20;
pub const UNBONDING: u64 = 20;
pub const MAX_ROUNDS: u32 = 2;
/// The block at which a request made at block 1 draws.
pub const DRAW: u64 = 2 * EPOCH;

/// The block at which a request made (or whose round failed) at `block` draws: the end of
/// the first draw period that starts after it.
pub fn draw_after(block: u64) -> u64 {
	(block / EPOCH + 2) * EPOCH
}

/// Transactions as the off-chain worker makes them: unsigned.
pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl<LocalCall> CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateBare<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> Extrinsic {
		Extrinsic::new_bare(call)
	}
}

parameter_types! {
	/// Challenger keys that differ from the default, `UintAuthorityId(account)`.
	pub static ChallengerKeyOverrides: Vec<(u64, Option<UintAuthorityId>)> = vec![];
}

/// The challenger key of each account: `UintAuthorityId(account)` unless overridden. The
/// keystore holds the keys set with `UintAuthorityId::set_all_keys`.
pub struct TestChallengerKeys;
impl Convert<u64, Option<UintAuthorityId>> for TestChallengerKeys {
	fn convert(who: u64) -> Option<UintAuthorityId> {
		match ChallengerKeyOverrides::get().into_iter().find(|(account, _)| *account == who) {
			Some((_, key)) => key,
			None => Some(UintAuthorityId(who)),
		}
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::BenchmarkHelper<u64, UintAuthorityId> for TestChallengerKeys {
	fn set_challenger_key(who: &u64, key: UintAuthorityId) {
		ChallengerKeyOverrides::mutate(|o| o.push((*who, Some(key))));
	}
}

pub struct TestSessionKeys;
impl frame_support::traits::Contains<u64> for TestSessionKeys {
	fn contains(who: &u64) -> bool {
		WithKeys::get().contains(who)
	}
}

pub const BOND: u64 = 500;

impl pallet_attestation::Config for Test {
	type ChallengerId = UintAuthorityId;
	type ChallengerSignature = TestSignature;
	type ChallengerKeyOf = TestChallengerKeys;
	type UnsignedPriority = ConstU64<{ 1 << 20 }>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestChallengerKeys;
	type SessionKeys = TestSessionKeys;
	type ValidatorBond = ConstU64<BOND>;
	type MaxValidators = ConstU32<8>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type BlockRandomness = ParentVrf;
	type DrawPeriod = ConstU64<EPOCH>;
	type Challengers = TestChallengers;
	type Grant = MintGrant;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type ChallengersPerRequest = ConstU32<3>;
	type ChallengeWindow = ConstU64<CHALLENGE_WINDOW>;
	type MaxRounds = ConstU32<MAX_ROUNDS>;
	type SilenceBench = ConstU64<SILENCE_BENCH>;
	type RevealDelay = ConstU64<REVEAL_DELAY>;
	type RevealWindow = ConstU64<REVEAL_WINDOW>;
	type MaxSeatsPerValidator = ConstU32<MAX_SEATS>;
	type SlashReward = SlashReward;
	type OffenceSlash = OffenceSlash;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type ResponseWindow = ConstU64<RESPONSE_WINDOW>;
	type RequestDeposit = ConstU64<DEPOSIT>;
	type ExpiryPenalty = ExpiryPenalty;
	type ClaimGrant = ConstU64<GRANT>;
	type MaxCas = ConstU32<8>;
	type MaxDeadlinesPerBlock = ConstU32<4>;
	type WeightInfo = ();
}

parameter_types! {
	pub const ExpiryPenalty: Perbill = Perbill::from_percent(20);
	pub const SlashReward: Perbill = Perbill::from_percent(10);
	pub const OffenceSlash: Perbill = Perbill::from_percent(20);
}

pub const ROOT_CA: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/root_ca.der");
pub const ISSUER_CA: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/issuer_ca.der");
pub const EK_A: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ek_a.der");
pub const EK_B: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ek_b.der");
pub const AK_A: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ak_a.pub");
pub const AK_B: &[u8] = include_bytes!("../../../primitives/attestation/fixtures/ak_b.pub");
/// Quotes over the qualifying data of request 0 by account 1 with secrets [1; 32],
/// [2; 32], [3; 32] on a chain whose genesis hash is [69; 32] (frame-system's test genesis).
pub const QUOTE_A: (&[u8], &[u8]) = (
	include_bytes!("../../../primitives/attestation/fixtures/quote_a.msg"),
	include_bytes!("../../../primitives/attestation/fixtures/quote_a.sig"),
);
pub const QUOTE_B: (&[u8], &[u8]) = (
	include_bytes!("../../../primitives/attestation/fixtures/quote_b.msg"),
	include_bytes!("../../../primitives/attestation/fixtures/quote_b.sig"),
);
/// Like `QUOTE_A`, for request 7.
pub const QUOTE_A_OTHER_REQUEST: (&[u8], &[u8]) = (
	include_bytes!("../../../primitives/attestation/fixtures/quote_a_other_request.msg"),
	include_bytes!("../../../primitives/attestation/fixtures/quote_a_other_request.sig"),
);

/// Funded accounts: 1..=6 and the challengers, which are nodes that bonded `BOND`.
pub fn new_test_ext() -> sp_io::TestExternalities {
	ext_with(vec![(ROOT_CA.to_vec(), None, b"root".to_vec()), (ISSUER_CA.to_vec(), Some(0), b"swtpm".to_vec())], vec![])
}

pub fn ext_with(trusted_cas: Vec<(Vec<u8>, Option<u32>, Vec<u8>)>, nodes: Vec<u64>) -> sp_io::TestExternalities {
	let mut ext = ext_with_validators(trusted_cas, [nodes, vec![10, 11, 12, 13]].concat(), vec![]);
	ext.execute_with(|| {
		for challenger in 10..=13 {
			Attestation::join_validators(RuntimeOrigin::signed(challenger)).expect("challengers bond");
		}
		System::reset_events();
	});
	ext
}

pub fn ext_with_validators(
	trusted_cas: Vec<(Vec<u8>, Option<u32>, Vec<u8>)>,
	nodes: Vec<u64>,
	validators: Vec<u64>,
) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: [1, 2, 3, 4, 6, 10, 11, 12, 13].into_iter().map(|a| (a, 10_000)).chain([(5, 50)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_attestation::GenesisConfig::<Test> { trusted_cas, nodes, validators }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `on_initialize` of the blocks up to `n`.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Attestation::on_initialize(next);
	}
}
