//! Upload and download throughput of whole files across local providers, against one
//! raw libp2p stream's loopback throughput (the transport's limit) and one fragment's
//! download from one provider, measured in the same run.
//!
//! `cargo run --release -p cairn-net --example throughput -- [SIZE_MIB=1024] [PROVIDERS=10]`

use std::{sync::Arc, time::Instant};

use cairn_erasure::Params;
use cairn_net::{files, start, Config, Store};

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
	bytes as f64 / secs / 1e6
}

/// CPU seconds (user + system) this process has used, from `/proc/self/stat` (Linux;
/// clock ticks of 1/100 s, as `getconf CLK_TCK` gives on Linux).
fn cpu_seconds() -> f64 {
	let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
	// Fields after the command name, which is in parentheses and may hold spaces.
	let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
	let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
	// utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
	(ticks(11) + ticks(12)) / 100.0
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

	// The transport's limit: one raw stream, continuous 1 MiB writes.
	let probe_len = 256u64 * 1024 * 1024;
	let raw = raw_stream(probe_len).await?;
	println!("one raw stream (tcp + noise + yamux), continuous 1 MiB writes: {raw:.0} MB/s");

	// The fragment protocol from one provider: one fragment of 256 MiB.
	let probe: Vec<u8> = (0..probe_len).map(|i| (i * 2654435761) as u8).collect();
	let root = cairn_primitives::merkle::fragment_root(&probe);
	client.put_fragment(&providers[0], root, 1024, probe_len, None, std::io::Cursor::new(probe), |_| {}).await?;
	let t = Instant::now();
	client.get_fragment(&providers[0], root, probe_len, &mut std::io::sink(), |_| {}).await?;
	let stream = mb_per_s(probe_len, t.elapsed().as_secs_f64());
	println!(
		"one fragment from one provider, {} chunks of 1 MiB in flight: {stream:.0} MB/s",
		cairn_net::GETS_IN_FLIGHT
	);

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
	let (t, cpu) = (Instant::now(), cpu_seconds());
	let params = Params::default();
	let (cap, _) = files::put_file(&client, &input, params.clone(), &providers, quiet.clone()).await?;
	let up = t.elapsed().as_secs_f64();
	let wire = mb_per_s(size * params.n as u64 / params.k as u64, up);
	println!(
		"put {size_mib} MiB {}-of-{} to {count} providers: {:.0} MB/s of file, {wire:.0} MB/s on the wire ({up:.1} s)",
		params.k,
		params.n,
		mb_per_s(size, up)
	);
	println!("upload on the wire / one raw stream: {:.0} %", wire / raw * 100.0);
	let gib = size as f64 / (1u64 << 30) as f64;
	println!("put: {:.1} CPU-s per GiB of file (client and providers, one process)", (cpu_seconds() - cpu) / gib);
	let out = dir.path().join("output");
	let (t, cpu) = (Instant::now(), cpu_seconds());
	files::get_file(&client, &cap, &providers, &out, true, quiet).await?;
	let get_cpu = cpu_seconds() - cpu;
	let down = t.elapsed().as_secs_f64();
	let rate = mb_per_s(size, down);
	println!("get {size_mib} MiB from {count} providers: {rate:.0} MB/s of file ({down:.1} s)");
	println!("download / one raw stream: {:.0} %", rate / raw * 100.0);
	println!("download / one fragment from one provider: {:.0} %", rate / stream * 100.0);
	println!("get: {:.1} CPU-s per GiB of file (client and providers, one process)", get_cpu / gib);
	drop(handles);
	Ok(())
}

/// One raw libp2p stream's loopback throughput in MB/s: tcp + noise + yamux, as the
/// service plane uses them, one substream carrying `bytes` in continuous 1 MiB writes,
/// with no request and response framing.
async fn raw_stream(bytes: u64) -> Result<f64, Box<dyn std::error::Error>> {
	use futures::{future::poll_fn, AsyncReadExt, AsyncWriteExt};
	use libp2p::{
		core::{
			muxing::{StreamMuxerBox, StreamMuxerExt},
			transport::{Boxed, DialOpts, ListenerId, PortUse, TransportEvent},
			upgrade::Version,
			Endpoint, Transport,
		},
		identity::Keypair,
		noise, tcp, yamux, PeerId,
	};
	fn transport() -> Boxed<(PeerId, StreamMuxerBox)> {
		let key = Keypair::generate_ed25519();
		tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
			.upgrade(Version::V1)
			.authenticate(noise::Config::new(&key).expect("an Ed25519 key"))
			.multiplex(yamux::Config::default())
			.map(|(peer, muxer), _| (peer, StreamMuxerBox::new(muxer)))
			.boxed()
	}
	/// Keeps a connection's multiplexer moving while its stream is used elsewhere.
	fn drive(mut muxer: StreamMuxerBox) {
		tokio::spawn(async move { while poll_fn(|cx| muxer.poll_unpin(cx)).await.is_ok() {} });
	}

	let mut listener = transport();
	listener.listen_on(ListenerId::next(), "/ip4/127.0.0.1/tcp/0".parse()?)?;
	let addr = loop {
		if let TransportEvent::NewAddress { listen_addr, .. } =
			poll_fn(|cx| std::pin::Pin::new(&mut listener).poll(cx)).await
		{
			break listen_addr;
		}
	};
	let reader = tokio::spawn(async move {
		let upgrade = loop {
			if let TransportEvent::Incoming { upgrade, .. } =
				poll_fn(|cx| std::pin::Pin::new(&mut listener).poll(cx)).await
			{
				break upgrade;
			}
		};
		let (_, mut muxer) = upgrade.await?;
		let mut stream = poll_fn(|cx| muxer.poll_inbound_unpin(cx)).await?;
		drive(muxer);
		let (mut buf, mut got) = (vec![0u8; 1 << 20], 0u64);
		loop {
			match stream.read(&mut buf).await? {
				0 => break Ok::<u64, std::io::Error>(got),
				n => got += n as u64,
			}
		}
	});
	let mut dialer = transport();
	let dial = dialer.dial(addr, DialOpts { role: Endpoint::Dialer, port_use: PortUse::New })?;
	let (_, mut muxer) = dial.await?;
	let mut stream = poll_fn(|cx| muxer.poll_outbound_unpin(cx)).await?;
	drive(muxer);
	let chunk = vec![7u8; 1 << 20];
	let start = std::time::Instant::now();
	for _ in 0..bytes.div_ceil(1 << 20) {
		stream.write_all(&chunk).await?;
	}
	stream.close().await?;
	let got = reader.await??;
	Ok(mb_per_s(got, start.elapsed().as_secs_f64()))
}
