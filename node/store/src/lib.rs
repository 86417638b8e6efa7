//! The fragment store: fragments in RocksDB, checked on every read.
//!
//! Layout, in three column families:
//! - `data`: `id ++ chunk index (u32 BE)` -> `crc32 (u32 LE) ++ up to 64 KiB of fragment`;
//! - `tree`: `id ++ level (u8) ++ block (u32 BE)` -> up to 1024 Merkle nodes of that level,
//!   so that a segment's proof costs one small read per level;
//! - `meta`: `id` -> [`FragmentMeta`]; also small blobs (manifests) and the used-bytes counter.
//!
//! A fragment exists once its `meta` entry does. Its chunks are written first, in batches
//! of bounded size; the tree, the meta entry and the new used-bytes total are written last
//! in one atomic batch. A crash before that batch leaves chunks without meta, which
//! [`Store::open`] sweeps away: a fragment is wholly there or wholly absent.

use std::{
	path::Path,
	sync::{Arc, Mutex},
};

use cairn_primitives::merkle::{self, Node};
use rocksdb::{ColumnFamilyDescriptor, IteratorMode, Options, WriteBatch, DB};

const CF_DATA: &str = "data";
const CF_TREE: &str = "tree";
const CF_META: &str = "meta";
const USED_KEY: &[u8] = b"\0used";
const BLOB_PREFIX: u8 = b'b';
const FRAGMENT_PREFIX: u8 = b'f';

/// Fragment bytes per `data` entry.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Merkle nodes per `tree` entry.
const TREE_BLOCK: usize = 1024;
/// The largest segment the store proves.
pub const MAX_SEGMENT_SIZE: u32 = 64 * 1024;

/// A fragment's name: the Merkle root it must have, or any 32 bytes the caller chooses.
pub type FragmentId = [u8; 32];

/// What the store knows of a stored fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentMeta {
	/// Length in bytes.
	pub len: u64,
	/// Bytes per Merkle leaf.
	pub segment_size: u32,
	/// Merkle root over the segments.
	pub root: Node,
}

impl FragmentMeta {
	fn to_bytes(self) -> [u8; 44] {
		let mut out = [0u8; 44];
		out[..8].copy_from_slice(&self.len.to_le_bytes());
		out[8..12].copy_from_slice(&self.segment_size.to_le_bytes());
		out[12..].copy_from_slice(&self.root);
		out
	}

	fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		if bytes.len() != 44 {
			return Err(Error::Corrupt("fragment metadata has the wrong length"));
		}
		Ok(FragmentMeta {
			len: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
			segment_size: u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")),
			root: bytes[12..].try_into().expect("32 bytes"),
		})
	}

	/// The number of segments (Merkle leaves).
	pub fn segments(&self) -> u64 {
		self.len.div_ceil(self.segment_size as u64).max(1)
	}
}

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("store full: {needed} bytes needed, {available} of {capacity} available")]
	Full { needed: u64, available: u64, capacity: u64 },
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
	#[error("segment size {0} not supported (1 to {MAX_SEGMENT_SIZE} bytes)")]
	SegmentSize(u32),
	#[error("corrupt store: {0}")]
	Corrupt(&'static str),
	#[error("RocksDB: {0}")]
	Db(#[from] rocksdb::Error),
}

/// The fragment store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
	inner: Arc<Inner>,
}

struct Inner {
	db: DB,
	capacity: u64,
	/// Bytes committed plus bytes reserved by open writers; guards the capacity.
	accounting: Mutex<Accounting>,
}

#[derive(Default)]
struct Accounting {
	used: u64,
	reserved: u64,
	/// Fragments being written: one writer per id, and the sweep leaves them alone.
	writing: std::collections::HashSet<FragmentId>,
}

fn fragment_key(id: &FragmentId) -> Vec<u8> {
	let mut key = Vec::with_capacity(33);
	key.push(FRAGMENT_PREFIX);
	key.extend_from_slice(id);
	key
}

fn chunk_key(id: &FragmentId, chunk: u32) -> [u8; 36] {
	let mut key = [0u8; 36];
	key[..32].copy_from_slice(id);
	key[32..].copy_from_slice(&chunk.to_be_bytes());
	key
}

fn tree_key(id: &FragmentId, level: u8, block: u32) -> [u8; 37] {
	let mut key = [0u8; 37];
	key[..32].copy_from_slice(id);
	key[32] = level;
	key[33..].copy_from_slice(&block.to_be_bytes());
	key
}

