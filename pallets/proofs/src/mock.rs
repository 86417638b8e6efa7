//! A test runtime: system and proofs, over a market of partitions set by each test. The
//! schedule: 10-block windows in 2 deadlines of 5 blocks.

use crate as pallet_fragment_proofs;
use cairn_primitives::{
	merkle,
	traits::{PartitionRef, ProvableFragment, ProvingSchedule, StorageMarket},
	ContractId, Period,
};
use polkadot_sdk::{
	frame_support::{
		self, derive_impl, parameter_types,
		traits::{ConstU32, Hooks, Randomness},
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

/// A key of the mock market's partitions: (deadline, provider, index).
pub type Key = (u32, u64, u32);

parameter_types! {
	/// Partitions and their fragments (due in every window) with the fragments' data.
	pub static Partitions: BTreeMap<Key, Vec<(ProvableFragment, Vec<u8>)>> = BTreeMap::new();
	/// Windows answered per partition.
	pub static Answered: Vec<(Key, Period)> = vec![];
	/// What the pallet reported: (partition, window, proven per contract).
	pub static Recorded: Vec<(Key, Period, Vec<bool>)> = vec![];
	/// Partitions settled as unanswered: (partition, window).
	pub static Unanswered: Vec<(Key, Period)> = vec![];
}

pub const WINDOW: u32 = 10;

fn key(p: &PartitionRef<u64>) -> Key {
	(p.deadline, p.provider, p.index)
}

pub struct TestMarket;
impl StorageMarket<u64> for TestMarket {
	fn schedule() -> ProvingSchedule {
		ProvingSchedule { window: WINDOW, deadlines: 2 }
	}
	fn due(p: &PartitionRef<u64>, _: Period) -> Option<Vec<ProvableFragment>> {
		Partitions::get().get(&key(p)).map(|f| f.iter().map(|(f, _)| *f).collect())
	}
	fn answered(p: &PartitionRef<u64>, window: Period) -> bool {
		Answered::get().contains(&(key(p), window))
	}
	fn partitions_of(provider: &u64, deadline: u32) -> Vec<u32> {
		Partitions::get().keys().filter(|(d, p, _)| d == &deadline && p == provider).map(|k| k.2).collect()
	}
	fn record_proofs(p: &PartitionRef<u64>, window: Period, proven: &[bool]) {
		Answered::mutate(|a| a.push((key(p), window)));
		Recorded::mutate(|r| r.push((key(p), window, proven.to_vec())));
	}
	fn next_partition(deadline: u32, after: Option<&[u8]>) -> Option<(PartitionRef<u64>, Vec<u8>)> {
		let after: Option<Key> = after.map(|raw| codec::Decode::decode(&mut &raw[..]).unwrap());
		Partitions::get()
			.keys()
			.filter(|k| k.0 == deadline && after.is_none_or(|a| **k > a))
			.next()
			.map(|k| (PartitionRef { deadline: k.0, provider: k.1, index: k.2 }, codec::Encode::encode(k)))
	}
	fn settle_unanswered(p: &PartitionRef<u64>, window: Period) -> u32 {
		if Self::answered(p, window) {
			return 0;
		}
		Unanswered::mutate(|u| u.push((key(p), window)));
		Partitions::get().get(&key(p)).map(|f| f.len() as u32).unwrap_or(0)
	}
	fn max_partition_size() -> u32 {
		4
	}
	fn settle_weight(c: u32) -> Weight {
		Weight::from_parts(1_000, 0).saturating_mul(c.into())
	}
}

/// The block number's hash: a different seed each deadline.
pub struct BlockRandomness;
impl Randomness<Option<H256>, u64> for BlockRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let n = System::block_number();
		(Some(H256(sp_io::hashing::blake2_256(&codec::Encode::encode(&(subject, n))))), n)
	}
}

pub const SEGMENT: u32 = 1024;

impl pallet_fragment_proofs::Config for Test {
	type Market = TestMarket;
	type Randomness = BlockRandomness;
	type SegmentsPerFragment = ConstU32<2>;
	type MaxSegmentSize = ConstU32<4096>;
	type MaxPathLength = ConstU32<40>;
	type MaxPartitionSize = ConstU32<4>;
	type SettlePerBlock = ConstU32<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestMarket;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestMarket {
	fn add_fragments(
		provider: &u64,
		count: u32,
		size: u64,
		segment_size: u32,
		root_of: &dyn Fn(ContractId) -> merkle::Node,
	) -> u32 {
		let fragments = (0..count as u64)
			.map(|contract| (ProvableFragment { contract, root: root_of(contract), size, segment_size }, vec![]))
			.collect();
		Partitions::mutate(|p| p.insert((0, *provider, 0), fragments));
		Answered::set(vec![]);
		0
	}
	fn add_background(_: u32) {}
}

/// Deterministic fragment bytes.
pub fn fragment_data(tag: u8, len: usize) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag)).collect()
}

/// Puts a fragment of `len` bytes under `contract` into partition `key`.
pub fn add_fragment(key: Key, contract: ContractId, len: usize) {
	let data = fragment_data(contract as u8, len);
	let root = merkle::fragment_root(&data);
	let fragment = ProvableFragment { contract, root, size: len as u64, segment_size: SEGMENT };
	Partitions::mutate(|p| p.entry(key).or_default().push((fragment, data)));
}

/// The data of `contract`'s fragment.
pub fn data_of(contract: ContractId) -> Vec<u8> {
	Partitions::get().values().flatten().find(|(f, _)| f.contract == contract).expect("known contract").1.clone()
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
		Partitions::set(BTreeMap::new());
		Answered::set(vec![]);
		Recorded::set(vec![]);
		Unanswered::set(vec![]);
		System::set_block_number(0);
	});
	ext
}
