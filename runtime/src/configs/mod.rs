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
		traits::{Convert, ConvertInto, One, OpaqueKeys},
		transaction_validity::TransactionPriority,
		Perbill,
	},
	sp_staking::{
		offence::{OffenceDetails, OffenceSeverity, OnOffenceHandler},
		SessionIndex,
	},
	sp_version::RuntimeVersion,
	*,
};

use super::{
	AccountId, Attestation, Babe, Balance, Balances, Block, BlockNumber, Hash, Historical, Nonce, Offences, PalletInfo,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Session,
	SessionKeys, Storage, System, EPOCH_DURATION_IN_SLOTS, EXISTENTIAL_DEPOSIT, MILLI_SECS_PER_BLOCK, SLOT_DURATION,
	UNIT, VERSION,
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
	/// Slots per epoch: set at genesis (dev and test chains use one minute, see
	/// `genesis_config_presets`), never after.
	pub storage EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	/// Whether endpoints may list loopback and unspecified addresses: set at genesis on
	/// dev and test chains, whose nodes all run on one machine.
	pub storage AllowLocalEndpoints: bool = false;
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
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem =
		pallet_babe::EquivocationReportSystem<Self, Offences, Historical, EquivocationReportLongevity>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	/// As many as the historical session roots kept.
	type MaxSetIdSessionEntries = ConstU64<{ KEPT_SESSIONS as u64 }>;
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem =
		pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, EquivocationReportLongevity>;
}

/// Sessions whose validator sets are kept for key ownership proofs: a day of production
/// sessions (ten minutes each). An equivocation is reported within seconds of being seen;
/// one older than this can no longer be proven.
pub const KEPT_SESSIONS: u32 = 144;

parameter_types! {
	/// Blocks an equivocation report stays valid in the transaction pool: a session.
	pub const EquivocationReportLongevity: u64 = EPOCH_DURATION_IN_SLOTS;
	/// The least share of its bond an equivocating validator loses (BABE's and GRANDPA's
	/// own fraction, (3k/n)^2 for k offenders among n, is tiny in a large set).
	pub const OffenceSlash: Perbill = Perbill::from_percent(10);
}

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Validators are identified by their account alone: the bond is found in the
	/// attestation pallet when an offence is punished.
	type FullIdentification = ();
	type FullIdentificationOf = ValidatorIdentity;
}

/// Every validator's identification is its account.
pub struct ValidatorIdentity;
impl Convert<AccountId, Option<()>> for ValidatorIdentity {
	fn convert(_: AccountId) -> Option<()> {
		Some(())
	}
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	type OnOffenceHandler = Offenders;
}

/// Punishes reported offenders: disabled at once (up to a third of the set, so that
/// blocks go on), then slashed and removed by the attestation pallet.
pub struct Offenders;
impl OnOffenceHandler<AccountId, pallet_session::historical::IdentificationTuple<Runtime>, Weight> for Offenders {
	fn on_offence(
		offenders: &[OffenceDetails<AccountId, pallet_session::historical::IdentificationTuple<Runtime>>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		let mut weight = Weight::zero();
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let (who, ()) = &details.offender;
			Session::report_offence(who.clone(), OffenceSeverity(*fraction));
			weight.saturating_accrue(Attestation::punish_offender(who, *fraction, session, details.reporters.first()));
			weight.saturating_accrue(<Runtime as frame_system::Config>::DbWeight::get().reads_writes(2, 1));
		}
		weight
	}
}

