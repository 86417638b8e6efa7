//! The service plane in the node (`--fragment-port`) and the `cairn client` commands.

use std::{path::PathBuf, sync::Arc};

use cairn_erasure::{CodecId, Params, ReadCapability};
use cairn_net::{files, identity::Keypair, Address, Config, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// Service-plane options of the node.
#[derive(Debug, Clone, clap::Args)]
pub struct FragmentArgs {
	/// TCP port of the fragment service (`/cairn/fragment/1`); 0 picks a free one.
	#[arg(long, value_name = "PORT", default_value_t = 30444)]
	pub fragment_port: u16,

	/// Address the fragment service listens on.
	#[arg(long, value_name = "IP", default_value = "0.0.0.0")]
	pub fragment_listen_ip: std::net::IpAddr,

	/// Most bytes of fragments this node stores.
	#[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024 * 1024)]
	pub storage_capacity: u64,

	/// Run without the fragment service.
	#[arg(long)]
	pub no_fragment_service: bool,

	/// Addresses at which others reach the fragment service (without `/p2p/...`),
	/// comma-separated; the node publishes them on chain. Default: the addresses it
	/// listens at.
	#[arg(long, value_name = "MULTIADDR", value_delimiter = ',')]
	pub fragment_public_addr: Vec<Address>,
}

/// `cairn client ...`: store and fetch files through providers' service planes.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCmd {
	/// Encrypt, erasure-code and upload a file; prints its read capability.
	Put {
		/// The file to store.
		file: PathBuf,
		/// Fragments needed to restore the file.
		#[arg(long, default_value_t = 3)]
		k: u16,
		/// Fragments made (fragment i goes to provider i mod the number of providers).
		#[arg(long, default_value_t = 10)]
		n: u16,
		/// Erasure code: `simd` (reed-solomon-simd) or `novelpoly`.
		#[arg(long, default_value = "simd")]
		codec: String,
		/// Providers' service-plane addresses, `/ip4/../tcp/../p2p/<peer id>`, comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		providers: Vec<Address>,
	},
	/// Fetch, check, reconstruct and decrypt a file from its read capability.
	Get {
		/// The read capability (`cairn:v1:...`).
		capability: String,
		/// Where to write the file.
		#[arg(short, long)]
		output: PathBuf,
		/// Providers to ask, comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		providers: Vec<Address>,
	},
}

/// Loads the node's service-plane identity from `dir`, creating it on first start.
fn load_keypair(dir: &std::path::Path) -> Result<Keypair, String> {
	let path = dir.join("fragment_secret_ed25519");
	if let Ok(bytes) = std::fs::read(&path) {
		return Keypair::ed25519_from_bytes(bytes)
			.map_err(|e| format!("{} is not an ed25519 secret ({e}); delete it to make a new one", path.display()));
	}
	let keypair = Keypair::generate_ed25519();
	let secret = keypair.clone().try_into_ed25519().map_err(|e| e.to_string())?.secret();
	std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
	std::fs::write(&path, secret.as_ref()).map_err(|e| format!("write {}: {e}", path.display()))?;
	Ok(keypair)
}

/// Starts the node's fragment store and service plane under `base`.
pub async fn start_service(args: &FragmentArgs, base: PathBuf) -> Result<Option<cairn_net::Handle>, String> {
	if args.no_fragment_service {
		return Ok(None);
	}
	let store = Store::open(&base.join("fragments"), args.storage_capacity)
		.map_err(|e| format!("cannot open the fragment store in {}: {e}", base.display()))?;
	let keypair = load_keypair(&base)?;
	let listen: Address = format!(
		"/{}/{}/tcp/{}",
		if args.fragment_listen_ip.is_ipv4() { "ip4" } else { "ip6" },
		args.fragment_listen_ip,
		args.fragment_port
	)
	.parse()
	.map_err(|e| format!("bad fragment address: {e}"))?;
	let handle = cairn_net::start(Config { keypair, listen: Some(listen), store: Some(store), ..Config::client() })
		.await
		.map_err(|e| format!("fragment service: {e}; choose another port with --fragment-port"))?;
	for addr in handle.listen_addrs().await.map_err(|e| e.to_string())? {
		log::info!("📦 Fragment service on {addr}");
	}
	Ok(Some(handle))
}

