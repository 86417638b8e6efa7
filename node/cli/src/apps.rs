//! The node's apps (`cairn-apps`): its flags, the `apps_*` RPC methods the operator's
//! `cairn apps` commands call, and the commands.
//!
//! The methods are unsafe RPC: a node answers them only on an RPC address that allows
//! unsafe methods (by default its loopback one), as it does `author_insertKey`. A package
//! is given by its path on the node's machine, so that its size is not bound by RPC's.

use std::{
	collections::BTreeMap,
	net::IpAddr,
	path::{Path, PathBuf},
	sync::Arc,
};

use cairn_apps::{AppInfo, Apps, Grants, Limits, Package, Payment};
use cairn_gateway::{AppFiles, AppsConfig, AppsGateway};

/// Bytes of recently read Cairn files kept for apps.
const FILES_KEPT: u64 = 64 << 20;
use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	rpc_params,
	types::ErrorObjectOwned,
	Extensions,
};

/// App options of the node.
#[derive(Debug, Clone, clap::Args)]
pub struct AppsArgs {
	/// TCP port the node serves its apps on (`/apps/NAME/`), an origin apart from the
	/// wallet's; 0 picks a free one.
	#[arg(long, value_name = "PORT", default_value_t = 8090)]
	pub apps_port: u16,

	/// Address the apps listen on. The default serves this machine only; another address
	/// (`0.0.0.0`) serves the apps to every machine that reaches it, and nothing else: the
	/// wallet and `/files` keep their own address.
	#[arg(long, value_name = "IP", default_value = "127.0.0.1")]
	pub apps_listen_ip: IpAddr,

	/// Host names the apps answer to besides localhost and loopback addresses,
	/// comma-separated (requests naming any other host are refused: DNS rebinding).
	#[arg(long, value_name = "NAME", value_delimiter = ',')]
	pub apps_host: Vec<String>,

	/// Where others reach this node's apps (`http://HOST[:PORT]` or `https://...`, no
	/// path): the node lists its apps on chain under it, each at `URL/apps/NAME/`, so that
	/// wallets find them. Without it the node lists none (and withdraws a listing it made).
	#[arg(long, value_name = "URL", value_parser = parse_public_url)]
	pub apps_public_url: Option<pallet_endpoints::OriginBytes>,

	/// Run without apps.
	#[arg(long, conflicts_with_all = ["apps_port", "apps_listen_ip", "apps_host", "apps_public_url"])]
	pub no_apps: bool,
}

/// An origin for `--apps-public-url`; whether its host may be loopback is the chain's
/// call (the off-chain worker checks it).
fn parse_public_url(text: &str) -> Result<pallet_endpoints::OriginBytes, String> {
	let text = text.strip_suffix('/').unwrap_or(text);
	pallet_endpoints::check_origin(text.as_bytes(), true).map_err(|_| {
		format!(
			"`{text}` is not `http://HOST[:PORT]` or `https://HOST[:PORT]` (a lowercase name or an IP address, no path)"
		)
	})?;
	text.as_bytes().to_vec().try_into().map_err(|_| format!("`{text}` is longer than 128 bytes"))
}

/// How often the node looks at its apps to keep their listing on chain current.
const LISTING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps what pallet-endpoints' off-chain worker lists on chain
/// (`pallet_endpoints::offchain::LOCAL_APPS_KEY`) equal to the apps this node hosts,
/// under `origin`; nothing without one, so that a listing made before is withdrawn.
pub async fn keep_listed<S: polkadot_sdk::sp_core::offchain::OffchainStorage>(
	mut offchain_db: S,
	apps: Arc<Apps>,
	origin: Option<pallet_endpoints::OriginBytes>,
) {
	use codec::Encode;
	use polkadot_sdk::sp_core::offchain::STORAGE_PREFIX;
	let mut written = None;
	loop {
		let listing = match &origin {
			Some(origin) => {
				let mut names: Vec<String> = apps.list().into_iter().map(|app| app.name).collect();
				names.sort();
				if names.len() > pallet_endpoints::MAX_APPS as usize {
					log::warn!("apps: only the first {} apps by name are listed on chain", pallet_endpoints::MAX_APPS);
				}
				let names: Vec<pallet_endpoints::AppName> = names
					.into_iter()
					.filter_map(|name| name.into_bytes().try_into().ok())
					.take(pallet_endpoints::MAX_APPS as usize)
					.collect();
				(origin.clone(), pallet_endpoints::AppNames::truncate_from(names))
			},
			None => Default::default(),
		};
		if written.as_ref() != Some(&listing) {
			offchain_db.set(STORAGE_PREFIX, pallet_endpoints::offchain::LOCAL_APPS_KEY, &listing.encode());
			written = Some(listing);
		}
		tokio::time::sleep(LISTING_INTERVAL).await;
	}
}

