//! The fragment store on a real RocksDB: round trips, checksums, capacity, proofs, and a
//! writer killed with SIGKILL mid-write.

use std::{
	io::{BufRead, BufReader, Read},
	process::{Command, Stdio},
};

use cairn_primitives::merkle;
use cairn_store::{Error, Store, CHUNK_SIZE};

fn bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn put(store: &Store, id: [u8; 32], data: &[u8], segment: u32) -> cairn_store::FragmentMeta {
	let mut w = store.writer(id, data.len() as u64, segment).unwrap();
	for part in data.chunks(10_000) {
		w.write(part).unwrap();
	}
	w.commit(None).unwrap()
}

#[test]
fn fragment_roundtrips_and_root_matches_primitives() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let lens = [0usize, 1, 1023, 1024, 1025, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 77];
	for (i, len) in lens.into_iter().enumerate() {
		let data = bytes(len, i as u8);
		let id = [i as u8; 32];
		let meta = put(&store, id, &data, 1024);
		assert_eq!(meta.root, merkle::fragment_root(&data), "{len} bytes");
		let mut back = Vec::new();
		store.reader(&id).unwrap().read_to_end(&mut back).unwrap();
		assert_eq!(back, data);
		assert_eq!(store.read(&id, 5, 100).unwrap(), data[5.min(len)..(105).min(len)]);
	}
}

#[test]
fn segment_proofs_verify_against_the_root() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let data = bytes(5 * CHUNK_SIZE + 300, 9);
	let id = [1; 32];
	let meta = put(&store, id, &data, 1024);
	let segments = meta.segments();
	for index in [0, 1, 63, 64, 65, 200, segments - 1] {
		let (segment, path) = store.segment_proof(&id, index).unwrap();
		let start = index as usize * 1024;
		assert_eq!(segment, data[start..(start + 1024).min(data.len())]);
		assert!(merkle::verify_segment(&meta.root, meta.len, 1024, index, &segment, &path));
	}
	assert!(matches!(store.segment_proof(&id, segments), Err(Error::SegmentOutOfRange { .. })));
	assert!(matches!(store.segment_proof(&[2; 32], 0), Err(Error::NotFound)));
}

/// Every segment size the chain may ask for, on fragments of one chunk, of whole chunks
/// and of a short last chunk: every segment's proof verifies, as the runtime checks it.
#[test]
fn proofs_verify_for_every_segment_size_and_length() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let mut tag = 0u8;
	for segment_size in [1024u32, 4096, 16 * 1024, 64 * 1024] {
		for len in [0usize, 1000, 4096, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 4 * CHUNK_SIZE + 5000] {
			tag += 1;
			let data = bytes(len, tag);
			let meta = put(&store, [tag; 32], &data, segment_size);
			assert_eq!(meta.root, merkle::fragment_root(&data));
			for index in 0..meta.segments() {
				let (segment, path) = store.segment_proof(&[tag; 32], index).unwrap();
				assert!(
					merkle::verify_segment(&meta.root, len as u64, segment_size, index, &segment, &path),
					"segment {index} of {len} bytes in {segment_size}-byte segments"
				);
			}
		}
	}
}

/// The root does not depend on how the bytes arrive: one byte, a chunk and a bit, or all.
#[test]
fn the_root_does_not_depend_on_how_bytes_arrive() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let data = bytes(2 * CHUNK_SIZE + 10, 4);
	for (i, piece) in [1usize, 4095, CHUNK_SIZE, CHUNK_SIZE + 1, data.len()].into_iter().enumerate() {
		let id = [100 + i as u8; 32];
		let mut w = store.writer(id, data.len() as u64, 1024).unwrap();
		for part in data.chunks(piece) {
			w.write(part).unwrap();
		}
		assert_eq!(w.commit(Some(merkle::fragment_root(&data))).unwrap().root, merkle::fragment_root(&data));
	}
	// A fragment of exactly one chunk keeps it buffered until the commit.
	let one = bytes(CHUNK_SIZE, 5);
	let mut w = store.writer([120; 32], one.len() as u64, 1024).unwrap();
	w.write(&one).unwrap();
	assert!(matches!(w.commit(Some([0; 32])), Err(Error::RootMismatch)));
	let mut w = store.writer([120; 32], one.len() as u64, 1024).unwrap();
	w.write(&one).unwrap();
	drop(w);
	assert_eq!(store.meta(&[120; 32]).unwrap(), None);
	assert_eq!(store.unfinished(), 0);
	assert_eq!(put(&store, [120; 32], &one, 1024).root, merkle::fragment_root(&one));
}

