//! The node's HTTP gateway (`cairn-gateway`): its flags, and binding it before the node
//! starts so that a taken port is one clear line.

use std::{net::IpAddr, path::PathBuf, sync::Arc};

use cairn_gateway::{Config, FilesConfig, FilesSetting, Gateway};

/// Gateway options of the node.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
	/// TCP port of the HTTP gateway that serves the wallet; 0 picks a free one.
	#[arg(long, value_name = "PORT", default_value_t = 8080)]
	pub gateway_port: u16,

	/// Address the gateway listens on. The default serves this machine only; another
	/// address serves the wallet to every machine that reaches it.
	#[arg(long, value_name = "IP", default_value = "127.0.0.1")]
	pub gateway_listen_ip: IpAddr,

	/// Host names the gateway answers to besides localhost and loopback addresses,
	/// comma-separated (requests naming any other host are refused: DNS rebinding).
	#[arg(long, value_name = "NAME", value_delimiter = ',')]
	pub gateway_host: Vec<String>,

	/// The built wallet the gateway serves. Default: `ui/dist` of the checkout this binary
	/// was built from (`make ui` builds it).
	#[arg(long, value_name = "DIR")]
	pub ui_dir: Option<PathBuf>,

	/// Store and read files for pages (`/files`) also when the gateway listens on an
	/// address other machines reach. Whoever reaches it then uploads through this node,
	/// which sees the files and their keys while it encodes them: trust it with them. (On
	/// loopback `/files` is always on.)
	#[arg(long)]
	pub gateway_files: bool,

	/// The largest file the gateway stores or reads for a page: a number with an optional
	/// K, M, G or T (powers of 1024).
	#[arg(long, value_name = "SIZE", default_value = "1G")]
	pub gateway_max_file: String,

	/// Run without the gateway: no wallet, no `/files`, no apps.
	#[arg(long, conflicts_with_all = ["gateway_port", "gateway_listen_ip", "gateway_host", "gateway_files"])]
	pub no_gateway: bool,
}

/// The wallet a source checkout builds: `make ui` writes it here.
fn checkout_ui_dir() -> PathBuf {
	PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist"))
}

/// Binds the gateway, unless `--no-gateway`; `rpc_port` is told to the wallet's pages,
/// `/apps` is sent to the apps' port (`/apps.json` lists `apps`), and `/files` stages
/// under `staging`.
pub async fn bind(
	args: &GatewayArgs,
	rpc_port: Option<u16>,
	apps: Option<(u16, Arc<cairn_apps::Apps>)>,
	staging: PathBuf,
) -> Result<Option<Gateway>, String> {
	if args.no_gateway {
		return Ok(None);
	}
	let max_file = crate::market::parse_size(&args.gateway_max_file).map_err(|e| format!("--gateway-max-file: {e}"))?;
	let files = FilesSetting::for_listen(args.gateway_listen_ip, args.gateway_files, rpc_port, |port| FilesConfig {
		max_file,
		..FilesConfig::new(format!("ws://127.0.0.1:{port}"), staging)
	});
	let config = Config {
		files,
		listen: (args.gateway_listen_ip, args.gateway_port).into(),
		ui_dir: Some(args.ui_dir.clone().unwrap_or_else(checkout_ui_dir)),
		hosts: args.gateway_host.clone(),
		rpc_port,
		apps_port: apps.as_ref().map(|(port, _)| *port),
		apps: apps.map(|(_, apps)| apps),
		..Config::loopback(args.gateway_port, None)
	};
	Gateway::bind(config).await.map(Some)
}

/// The port of the node's first RPC endpoint.
pub fn rpc_port(config: &sc_service::Configuration) -> Option<u16> {
	match &config.rpc.addr {
		Some(endpoints) => endpoints.first().map(|e| e.listen_addr.port()),
		None => Some(config.rpc.port),
	}
}
