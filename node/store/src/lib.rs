//! The fragment store: fragments in RocksDB, checked on every read, durable once committed.
//!
//! Layout (format 3), in three column families:
//! - `data`: `slot (u64 BE) ++ chunk index (u32 BE)` -> `crc32 (u32 LE) ++ up to 64 KiB`;
//! - `tree`: `slot ++ level (u8) ++ block (u32 BE)` -> up to 1024 nodes of that level of
//!   the fragment's BLAKE3 tree, from the chunks' chaining values (level 0) up to the
//!   children of the root. Segments divide a chunk, so a segment's proof reads its chunk,
//!   hashes the segments in it, and reads one small block per level above;
//! - `meta`: `f ++ id` -> [`FragmentMeta`] (with the fragment's slot); `s ++ slot` -> the
//!   staging record of an unfinished upload; `b ++ id` -> a blob (a manifest); counters.
//!
//! Every upload writes into a slot of its own, registered under `s` before its first chunk.
//! Commit is one synced batch: the tree, the `f` entry pointing at the slot, the used-bytes
//! total, and the removal of the staging record. So two uploads of one fragment never
//! touch each other's bytes, the first complete one wins, and a failed or abandoned one
//! leaves committed data alone. Opening the store removes the slots of the staging records
//! it finds: a crash costs `O(unfinished uploads)` at the next start, never a scan of the
//! data. Deletes are synced batches too.

use std::{
	path::Path,
	sync::{Arc, Mutex},
};

use cairn_primitives::merkle::{self, Node};
use rocksdb::{ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB};

const CF_DATA: &str = "data";
const CF_TREE: &str = "tree";
const CF_META: &str = "meta";
const USED_KEY: &[u8] = b"\0used";
const NEXT_SLOT_KEY: &[u8] = b"\0slot";
const FORMAT_KEY: &[u8] = b"\0format";
/// The on-disk format this code reads and writes.
const FORMAT: u32 = 3;
const BLOB_PREFIX: u8 = b'b';
const FRAGMENT_PREFIX: u8 = b'f';
const STAGING_PREFIX: u8 = b's';

/// Fragment bytes per `data` entry.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Merkle nodes per `tree` entry.
const TREE_BLOCK: usize = 1024;
/// The largest segment the store proves: one chunk. Segments are powers of two of at
/// least 1 KiB ([`merkle::is_segment_size`]), so they divide a chunk.
pub const MAX_SEGMENT_SIZE: u32 = CHUNK_SIZE as u32;
/// Deleted slots remembered for [`Store::reclaim`]; beyond, RocksDB's own compactions
/// reclaim the space in time.
const RECLAIM_SLOTS: usize = 4096;
/// The largest blob (manifest) the store keeps.
pub const MAX_BLOB: usize = 256 * 1024;

/// A fragment's name: the Merkle root it must have, or any 32 bytes the caller chooses.
pub type FragmentId = [u8; 32];

/// Where a fragment's bytes live: a number of its own, never reused.
type Slot = u64;

/// What the store knows of a stored fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentMeta {
	/// Length in bytes.
	pub len: u64,
	/// Bytes per segment (leaf of the proofs).
	pub segment_size: u32,
	/// The fragment's BLAKE3 hash: the root its segments are proven against.
	pub root: Node,
}

impl FragmentMeta {
	/// The number of segments (Merkle leaves).
	pub fn segments(&self) -> u64 {
		self.len.div_ceil(self.segment_size as u64).max(1)
	}
}

/// A committed fragment's record: its metadata and its slot.
#[derive(Clone, Copy)]
struct Record {
	meta: FragmentMeta,
	slot: Slot,
}

impl Record {
	const LEN: usize = 52;

	fn to_bytes(self) -> [u8; Self::LEN] {
		let mut out = [0u8; Self::LEN];
		out[..8].copy_from_slice(&self.meta.len.to_le_bytes());
		out[8..12].copy_from_slice(&self.meta.segment_size.to_le_bytes());
		out[12..44].copy_from_slice(&self.meta.root);
		out[44..].copy_from_slice(&self.slot.to_le_bytes());
		out
	}

	fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let bytes: &[u8; Self::LEN] =
			bytes.try_into().map_err(|_| Error::Corrupt("fragment record has the wrong length"))?;
		let meta = FragmentMeta {
			len: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
			segment_size: u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")),
			root: bytes[12..44].try_into().expect("32 bytes"),
		};
		Ok(Record { meta, slot: u64::from_le_bytes(bytes[44..].try_into().expect("8 bytes")) })
	}
}

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("store full: {needed} bytes needed, {available} of {capacity} available")]
	Full { needed: u64, available: u64, capacity: u64 },
	#[error("the disk is full: {0}")]
	NoSpace(String),
	#[error("fragment not found")]
	NotFound,
	#[error("fragment already stored")]
	AlreadyStored,
	#[error("checksum mismatch in chunk {chunk} of a fragment: the disk returned damaged data")]
	Checksum { chunk: u32 },
	#[error("fragment does not match the expected root")]
	RootMismatch,
	#[error("wrote {written} bytes, announced {announced}")]
	LengthMismatch { written: u64, announced: u64 },
	#[error("segment {index} out of range ({segments} segments)")]
	SegmentOutOfRange { index: u64, segments: u64 },
	#[error("segment size {0} not supported (a power of two from 1 KiB to {MAX_SEGMENT_SIZE} bytes)")]
	SegmentSize(u32),
	#[error("blob of {0} bytes exceeds the limit of {MAX_BLOB}")]
	BlobTooLarge(usize),
	#[error("the store in {path} has format {found}; this node reads format {FORMAT}: move it away and start again")]
	Format { path: String, found: u32 },
	#[error("corrupt store: {0}")]
	Corrupt(&'static str),
	#[error("RocksDB: {0}")]
	Db(rocksdb::Error),
}

impl From<rocksdb::Error> for Error {
	fn from(e: rocksdb::Error) -> Self {
		// RocksDB reports a full disk as an I/O error with the OS's message.
		let text = e.to_string();
		if text.contains("No space left") || text.contains("NoSpace") {
			Error::NoSpace(text)
		} else {
			Error::Db(e)
		}
	}
}

/// What one [`Store::collect_garbage`] pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
	pub fragments: usize,
	pub blobs: usize,
	pub bytes: u64,
}

/// The fragment store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
	inner: Arc<Inner>,
}

struct Inner {
	db: DB,
	capacity: u64,
	/// Bytes committed plus bytes reserved by open writers; guards the capacity. Commits
	/// and deletes hold it while they write, so a check and its write are one step.
	accounting: Mutex<Accounting>,
}

#[derive(Default)]
struct Accounting {
	used: u64,
	reserved: u64,
	next_slot: Slot,
	/// Slots deleted since the last [`Store::reclaim`] (at most [`RECLAIM_SLOTS`]).
	deleted: Vec<Slot>,
}

fn prefixed(prefix: u8, id: &[u8; 32]) -> [u8; 33] {
	let mut key = [0u8; 33];
	key[0] = prefix;
	key[1..].copy_from_slice(id);
	key
}

fn staging_key(slot: Slot) -> [u8; 9] {
	let mut key = [STAGING_PREFIX; 9];
	key[1..].copy_from_slice(&slot.to_be_bytes());
	key
}

fn chunk_key(slot: Slot, chunk: u32) -> [u8; 12] {
	let mut key = [0u8; 12];
	key[..8].copy_from_slice(&slot.to_be_bytes());
	key[8..].copy_from_slice(&chunk.to_be_bytes());
	key
}

fn tree_key(slot: Slot, level: u8, block: u32) -> [u8; 13] {
	let mut key = [0u8; 13];
	key[..8].copy_from_slice(&slot.to_be_bytes());
	key[8] = level;
	key[9..].copy_from_slice(&block.to_be_bytes());
	key
}

fn seal(data: &[u8]) -> Vec<u8> {
	let mut value = Vec::with_capacity(4 + data.len());
	value.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
	value.extend_from_slice(data);
	value
}

fn synced() -> WriteOptions {
	let mut options = WriteOptions::default();
	options.set_sync(true);
	options
}

