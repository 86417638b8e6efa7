//! The service plane in the node (`--fragment-port`) and the `cairn client` commands.

use std::{path::PathBuf, sync::Arc, time::Duration};

use cairn_erasure::{CodecId, Params, ReadCapability};
use cairn_net::{files, identity::Keypair, Address, Config, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// Service-plane options of the node.
#[derive(Debug, Clone, clap::Args)]
pub struct FragmentArgs {
	/// TCP port of the fragment service (`/cairn/fragment/2`); 0 picks a free one.
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

	/// Uploads slower than this many bytes per second (averaged from their start, after
	/// 10 s) are dropped, so a slow peer cannot hold a reservation.
	#[arg(long, value_name = "BYTES_PER_SEC", default_value_t = 64 * 1024)]
	pub min_upload_rate: u64,

	/// Most incoming service-plane connections (each idle one closes after 5 s).
	#[arg(long, value_name = "N", default_value_t = 256)]
	pub max_fragment_connections: u32,

	/// Addresses at which others reach the fragment service (without `/p2p/...`),
	/// comma-separated; the node publishes them on chain. Default: the addresses it
	/// listens at.
	#[arg(long, value_name = "MULTIADDR", value_delimiter = ',')]
	pub fragment_public_addr: Vec<Address>,

	/// The fragment store's memory (from `--profile`).
	#[arg(skip)]
	pub store_memory: cairn_store::Memory,
}

/// `cairn client ...`: store and fetch files through providers' service planes.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCmd {
	/// Encrypt, erasure-code and store a file; prints its read capability. Without
	/// `--providers`, buys storage on chain: the n cheapest reachable providers, one
	/// contract per fragment, paid by `--suri`.
	Put {
		/// The file to store.
		file: PathBuf,
		/// Fragments needed to restore the file.
		#[arg(long, default_value_t = 3)]
		k: u16,
		/// Fragments made.
		#[arg(long, default_value_t = 10)]
		n: u16,
		/// Erasure code: `simd` (reed-solomon-simd) or `novelpoly`.
		#[arg(long, default_value = "simd")]
		codec: String,
		/// Store without contracts on these service-plane addresses,
		/// `/ip4/../tcp/../p2p/<peer id>`, comma-separated (fragment i goes to provider i
		/// mod their number).
		#[arg(long, value_delimiter = ',')]
		providers: Vec<Address>,
		/// Contract length in challenge periods (a period is a minute).
		#[arg(long, default_value_t = 1440)]
		duration: cairn_primitives::Period,
		/// The most to pay in all, in CRN; by default the quote is paid.
		#[arg(long, value_name = "CRN")]
		max_price: Option<String>,
		/// The paying account's secret URI (mnemonic, 0x seed or //Name).
		#[arg(long, value_name = "SECRET_URI")]
		suri: Option<String>,
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// Fetch, check, reconstruct and decrypt a file from its read capability.
	Get {
		/// The read capability (`cairn:v2:...`, or an older `cairn:v1:...` with `--client`).
		capability: String,
		/// The account whose contracts hold the file (SS58), for a v1 capability.
		#[arg(long, value_name = "ACCOUNT")]
		client: Option<String>,
		/// Where to write the file.
		#[arg(short, long)]
		output: PathBuf,
		/// Overwrite the output if it exists.
		#[arg(long)]
		force: bool,
		/// Providers to ask, comma-separated; by default those of the file's contracts.
		#[arg(long, value_delimiter = ',')]
		providers: Vec<Address>,
		/// The node's RPC endpoint (to find the file's providers).
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// Show each fragment's contract, provider and last proof.
	Status {
		/// The read capability (`cairn:v2:...`, or an older `cairn:v1:...` with `--client`).
		capability: String,
		/// The account whose contracts hold the file (SS58), for a v1 capability.
		#[arg(long, value_name = "ACCOUNT")]
		client: Option<String>,
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
}

/// `cairn store ...`: the fragment store of a stopped node.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
	/// Delete a fragment from the store, as a failed disk would: its contract then misses
	/// its proofs. The node must be stopped (the store is open in one process at a time).
	Delete {
		/// The fragment's Merkle root, `0x` and 64 hex digits.
		root: String,
		/// The node's `--base-path`.
		#[arg(long)]
		base_path: PathBuf,
		/// The chain's id (`cairn_dev`, `cairn_local`, ...): the store is under
		/// `<base-path>/chains/<id>/fragments`.
		#[arg(long, default_value = "cairn_dev")]
		chain_id: String,
	},
}

/// Runs a `cairn store` command.
pub fn run_store(cmd: &StoreCmd) -> Result<(), String> {
	match cmd {
		StoreCmd::Delete { root, base_path, chain_id } => {
			let id = cairn_rpc::cairn::parse_id(root)?;
			let dir = base_path.join("chains").join(chain_id).join("fragments");
			if !dir.is_dir() {
				return Err(format!("no fragment store at {}: check --base-path and --chain-id", dir.display()));
			}
			let store = Store::open(&dir, u64::MAX)
				.map_err(|e| format!("cannot open the store in {} ({e}); is the node still running?", dir.display()))?;
			match store.delete(&id).map_err(|e| e.to_string())? {
				true => println!("deleted fragment {root}"),
				false => return Err(format!("fragment {root} is not in the store")),
			}
			Ok(())
		},
	}
}

fn parse_capability(text: &str) -> Result<ReadCapability, String> {
	text.parse().map_err(|e: cairn_erasure::Error| {
		format!("{e}; a capability looks like `cairn:v2:...` as `cairn client put` printed it")
	})
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

/// The node's service plane and the store behind it.
pub struct FragmentService {
	pub handle: cairn_net::Handle,
	pub store: Store,
	/// Which fragments the store takes: decided by the chain once the node runs.
	pub admission: Arc<crate::provider::LateAdmission>,
	/// The service plane's identity, which signs the endpoint the node publishes.
	pub keypair: Keypair,
}

/// Starts the node's fragment store and service plane under `base`.
pub async fn start_service(
	args: &FragmentArgs,
	base: PathBuf,
	chain_spec: cairn_net::ChainSpecSource,
) -> Result<Option<FragmentService>, String> {
	if args.no_fragment_service {
		return Ok(None);
	}
	let store = Store::open_with(&base.join("fragments"), args.storage_capacity, args.store_memory)
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
	let admission = Arc::new(crate::provider::LateAdmission::default());
	let handle = cairn_net::start(Config {
		keypair: keypair.clone(),
		listen: Some(listen),
		store: Some(store.clone()),
		admission: Some(admission.clone()),
		limits: cairn_net::Limits {
			min_upload_rate: args.min_upload_rate,
			max_connections: args.max_fragment_connections,
			..Default::default()
		},
		chain_spec: Some(chain_spec),
		..Config::client()
	})
	.await
	.map_err(|e| format!("fragment service: {e}; choose another port with --fragment-port"))?;
	for addr in handle.listen_addrs().await.map_err(|e| e.to_string())? {
		log::info!("📦 Fragment service on {addr}");
	}
	Ok(Some(FragmentService { handle, store, admission, keypair }))
}

/// The node's chain specification as raw JSON, for newcomers (`cairn join`), made when
/// first asked and kept (a raw spec of a spec built from a preset runs the genesis builder).
pub fn chain_spec_source(spec: Box<dyn sc_service::ChainSpec>) -> cairn_net::ChainSpecSource {
	let made = std::sync::Mutex::new(None::<Arc<[u8]>>);
	Arc::new(move || {
		let mut made = made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some(json) = &*made {
			return Ok(json.clone());
		}
		// A failure is not kept: the next newcomer tries again.
		let json: Arc<[u8]> = Arc::from(spec.as_json(true)?.into_bytes());
		*made = Some(json.clone());
		Ok(json)
	})
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
		// A hidden bar (stderr is not a terminal) prints nothing of its own.
		if self.0.is_hidden() {
			eprintln!("{message}");
		} else {
			self.0.println(message);
		}
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

/// Fetches the file of `capability` into a new file `output`, from the providers of its
/// contracts (`client`'s, for a v1 capability).
pub async fn fetch(
	chain: &crate::chain::Chain,
	capability: &str,
	client: Option<&str>,
	output: &std::path::Path,
) -> Result<(), String> {
	let cap = parse_capability(capability)?;
	let client = crate::market::client_of(&cap, client)?;
	let providers = crate::market::providers_of(chain, &client, &cap).await?;
	let net = cairn_net::start(Config::client()).await.map_err(|e| e.to_string())?;
	let bar = progress_bar("fetching");
	files::get_file(&net, &cap, &providers, output, false, bar.clone()).await.map_err(|e| e.to_string())?;
	bar.0.finish_and_clear();
	Ok(())
}

/// Runs a `cairn client` command.
pub fn run_client(cmd: &ClientCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		let net = cairn_net::start(Config::client()).await.map_err(|e| e.to_string())?;
		match cmd {
			ClientCmd::Put { file, k, n, codec, providers, duration, max_price, suri, node_url } => {
				let codec: CodecId = codec.parse().map_err(|e: cairn_erasure::Error| e.to_string())?;
				let params = Params { codec, k: *k, n: *n, ..Params::default() };
				params.check().map_err(|e| e.to_string())?;
				if !file.is_file() {
					return Err(format!("{} is not a readable file", file.display()));
				}
				if !providers.is_empty() {
					let bar = progress_bar("uploading");
					let (cap, manifest) =
						files::put_file(&net, file, params, providers, bar.clone()).await.map_err(|e| e.to_string())?;
					bar.0.finish_and_clear();
					eprintln!(
						"stored {} bytes as {n} fragments of {} bytes ({k} needed)",
						manifest.plain_size, manifest.fragment_size
					);
					println!("{cap}");
					return Ok(());
				}
				let Some(suri) = suri else {
					return Err("give --suri (the account that pays for storage) or --providers".into());
				};
				let pair = cairn_client::pair_from_suri(suri)?;
				let max_price = max_price.as_deref().map(crate::market::parse_crn).transpose()?;
				let chain = crate::chain::Chain::connect(node_url).await?;
				let options = cairn_client::put::PutOptions {
					params,
					duration: *duration,
					max_price,
					accept_timeout: Duration::from_secs(180),
				};
				let bar = progress_bar("uploading");
				let stored = cairn_client::put::put(&net, &chain, &pair, file, &options, bar.clone(), |cap| {
					eprintln!("read capability (keep it; printed again once stored): {cap}")
				})
				.await?;
				bar.0.finish_and_clear();
				eprintln!(
					"stored {} bytes as {n} fragments of {} bytes ({k} needed), all accepted; cost {}",
					stored.manifest.plain_size,
					stored.manifest.fragment_size,
					crate::market::format_crn(stored.escrow)
				);
				println!("{}", stored.capability);
				Ok(())
			},
			ClientCmd::Get { capability, client, output, force, providers, node_url } => {
				let cap = parse_capability(capability)?;
				let providers = if providers.is_empty() {
					let client = crate::market::client_of(&cap, client.as_deref())?;
					let chain = crate::chain::Chain::connect(node_url).await?;
					crate::market::providers_of(&chain, &client, &cap).await?
				} else {
					providers.clone()
				};
				let bar = progress_bar("downloading");
				let manifest = files::get_file(&net, &cap, &providers, output, *force, bar.clone())
					.await
					.map_err(|e| e.to_string())?;
				bar.0.finish_and_clear();
				eprintln!("restored {} bytes to {}", manifest.plain_size, output.display());
				Ok(())
			},
			ClientCmd::Status { capability, client, node_url } => {
				let cap = parse_capability(capability)?;
				let client = crate::market::client_of(&cap, client.as_deref())?;
				let chain = crate::chain::Chain::connect(node_url).await?;
				crate::market::print_status(&chain, &client, &cap).await
			},
		}
	})
}
