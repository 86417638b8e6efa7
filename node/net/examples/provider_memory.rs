//! The provider's memory while it takes parallel uploads: a provider in a process of its
//! own (this example run as `serve DIR`) and a client that uploads UPLOADS fragments of
//! SIZE_MIB each at once, sampling the provider's resident memory from `/proc`.
//!
//! `provider_memory [UPLOADS=10] [SIZE_MIB=1024] [DIR]` (DIR: where the provider's store
//! goes; a temporary directory by default; it needs UPLOADS × SIZE_MIB of space).

use std::{
	io::{BufRead, BufReader, Read},
	path::PathBuf,
	process::{Command, Stdio},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use cairn_net::{start, Config, Store};

const SEGMENT: u32 = 1024;

/// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
	let line = status.lines().find(|l| l.starts_with(field))?;
	line.split_whitespace().nth(1)?.parse().ok()
}

/// Fragment `seed`'s bytes, made as they are read.
struct Pattern {
	seed: u8,
	at: u64,
	len: u64,
}

impl Read for Pattern {
	fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
		let n = buf.len().min((self.len - self.at) as usize);
		for (i, b) in buf[..n].iter_mut().enumerate() {
			let x = self.at + i as u64;
			*b = (x as u8).wrapping_mul(31) ^ (x >> 10) as u8 ^ self.seed;
		}
		self.at += n as u64;
		Ok(n)
	}
}

fn root_of(seed: u8, len: u64) -> [u8; 32] {
	cairn_erasure::fragment_root(Pattern { seed, at: 0, len }).expect("in memory").0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args: Vec<String> = std::env::args().skip(1).collect();
	if args.first().map(String::as_str) == Some("serve") {
		let store = Store::open(std::path::Path::new(&args[1]), u64::MAX)?;
		let handle =
			start(Config { listen: Some("/ip4/127.0.0.1/tcp/0".parse()?), store: Some(store), ..Config::client() })
				.await?;
		println!("{}", handle.listen_addrs().await?.remove(0));
		// Serve until the driver closes stdin.
		tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await?;
		return Ok(());
	}
	let uploads: u8 = args.first().map(|a| a.parse()).transpose()?.unwrap_or(10);
	let size_mib: u64 = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(1024);
	let temp = tempfile::tempdir()?;
	let dir = args.get(2).map(PathBuf::from).unwrap_or_else(|| temp.path().to_path_buf());
	let len = size_mib << 20;

	let mut child = Command::new(std::env::current_exe()?)
		.arg("serve")
		.arg(&dir)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.spawn()?;
	let pid = child.id();
	let mut line = String::new();
	BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
	let provider: libp2p::Multiaddr = line.trim().parse()?;
	tokio::time::sleep(Duration::from_secs(2)).await;
	let idle = status_kib(pid, "VmRSS:").unwrap_or(0);

	let roots: Vec<[u8; 32]> =
		tokio::task::spawn_blocking(move || (0..uploads).map(|i| root_of(i, len)).collect()).await?;
	let peak = Arc::new(AtomicU64::new(idle));
	let sampler = {
		let peak = peak.clone();
		tokio::spawn(async move {
			loop {
				if let Some(rss) = status_kib(pid, "VmRSS:") {
					peak.fetch_max(rss, Ordering::Relaxed);
				}
				tokio::time::sleep(Duration::from_millis(100)).await;
			}
		})
	};
	let client = start(Config::client()).await?;
	let started = Instant::now();
	let puts = roots.iter().enumerate().map(|(i, root)| {
		let (client, provider) = (client.clone(), provider.clone());
		let input = Pattern { seed: i as u8, at: 0, len };
		let root = *root;
		tokio::spawn(async move { client.put_fragment(&provider, root, SEGMENT, len, None, input, |_| {}).await })
	});
	for put in futures::future::join_all(puts).await {
		put??;
	}
	let secs = started.elapsed().as_secs_f64();
	sampler.abort();
	let hwm = status_kib(pid, "VmHWM:").unwrap_or(0);
	println!(
		"provider: idle {} MiB RSS; taking {uploads} uploads of {size_mib} MiB at once: peak {} MiB RSS (sampled every 0.1 s), \
		 VmHWM {} MiB; {:.1} s, {:.0} MB/s in all",
		idle / 1024,
		peak.load(Ordering::Relaxed) / 1024,
		hwm / 1024,
		secs,
		(uploads as u64 * len) as f64 / secs / 1e6
	);
	drop(child.stdin.take());
	child.wait()?;
	Ok(())
}