fn read_u64(db: &DB, cf: &rocksdb::ColumnFamily, key: &[u8], what: &'static str) -> Result<Option<u64>, Error> {
	db.get_cf(cf, key)?
		.map(|v| v.as_slice().try_into().map(u64::from_le_bytes).map_err(|_| Error::Corrupt(what)))
		.transpose()
}

/// How much memory RocksDB may take for writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Memory {
	/// RocksDB's defaults: memtables of 64 MiB per column family.
	#[default]
	Default,
	/// A Raspberry Pi or a router: memtables of 8 MiB for fragment bytes, 2 MiB otherwise.
	Small,
}

impl Store {
	/// Opens (or creates) a store at `path` that holds at most `capacity` bytes of fragments
	/// and blobs, and removes what interrupted uploads left behind.
	pub fn open(path: &Path, capacity: u64) -> Result<Self, Error> {
		Self::open_with(path, capacity, Memory::Default)
	}

	/// [`Store::open`], with RocksDB's memory sized for the machine.
	pub fn open_with(path: &Path, capacity: u64, memory: Memory) -> Result<Self, Error> {
		let mut options = Options::default();
		options.create_if_missing(true);
		options.create_missing_column_families(true);
		let family_options = |name: &str| {
			let mut family = Options::default();
			if memory == Memory::Small {
				// Fragment bytes stream through the data family's memtables: two of 8 MiB
				// instead of RocksDB's two of 64 MiB; the others hold small records.
				family.set_write_buffer_size(if name == CF_DATA { 8 << 20 } else { 2 << 20 });
				family.set_max_write_buffer_number(2);
			}
			family
		};
		let families = [CF_DATA, CF_TREE, CF_META].into_iter().map(|name| ColumnFamilyDescriptor::new(name, family_options(name)));
		let db = DB::open_cf_descriptors(&options, path, families)?;
		let meta = db.cf_handle(CF_META).expect("created");
		match db.get_cf(meta, FORMAT_KEY)? {
			Some(v) if v.as_slice() == FORMAT.to_le_bytes() => {},
			Some(v) => {
				let found = v.as_slice().try_into().map(u32::from_le_bytes).unwrap_or(0);
				return Err(Error::Format { path: path.display().to_string(), found });
			},
			None => {
				// Format 1 had fragment records but no format key.
				let old = db.iterator_cf(meta, IteratorMode::From(&[FRAGMENT_PREFIX], Direction::Forward)).next();
				if let Some(Ok((key, _))) = old {
					if key.first() == Some(&FRAGMENT_PREFIX) {
						return Err(Error::Format { path: path.display().to_string(), found: 1 });
					}
				}
				db.put_cf_opt(meta, FORMAT_KEY, FORMAT.to_le_bytes(), &synced())?;
			},
		}
		let used = read_u64(&db, meta, USED_KEY, "used-bytes counter")?.unwrap_or(0);
		let next_slot = read_u64(&db, meta, NEXT_SLOT_KEY, "slot counter")?.unwrap_or(0);
		let store = Store {
			inner: Arc::new(Inner {
				db,
				capacity,
				accounting: Mutex::new(Accounting { used, next_slot, ..Default::default() }),
			}),
		};
		let removed = store.remove_unfinished()?;
		if removed > 0 {
			log::info!("cairn-store: removed {removed} interrupted uploads");
		}
		Ok(store)
	}

	fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
		self.inner.db.cf_handle(name).expect("column families are created on open")
	}

	fn accounting(&self) -> std::sync::MutexGuard<'_, Accounting> {
		// The accounting is plain numbers updated after each successful write: a panic
		// elsewhere while it was held leaves it consistent.
		self.inner.accounting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Removes the slots of uploads that never committed (run once, on open).
	fn remove_unfinished(&self) -> Result<usize, Error> {
		let mut batch = WriteBatch::default();
		let mut removed = 0;
		for (key, _) in self.prefix(STAGING_PREFIX) {
			let slot = key.get(1..9).and_then(|s| s.try_into().ok()).map(u64::from_be_bytes);
			let slot = slot.ok_or(Error::Corrupt("staging key"))?;
			self.delete_slot(&mut batch, slot);
			batch.delete_cf(self.cf(CF_META), key);
			removed += 1;
		}
		if removed > 0 {
			self.inner.db.write_opt(batch, &synced())?;
		}
		Ok(removed)
	}

	/// The `meta` entries under a one-byte prefix, in key order.
	fn prefix(&self, prefix: u8) -> impl Iterator<Item = (Box<[u8]>, Box<[u8]>)> + '_ {
		self.inner
			.db
			.iterator_cf(self.cf(CF_META), IteratorMode::From(&[prefix], Direction::Forward))
			.map_while(Result::ok)
			.take_while(move |(key, _)| key.first() == Some(&prefix))
	}

	/// Bytes of committed fragments and blobs.
	pub fn used(&self) -> u64 {
		self.accounting().used
	}

	/// Bytes reserved by uploads in progress.
	pub fn reserved(&self) -> u64 {
		self.accounting().reserved
	}

	/// The capacity limit in bytes.
	pub fn capacity(&self) -> u64 {
		self.inner.capacity
	}

	fn record(&self, id: &FragmentId) -> Result<Option<Record>, Error> {
		self.inner
			.db
			.get_cf(self.cf(CF_META), prefixed(FRAGMENT_PREFIX, id))?
			.map(|v| Record::from_bytes(&v))
			.transpose()
	}

	/// Metadata of a stored fragment, if it is stored.
	pub fn meta(&self, id: &FragmentId) -> Result<Option<FragmentMeta>, Error> {
		Ok(self.record(id)?.map(|r| r.meta))
	}

	/// The ids of all committed fragments.
	pub fn fragment_ids(&self) -> Vec<FragmentId> {
		self.prefix(FRAGMENT_PREFIX).filter_map(|(key, _)| key.get(1..33)?.try_into().ok()).collect()
	}

	/// The keys of all blobs.
	pub fn blob_ids(&self) -> Vec<[u8; 32]> {
		self.prefix(BLOB_PREFIX).filter_map(|(key, _)| key.get(1..33)?.try_into().ok()).collect()
	}

	/// Starts writing a fragment of `len` bytes into a slot of its own, reserving its space.
	/// Several writers of one id may run at once; the first to commit wins.
	pub fn writer(&self, id: FragmentId, len: u64, segment_size: u32) -> Result<FragmentWriter, Error> {
		if !merkle::is_segment_size(segment_size) || segment_size > MAX_SEGMENT_SIZE {
			return Err(Error::SegmentSize(segment_size));
		}
		if self.record(&id)?.is_some() {
			return Err(Error::AlreadyStored);
		}
		let slot = {
			let mut acc = self.accounting();
			let available = self.inner.capacity.saturating_sub(acc.used.saturating_add(acc.reserved));
			if len > available {
				return Err(Error::Full { needed: len, available, capacity: self.inner.capacity });
			}
			let slot = acc.next_slot;
			let mut record = [0u8; 40];
			record[..32].copy_from_slice(&id);
			record[32..].copy_from_slice(&len.to_le_bytes());
			let mut batch = WriteBatch::default();
			batch.put_cf(self.cf(CF_META), staging_key(slot), record);
			batch.put_cf(self.cf(CF_META), NEXT_SLOT_KEY, (slot + 1).to_le_bytes());
			// Not synced: a chunk is written after its staging record, and the log keeps
			// that order, so no chunk survives a crash without the record that removes it.
			self.inner.db.write(batch)?;
			acc.next_slot = slot + 1;
			acc.reserved += len;
			slot
		};
		Ok(FragmentWriter {
			store: self.clone(),
			id,
			slot,
			announced: len,
			segment_size,
			buffer: Vec::with_capacity(CHUNK_SIZE),
			chunk: 0,
			written: 0,
			chunk_nodes: Vec::new(),
			committed: false,
		})
	}

	/// Reads `len` bytes at `offset` of a fragment, checking every chunk's checksum.
	pub fn read(&self, id: &FragmentId, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
		let record = self.record(id)?.ok_or(Error::NotFound)?;
		let end = offset.saturating_add(len as u64).min(record.meta.len);
		let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
		let mut pos = offset;
		while pos < end {
			let chunk = u32::try_from(pos / CHUNK_SIZE as u64).map_err(|_| Error::Corrupt("offset"))?;
			let data = self.read_chunk(record.slot, chunk)?;
			let start = (pos % CHUNK_SIZE as u64) as usize;
			let take = ((end - pos) as usize).min(data.len().saturating_sub(start));
			if take == 0 {
				return Err(Error::Corrupt("chunk shorter than the fragment"));
			}
			out.extend_from_slice(&data[start..start + take]);
			pos += take as u64;
		}
		Ok(out)
	}

	fn read_chunk(&self, slot: Slot, chunk: u32) -> Result<Vec<u8>, Error> {
		let value =
			self.inner.db.get_cf(self.cf(CF_DATA), chunk_key(slot, chunk))?.ok_or(Error::Corrupt("missing chunk"))?;
		if value.len() < 4 {
			return Err(Error::Checksum { chunk });
		}
		let (sum, data) = value.split_at(4);
		if crc32fast::hash(data).to_le_bytes() != sum {
			return Err(Error::Checksum { chunk });
		}
		Ok(data.to_vec())
	}

	/// A reader over a whole fragment, chunk by chunk.
	pub fn reader(&self, id: &FragmentId) -> Result<FragmentReader, Error> {
		let record = self.record(id)?.ok_or(Error::NotFound)?;
		Ok(FragmentReader { store: self.clone(), record, pos: 0, buffer: Vec::new(), buffer_pos: 0 })
	}

	/// Segment `index` of a fragment and its sibling path, read without the rest of the
	/// fragment: the proof a provider submits for a challenge.
	pub fn segment_proof(&self, id: &FragmentId, index: u64) -> Result<(Vec<u8>, Vec<Node>), Error> {
		let record = self.record(id)?.ok_or(Error::NotFound)?;
		let FragmentMeta { len, segment_size, .. } = record.meta;
		let segments = record.meta.segments();
		if index >= segments {
			return Err(Error::SegmentOutOfRange { index, segments });
		}
		if len == 0 {
			return Ok((Vec::new(), Vec::new()));
		}
		let seg = segment_size as u64;
		let per_chunk = CHUNK_SIZE as u64 / seg;
		let chunk = u32::try_from(index / per_chunk).map_err(|_| Error::Corrupt("segment index"))?;
		let data = self.read_chunk(record.slot, chunk)?;
		let first = chunk as u64 * per_chunk;
		let leaves = data
			.chunks(seg as usize)
			.enumerate()
			.map(|(i, s)| merkle::leaf(s, first + i as u64, segment_size))
			.collect::<Option<Vec<_>>>()
			.ok_or(Error::Corrupt("chunk not made of segments"))?;
		let in_chunk = (index - first) as usize;
		let segment = data
			.chunks(seg as usize)
			.nth(in_chunk)
			.ok_or(Error::Corrupt("chunk shorter than the fragment"))?
			.to_vec();
		let mut path = merkle::proof(&merkle::subtree_levels(leaves), in_chunk as u64)
			.ok_or(Error::Corrupt("segment outside its chunk"))?;
		// Above the chunk: the kept levels, from the chunks' chaining values up.
		let (mut idx, mut width, mut level) = (chunk as u64, len.div_ceil(CHUNK_SIZE as u64), 0u8);
		while width > 1 {
			let sibling = idx ^ 1;
			if sibling < width {
				path.push(self.tree_node(record.slot, level, sibling)?);
			}
			idx /= 2;
			width = width.div_ceil(2);
			level += 1;
		}
		Ok((segment, path))
	}

	fn tree_node(&self, slot: Slot, level: u8, index: u64) -> Result<Node, Error> {
		let block = u32::try_from(index / TREE_BLOCK as u64).map_err(|_| Error::Corrupt("tree index"))?;
		let value = self
			.inner
			.db
			.get_cf(self.cf(CF_TREE), tree_key(slot, level, block))?
			.ok_or(Error::Corrupt("missing Merkle tree block"))?;
		let at = (index % TREE_BLOCK as u64) as usize * 32;
		value.get(at..at + 32).and_then(|n| n.try_into().ok()).ok_or(Error::Corrupt("short Merkle tree block"))
	}

	/// Deletes a fragment (one synced batch); returns whether it was there.
	pub fn delete(&self, id: &FragmentId) -> Result<bool, Error> {
		let mut acc = self.accounting();
		let Some(record) = self.record(id)? else {
			return Ok(false);
		};
		let mut batch = WriteBatch::default();
		batch.delete_cf(self.cf(CF_META), prefixed(FRAGMENT_PREFIX, id));
		self.delete_slot(&mut batch, record.slot);
		let used = acc.used.saturating_sub(record.meta.len);
		batch.put_cf(self.cf(CF_META), USED_KEY, used.to_le_bytes());
		self.inner.db.write_opt(batch, &synced())?;
		acc.used = used;
		if acc.deleted.len() < RECLAIM_SLOTS {
			acc.deleted.push(record.slot);
		}
		Ok(true)
	}

	/// Gives the disk space of deleted fragments back: flushes the memtables (dropping the
	/// deleted chunks still in them, and the log that holds them) and compacts each deleted
	/// slot's own key range (not the live slots between them). Blocking I/O.
	pub fn reclaim(&self) -> Result<(), Error> {
		let deleted = std::mem::take(&mut self.accounting().deleted);
		if deleted.is_empty() {
			return Ok(());
		}
		for name in [CF_DATA, CF_TREE, CF_META] {
			self.inner.db.flush_cf(self.cf(name))?;
		}
		for slot in deleted {
			let next = slot.saturating_add(1);
			self.inner.db.compact_range_cf(self.cf(CF_DATA), Some(chunk_key(slot, 0)), Some(chunk_key(next, 0)));
			self.inner.db.compact_range_cf(self.cf(CF_TREE), Some(tree_key(slot, 0, 0)), Some(tree_key(next, 0, 0)));
		}
		Ok(())
	}

	fn delete_slot(&self, batch: &mut WriteBatch, slot: Slot) {
		batch.delete_range_cf(self.cf(CF_DATA), chunk_key(slot, 0), chunk_key(slot, u32::MAX));
		batch.delete_cf(self.cf(CF_DATA), chunk_key(slot, u32::MAX));
		batch.delete_range_cf(self.cf(CF_TREE), tree_key(slot, 0, 0), tree_key(slot, u8::MAX, u32::MAX));
		batch.delete_cf(self.cf(CF_TREE), tree_key(slot, u8::MAX, u32::MAX));
	}

	/// Stores a small blob (a manifest) under a 32-byte key, counted against the capacity;
	/// returns whether it was new. Synced.
	pub fn put_blob(&self, key: &[u8; 32], value: &[u8]) -> Result<bool, Error> {
		if value.len() > MAX_BLOB {
			return Err(Error::BlobTooLarge(value.len()));
		}
		let key = prefixed(BLOB_PREFIX, key);
		let mut acc = self.accounting();
		if self.inner.db.get_pinned_cf(self.cf(CF_META), key)?.is_some() {
			return Ok(false);
		}
		let len = value.len() as u64;
		let available = self.inner.capacity.saturating_sub(acc.used.saturating_add(acc.reserved));
		if len > available {
			return Err(Error::Full { needed: len, available, capacity: self.inner.capacity });
		}
		let used = acc.used + len;
		let mut batch = WriteBatch::default();
		batch.put_cf(self.cf(CF_META), key, seal(value));
		batch.put_cf(self.cf(CF_META), USED_KEY, used.to_le_bytes());
		self.inner.db.write_opt(batch, &synced())?;
		acc.used = used;
		Ok(true)
	}

	/// A blob stored with [`Store::put_blob`], checksum-checked.
	pub fn get_blob(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>, Error> {
		let Some(value) = self.inner.db.get_cf(self.cf(CF_META), prefixed(BLOB_PREFIX, key))? else {
			return Ok(None);
		};
		if value.len() < 4 || crc32fast::hash(&value[4..]).to_le_bytes() != value[..4] {
			return Err(Error::Checksum { chunk: 0 });
		}
		Ok(Some(value[4..].to_vec()))
	}

	/// Deletes a blob (synced); returns whether it was there.
	pub fn delete_blob(&self, key: &[u8; 32]) -> Result<bool, Error> {
		let key = prefixed(BLOB_PREFIX, key);
		let mut acc = self.accounting();
		let Some(value) = self.inner.db.get_pinned_cf(self.cf(CF_META), key)? else {
			return Ok(false);
		};
		let used = acc.used.saturating_sub(value.len().saturating_sub(4) as u64);
		let mut batch = WriteBatch::default();
		batch.delete_cf(self.cf(CF_META), key);
		batch.put_cf(self.cf(CF_META), USED_KEY, used.to_le_bytes());
		self.inner.db.write_opt(batch, &synced())?;
		acc.used = used;
		Ok(true)
	}

	/// How many chunks the data holds, committed or not: a full scan, for checks and tests.
	pub fn chunk_count(&self) -> usize {
		self.inner.db.iterator_cf(self.cf(CF_DATA), IteratorMode::Start).map_while(Result::ok).count()
	}

	/// Uploads that have a staging record (in progress, or interrupted before the last start).
	pub fn unfinished(&self) -> usize {
		self.prefix(STAGING_PREFIX).count()
	}

	/// Deletes every fragment and blob that `keep_fragment` / `keep_blob` do not keep.
	pub fn collect_garbage(
		&self,
		keep_fragment: impl Fn(&FragmentId) -> bool,
		keep_blob: impl Fn(&[u8; 32]) -> bool,
	) -> Result<Removed, Error> {
		let mut removed = Removed::default();
		for id in self.fragment_ids().into_iter().filter(|id| !keep_fragment(id)) {
			let len = self.meta(&id)?.map_or(0, |m| m.len);
			if self.delete(&id)? {
				removed.fragments += 1;
				removed.bytes += len;
			}
		}
		for id in self.blob_ids().into_iter().filter(|id| !keep_blob(id)) {
			let len = self.get_blob(&id).ok().flatten().map_or(0, |b| b.len() as u64);
			if self.delete_blob(&id)? {
				removed.blobs += 1;
				removed.bytes += len;
			}
		}
		Ok(removed)
	}
}

