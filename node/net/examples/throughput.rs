//! Upload and download throughput of whole files across local providers, against one
//! libp2p stream's loopback throughput measured in the same run.
//!
//! `cargo run --release -p cairn-net --example throughput -- [SIZE_MIB=1024] [PROVIDERS=10]`

use std::{sync::Arc, time::Instant};

use cairn_erasure::Params;
use cairn_net::{files, start, Config, Store};

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
	bytes as f64 / secs / 1e6
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
	let size_mib = args.first().copied().unwrap_or(1024);
	let count = args.get(1).copied().unwrap_or(10) as usize;
	let dir = tempfile::tempdir()?;

	let mut providers = Vec::new();
	let mut handles = Vec::new();
	for i in 0..count {
		let store = Store::open(&dir.path().join(format!("p{i}")), u64::MAX)?;
		let handle =
			start(Config { listen: Some("/ip4/127.0.0.1/tcp/0".parse()?), store: Some(store), ..Config::client() })
				.await?;
		providers.push(handle.listen_addrs().await?.remove(0));
		handles.push(handle);
	}
	let client = start(Config::client()).await?;

	// Baseline: one fragment of 256 MiB from one provider, one request at a time.
	let probe_len = 256u64 * 1024 * 1024;
	let probe: Vec<u8> = (0..probe_len).map(|i| (i * 2654435761) as u8).collect();
	let leaves: Vec<_> = probe.chunks(1024).map(cairn_primitives::merkle::leaf_hash).collect();
	let root = cairn_primitives::merkle::root(&leaves).expect("leaves");
	client.put_fragment(&providers[0], root, 1024, probe_len, None, std::io::Cursor::new(probe), |_| {}).await?;
	let t = Instant::now();
	client.get_fragment(&providers[0], root, probe_len, &mut std::io::sink(), |_| {}).await?;
	let stream = mb_per_s(probe_len, t.elapsed().as_secs_f64());
	println!("one stream, sequential 1 MiB reads: {stream:.0} MB/s");

	let input = dir.path().join("input");
	{
		use std::io::Write;
		let mut f = std::io::BufWriter::new(std::fs::File::create(&input)?);
		let mut x = 0x2545F4914F6CDD1Du64;
		for _ in 0..size_mib * 1024 * 128 {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			f.write_all(&x.to_le_bytes())?;
		}
	}
	let size = size_mib * 1024 * 1024;
	let quiet: Arc<dyn files::Progress> = Arc::new(files::Quiet);
	let t = Instant::now();
	let (cap, _) = files::put_file(&client, &input, Params::default(), &providers, quiet.clone()).await?;
	let up = t.elapsed().as_secs_f64();
	println!("put {size_mib} MiB 3-of-10 to {count} providers: {:.0} MB/s of file ({up:.1} s)", mb_per_s(size, up));
	let out = dir.path().join("output");
	let t = Instant::now();
	files::get_file(&client, &cap, &providers, &out, true, quiet).await?;
	let down = t.elapsed().as_secs_f64();
	let rate = mb_per_s(size, down);
	println!("get {size_mib} MiB from {count} providers: {rate:.0} MB/s of file ({down:.1} s)");
	println!("download / one stream: {:.0} %", rate / stream * 100.0);
	drop(handles);
	Ok(())
}