fn seal_chunk(data: &[u8]) -> Vec<u8> {
	let mut value = Vec::with_capacity(4 + data.len());
	value.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
	value.extend_from_slice(data);
	value
}

impl Store {
	/// Opens (or creates) a store at `path` that holds at most `capacity` bytes of fragments,
	/// and sweeps away what an interrupted write left behind.
	pub fn open(path: &Path, capacity: u64) -> Result<Self, Error> {
		let mut options = Options::default();
		options.create_if_missing(true);
		options.create_missing_column_families(true);
		let families =
			[CF_DATA, CF_TREE, CF_META].into_iter().map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
		let db = DB::open_cf_descriptors(&options, path, families)?;
		let used = match db.get_cf(db.cf_handle(CF_META).expect("created"), USED_KEY)? {
			Some(v) => u64::from_le_bytes(v.as_slice().try_into().map_err(|_| Error::Corrupt("used-bytes counter"))?),
			None => 0,
		};
		let store = Store {
			inner: Arc::new(Inner { db, capacity, accounting: Mutex::new(Accounting { used, ..Default::default() }) }),
		};
		let swept = store.sweep_orphans()?;
		if swept > 0 {
			log::info!("cairn-store: removed {swept} chunks of interrupted writes");
		}
		Ok(store)
	}

	fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
		self.inner.db.cf_handle(name).expect("column families are created on open")
	}

	/// Bytes of committed fragments.
	pub fn used(&self) -> u64 {
		self.inner.accounting.lock().expect("not poisoned").used
	}

	/// The capacity limit in bytes.
	pub fn capacity(&self) -> u64 {
		self.inner.capacity
	}

	/// Metadata of a stored fragment, if it is stored.
	pub fn meta(&self, id: &FragmentId) -> Result<Option<FragmentMeta>, Error> {
		self.inner.db.get_cf(self.cf(CF_META), fragment_key(id))?.map(|v| FragmentMeta::from_bytes(&v)).transpose()
	}

	/// Starts writing a fragment of `len` bytes, reserving its space.
	pub fn writer(&self, id: FragmentId, len: u64, segment_size: u32) -> Result<FragmentWriter, Error> {
		if segment_size == 0 || segment_size > MAX_SEGMENT_SIZE || CHUNK_SIZE % segment_size as usize != 0 {
			return Err(Error::SegmentSize(segment_size));
		}
		if self.meta(&id)?.is_some() {
			return Err(Error::AlreadyStored);
		}
		{
			let mut acc = self.inner.accounting.lock().expect("not poisoned");
			let available = self.inner.capacity.saturating_sub(acc.used + acc.reserved);
			if len > available {
				return Err(Error::Full { needed: len, available, capacity: self.inner.capacity });
			}
			if !acc.writing.insert(id) {
				return Err(Error::AlreadyStored);
			}
			acc.reserved += len;
		}
		Ok(FragmentWriter {
			store: self.clone(),
			id,
			announced: len,
			segment_size,
			buffer: Vec::with_capacity(CHUNK_SIZE),
			chunk: 0,
			written: 0,
			leaves: Vec::new(),
			committed: false,
		})
	}

	/// Reads `len` bytes at `offset` of a fragment, checking every chunk's checksum.
	pub fn read(&self, id: &FragmentId, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
		let meta = self.meta(id)?.ok_or(Error::NotFound)?;
		let end = (offset + len as u64).min(meta.len);
		let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
		let mut pos = offset;
		while pos < end {
			let chunk = (pos / CHUNK_SIZE as u64) as u32;
			let data = self.read_chunk(id, chunk)?;
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

	fn read_chunk(&self, id: &FragmentId, chunk: u32) -> Result<Vec<u8>, Error> {
		let value =
			self.inner.db.get_cf(self.cf(CF_DATA), chunk_key(id, chunk))?.ok_or(Error::Corrupt("missing chunk"))?;
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
		let meta = self.meta(id)?.ok_or(Error::NotFound)?;
		Ok(FragmentReader { store: self.clone(), id: *id, meta, pos: 0, buffer: Vec::new(), buffer_pos: 0 })
	}

	/// Segment `index` of a fragment and its Merkle path, read without the rest of the
	/// fragment: the proof a provider submits for a challenge.
	pub fn segment_proof(&self, id: &FragmentId, index: u64) -> Result<(Vec<u8>, Vec<Node>), Error> {
		let meta = self.meta(id)?.ok_or(Error::NotFound)?;
		let segments = meta.segments();
		if index >= segments {
			return Err(Error::SegmentOutOfRange { index, segments });
		}
		let seg = meta.segment_size as u64;
		let segment = self.read(id, index * seg, seg as usize)?;
		let mut path = Vec::new();
		let (mut idx, mut width, mut level) = (index, segments, 0u8);
		while width > 1 {
			let sibling = idx ^ 1;
			if sibling < width {
				path.push(self.tree_node(id, level, sibling)?);
			}
			idx /= 2;
			width = width.div_ceil(2);
			level += 1;
		}
		Ok((segment, path))
	}

	fn tree_node(&self, id: &FragmentId, level: u8, index: u64) -> Result<Node, Error> {
		let block = (index / TREE_BLOCK as u64) as u32;
		let value = self
			.inner
			.db
			.get_cf(self.cf(CF_TREE), tree_key(id, level, block))?
			.ok_or(Error::Corrupt("missing Merkle tree block"))?;
		let at = (index % TREE_BLOCK as u64) as usize * 32;
		value.get(at..at + 32).and_then(|n| n.try_into().ok()).ok_or(Error::Corrupt("short Merkle tree block"))
	}

	/// Deletes a fragment; returns whether it was there.
	pub fn delete(&self, id: &FragmentId) -> Result<bool, Error> {
		let Some(meta) = self.meta(id)? else {
			return Ok(false);
		};
		let mut acc = self.inner.accounting.lock().expect("not poisoned");
		let mut batch = WriteBatch::default();
		batch.delete_cf(self.cf(CF_META), fragment_key(id));
		self.delete_fragment_data(&mut batch, id);
		let used = acc.used.saturating_sub(meta.len);
		batch.put_cf(self.cf(CF_META), USED_KEY, used.to_le_bytes());
		self.inner.db.write(batch)?;
		acc.used = used;
		Ok(true)
	}

	fn delete_fragment_data(&self, batch: &mut WriteBatch, id: &FragmentId) {
		batch.delete_range_cf(self.cf(CF_DATA), chunk_key(id, 0), chunk_key(id, u32::MAX));
		batch.delete_cf(self.cf(CF_DATA), chunk_key(id, u32::MAX));
		batch.delete_range_cf(self.cf(CF_TREE), tree_key(id, 0, 0), tree_key(id, u8::MAX, u32::MAX));
		batch.delete_cf(self.cf(CF_TREE), tree_key(id, u8::MAX, u32::MAX));
	}

	/// Removes chunks that belong to no committed fragment. Returns how many were removed.
	pub fn sweep_orphans(&self) -> Result<usize, Error> {
		let mut removed = 0;
		let mut batch = WriteBatch::default();
		let mut last: Option<FragmentId> = None;
		for entry in self.inner.db.iterator_cf(self.cf(CF_DATA), IteratorMode::Start) {
			let (key, _) = entry?;
			let id: FragmentId = key.get(..32).and_then(|k| k.try_into().ok()).ok_or(Error::Corrupt("chunk key"))?;
			if last == Some(id) {
				continue;
			}
			last = Some(id);
			let writing = self.inner.accounting.lock().expect("not poisoned").writing.contains(&id);
			if !writing && self.meta(&id)?.is_none() {
				self.delete_fragment_data(&mut batch, &id);
				removed += 1;
			}
		}
		if removed > 0 {
			self.inner.db.write(batch)?;
		}
		Ok(removed)
	}

	/// Stores a small blob (a manifest) under a 32-byte key.
	pub fn put_blob(&self, key: &[u8; 32], value: &[u8]) -> Result<(), Error> {
		let mut k = vec![BLOB_PREFIX];
		k.extend_from_slice(key);
		Ok(self.inner.db.put_cf(self.cf(CF_META), k, seal_chunk(value))?)
	}

	/// A blob stored with [`Store::put_blob`], checksum-checked.
	pub fn get_blob(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>, Error> {
		let mut k = vec![BLOB_PREFIX];
		k.extend_from_slice(key);
		let Some(value) = self.inner.db.get_cf(self.cf(CF_META), k)? else {
			return Ok(None);
		};
		if value.len() < 4 || crc32fast::hash(&value[4..]).to_le_bytes() != value[..4] {
			return Err(Error::Checksum { chunk: 0 });
		}
		Ok(Some(value[4..].to_vec()))
	}
}

/// Writes one fragment; nothing is visible until [`FragmentWriter::commit`].
pub struct FragmentWriter {
	store: Store,
	id: FragmentId,
	announced: u64,
	segment_size: u32,
	buffer: Vec<u8>,
	chunk: u32,
	written: u64,
	leaves: Vec<Node>,
	committed: bool,
}

impl FragmentWriter {
	/// Appends bytes to the fragment.
	pub fn write(&mut self, mut data: &[u8]) -> Result<(), Error> {
		if self.written + data.len() as u64 > self.announced {
			return Err(Error::LengthMismatch { written: self.written + data.len() as u64, announced: self.announced });
		}
		self.written += data.len() as u64;
		while !data.is_empty() {
			let take = (CHUNK_SIZE - self.buffer.len()).min(data.len());
			self.buffer.extend_from_slice(&data[..take]);
			data = &data[take..];
			if self.buffer.len() == CHUNK_SIZE {
				self.flush_chunk()?;
			}
		}
		Ok(())
	}

	fn flush_chunk(&mut self) -> Result<(), Error> {
		if self.buffer.is_empty() {
			return Ok(());
		}
		for segment in self.buffer.chunks(self.segment_size as usize) {
			self.leaves.push(merkle::leaf_hash(segment));
		}
		let key = chunk_key(&self.id, self.chunk);
		self.store.inner.db.put_cf(self.store.cf(CF_DATA), key, seal_chunk(&self.buffer))?;
		self.chunk += 1;
		self.buffer.clear();
		Ok(())
	}

	/// Makes the fragment visible, if it has the announced length and, when given, the
	/// expected root. On error nothing stays behind.
	pub fn commit(mut self, expected_root: Option<Node>) -> Result<FragmentMeta, Error> {
		if self.written != self.announced {
			return Err(Error::LengthMismatch { written: self.written, announced: self.announced });
		}
		self.flush_chunk()?;
		if self.leaves.is_empty() {
			self.leaves.push(merkle::leaf_hash(&[]));
		}
		let levels = merkle::levels(std::mem::take(&mut self.leaves));
		let root = levels.last().and_then(|l| l.first()).copied().ok_or(Error::Corrupt("empty tree"))?;
		if expected_root.is_some_and(|r| r != root) {
			return Err(Error::RootMismatch);
		}
		let meta = FragmentMeta { len: self.announced, segment_size: self.segment_size, root };
		let store = self.store.clone();
		let mut batch = WriteBatch::default();
		for (level, nodes) in levels.iter().enumerate().take(levels.len() - 1) {
			for (block, chunk) in nodes.chunks(TREE_BLOCK).enumerate() {
				let bytes: Vec<u8> = chunk.iter().flatten().copied().collect();
				batch.put_cf(store.cf(CF_TREE), tree_key(&self.id, level as u8, block as u32), bytes);
			}
		}
		batch.put_cf(store.cf(CF_META), fragment_key(&self.id), meta.to_bytes());
		let mut acc = store.inner.accounting.lock().expect("not poisoned");
		let used = acc.used + self.announced;
		batch.put_cf(store.cf(CF_META), USED_KEY, used.to_le_bytes());
		store.inner.db.write(batch)?;
		acc.used = used;
		acc.reserved -= self.announced;
		acc.writing.remove(&self.id);
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
		self.store.delete_fragment_data(&mut batch, &self.id);
		if let Err(e) = self.store.inner.db.write(batch) {
			log::warn!("cairn-store: could not remove an abandoned write: {e}");
		}
		if let Ok(mut acc) = self.store.inner.accounting.lock() {
			acc.reserved -= self.announced;
			acc.writing.remove(&self.id);
		}
	}
}

/// Reads a stored fragment as a byte stream, checking checksums as it goes.
pub struct FragmentReader {
	store: Store,
	id: FragmentId,
	meta: FragmentMeta,
	pos: u64,
	buffer: Vec<u8>,
	buffer_pos: usize,
}

impl std::io::Read for FragmentReader {
	fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
		if self.buffer_pos == self.buffer.len() {
			if self.pos >= self.meta.len {
				return Ok(0);
			}
			let chunk = (self.pos / CHUNK_SIZE as u64) as u32;
			self.buffer = self.store.read_chunk(&self.id, chunk).map_err(std::io::Error::other)?;
			self.buffer_pos = 0;
			self.pos += self.buffer.len() as u64;
		}
		let n = out.len().min(self.buffer.len() - self.buffer_pos);
		out[..n].copy_from_slice(&self.buffer[self.buffer_pos..self.buffer_pos + n]);
		self.buffer_pos += n;
		Ok(n)
	}
}