/// The validator sets the attestation pallet makes, as the historical pallet records
/// them, which also forgets sets older than [`KEPT_SESSIONS`].
pub struct ValidatorSets;
impl pallet_session::SessionManager<AccountId> for ValidatorSets {
	fn new_session(index: SessionIndex) -> Option<alloc::vec::Vec<AccountId>> {
		<Attestation as pallet_session::SessionManager<_>>::new_session(index)
	}
	fn end_session(index: SessionIndex) {
		<Attestation as pallet_session::SessionManager<_>>::end_session(index)
	}
	fn start_session(index: SessionIndex) {
		<Attestation as pallet_session::SessionManager<_>>::start_session(index)
	}
}
impl pallet_session::historical::SessionManager<AccountId, ()> for ValidatorSets {
	fn new_session(index: SessionIndex) -> Option<alloc::vec::Vec<(AccountId, ())>> {
		Historical::prune_up_to(index.saturating_sub(KEPT_SESSIONS));
		<Self as pallet_session::SessionManager<_>>::new_session(index)
			.map(|validators| validators.into_iter().map(|v| (v, ())).collect())
	}
	fn start_session(index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::start_session(index)
	}
	fn end_session(index: SessionIndex) {
		<Self as pallet_session::SessionManager<_>>::end_session(index)
	}
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
	/// Attested nodes that bonded and set session keys (and the genesis validators), as
	/// recorded for key ownership proofs.
	type SessionManager = pallet_session::historical::NoteHistoricalRoot<Self, ValidatorSets>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	/// Reported offenders stop producing blocks at once, at most a third of the set.
	type DisablingStrategy = pallet_session::disabling::UpToLimitDisablingStrategy;
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
	// A share of each fee to the block author, the rest burned.
	type OnChargeTransaction = FungibleAdapter<Balances, pallet_rewards::FeesToAuthor<Runtime>>;
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
	/// Half the deposit: a draw that seats an honest challenger costs a requester without
	/// a TPM 5 CRN, so that grinding for an all-colluding draw (probability (c/N)^3 per
	/// epoch) costs more than the 100 CRN grant while colluders are fewer than a third
	/// (`docs/attestation.md`).
	pub const AttestationExpiryPenalty: Perbill = Perbill::from_percent(50);
	pub const AttestationSlashReward: Perbill = Perbill::from_percent(10);
}

/// Challengers are the current validators that are attested nodes.
pub struct AttestedValidators;
impl cairn_primitives::traits::ChallengerSet<AccountId> for AttestedValidators {
	fn challengers() -> alloc::vec::Vec<AccountId> {
		use cairn_primitives::traits::NodeRegistry;
		Session::validators().into_iter().filter(|v| Attestation::is_attested(v)).collect()
	}
}

/// Accounts that set session keys.
pub struct HasSessionKeys;
impl polkadot_sdk::frame_support::traits::Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		Session::load_keys(who).is_some()
	}
}

/// The challenger key a validator set with its session keys.
pub struct ChallengerKeyOf;
impl Convert<AccountId, Option<cairn_primitives::challenger_key::Public>> for ChallengerKeyOf {
	fn convert(who: AccountId) -> Option<cairn_primitives::challenger_key::Public> {
		Session::load_keys(&who).map(|keys| keys.challenger)
	}
}

parameter_types! {
	/// Challenges and reveals go before ordinary transactions: a late one fails a round or
	/// costs a bond.
	pub const AttestationUnsignedPriority: TransactionPriority = TransactionPriority::MAX / 2;
}