/// What the node publishes as its endpoint (pallet-endpoints): the service plane's peer id
/// and at most 8 addresses, given ones first, else the listen addresses with those on
/// other machines' reach (not loopback) first.
pub async fn local_endpoint(
	handle: &cairn_net::Handle,
	args: &FragmentArgs,
) -> Result<(pallet_endpoints::PeerIdBytes, pallet_endpoints::Addresses), String> {
	let mut addresses = if args.fragment_public_addr.is_empty() {
		handle.listen_addrs().await.map_err(|e| e.to_string())?
	} else {
		args.fragment_public_addr.clone()
	};
	let loopback = |a: &Address| {
		a.iter().any(|p| match p {
			cairn_net::Protocol::Ip4(ip) => ip.is_loopback() || ip.is_unspecified(),
			cairn_net::Protocol::Ip6(ip) => ip.is_loopback() || ip.is_unspecified(),
			_ => false,
		})
	};
	addresses.sort_by_key(loopback);
	let addresses = addresses
		.iter_mut()
		.map(|a| {
			// The peer id is published on its own.
			if matches!(a.iter().last(), Some(cairn_net::Protocol::P2p(_))) {
				a.pop();
			}
			&*a
		})
		.filter_map(|a| a.to_vec().try_into().ok())
		.take(pallet_endpoints::MAX_ADDRESSES as usize)
		.collect::<Vec<_>>();
	let peer_id =
		handle.peer_id().to_bytes().try_into().map_err(|_| "the peer id is longer than 64 bytes".to_string())?;
	Ok((peer_id, addresses.try_into().expect("at most MAX_ADDRESSES")))
}

struct Bar(ProgressBar);

impl files::Progress for Bar {
	fn set_total(&self, total: u64) {
		self.0.set_length(total);
	}
	fn advance(&self, bytes: u64) {
		self.0.inc(bytes);
	}
	fn note(&self, message: &str) {
		self.0.println(message);
	}
}

fn progress_bar(what: &str) -> Arc<Bar> {
	// indicatif draws only when stderr is a terminal.
	let bar = ProgressBar::new(0).with_message(what.to_string());
	bar.set_style(
		ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
			.expect("valid template")
			.progress_chars("=> "),
	);
	Arc::new(Bar(bar))
}

/// Runs a `cairn client` command.
pub fn run_client(cmd: &ClientCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		let net = cairn_net::start(Config::client()).await.map_err(|e| e.to_string())?;
		match cmd {
			ClientCmd::Put { file, k, n, codec, providers } => {
				let codec: CodecId = codec.parse().map_err(|e: cairn_erasure::Error| e.to_string())?;
				let params = Params { codec, k: *k, n: *n, ..Params::default() };
				if !file.is_file() {
					return Err(format!("{} is not a readable file", file.display()));
				}
				let bar = progress_bar("uploading");
				let (cap, manifest) =
					files::put_file(&net, file, params, providers, bar.clone()).await.map_err(|e| e.to_string())?;
				bar.0.finish_and_clear();
				eprintln!(
					"stored {} bytes as {n} fragments of {} bytes ({k} needed)",
					manifest.plain_size, manifest.fragment_size
				);
				println!("{cap}");
				Ok(())
			},
			ClientCmd::Get { capability, output, providers } => {
				let cap: ReadCapability = capability.parse().map_err(|e: cairn_erasure::Error| {
					format!("{e}; a capability looks like `cairn:v1:...` as `cairn client put` printed it")
				})?;
				let bar = progress_bar("downloading");
				let manifest =
					files::get_file(&net, &cap, providers, output, bar.clone()).await.map_err(|e| e.to_string())?;
				bar.0.finish_and_clear();
				eprintln!("restored {} bytes to {}", manifest.plain_size, output.display());
				Ok(())
			},
		}
	})
}
