//! Store figures for the README: how long opening a store of `GIB` GiB of fragments takes
//! (it must not grow with the data), and what a synced commit and a delete cost per
//! fragment.
//!
//! `cargo run --release -p cairn-store --example store_bench -- DIR [GIB]` (default 10;
//! `DIR` should be on the disk a node would use; it is filled, then removed).

use std::time::Instant;

use cairn_store::{Store, CHUNK_SIZE};

const FRAGMENT: usize = 64 * 1024 * 1024;

/// Run as a child: starts two uploads and waits to be killed, as a crash would leave them.
fn interrupted_uploads(path: &std::path::Path) {
	let store = Store::open(path, u64::MAX).unwrap();
	let block = vec![1u8; CHUNK_SIZE];
	let writers: Vec<_> = (0..2u8)
		.map(|i| {
			let mut w = store.writer([0xee ^ i; 32], FRAGMENT as u64, 1024).unwrap();
			w.write(&block).unwrap();
			w
		})
		.collect();
	println!("READY");
	std::thread::sleep(std::time::Duration::from_secs(60));
	drop(writers);
}

fn main() {
	let mut args = std::env::args().skip(1);
	let first = args.next().expect("usage: store_bench DIR [GIB]");
	if first == "--interrupt" {
		return interrupted_uploads(std::path::Path::new(&args.next().unwrap()));
	}
	let dir = std::path::PathBuf::from(first);
	let gib: usize = args.next().map_or(10, |g| g.parse().expect("GIB is a number"));
	let path = dir.join("cairn-store-bench");
	let _ = std::fs::remove_dir_all(&path);
	let block: Vec<u8> = (0..CHUNK_SIZE).map(|i| (i * 7 + 3) as u8).collect();

	let started = Instant::now();
	{
		let store = Store::open(&path, u64::MAX).unwrap();
		for f in 0..gib * 1024 * 1024 * 1024 / FRAGMENT {
			let mut id = [0u8; 32];
			id[..8].copy_from_slice(&(f as u64).to_le_bytes());
			let mut w = store.writer(id, FRAGMENT as u64, 1024).unwrap();
			for _ in 0..FRAGMENT / CHUNK_SIZE {
				w.write(&block).unwrap();
			}
			w.commit(None).unwrap();
		}
	}
	// Two uploads interrupted by SIGKILL: left for the next open to remove.
	let mut child = std::process::Command::new(std::env::current_exe().unwrap())
		.arg("--interrupt")
		.arg(&path)
		.stdout(std::process::Stdio::piped())
		.spawn()
		.unwrap();
	let mut line = String::new();
	std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
	assert_eq!(line.trim(), "READY");
	child.kill().unwrap();
	child.wait().unwrap();
	let filled = started.elapsed();
	println!(
		"filled {gib} GiB in {:.1} s ({:.0} MiB/s)",
		filled.as_secs_f64(),
		(gib * 1024) as f64 / filled.as_secs_f64()
	);

	for run in 0..3 {
		let started = Instant::now();
		let store = Store::open(&path, u64::MAX).unwrap();
		let took = started.elapsed();
		println!(
			"open #{run}: {:.1} ms ({} GiB used, {} unfinished)",
			took.as_secs_f64() * 1e3,
			store.used() >> 30,
			store.unfinished()
		);
	}

	let store = Store::open(&path, u64::MAX).unwrap();
	let small = vec![5u8; 256 * 1024];
	let n = 200;
	let started = Instant::now();
	for f in 0..n {
		let mut id = [0x55u8; 32];
		id[..4].copy_from_slice(&(f as u32).to_le_bytes());
		let mut w = store.writer(id, small.len() as u64, 1024).unwrap();
		w.write(&small).unwrap();
		w.commit(None).unwrap();
	}
	let per = started.elapsed() / n;
	println!("write + synced commit of a 256 KiB fragment: {:.2} ms", per.as_secs_f64() * 1e3);
	let started = Instant::now();
	for f in 0..n {
		let mut id = [0x55u8; 32];
		id[..4].copy_from_slice(&(f as u32).to_le_bytes());
		assert!(store.delete(&id).unwrap());
	}
	println!("synced delete of a fragment: {:.2} ms", (started.elapsed() / n).as_secs_f64() * 1e3);
	drop(store);
	std::fs::remove_dir_all(&path).unwrap();
}