/// Opens the apps kept under `dir` (compiling each) and binds their listener, unless
/// `--no-apps` or `--no-gateway` (apps are served by the node's HTTP gateway).
///
/// With the node's `rpc_port`, apps granted `files:read` read Cairn files through it.
pub async fn open(
	args: &AppsArgs,
	no_gateway: bool,
	gateway_hosts: &[String],
	rpc_port: Option<u16>,
	dir: PathBuf,
) -> Result<Option<NodeApps>, String> {
	if args.no_apps || no_gateway {
		return Ok(None);
	}
	std::fs::create_dir_all(&dir).map_err(|e| format!("the apps' directory {}: {e}", dir.display()))?;
	let token_file = dir.join(TOKEN_FILE);
	let token = operator_token(&token_file)?;
	log::info!("apps: the operator's token is in {} (`cairn apps` reads it there)", token_file.display());
	let staging = dir.join("staging");
	let apps = tokio::task::spawn_blocking(move || Apps::open(&dir, Limits::default()))
		.await
		.map_err(|e| e.to_string())?
		.map_err(|e| format!("the node's apps: {e}"))?;
	let apps = match rpc_port {
		Some(port) => {
			// What a previous run staged is the reader's own.
			let _ = std::fs::remove_dir_all(&staging);
			let files = Arc::new(AppFiles::new(format!("ws://127.0.0.1:{port}"), staging, FILES_KEPT));
			apps.with_files(files.clone()).with_storer(files)
		},
		None => apps,
	};
	let apps = Arc::new(apps);
	let config = AppsConfig {
		listen: (args.apps_listen_ip, args.apps_port).into(),
		// The wallet's names too: its `/apps` sends a browser here under the same name.
		hosts: args.apps_host.iter().chain(gateway_hosts).cloned().collect(),
		..AppsConfig::loopback(args.apps_port, apps.clone())
	};
	let gateway = AppsGateway::bind(config).await?;
	if let Some(url) = &args.apps_public_url {
		let url = String::from_utf8_lossy(url);
		log::info!("apps: listed on chain at {url}/apps/NAME/ (this node serves them at {})", gateway.local_addr());
	}
	let rpc = AppsRpc { apps, token, public_url: args.apps_public_url.clone() };
	Ok(Some(NodeApps { rpc, gateway }))
}

/// The node's apps: their RPC methods and their listener.
pub struct NodeApps {
	pub rpc: AppsRpc,
	pub gateway: AppsGateway,
}

/// The file, in the apps' directory, that holds the operator's token.
const TOKEN_FILE: &str = "operator.token";

/// The operator's token: read from `path`, or made and written there (readable by the
/// node's user only) on the first start.
fn operator_token(path: &Path) -> Result<String, String> {
	use std::{
		io::Write,
		os::unix::fs::{MetadataExt, OpenOptionsExt},
	};
	if let Ok(meta) = std::fs::metadata(path) {
		if meta.mode() & 0o077 != 0 {
			return Err(format!(
				"{} may be read by others than the node's user: `chmod 600` it, or remove it for a new token",
				path.display()
			));
		}
		let token = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
		match token.trim() {
			token if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) => return Ok(token.to_owned()),
			// Made, but not written, when the node stopped: made again.
			"" => std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?,
			_ => return Err(format!("{} does not hold an operator token: remove it", path.display())),
		}
	}
	let token = hex::encode(rand::random::<[u8; 32]>());
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| format!("{}: {e}", path.display()))?;
	file.write_all(token.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| format!("{}: {e}", path.display()))?;
	Ok(token)
}

