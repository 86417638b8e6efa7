//! Each app's key-value store, kept in one RocksDB database beside the installed apps.
//!
//! Keys are `d`, the app name's length, the name, then the app's key; each app's usage
//! (the bytes of its keys and values) is kept under `u` and its name, and changes in the
//! same synced batch as the data, so a crash never leaves the count and the data apart.
//! Each entry costs its key, its value and [`ENTRY_COST`] for what the database keeps
//! beside them. Writes of one app are serialised by a lock (one of a few, by the app's
//! name, so apps seldom wait for each other); reads are not.

use std::{
	hash::{Hash, Hasher},
	path::Path,
	sync::Mutex,
};

use rocksdb::{Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB};

/// The longest key an app may use (bytes).
pub const MAX_KEY: usize = 512;
/// The largest value an app may store under one key (bytes).
pub const MAX_VALUE: usize = 1 << 20;
/// The most keys one listing returns.
pub const MAX_LISTED: u32 = 1000;
/// What an entry costs against its app's quota besides its key and value: the database's
/// own bookkeeping, so that many tiny entries cannot fill the disk past the quota.
pub const ENTRY_COST: u64 = 64;
/// Write locks, shared by app names that hash alike.
const LOCKS: usize = 16;

const DATA: u8 = b'd';
const USAGE: u8 = b'u';

/// Why the store refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
	#[error("the app's data would pass its quota of {0} bytes")]
	QuotaExceeded(u64),
	#[error("a key is at most {MAX_KEY} bytes and a value at most {MAX_VALUE} bytes")]
	TooLarge,
	#[error("the app store cannot be used: {0}")]
	Unavailable(String),
}

impl From<rocksdb::Error> for KvError {
	fn from(e: rocksdb::Error) -> Self {
		KvError::Unavailable(e.into_string())
	}
}

/// The apps' key-value stores.
pub struct Kv {
	db: DB,
	/// One is held while an app's usage is read, changed and written back.
	writes: [Mutex<()>; LOCKS],
}

fn prefix(app: &str) -> Vec<u8> {
	let mut key = Vec::with_capacity(2 + app.len());
	key.push(DATA);
	key.push(app.len() as u8);
	key.extend_from_slice(app.as_bytes());
	key
}

fn data_key(app: &str, key: &[u8]) -> Vec<u8> {
	let mut full = prefix(app);
	full.extend_from_slice(key);
	full
}

fn usage_key(app: &str) -> Vec<u8> {
	[&[USAGE][..], app.as_bytes()].concat()
}

/// What one entry counts against its app's quota.
fn cost(key: &[u8], value_len: usize) -> u64 {
	(key.len() + value_len) as u64 + ENTRY_COST
}

impl Kv {
	/// Opens (or creates) the database at `path`.
	pub fn open(path: &Path) -> Result<Self, KvError> {
		let mut options = Options::default();
		options.create_if_missing(true);
		// A few apps' small data: small memtables, little memory.
		options.set_write_buffer_size(4 << 20);
		options.set_max_write_buffer_number(2);
		let db = DB::open(&options, path)?;
		Ok(Kv { db, writes: std::array::from_fn(|_| Mutex::new(())) })
	}