/// Writes one fragment into its own slot; nothing is visible until
/// [`FragmentWriter::commit`], and dropping it uncommitted removes its slot.
pub struct FragmentWriter {
	store: Store,
	id: FragmentId,
	slot: Slot,
	announced: u64,
	segment_size: u32,
	buffer: Vec<u8>,
	chunk: u32,
	written: u64,
	/// The chaining value of each chunk written so far.
	chunk_nodes: Vec<Node>,
	committed: bool,
}

impl FragmentWriter {
	/// The fragment's id.
	pub fn id(&self) -> FragmentId {
		self.id
	}

	/// The length announced when the upload started.
	pub fn announced(&self) -> u64 {
		self.announced
	}

	/// Bytes written so far.
	pub fn written(&self) -> u64 {
		self.written
	}

	/// Appends bytes to the fragment.
	pub fn write(&mut self, mut data: &[u8]) -> Result<(), Error> {
		let total = self.written.saturating_add(data.len() as u64);
		if total > self.announced {
			return Err(Error::LengthMismatch { written: total, announced: self.announced });
		}
		self.written = total;
		while !data.is_empty() {
			// A full chunk is written only once more bytes come: if it is the fragment's
			// only chunk, its root is the hash of its bytes, taken at commit.
			if self.buffer.len() == CHUNK_SIZE {
				self.flush_chunk()?;
			}
			let take = (CHUNK_SIZE - self.buffer.len()).min(data.len());
			self.buffer.extend_from_slice(&data[..take]);
			data = &data[take..];
		}
		Ok(())
	}