/// Reads a package the operator named by its path, refusing what is not a regular file
/// (a FIFO would block) or is larger than `max`, before reading it.
fn read_package(path: &str, max: usize) -> Result<Vec<u8>, String> {
	use std::{io::Read, os::unix::fs::OpenOptionsExt};
	let file = std::fs::OpenOptions::new()
		.read(true)
		.custom_flags(libc::O_NONBLOCK)
		.open(path)
		.map_err(|e| format!("the node cannot read {path}: {e}"))?;
	let meta = file.metadata().map_err(|e| format!("the node cannot read {path}: {e}"))?;
	if !meta.is_file() {
		return Err(format!("{path} is not a regular file"));
	}
	if meta.len() > max as u64 {
		return Err(format!("{path} has {} bytes; this node installs packages of at most {max}", meta.len()));
	}
	let mut bytes = Vec::with_capacity(meta.len() as usize);
	file.take(max as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("the node cannot read {path}: {e}"))?;
	Ok(bytes)
}

/// The operator's methods. Each takes the operator's token first: the node's RPC on
/// loopback is reachable from every page the operator's browser opens (an app's own among
/// them), and only the operator's `cairn apps` can read the token's file.
#[rpc(server)]
pub trait AppsApi {
	/// Installs the signed package at `path` (on the node's machine), granting it what it
	/// asks for if `grants` (`kv,files:read,http:HOST`) covers that; with `author` (SS58),
	/// only a package that author signed; `config` is the app's environment.
	#[method(name = "apps_install", with_extensions)]
	async fn install(
		&self,
		token: String,
		path: String,
		grants: String,
		author: Option<String>,
		config: Option<BTreeMap<String, String>>,
	) -> RpcResult<AppInfo>;

	/// The installed apps.
	#[method(name = "apps_list", with_extensions)]
	fn list(&self, token: String) -> RpcResult<Vec<AppInfo>>;

	/// Removes an app and its data.
	#[method(name = "apps_remove", with_extensions)]
	async fn remove(&self, token: String, name: String) -> RpcResult<()>;

	/// The last lines an app printed, and what the node said of its requests.
	#[method(name = "apps_logs", with_extensions)]
	fn logs(&self, token: String, name: String) -> RpcResult<Vec<String>>;

	/// Makes the account of secret URI `suri` pay for the files app `name` stores
	/// (`cairn:app/store`), up to `budget` CRN in all; what the app spent before counts.
	/// The node keeps the secret, readable by its user only.
	#[method(name = "apps_pay", with_extensions)]
	fn pay(&self, token: String, name: String, suri: String, budget: String) -> RpcResult<Payment>;
}

/// Implements [`AppsApiServer`] on the node's apps.
#[derive(Clone)]
pub struct AppsRpc {
	pub apps: Arc<Apps>,
	token: String,
	/// Where others reach the apps (`--apps-public-url`): the node lists them on chain.
	pub public_url: Option<pallet_endpoints::OriginBytes>,
}

/// Error codes of the `apps_*` methods.
mod code {
	/// The package or the request was refused (the message says why).
	pub const REFUSED: i32 = 7100;
	/// No app of that name.
	pub const UNKNOWN_APP: i32 = 7101;
	/// The node could not read the package or write the app.
	pub const STORE: i32 = 7102;
	/// Not the operator's token.
	pub const TOKEN: i32 = 7103;
}

fn error(e: cairn_apps::Error) -> ErrorObjectOwned {
	let code = match e {
		cairn_apps::Error::UnknownApp(_) => code::UNKNOWN_APP,
		cairn_apps::Error::Store(_) | cairn_apps::Error::Kv(_) => code::STORE,
		_ => code::REFUSED,
	};
	ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
}

impl AppsRpc {
	/// An unsafe method, for the operator alone.
	fn check(&self, ext: &Extensions, token: &str) -> RpcResult<()> {
		sc_rpc_api::check_if_safe(ext)?;
		// Compared by hash: the time taken tells nothing of the token.
		if blake3::hash(token.as_bytes()) != blake3::hash(self.token.as_bytes()) {
			let message = format!("not the operator's token (`cairn apps` reads it from the node's apps/{TOKEN_FILE})");
			return Err(ErrorObjectOwned::owned(code::TOKEN, message, None::<()>));
		}
		Ok(())
	}
}