#[test]
fn capacity_is_enforced_and_freed_by_delete() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 100_000).unwrap();
	put(&store, [1; 32], &bytes(60_000, 1), 1024);
	let err = store.writer([2; 32], 60_000, 1024).err().unwrap();
	assert!(matches!(err, Error::Full { needed: 60_000, available: 40_000, capacity: 100_000 }), "{err}");
	assert!(err.to_string().contains("store full"));
	// An open writer holds its reservation.
	let w = store.writer([3; 32], 30_000, 1024).unwrap();
	assert!(matches!(store.writer([4; 32], 20_000, 1024), Err(Error::Full { .. })));
	drop(w);
	assert!(store.delete(&[1; 32]).unwrap());
	assert!(!store.delete(&[1; 32]).unwrap());
	assert_eq!(store.used(), 0);
	put(&store, [2; 32], &bytes(60_000, 2), 1024);
	assert_eq!(store.used(), 60_000);
}

#[test]
fn wrong_root_or_length_leaves_nothing_behind() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let data = bytes(200_000, 3);
	let mut w = store.writer([5; 32], data.len() as u64, 1024).unwrap();
	w.write(&data).unwrap();
	assert!(matches!(w.commit(Some([0; 32])), Err(Error::RootMismatch)));
	assert_eq!(store.meta(&[5; 32]).unwrap(), None);
	assert_eq!(store.chunk_count(), 0, "abandoned chunks were removed");
	assert_eq!(store.unfinished(), 0);

	let mut w = store.writer([6; 32], 10, 1024).unwrap();
	assert!(matches!(w.write(&[0; 11]), Err(Error::LengthMismatch { .. })));
	w.write(&[0; 5]).unwrap();
	assert!(matches!(w.commit(None), Err(Error::LengthMismatch { written: 5, announced: 10 })));
	assert_eq!(store.used(), 0);
	// Segments are subtrees of the BLAKE3 tree that fit in a chunk.
	for bad in [0, 1, 1000, 3072, 128 * 1024] {
		assert!(matches!(store.writer([6; 32], 10, bad), Err(Error::SegmentSize(b)) if b == bad));
	}
}

#[test]
fn racing_writers_of_one_fragment_cannot_touch_the_committed_one() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let data = bytes(3 * CHUNK_SIZE + 5, 7);
	let root = merkle::fragment_root(&data);
	// Two uploads of one fragment, each in its own slot, interleaved.
	let mut first = store.writer(root, data.len() as u64, 1024).unwrap();
	let mut second = store.writer(root, data.len() as u64, 1024).unwrap();
	let mut third = store.writer(root, data.len() as u64, 1024).unwrap();
	for part in data.chunks(50_000) {
		first.write(part).unwrap();
		second.write(part).unwrap();
	}
	third.write(&data[..1000]).unwrap();
	first.commit(Some(root)).unwrap();
	assert!(matches!(second.commit(Some(root)), Err(Error::AlreadyStored)), "the first commit wins");
	// A writer abandoned after the commit removes only its own slot.
	drop(third);
	assert!(matches!(store.writer(root, data.len() as u64, 1024), Err(Error::AlreadyStored)));
	let mut back = Vec::new();
	store.reader(&root).unwrap().read_to_end(&mut back).unwrap();
	assert_eq!(back, data, "the committed fragment is intact");
	assert_eq!(store.used(), data.len() as u64);
	assert_eq!(store.reserved(), 0);
	assert_eq!(store.chunk_count(), 4, "only the winner's chunks remain");
}