	/// The write lock of `app`.
	fn writing(&self, app: &str) -> std::sync::MutexGuard<'_, ()> {
		let mut hasher = std::collections::hash_map::DefaultHasher::new();
		app.hash(&mut hasher);
		self.writes[hasher.finish() as usize % LOCKS].lock().unwrap_or_else(|e| e.into_inner())
	}

	fn synced() -> WriteOptions {
		let mut options = WriteOptions::default();
		options.set_sync(true);
		options
	}

	/// The bytes `app` uses now.
	pub fn used(&self, app: &str) -> Result<u64, KvError> {
		Ok(match self.db.get_pinned(usage_key(app))? {
			Some(bytes) => u64::from_le_bytes(
				bytes.as_ref().try_into().map_err(|_| KvError::Unavailable("a usage record is corrupt".into()))?,
			),
			None => 0,
		})
	}

	pub fn get(&self, app: &str, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
		if key.len() > MAX_KEY {
			return Err(KvError::TooLarge);
		}
		Ok(self.db.get(data_key(app, key))?)
	}

	/// Sets `key` of `app` to `value`, if `app` stays within `quota` bytes.
	pub fn set(&self, app: &str, key: &[u8], value: &[u8], quota: u64) -> Result<(), KvError> {
		if key.len() > MAX_KEY || value.len() > MAX_VALUE {
			return Err(KvError::TooLarge);
		}
		let full = data_key(app, key);
		let _writing = self.writing(app);
		let old = self.db.get_pinned(&full)?.map_or(0, |v| cost(key, v.len()));
		let used = self.used(app)?.saturating_sub(old).saturating_add(cost(key, value.len()));
		if used > quota {
			return Err(KvError::QuotaExceeded(quota));
		}
		let mut batch = WriteBatch::default();
		batch.put(&full, value);
		batch.put(usage_key(app), used.to_le_bytes());
		Ok(self.db.write_opt(batch, &Self::synced())?)
	}

	/// Removes `key` of `app`; whether it was there.
	pub fn delete(&self, app: &str, key: &[u8]) -> Result<bool, KvError> {
		if key.len() > MAX_KEY {
			return Err(KvError::TooLarge);
		}
		let full = data_key(app, key);
		let _writing = self.writing(app);
		let Some(old) = self.db.get_pinned(&full)?.map(|v| cost(key, v.len())) else {
			return Ok(false);
		};
		let mut batch = WriteBatch::default();
		batch.delete(&full);
		batch.put(usage_key(app), self.used(app)?.saturating_sub(old).to_le_bytes());
		self.db.write_opt(batch, &Self::synced())?;
		Ok(true)
	}

	/// Up to `limit` (at most [`MAX_LISTED`]) keys of `app` starting with `prefix`, in byte
	/// order, after `after` when given.
	pub fn keys(
		&self,
		app: &str,
		key_prefix: &[u8],
		after: Option<&[u8]>,
		limit: u32,
	) -> Result<Vec<Vec<u8>>, KvError> {
		if key_prefix.len() > MAX_KEY || after.is_some_and(|a| a.len() > MAX_KEY) {
			return Err(KvError::TooLarge);
		}
		let app_prefix = prefix(app);
		let wanted = data_key(app, key_prefix);
		let start = match after {
			// The first key after `after`: `after` followed by a zero byte.
			Some(after) if after >= key_prefix => [&data_key(app, after)[..], &[0]].concat(),
			_ => wanted.clone(),
		};
		let mut keys = Vec::new();
		for entry in self.db.iterator(IteratorMode::From(&start, Direction::Forward)) {
			let (key, _) = entry?;
			if !key.starts_with(&wanted) || keys.len() >= limit.min(MAX_LISTED) as usize {
				break;
			}
			keys.push(key[app_prefix.len()..].to_vec());
		}
		Ok(keys)
	}

	/// Removes every key of `app` (when the app is removed), in one range deletion.
	pub fn purge(&self, app: &str) -> Result<(), KvError> {
		// The name's length is part of the prefix: no other app's keys start with it, and
		// every key of this app sorts below the prefix with its last byte raised.
		let from = prefix(app);
		let mut to = from.clone();
		match to.last_mut() {
			Some(last) if *last < u8::MAX => *last += 1,
			_ => return Err(KvError::Unavailable(format!("`{app}` is no app name"))),
		}
		let _writing = self.writing(app);
		let mut batch = WriteBatch::default();
		batch.delete_range(&from, &to);
		batch.delete(usage_key(app));
		Ok(self.db.write_opt(batch, &Self::synced())?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn kv() -> (tempfile::TempDir, Kv) {
		let dir = tempfile::tempdir().unwrap();
		let kv = Kv::open(&dir.path().join("kv")).unwrap();
		(dir, kv)
	}

	#[test]
	fn values_round_trip_and_usage_follows_every_change() {
		let (_dir, kv) = kv();
		assert_eq!(kv.get("guestbook", b"a").unwrap(), None);
		kv.set("guestbook", b"a", b"hello", 100).unwrap();
		assert_eq!(kv.get("guestbook", b"a").unwrap().as_deref(), Some(&b"hello"[..]));
		assert_eq!(kv.used("guestbook").unwrap(), 6 + ENTRY_COST);
		// Replacing counts the new value only.
		kv.set("guestbook", b"a", b"hi", 100).unwrap();
		assert_eq!(kv.used("guestbook").unwrap(), 3 + ENTRY_COST);
		assert!(kv.delete("guestbook", b"a").unwrap());
		assert!(!kv.delete("guestbook", b"a").unwrap());
		assert_eq!(kv.used("guestbook").unwrap(), 0);
	}

	#[test]
	fn a_write_past_the_quota_is_refused_and_changes_nothing() {
		let (_dir, kv) = kv();
		// Two entries of 42 bytes fit in 250; a third does not.
		kv.set("app", b"k1", &[1; 40], 250).unwrap();
		kv.set("app", b"k2", &[2; 40], 250).unwrap();
		assert_eq!(kv.set("app", b"k3", &[3; 40], 250), Err(KvError::QuotaExceeded(250)));
		assert_eq!(kv.get("app", b"k3").unwrap(), None);
		assert_eq!(kv.used("app").unwrap(), 2 * (42 + ENTRY_COST));
		// Growing a value past the quota is refused too; shrinking one is not.
		assert_eq!(kv.set("app", b"k1", &[1; 80], 250), Err(KvError::QuotaExceeded(250)));
		assert_eq!(kv.get("app", b"k1").unwrap().unwrap().len(), 40);
		kv.set("app", b"k1", &[1; 2], 250).unwrap();
		kv.set("app", b"k3", &[3; 2], 250).unwrap();
		assert_eq!(kv.used("app").unwrap(), 42 + 2 * 4 + 3 * ENTRY_COST);
		// Many empty entries cost what they cost the disk, not nothing.
		assert_eq!(kv.set("app", b"k4", b"", 250), Err(KvError::QuotaExceeded(250)));
		assert_eq!(kv.set("app", &[0; MAX_KEY + 1], b"", u64::MAX), Err(KvError::TooLarge));
		assert_eq!(kv.set("app", b"big", &vec![0; MAX_VALUE + 1], u64::MAX), Err(KvError::TooLarge));
	}

	#[test]
	fn apps_do_not_see_each_others_keys_even_when_names_share_a_start() {
		let (_dir, kv) = kv();
		kv.set("wiki", b"page", b"1", 1000).unwrap();
		kv.set("wiki2", b"page", b"2", 1000).unwrap();
		// "wiki" + "2page" and "wiki2" + "page" are different keys.
		kv.set("wiki", b"2page", b"3", 1000).unwrap();
		assert_eq!(kv.get("wiki2", b"page").unwrap().as_deref(), Some(&b"2"[..]));
		assert_eq!(kv.keys("wiki", b"", None, 10).unwrap(), vec![b"2page".to_vec(), b"page".to_vec()]);
		assert_eq!(kv.keys("wiki2", b"", None, 10).unwrap(), vec![b"page".to_vec()]);
		kv.purge("wiki").unwrap();
		assert_eq!(kv.keys("wiki", b"", None, 10).unwrap(), Vec::<Vec<u8>>::new());
		assert_eq!(kv.used("wiki").unwrap(), 0);
		assert_eq!(kv.get("wiki2", b"page").unwrap().as_deref(), Some(&b"2"[..]));
	}

	#[test]
	fn keys_are_listed_by_prefix_in_pages() {
		let (_dir, kv) = kv();
		for i in 0..25u8 {
			kv.set("book", format!("entry/{i:03}").as_bytes(), &[i], 10_000).unwrap();
		}
		kv.set("book", b"meta", b"x", 10_000).unwrap();
		let first = kv.keys("book", b"entry/", None, 10).unwrap();
		assert_eq!(first.len(), 10);
		assert_eq!(first[0], b"entry/000");
		let second = kv.keys("book", b"entry/", Some(&first[9]), 10).unwrap();
		assert_eq!(second[0], b"entry/010");
		let last = kv.keys("book", b"entry/", Some(b"entry/019"), 10).unwrap();
		assert_eq!(last.len(), 5);
		assert!(kv.keys("book", b"entry/", Some(b"entry/024"), 10).unwrap().is_empty());
		// A limit above the most a listing gives is the most.
		assert_eq!(kv.keys("book", b"", None, u32::MAX).unwrap().len(), 26);
	}

	#[test]
	fn data_and_usage_survive_a_reopen() {
		let dir = tempfile::tempdir().unwrap();
		{
			let kv = Kv::open(&dir.path().join("kv")).unwrap();
			kv.set("app", b"k", b"value", 100).unwrap();
		}
		let kv = Kv::open(&dir.path().join("kv")).unwrap();
		assert_eq!(kv.get("app", b"k").unwrap().as_deref(), Some(&b"value"[..]));
		assert_eq!(kv.used("app").unwrap(), 6 + ENTRY_COST);
	}
}