#[async_trait]
impl AppsApiServer for AppsRpc {
	async fn install(
		&self,
		ext: &Extensions,
		token: String,
		path: String,
		grants: String,
		author: Option<String>,
		config: Option<BTreeMap<String, String>>,
	) -> RpcResult<AppInfo> {
		self.check(ext, &token)?;
		let grants = Grants::parse(&grants).map_err(error)?;
		let max = self.apps.max_package();
		let package = tokio::task::spawn_blocking(move || read_package(&path, max))
			.await
			.map_err(|e| e.to_string())
			.and_then(|read| read)
			.map_err(|e| ErrorObjectOwned::owned(code::STORE, e, None::<()>))?;
		self.apps.install_package(&package, &grants, author.as_deref(), config.unwrap_or_default()).await.map_err(error)
	}

	fn list(&self, ext: &Extensions, token: String) -> RpcResult<Vec<AppInfo>> {
		self.check(ext, &token)?;
		Ok(self.apps.list())
	}

	async fn remove(&self, ext: &Extensions, token: String, name: String) -> RpcResult<()> {
		self.check(ext, &token)?;
		self.apps.remove(&name).await.map_err(error)
	}

	fn logs(&self, ext: &Extensions, token: String, name: String) -> RpcResult<Vec<String>> {
		self.check(ext, &token)?;
		self.apps.logs(&name).map_err(error)
	}

	fn pay(&self, ext: &Extensions, token: String, name: String, suri: String, budget: String) -> RpcResult<Payment> {
		self.check(ext, &token)?;
		let budget = cairn_client::market::parse_crn(&budget)
			.map_err(|e| ErrorObjectOwned::owned(code::REFUSED, e, None::<()>))?;
		self.apps.pay(&name, &suri, budget).map_err(error)
	}
}

/// `cairn apps ...`: the apps of a running node on this machine.
#[derive(Debug, clap::Subcommand)]
pub enum AppsCmd {
	/// Pack a wasi:http component as an app package signed by its author.
	Pack {
		/// The component (`.wasm`, built for `wasm32-wasip2`).
		component: PathBuf,
		/// The app's name: lowercase letters, digits and dashes.
		#[arg(long)]
		name: String,
		#[arg(long, default_value = "0.1.0")]
		version: String,
		#[arg(long, default_value = "")]
		description: String,
		/// What the app asks for: `kv`, `files:read`, `files:write`, `http:HOST`,
		/// comma-separated.
		#[arg(long, default_value = "")]
		ask: String,
		/// The author's secret URI (mnemonic, 0x seed or //Name).
		#[arg(long, value_name = "SECRET_URI")]
		suri: String,
		/// Where to write the package.
		#[arg(short, long)]
		output: PathBuf,
	},
	/// Install a package (a path, or a Cairn file's read capability) on the node, granting
	/// what it asks for.
	Install {
		/// The package: a file, or `cairn:v2:...` to fetch it from providers.
		package: String,
		/// What you grant it: `kv`, `http:HOST`, comma-separated; it must cover what the
		/// package asks for (the refusal says what that is).
		#[arg(long, default_value = "")]
		grant: String,
		/// Install only a package signed by this author (SS58).
		#[arg(long)]
		author: Option<String>,
		/// A setting for the app, `NAME=VALUE` (it reads them as its environment); repeat
		/// for more.
		#[arg(long = "config", value_name = "NAME=VALUE")]
		config: Vec<String>,
		/// The account whose contracts hold the package (SS58), for a `cairn:v1:`
		/// capability.
		#[arg(long, value_name = "ACCOUNT")]
		client: Option<String>,
		#[command(flatten)]
		node: OperatorArgs,
	},
	/// List the installed apps.
	List {
		#[command(flatten)]
		node: OperatorArgs,
	},
	/// Remove an app and its data.
	Remove {
		name: String,
		#[command(flatten)]
		node: OperatorArgs,
	},
	/// Print an app's last log lines.
	Logs {
		name: String,
		#[command(flatten)]
		node: OperatorArgs,
	},
	/// Choose the account that pays for the files an app granted `files:write` stores,
	/// and the most they may cost in all. The node keeps the account's secret.
	Pay {
		name: String,
		/// The paying account's secret URI (mnemonic, 0x seed or //Name).
		#[arg(long, value_name = "SECRET_URI")]
		suri: String,
		/// The most the app's files may cost in all, in CRN (escrow and fees); what it
		/// spent before counts.
		#[arg(long, value_name = "CRN")]
		budget: String,
		#[command(flatten)]
		node: OperatorArgs,
	},
}