	fn flush_chunk(&mut self) -> Result<(), Error> {
		if self.buffer.is_empty() {
			return Ok(());
		}
		let offset = self.chunk as u64 * CHUNK_SIZE as u64;
		self.chunk_nodes.push(merkle::subtree(&self.buffer, offset).ok_or(Error::Corrupt("chunk offset"))?);
		let key = chunk_key(self.slot, self.chunk);
		self.store.inner.db.put_cf(self.store.cf(CF_DATA), key, seal(&self.buffer))?;
		self.chunk += 1;
		self.buffer.clear();
		Ok(())
	}

	/// Makes the fragment visible, if it has the announced length and, when given, the
	/// expected root, in one synced batch. [`Error::AlreadyStored`] if another writer
	/// committed the id first. On error nothing of this writer stays behind.
	pub fn commit(mut self, expected_root: Option<Node>) -> Result<FragmentMeta, Error> {
		if self.written != self.announced {
			return Err(Error::LengthMismatch { written: self.written, announced: self.announced });
		}
		let single = self.chunk == 0;
		let single_root = single.then(|| merkle::fragment_root(&self.buffer));
		self.flush_chunk()?;
		let levels = merkle::levels(std::mem::take(&mut self.chunk_nodes));
		let root = match single_root {
			Some(root) => root,
			None => levels.last().and_then(|l| l.first()).copied().ok_or(Error::Corrupt("empty tree"))?,
		};
		if expected_root.is_some_and(|r| r != root) {
			return Err(Error::RootMismatch);
		}
		let meta = FragmentMeta { len: self.announced, segment_size: self.segment_size, root };
		let store = self.store.clone();
		let mut batch = WriteBatch::default();
		for (level, nodes) in levels.iter().enumerate().take(levels.len() - 1) {
			for (block, chunk) in nodes.chunks(TREE_BLOCK).enumerate() {
				let bytes: Vec<u8> = chunk.iter().flatten().copied().collect();
				batch.put_cf(store.cf(CF_TREE), tree_key(self.slot, level as u8, block as u32), bytes);
			}
		}
		batch.put_cf(
			store.cf(CF_META),
			prefixed(FRAGMENT_PREFIX, &self.id),
			Record { meta, slot: self.slot }.to_bytes(),
		);
		batch.delete_cf(store.cf(CF_META), staging_key(self.slot));
		let mut acc = store.accounting();
		if store.record(&self.id)?.is_some() {
			return Err(Error::AlreadyStored);
		}
		let used = acc.used + self.announced;
		batch.put_cf(store.cf(CF_META), USED_KEY, used.to_le_bytes());
		store.inner.db.write_opt(batch, &synced())?;
		acc.used = used;
		acc.reserved -= self.announced;
		self.committed = true;
		Ok(meta)
	}
}

