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

use cairn_apps::{AppInfo, Apps, Grants, Limits, Package};
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

	/// Run without apps.
	#[arg(long, conflicts_with_all = ["apps_port", "apps_listen_ip", "apps_host"])]
	pub no_apps: bool,
}

/// Opens the apps kept under `dir` (compiling each) and binds their listener, unless
/// `--no-apps` or `--no-gateway` (apps are served by the node's HTTP gateway).
///
/// With the node's `rpc_port`, apps granted `files:read` read Cairn files through it.
pub async fn open(
	args: &AppsArgs,
	no_gateway: bool,
	rpc_port: Option<u16>,
	dir: PathBuf,
) -> Result<Option<(Arc<Apps>, AppsGateway)>, String> {
	if args.no_apps || no_gateway {
		return Ok(None);
	}
	let staging = dir.join("staging");
	let apps = tokio::task::spawn_blocking(move || Apps::open(&dir, Limits::default()))
		.await
		.map_err(|e| e.to_string())?
		.map_err(|e| format!("the node's apps: {e}"))?;
	let apps = match rpc_port {
		Some(port) => {
			// What a previous run staged is the reader's own.
			let _ = std::fs::remove_dir_all(&staging);
			apps.with_files(Arc::new(AppFiles::new(format!("ws://127.0.0.1:{port}"), staging, FILES_KEPT)))
		},
		None => apps,
	};
	let apps = Arc::new(apps);
	let config = AppsConfig {
		listen: (args.apps_listen_ip, args.apps_port).into(),
		hosts: args.apps_host.clone(),
		..AppsConfig::loopback(args.apps_port, apps.clone())
	};
	let gateway = AppsGateway::bind(config).await?;
	Ok(Some((apps, gateway)))
}

/// The operator's methods.
#[rpc(server)]
pub trait AppsApi {
	/// Installs the signed package at `path` (on the node's machine), granting it what it
	/// asks for if `grants` (`kv,http:HOST`) covers that; with `author` (SS58), only a
	/// package that author signed.
	#[method(name = "apps_install", with_extensions)]
	async fn install(
		&self,
		path: String,
		grants: String,
		author: Option<String>,
		config: Option<BTreeMap<String, String>>,
	) -> RpcResult<AppInfo>;

	/// The installed apps.
	#[method(name = "apps_list", with_extensions)]
	fn list(&self) -> RpcResult<Vec<AppInfo>>;

	/// Removes an app and its data.
	#[method(name = "apps_remove", with_extensions)]
	async fn remove(&self, name: String) -> RpcResult<()>;

	/// The last lines an app printed, and what the node said of its requests.
	#[method(name = "apps_logs", with_extensions)]
	fn logs(&self, name: String) -> RpcResult<Vec<String>>;
}

/// Implements [`AppsApiServer`] on the node's apps.
pub struct AppsRpc {
	pub apps: Arc<Apps>,
}

/// Error codes of the `apps_*` methods.
mod code {
	/// The package or the request was refused (the message says why).
	pub const REFUSED: i32 = 7100;
	/// No app of that name.
	pub const UNKNOWN_APP: i32 = 7101;
	/// The node could not read the package or write the app.
	pub const STORE: i32 = 7102;
}

fn error(e: cairn_apps::Error) -> ErrorObjectOwned {
	let code = match e {
		cairn_apps::Error::UnknownApp(_) => code::UNKNOWN_APP,
		cairn_apps::Error::Store(_) | cairn_apps::Error::Kv(_) => code::STORE,
		_ => code::REFUSED,
	};
	ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
}

fn check_unsafe(ext: &Extensions) -> RpcResult<()> {
	sc_rpc_api::check_if_safe(ext).map_err(Into::into)
}

#[async_trait]
impl AppsApiServer for AppsRpc {
	async fn install(
		&self,
		ext: &Extensions,
		path: String,
		grants: String,
		author: Option<String>,
		config: Option<BTreeMap<String, String>>,
	) -> RpcResult<AppInfo> {
		check_unsafe(ext)?;
		let grants = Grants::parse(&grants).map_err(error)?;
		let read = tokio::task::spawn_blocking({
			let path = path.clone();
			move || std::fs::read(path)
		});
		let package = read.await.map_err(std::io::Error::other).and_then(|read| read).map_err(|e| {
			ErrorObjectOwned::owned(code::STORE, format!("the node cannot read {path}: {e}"), None::<()>)
		})?;
		self.apps.install_package(&package, &grants, author.as_deref(), config.unwrap_or_default()).await.map_err(error)
	}

	fn list(&self, ext: &Extensions) -> RpcResult<Vec<AppInfo>> {
		check_unsafe(ext)?;
		Ok(self.apps.list())
	}

	async fn remove(&self, ext: &Extensions, name: String) -> RpcResult<()> {
		check_unsafe(ext)?;
		self.apps.remove(&name).await.map_err(error)
	}

	fn logs(&self, ext: &Extensions, name: String) -> RpcResult<Vec<String>> {
		check_unsafe(ext)?;
		self.apps.logs(&name).map_err(error)
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
		/// What the app asks for: `kv`, `http:HOST`, comma-separated.
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
		/// The node's RPC endpoint (unsafe methods: the node's own machine).
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// List the installed apps.
	List {
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// Remove an app and its data.
	Remove {
		name: String,
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// Print an app's last log lines.
	Logs {
		name: String,
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
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
			AppsCmd::Install { package, grant, author, config, client, node_url } => {
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
				let chain = crate::chain::Chain::connect(node_url).await?;
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
				let info: AppInfo = chain
					.call("apps_install", rpc_params![path, grant, author, config])
					.await
					.map_err(|e| unsafe_hint(e, node_url))?;
				let version = info.version.as_deref().unwrap_or_default();
				println!("installed {} {version} by {}", info.name, author_of(&info));
				println!("granted: {}", granted(&info.grants));
				Ok(())
			},
			AppsCmd::List { node_url } => {
				let chain = crate::chain::Chain::connect(node_url).await?;
				let apps: Vec<AppInfo> =
					chain.call("apps_list", rpc_params![]).await.map_err(|e| unsafe_hint(e, node_url))?;
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
			AppsCmd::Remove { name, node_url } => {
				let chain = crate::chain::Chain::connect(node_url).await?;
				let () = chain.call("apps_remove", rpc_params![name]).await.map_err(|e| unsafe_hint(e, node_url))?;
				println!("removed {name} and its data");
				Ok(())
			},
			AppsCmd::Logs { name, node_url } => {
				let chain = crate::chain::Chain::connect(node_url).await?;
				let lines: Vec<String> =
					chain.call("apps_logs", rpc_params![name]).await.map_err(|e| unsafe_hint(e, node_url))?;
				for line in lines {
					println!("{line}");
				}
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