/// Which node, and the operator's token for it.
#[derive(Debug, Clone, clap::Args)]
pub struct OperatorArgs {
	/// The node's RPC endpoint (its unsafe methods: the node's own machine).
	#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
	node_url: String,
	/// The node's base path (its `--base-path`), where its token is: the file
	/// `chains/CHAIN/apps/operator.token` under it. Default: the node's default.
	#[arg(long, value_name = "DIR")]
	base_path: Option<PathBuf>,
	/// The chain's id, when the base path holds several chains.
	#[arg(long, value_name = "ID")]
	chain_id: Option<String>,
	/// The token's file itself (the node logs where it is).
	#[arg(long, value_name = "FILE", conflicts_with_all = ["base_path", "chain_id"])]
	token_file: Option<PathBuf>,
}

impl OperatorArgs {
	/// The operator's token, from its file; only for a node on this machine.
	fn token(&self) -> Result<String, String> {
		let host = self.node_url.split("://").nth(1).unwrap_or_default();
		let host = host.split(['/', '?']).next().unwrap_or_default();
		let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
		if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
			return Err(format!(
				"--node-url {} is not this machine's: `cairn apps` gives the operator's token only to a node on \
				 loopback (run it on the node's machine)",
				self.node_url
			));
		}
		let file = match &self.token_file {
			Some(file) => file.clone(),
			None => {
				let base = match &self.base_path {
					Some(base) => base.clone(),
					None => sc_service::BasePath::from_project("", "", "cairn").path().to_owned(),
				};
				let chains = base.join("chains");
				let with_token = |id: &str| chains.join(id).join("apps").join(TOKEN_FILE);
				match &self.chain_id {
					Some(id) => with_token(id),
					None => {
						let mut found: Vec<PathBuf> = std::fs::read_dir(&chains)
							.map(|dir| {
								dir.filter_map(|e| e.ok()).map(|e| e.path().join("apps").join(TOKEN_FILE)).collect()
							})
							.unwrap_or_default();
						found.retain(|file| file.is_file());
						match found.len() {
							1 => found.remove(0),
							0 => {
								return Err(format!(
									"no node's token under {}: give the node's --base-path, or --token-file (its log says where)",
									base.display()
								))
							},
							_ => return Err(format!("{} holds several chains: give --chain-id", chains.display())),
						}
					},
				}
			},
		};
		let token = std::fs::read_to_string(&file).map_err(|e| {
			format!("cannot read the operator's token {}: {e} (run this as the node's user)", file.display())
		})?;
		Ok(token.trim().to_owned())
	}

	async fn call<T: serde::de::DeserializeOwned>(
		&self,
		chain: &crate::chain::Chain,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<T, String> {
		chain.call(method, params).await.map_err(|e| unsafe_hint(e, &self.node_url))
	}
}