impl Drop for FragmentWriter {
	fn drop(&mut self) {
		if self.committed {
			return;
		}
		let mut batch = WriteBatch::default();
		self.store.delete_slot(&mut batch, self.slot);
		batch.delete_cf(self.store.cf(CF_META), staging_key(self.slot));
		if let Err(e) = self.store.inner.db.write(batch) {
			log::warn!("cairn-store: could not remove an abandoned upload (removed at the next start): {e}");
		}
		self.store.accounting().reserved -= self.announced;
	}
}

/// Reads a stored fragment as a byte stream, checking checksums as it goes.
pub struct FragmentReader {
	store: Store,
	record: Record,
	pos: u64,
	buffer: Vec<u8>,
	buffer_pos: usize,
}

impl std::io::Read for FragmentReader {
	fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
		if self.buffer_pos == self.buffer.len() {
			if self.pos >= self.record.meta.len {
				return Ok(0);
			}
			let chunk = (self.pos / CHUNK_SIZE as u64) as u32;
			self.buffer = self.store.read_chunk(self.record.slot, chunk).map_err(std::io::Error::other)?;
			self.buffer_pos = 0;
			self.pos += self.buffer.len() as u64;
		}
		let n = out.len().min(self.buffer.len() - self.buffer_pos);
		out[..n].copy_from_slice(&self.buffer[self.buffer_pos..self.buffer_pos + n]);
		self.buffer_pos += n;
		Ok(n)
	}
}
