//! A test runtime: system and proofs, over a market of fragments set by each test.

use crate as pallet_fragment_proofs;
use cairn_primitives::{
	merkle,
	traits::{PeriodOutcome, ProvableFragment, StorageMarket},
	ContractId, Period,
};
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{ConstU32, ConstU64, Hooks, Randomness},
		weights::Weight,
	},
	frame_system,
	sp_core::H256,
	sp_io,
	sp_runtime::BuildStorage,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Proofs: pallet_fragment_proofs,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	/// Each provider's fragments (all due in every period) and their data.
	pub static Fragments: BTreeMap<u64, Vec<(ProvableFragment, Vec<u8>)>> = BTreeMap::new();
	/// What the pallet settled: (provider, period, outcome).
	pub static Settled: Vec<(u64, Period, PeriodOutcome)> = vec![];
}

pub struct TestMarket;
impl StorageMarket<u64> for TestMarket {
	fn provable(provider: &u64, _: Period) -> Vec<ProvableFragment> {
		Fragments::get().get(provider).map(|f| f.iter().map(|(p, _)| *p).collect()).unwrap_or_default()
	}
	fn next_provider(after: Option<&u64>) -> Option<u64> {
		let fragments = Fragments::get();
		match after {
			None => fragments.keys().next().copied(),
			Some(a) => fragments.range(a + 1..).next().map(|(k, _)| *k),
		}
	}
	fn settle_period(provider: &u64, period: Period, outcome: PeriodOutcome) {
		Settled::mutate(|s| s.push((*provider, period, outcome)));
	}
	fn settle_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

/// The block number's hash: a different seed each period.
pub struct BlockRandomness;
impl Randomness<Option<H256>, u64> for BlockRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let n = System::block_number();
		(Some(H256(sp_io::hashing::blake2_256(&codec::Encode::encode(&(subject, n))))), n)
	}
}

pub const PERIOD: u64 = 10;
pub const SEGMENT: u32 = 1024;

impl pallet_fragment_proofs::Config for Test {
	type Market = TestMarket;
	type Randomness = BlockRandomness;
	type ChallengePeriod = ConstU64<PERIOD>;
	type FragmentsPerChallenge = ConstU32<2>;
	type SegmentsPerFragment = ConstU32<2>;
	type MaxSegmentSize = ConstU32<4096>;
	type MaxPathLength = ConstU32<40>;
	type ChecksPerBlock = ConstU32<1>;
	type MaxProviders = ConstU32<9>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestMarket;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestMarket {
	fn add_fragment(provider: &u64, root: merkle::Node, size: u64, segment_size: u32) {
		let contract = Fragments::get().values().map(|f| f.len() as u64).sum();
		let fragment = ProvableFragment { contract, root, size, segment_size };
		Fragments::mutate(|f| f.entry(*provider).or_default().push((fragment, vec![])));
	}
}

/// Deterministic fragment bytes.
pub fn fragment_data(tag: u8, len: usize) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag)).collect()
}

/// Gives `provider` a fragment of `len` bytes under `contract`.
pub fn add_fragment(provider: u64, contract: ContractId, len: usize) {
	let data = fragment_data(contract as u8, len);
	let leaves: Vec<_> = data.chunks(SEGMENT as usize).map(merkle::leaf_hash).collect();
	let root = merkle::root(&leaves).unwrap();
	let fragment = ProvableFragment { contract, root, size: len as u64, segment_size: SEGMENT };
	Fragments::mutate(|f| f.entry(provider).or_default().push((fragment, data)));
}

/// The data of `contract`'s fragment.
pub fn data_of(contract: ContractId) -> Vec<u8> {
	Fragments::get().values().flatten().find(|(f, _)| f.contract == contract).expect("known contract").1.clone()
}

pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Proofs::on_initialize(next);
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		Fragments::set(BTreeMap::new());
		Settled::set(vec![]);
		System::set_block_number(1);
		Proofs::on_initialize(1);
	});
	ext
}