/// Runs a `cairn apps` command.
pub fn run(cmd: &AppsCmd) -> Result<(), String> {
	if let AppsCmd::Pack { component, name, version, description, ask, suri, output } = cmd {
		return pack(component, name, version, description, ask, suri, output);
	}
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		match cmd {
			AppsCmd::Pack { .. } => unreachable!("packed above"),
			AppsCmd::Install { package, grant, author, config, client, node } => {
				Grants::parse(grant).map_err(|e| e.to_string())?;
				let config = config
					.iter()
					.map(|item| {
						item.split_once('=')
							.map(|(name, value)| (name.to_owned(), value.to_owned()))
							.ok_or_else(|| format!("--config {item}: give NAME=VALUE"))
					})
					.collect::<Result<BTreeMap<_, _>, _>>()?;
				cairn_apps::check_config(&config).map_err(|e| e.to_string())?;
				let token = node.token()?;
				let chain = crate::chain::Chain::connect(&node.node_url).await?;
				// A capability is fetched to a file of this machine that the node reads.
				let fetched;
				let path = if package.starts_with("cairn:") {
					fetched = tempfile::Builder::new()
						.prefix("cairn-app-")
						.tempdir()
						.map_err(|e| format!("a temporary directory: {e}"))?;
					let path = fetched.path().join("package");
					crate::fragments::fetch(&chain, package, client.as_deref(), &path).await?;
					path
				} else {
					std::fs::canonicalize(package).map_err(|e| format!("{package}: {e}"))?
				};
				let path = path.to_str().ok_or("the package's path is not UTF-8")?.to_owned();
				let info: AppInfo =
					node.call(&chain, "apps_install", rpc_params![token, path, grant, author, config]).await?;
				let version = info.version.as_deref().unwrap_or_default();
				println!("installed {} {version} by {}", info.name, author_of(&info));
				println!("granted: {}", granted(&info.grants));
				Ok(())
			},
			AppsCmd::List { node } => {
				let token = node.token()?;
				let chain = crate::chain::Chain::connect(&node.node_url).await?;
				let apps: Vec<AppInfo> = node.call(&chain, "apps_list", rpc_params![token]).await?;
				for app in apps {
					println!(
						"{}\t{}\t{}\t{}\t{} bytes",
						app.name,
						app.version.as_deref().unwrap_or("-"),
						author_of(&app),
						granted(&app.grants),
						app.size
					);
				}
				Ok(())
			},
			AppsCmd::Remove { name, node } => {
				let token = node.token()?;
				let chain = crate::chain::Chain::connect(&node.node_url).await?;
				let () = node.call(&chain, "apps_remove", rpc_params![token, name]).await?;
				println!("removed {name} and its data");
				Ok(())
			},
			AppsCmd::Logs { name, node } => {
				let token = node.token()?;
				let chain = crate::chain::Chain::connect(&node.node_url).await?;
				let lines: Vec<String> = node.call(&chain, "apps_logs", rpc_params![token, name]).await?;
				for line in lines {
					println!("{line}");
				}
				Ok(())
			},
			AppsCmd::Pay { name, suri, budget, node } => {
				cairn_client::market::parse_crn(budget)?;
				let token = node.token()?;
				let chain = crate::chain::Chain::connect(&node.node_url).await?;
				let paid: Payment = node.call(&chain, "apps_pay", rpc_params![token, name, suri, budget]).await?;
				println!(
					"{name}'s files are paid by {}, up to {} ({} spent)",
					paid.account,
					cairn_client::market::format_crn(paid.budget),
					cairn_client::market::format_crn(paid.spent)
				);
				Ok(())
			},
		}
	})
}

fn pack(
	component: &Path,
	name: &str,
	version: &str,
	description: &str,
	ask: &str,
	suri: &str,
	output: &Path,
) -> Result<(), String> {
	let asks = Grants::parse(ask).map_err(|e| e.to_string())?;
	let author = cairn_client::pair_from_suri(suri)?;
	let bytes = std::fs::read(component).map_err(|e| format!("{}: {e}", component.display()))?;
	let package = Package::build(name, version, description, asks, &bytes, &author).map_err(|e| e.to_string())?;
	std::fs::write(output, package).map_err(|e| format!("{}: {e}", output.display()))?;
	use polkadot_sdk::sp_core::{crypto::Ss58Codec, Pair};
	eprintln!("packed {name} {version}, signed by {}", author.public().to_ss58check());
	Ok(())
}

fn author_of(info: &AppInfo) -> &str {
	info.author.as_deref().unwrap_or("(unsigned)")
}

fn granted(grants: &Grants) -> String {
	let text = grants.to_text();
	if text.is_empty() {
		"nothing".into()
	} else {
		text
	}
}

/// A refused unsafe call says what to do.
fn unsafe_hint(e: String, url: &str) -> String {
	if e.contains("unsafe") {
		format!(
			"{e}: the node at {url} does not take the operator's methods there; run the command on the node's machine"
		)
	} else if e.contains("Method not found") {
		format!("the node at {url} hosts no apps (was it started with --no-apps?)")
	} else {
		e
	}
}