#[test]
fn blobs_count_against_capacity_and_garbage_collection_frees_them() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 10_000).unwrap();
	put(&store, [1; 32], &bytes(6_000, 1), 1024);
	assert!(store.put_blob(&[9; 32], &[1; 3_000]).unwrap());
	assert!(!store.put_blob(&[9; 32], &[1; 3_000]).unwrap(), "a second put of a blob is free");
	assert_eq!(store.used(), 9_000);
	assert!(matches!(store.put_blob(&[8; 32], &[1; 2_000]), Err(Error::Full { needed: 2_000, .. })));
	assert!(matches!(store.put_blob(&[8; 32], &vec![0; cairn_store::MAX_BLOB + 1]), Err(Error::BlobTooLarge(_))));
	let removed = store.collect_garbage(|id| *id == [1; 32], |_| false).unwrap();
	assert_eq!(removed, cairn_store::Removed { fragments: 0, blobs: 1, bytes: 3_000 });
	let removed = store.collect_garbage(|_| false, |_| false).unwrap();
	assert_eq!(removed, cairn_store::Removed { fragments: 1, blobs: 0, bytes: 6_000 });
	assert_eq!(store.used(), 0);
	assert_eq!(store.chunk_count(), 0);
	store.reclaim().unwrap();
	drop(store);
	assert_eq!(Store::open(dir.path(), 10_000).unwrap().used(), 0, "the counter is persisted");
}

#[test]
fn blobs_roundtrip() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	store.put_blob(&[1; 32], b"manifest").unwrap();
	assert_eq!(store.get_blob(&[1; 32]).unwrap().as_deref(), Some(&b"manifest"[..]));
	assert_eq!(store.get_blob(&[2; 32]).unwrap(), None);
}

const CHILD_ENV: &str = "CAIRN_STORE_CRASH_CHILD";
const BIG: usize = 256 * 1024 * 1024;

/// Run as a child process by `killed_writer_leaves_fragment_wholly_absent`: commits one
/// fragment, then writes a large one until it is killed.
#[test]
fn crash_child() {
	let Ok(path) = std::env::var(CHILD_ENV) else {
		return;
	};
	let store = Store::open(std::path::Path::new(&path), u64::MAX).unwrap();
	put(&store, [1; 32], &bytes(300_000, 1), 1024);
	let mut w = store.writer([2; 32], BIG as u64, 1024).unwrap();
	let block = bytes(CHUNK_SIZE, 2);
	for i in 0..BIG / CHUNK_SIZE {
		w.write(&block).unwrap();
		if i == 16 {
			println!("WRITING");
		}
	}
	w.commit(None).unwrap();
	println!("COMMITTED");
}

const COMMIT_CHILD_ENV: &str = "CAIRN_STORE_COMMIT_CHILD";

