//! The configuration of each pallet in the runtime.

use polkadot_sdk::{
	frame_support::{
		derive_impl,
		dispatch::DispatchClass,
		parameter_types,
		traits::{ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
		weights::{
			constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
			IdentityFee, Weight,
		},
	},
	frame_system::limits::{BlockLength, BlockWeights},
	pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier},
	sp_runtime::{
		traits::{ConvertInto, One, OpaqueKeys},
		Perbill,
	},
	sp_version::RuntimeVersion,
	*,
};

use super::{
	AccountId, Attestation, Babe, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Session, SessionKeys, System,
	EPOCH_DURATION_IN_SLOTS, EXISTENTIAL_DEPOSIT, MILLI_SECS_PER_BLOCK, SLOT_DURATION, UNIT, VERSION,
};

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// The most validators (and so BABE and GRANDPA authorities) the chain supports.
pub const MAX_AUTHORITIES: u32 = 100;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |m| *m = NORMAL_DISPATCH_RATIO * *m)
		.build();
	/// The generic Substrate SS58 prefix.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Babe;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLI_SECS_PER_BLOCK;
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	// Sessions end epochs, so that a validator set change follows the session.
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = Session;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	// No equivocation reports yet: they need pallet-session's historical proofs and
	// pallet-offences, which come with slashing of validators.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	type EventHandler = ();
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	/// Attested nodes that bonded and set session keys (and the genesis validators).
	type SessionManager = Attestation;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees are burned for now; pallet-rewards will route them to the block author.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const AttestationExpiryPenalty: Perbill = Perbill::from_percent(10);
}

/// Challengers are the current validators that are attested nodes.
pub struct AttestedValidators;
impl cairn_primitives::traits::ChallengerSet<AccountId> for AttestedValidators {
	fn challengers() -> alloc::vec::Vec<AccountId> {
		use cairn_primitives::traits::NodeRegistry;
		Session::validators().into_iter().filter(|v| Attestation::is_attested(v)).collect()
	}
}

/// Mints the claim grant. The rewards pallet takes this over when it arrives.
pub struct MintGrant;
impl cairn_primitives::traits::GrantPayer<AccountId, Balance> for MintGrant {
	fn pay_grant(who: &AccountId, amount: Balance) {
		use polkadot_sdk::frame_support::traits::fungible::Mutate;
		if let Err(e) = Balances::mint_into(who, amount) {
			log::warn!(target: "runtime::attestation", "claim grant to {who:?} not paid: {e:?}");
		}
	}
}

/// Accounts that set session keys.
pub struct HasSessionKeys;
impl polkadot_sdk::frame_support::traits::Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		Session::load_keys(who).is_some()
	}
}

impl pallet_attestation::Config for Runtime {
	type NodeKey = crate::transactions::NodeKey;
	type SessionKeys = HasSessionKeys;
	type ValidatorBond = ConstU128<{ 1_000 * UNIT }>;
	type MaxValidators = ConstU32<MAX_AUTHORITIES>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The VRF output of the block that included a request, read in the next block.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type Challengers = AttestedValidators;
	type Grant = MintGrant;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type ChallengersPerRequest = ConstU32<3>;
	/// One minute.
	type ChallengeWindow = ConstU32<10>;
	/// Five minutes.
	type ResponseWindow = ConstU32<50>;
	type RequestDeposit = ConstU128<{ 10 * UNIT }>;
	type ExpiryPenalty = AttestationExpiryPenalty;
	type ClaimGrant = ConstU128<{ 100 * UNIT }>;
	type MaxCas = ConstU32<32>;
	type MaxDeadlinesPerBlock = ConstU32<64>;
	type WeightInfo = pallet_attestation::weights::SubstrateWeight<Runtime>;
}

impl pallet_endpoints::Config for Runtime {
	type NodeKey = crate::transactions::NodeKey;
	type Registry = Attestation;
	/// A day: nodes refresh their endpoint well before.
	type Ttl = ConstU32<{ 24 * 600 }>;
	type WeightInfo = pallet_endpoints::weights::SubstrateWeight<Runtime>;
}