impl pallet_attestation::Config for Runtime {
	type ChallengerId = cairn_primitives::challenger_key::Public;
	type ChallengerSignature = cairn_primitives::challenger_key::Signature;
	type ChallengerKeyOf = ChallengerKeyOf;
	type UnsignedPriority = AttestationUnsignedPriority;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
	type SessionKeys = HasSessionKeys;
	type ValidatorBond = ConstU128<{ 1_000 * UNIT }>;
	type MaxValidators = ConstU32<MAX_AUTHORITIES>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Every block's VRF output, folded into a seed per draw period. (BABE's epoch
	/// randomness is not used: pallet-babe folds only full 256-output segments into it,
	/// so with a few dozen primary slots per epoch it rarely changes.)
	type BlockRandomness = pallet_babe::ParentBlockRandomness<Runtime>;
	/// A minute: a seed holds ten blocks' VRF outputs.
	type DrawPeriod = ConstU32<10>;
	type Challengers = AttestedValidators;
	type Grant = crate::Rewards;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type ChallengersPerRequest = ConstU32<3>;
	/// One minute.
	type ChallengeWindow = ConstU32<10>;
	type MaxRounds = ConstU32<3>;
	type SilenceBench = ConstU32<{ crate::DAYS }>;
	/// Two minutes: finality is usually a few blocks behind.
	type RevealDelay = ConstU32<20>;
	/// A day: an offline validator has time to come back and reveal.
	type RevealWindow = ConstU32<{ crate::DAYS }>;
	type MaxSeatsPerValidator = ConstU32<16>;
	type SlashReward = AttestationSlashReward;
	type OffenceSlash = OffenceSlash;
	/// Longer than the reveal window, so that a challenger cannot leave before its audits.
	type UnbondingPeriod = ConstU32<{ 2 * crate::DAYS }>;
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
	type AllowLocalAddresses = AllowLocalEndpoints;
	type WeightInfo = pallet_endpoints::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

/// The largest Merkle leaf a contract may use (the client's default is 1 KiB).
pub const MAX_SEGMENT_SIZE: u32 = 4096;
/// Contracts proven by one proof transaction: with 1 KiB segments of 1 MiB fragments an
/// answer is ~2.8 KiB per contract, ~90 KiB per partition; at the 4 KiB, 2^40-segment
/// worst case ~340 KiB, within an operational transaction's length.
pub const MAX_PARTITION_SIZE: u32 = 32;
/// Partitions settled per block after their deadline closes; a deadline of `d` blocks
/// takes at most `d * SETTLE_PER_BLOCK` partitions. With a day in 48 deadlines of 300
/// blocks: 7,200 partitions, 230,400 contracts per deadline, 11 M contracts in all. At
/// worst every partition visited in a block missed (`docs/market.md`, "Scale").
pub const SETTLE_PER_BLOCK: u32 = 24;

impl pallet_storage::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Attestation;
	type Ledger = crate::Rewards;
	type ParamsOrigin = frame_system::EnsureRoot<AccountId>;
	type ProviderBond = ConstU128<{ 10 * UNIT }>;
	/// Ten years of one-day windows.
	type MaxDuration = ConstU32<{ 10 * 366 }>;
	type MaxSegmentSize = ConstU32<MAX_SEGMENT_SIZE>;
	type MaxPartitionSize = ConstU32<MAX_PARTITION_SIZE>;
	type SettlePerBlock = ConstU32<SETTLE_PER_BLOCK>;
	type MaxPendingPerProvider = ConstU32<256>;
	type MaxPendingPerClient = ConstU32<256>;
	type MaxExpiriesPerBlock = ConstU32<32>;
	type MaxFragmentsPerFile = ConstU32<64>;
	type WeightInfo = pallet_storage::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

/// Benchmark set-up that reaches into the attestation and storage pallets.
#[cfg(feature = "runtime-benchmarks")]
pub struct MarketBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_storage::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn attest(who: &AccountId) {
		pallet_attestation::Nodes::<Runtime>::insert(
			who,
			pallet_attestation::Node { ek_id: None, ca_id: None, ak_public: Default::default(), registered_at: 0 },
		);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_endpoints::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn attest(who: &AccountId) {
		<Self as pallet_storage::BenchmarkHelper<AccountId>>::attest(who)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::BenchmarkHelper<AccountId, cairn_primitives::challenger_key::Public> for MarketBenchmarks {
	fn set_challenger_key(who: &AccountId, key: cairn_primitives::challenger_key::Public) {
		use sp_core::crypto::UncheckedFrom;
		let keys = SessionKeys {
			babe: sp_consensus_babe::AuthorityId::unchecked_from([0; 32]),
			grandpa: sp_consensus_grandpa::AuthorityId::unchecked_from([0; 32]),
			challenger: key,
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_fragment_proofs::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn add_fragments(
		provider: &AccountId,
		count: u32,
		size: u64,
		segment_size: u32,
		root_of: &dyn Fn(cairn_primitives::ContractId) -> [u8; 32],
	) -> u32 {
		Storage::insert_active_contracts(provider, count, size, segment_size, root_of)
	}
	fn add_background(count: u32) {
		Storage::insert_background_contracts(count)
	}
}

impl pallet_fragment_proofs::Config for Runtime {
	type Market = Storage;
	/// The VRF output of the deadline's first block, read in the block after it.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type SegmentsPerFragment = ConstU32<2>;
	type MaxSegmentSize = ConstU32<MAX_SEGMENT_SIZE>;
	type MaxPathLength = ConstU32<40>;
	type MaxPartitionSize = ConstU32<MAX_PARTITION_SIZE>;
	type SettlePerBlock = ConstU32<SETTLE_PER_BLOCK>;
	type WeightInfo = pallet_fragment_proofs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

/// The author of the block being built, read from its BABE pre-digest every time.
/// `Authorship::author()` is not used: it caches the author in storage, and pallet-rewards
/// asks in `on_finalize`, after pallet-authorship cleared the cache, so the cache would
/// outlive the block and pay the next block's fees to this block's author.
pub struct BlockAuthor;
impl polkadot_sdk::frame_support::traits::Get<Option<AccountId>> for BlockAuthor {
	fn get() -> Option<AccountId> {
		use polkadot_sdk::frame_support::traits::FindAuthor;
		let digest = System::digest();
		pallet_session::FindAccountFromAuthorIndex::<Runtime, Babe>::find_author(
			digest.logs.iter().filter_map(|d| d.as_pre_runtime()),
		)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_rewards::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn set_author() -> AccountId {
		use codec::Encode;
		use sp_consensus_babe::digests::{PreDigest, SecondaryPlainPreDigest};
		let digest = PreDigest::SecondaryPlain(SecondaryPlainPreDigest { authority_index: 0, slot: 1.into() });
		System::deposit_log(sp_runtime::DigestItem::PreRuntime(sp_consensus_babe::BABE_ENGINE_ID, digest.encode()));
		<BlockAuthor as polkadot_sdk::frame_support::traits::Get<_>>::get().expect("the first validator")
	}
}

parameter_types! {
	pub const AuthorFeeShare: Perbill = Perbill::from_percent(80);
}

parameter_types! {
	/// A redeem waits behind every paying transaction: its inviter's `create` paid for
	/// its block space, and free redeems must not crowd out deadline-bound proofs.
	pub const InvitesUnsignedPriority: TransactionPriority = 0;
}

impl pallet_invites::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Ten times the existential deposit: a grant pays at least a few fees.
	type MinGrant = ConstU128<{ 10 * EXISTENTIAL_DEPOSIT }>;
	type MaxOpenPerInviter = ConstU32<16>;
	type MaxLifetime = ConstU32<{ 30 * crate::DAYS }>;
	type UnsignedPriority = InvitesUnsignedPriority;
	type WeightInfo = pallet_invites::weights::SubstrateWeight<Runtime>;
}

impl pallet_forwarding::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Attestation;
	type Signature = crate::Signature;
	type RelayBond = ConstU128<{ 10 * UNIT }>;
	type BlocksPerHour = ConstU32<{ crate::HOURS }>;
	/// A month.
	type MaxHours = ConstU32<{ 30 * 24 }>;
	/// An hour for the relay to redeem the last receipt after a contract ends.
	type DisputeWindow = ConstU32<{ crate::HOURS }>;
	type MaxContractsPerRelay = ConstU32<256>;
	type MaxContractsPerClient = ConstU32<8>;
	type WeightInfo = pallet_forwarding::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_forwarding::BenchmarkHelper<AccountId, crate::Signature> for MarketBenchmarks {
	fn attest(who: &AccountId) {
		<Self as pallet_storage::BenchmarkHelper<AccountId>>::attest(who)
	}

	/// A fresh sr25519 key in the benchmark's keystore (of the challenger key's type: any
	/// sr25519 key signs a receipt).
	fn signer() -> AccountId {
		use sp_runtime::RuntimeAppPublic;
		let key = cairn_primitives::challenger_key::Public::generate_pair(None);
		sp_core::sr25519::Public::from(key).into()
	}

	fn sign(who: &AccountId, payload: &[u8]) -> crate::Signature {
		use sp_runtime::RuntimeAppPublic;
		let raw = *<AccountId as AsRef<[u8; 32]>>::as_ref(who);
		let key = cairn_primitives::challenger_key::Public::from(sp_core::sr25519::Public::from_raw(raw));
		let signature = key.sign(&payload).expect("the benchmark's key");
		sp_runtime::MultiSignature::Sr25519(signature.into())
	}
}

impl pallet_rewards::Config for Runtime {
	type Currency = Balances;
	type Author = BlockAuthor;
	type FeeShare = AuthorFeeShare;
	/// A billion CRN.
	type MaxIssuance = ConstU128<{ 1_000_000_000 * UNIT }>;
	type WeightInfo = pallet_rewards::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}