/// Run as a child process by `fragment_reported_committed_survives_sigkill`: commits a
/// fragment, says so, and waits to be killed.
#[test]
fn commit_child() {
	let Ok(path) = std::env::var(COMMIT_CHILD_ENV) else {
		return;
	};
	let store = Store::open(std::path::Path::new(&path), u64::MAX).unwrap();
	put(&store, [3; 32], &bytes(2 * CHUNK_SIZE + 9, 3), 1024);
	println!("COMMITTED");
	std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn fragment_reported_committed_survives_sigkill() {
	let dir = tempfile::tempdir().unwrap();
	let mut child = Command::new(std::env::current_exe().unwrap())
		.args(["--exact", "commit_child", "--nocapture", "--test-threads=1"])
		.env(COMMIT_CHILD_ENV, dir.path())
		.stdout(Stdio::piped())
		.spawn()
		.unwrap();
	let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
	while !lines.next().expect("child still running").unwrap().contains("COMMITTED") {}
	child.kill().unwrap(); // SIGKILL, right after the commit returned
	child.wait().unwrap();
	let store = Store::open(dir.path(), u64::MAX).unwrap();
	let mut back = Vec::new();
	store.reader(&[3; 32]).unwrap().read_to_end(&mut back).unwrap();
	assert_eq!(back, bytes(2 * CHUNK_SIZE + 9, 3));
	assert_eq!(store.used(), back.len() as u64);
}

#[test]
fn killed_writer_leaves_fragment_wholly_absent() {
	let dir = tempfile::tempdir().unwrap();
	let mut child = Command::new(std::env::current_exe().unwrap())
		.args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
		.env(CHILD_ENV, dir.path())
		.stdout(Stdio::piped())
		.spawn()
		.unwrap();
	let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
	loop {
		let line = lines.next().expect("child still running").unwrap();
		assert!(!line.contains("COMMITTED"), "child finished before it was killed");
		if line.contains("WRITING") {
			break;
		}
	}
	child.kill().unwrap(); // SIGKILL
	child.wait().unwrap();

	let store = Store::open(dir.path(), u64::MAX).unwrap();
	assert_eq!(store.meta(&[2; 32]).unwrap(), None, "half-written fragment is invisible");
	assert_eq!(store.unfinished(), 0, "its staging record was removed on open");
	assert_eq!(store.chunk_count(), 300_000usize.div_ceil(CHUNK_SIZE), "and its chunks with it");
	assert_eq!(store.used(), 300_000);
	let mut back = Vec::new();
	store.reader(&[1; 32]).unwrap().read_to_end(&mut back).unwrap();
	assert_eq!(back, bytes(300_000, 1), "committed fragment survived");
	// The id can be written again from scratch.
	put(&store, [2; 32], &bytes(1000, 5), 1024);
}

#[test]
fn damaged_chunk_is_caught_by_its_checksum() {
	let dir = tempfile::tempdir().unwrap();
	{
		let store = Store::open(dir.path(), 1 << 30).unwrap();
		put(&store, [8; 32], &bytes(3 * CHUNK_SIZE, 8), 1024);
	}
	{
		// Flip a byte of chunk 1 behind the store's back, as a failing disk would.
		let mut opts = rocksdb::Options::default();
		opts.create_if_missing(false);
		let db = rocksdb::DB::open_cf(&opts, dir.path(), ["data", "tree", "meta"]).unwrap();
		let cf = db.cf_handle("data").unwrap();
		// Keys are `slot ++ chunk index`; the one fragment's chunk 1 is the second key.
		let key = db.iterator_cf(cf, rocksdb::IteratorMode::Start).nth(1).unwrap().unwrap().0;
		let mut value = db.get_cf(cf, &key).unwrap().unwrap();
		value[100] ^= 0xff;
		db.put_cf(cf, key, value).unwrap();
	}
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	assert!(store.read(&[8; 32], 0, 1000).is_ok(), "chunk 0 is intact");
	assert!(matches!(store.read(&[8; 32], CHUNK_SIZE as u64, 10), Err(Error::Checksum { chunk: 1 })));
	let mut sink = Vec::new();
	assert!(store.reader(&[8; 32]).unwrap().read_to_end(&mut sink).is_err());
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
	/// Mounts `size` of tmpfs; `None` when this user may not mount (only root may).
	fn mount(size: &str) -> Option<Self> {
		let dir = tempfile::tempdir().unwrap();
		let mounted = Command::new("mount")
			.args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
			.arg(dir.path())
			.stderr(Stdio::null())
			.status()
			.is_ok_and(|s| s.success());
		mounted.then_some(Self(dir))
	}
}

impl Drop for SmallDisk {
	fn drop(&mut self) {
		let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
	}
}

/// A full disk (RocksDB's `NoSpace`) is an error for the upload that meets it, named as
/// such; a fragment committed before reads back intact and the store goes on serving
/// reads. Runs where the tests may mount a tmpfs (root, as in CI).
#[test]
fn a_full_disk_fails_the_upload_and_keeps_what_was_committed() {
	let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
	let Some(disk) = SmallDisk::mount("24M") else {
		assert!(!is_root, "root could not mount a tmpfs");
		eprintln!("skipped: mounting a tmpfs needs root");
		return;
	};
	let store = Store::open(disk.0.path(), u64::MAX).unwrap();
	let kept = bytes(2 * CHUNK_SIZE + 5, 1);
	let meta = put(&store, [1; 32], &kept, 1024);

	// 256 MiB announced, written 4 MiB at a time: the 24 MiB disk fills first.
	let big = bytes(4 << 20, 2);
	let mut writer = store.writer([2; 32], 256 << 20, 1024).unwrap();
	let failed = (0..64).find_map(|_| writer.write(&big).err());
	assert!(matches!(failed, Some(Error::NoSpace(_))), "a full disk is named: {failed:?}");
	drop(writer);

	let mut back = Vec::new();
	store.reader(&[1; 32]).unwrap().read_to_end(&mut back).unwrap();
	assert_eq!(back, kept, "the committed fragment is intact");
	assert_eq!(store.meta(&[1; 32]).unwrap().map(|m| m.root), Some(meta.root));
	assert_eq!(store.read(&[1; 32], 10, 100).unwrap(), kept[10..110]);
}
