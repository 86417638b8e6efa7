//! # Cairn's HTTP gateway
//!
//! What a browser needs from a node: the wallet UI (the built `ui/`), `/config.json`,
//! which tells the page where the node's RPC listens, and `/files` ([`files`]), which
//! stores and reads Cairn files for the page as `cairn client put` and `get` do, with
//! signatures the page makes (the gateway holds no account key). Hosted apps (`/apps`)
//! are a later route of this same server.
//!
//! The gateway listens on 127.0.0.1 unless the operator chooses another address, and it
//! defends the node's browser users against other pages:
//! - **Host check.** A request is answered only if its `Host` names this gateway
//!   (loopback names, the listen address, or a name the operator gave): a page whose own
//!   domain an attacker points at 127.0.0.1 (DNS rebinding) gets 403.
//! - **Same origin.** A request that could change state (any method but GET and HEAD) must
//!   carry an `Origin` equal to the gateway's own (CSRF).
//! - **Bounded resources.** At most `max_connections` connections; a connection that does
//!   not send its request head within `header_timeout` is closed.
//! - **Headers.** A content security policy (scripts only from the gateway, plus the
//!   WebAssembly the crypto library compiles), no framing, no sniffing, no referrer.

use std::{
	convert::Infallible,
	io,
	net::{IpAddr, SocketAddr},
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::{
	body::Incoming,
	header::{self, HeaderMap, HeaderValue},
	Method, Request, Response, StatusCode,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore};

mod app_files;
mod apps;
mod files;

pub use app_files::AppFiles;
pub use apps::{AppsConfig, AppsGateway};
pub use files::FilesConfig;

const LOG_TARGET: &str = "cairn-gateway";

/// The content security policy of every response: the wallet loads scripts and styles
/// from the gateway only, compiles the crypto library's WebAssembly, and talks to nodes
/// over websockets.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
	img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; \
	form-action 'self'";

/// How the gateway runs.
#[derive(Clone, Debug)]
pub struct Config {
	/// Where it listens; port 0 picks a free one.
	pub listen: SocketAddr,
	/// The built wallet (`ui/dist`); without one, pages say how to build it.
	pub ui_dir: Option<PathBuf>,
	/// Host names it answers to besides `localhost`, loopback and the listen address.
	pub hosts: Vec<String>,
	/// The node's RPC port, told to the page by `/config.json`.
	pub rpc_port: Option<u16>,
	/// Most connections at once; more are closed at once.
	pub max_connections: usize,
	/// Time a connection has to send each request head.
	pub header_timeout: Duration,
	/// `/files`: on, or off with the reason the gateway gives.
	pub files: FilesSetting,
	/// The port of the node's apps listener ([`AppsGateway`]): `/apps/...` on the wallet's
	/// origin is sent there, so that no app's page ever runs in the wallet's origin.
	pub apps_port: Option<u16>,
	/// The node's apps, which `/apps.json` lists for the wallet.
	pub apps: Option<Arc<cairn_apps::Apps>>,
}

/// Whether the gateway stores and reads files for the page.
#[derive(Clone, Debug)]
pub enum FilesSetting {
	On(FilesConfig),
	/// Off; requests get this reason (what to do to turn it on).
	Off(String),
}

impl FilesSetting {
	/// `/files` for a gateway listening on `listen`: on loopback always (with the node's
	/// RPC); on an address other machines reach only if the operator `opted_in`
	/// (`--gateway-files`), since whoever uploads through the gateway shows it the file and
	/// its key.
	pub fn for_listen(
		listen: IpAddr,
		opted_in: bool,
		rpc_port: Option<u16>,
		files: impl FnOnce(u16) -> FilesConfig,
	) -> Self {
		match rpc_port {
			None => FilesSetting::Off("this node serves no RPC, which storing and reading files needs".into()),
			Some(_) if !listen.is_loopback() && !opted_in => FilesSetting::Off(
				"this gateway serves other machines, and stores and reads files only on loopback unless its \
				 operator starts the node with --gateway-files"
					.into(),
			),
			Some(port) => FilesSetting::On(files(port)),
		}
	}
}

impl Config {
	/// The gateway on 127.0.0.1:`port`, serving `ui_dir`.
	pub fn loopback(port: u16, ui_dir: Option<PathBuf>) -> Self {
		Self {
			listen: SocketAddr::from(([127, 0, 0, 1], port)),
			ui_dir,
			hosts: Vec::new(),
			rpc_port: None,
			max_connections: 64,
			header_timeout: Duration::from_secs(10),
			files: FilesSetting::Off("this gateway does not store or read files".into()),
			apps_port: None,
			apps: None,
		}
	}
}

/// A gateway bound to its address, ready to serve.
pub struct Gateway {
	listener: TcpListener,
	state: Arc<State>,
}

struct State {
	config: Config,
	local_addr: SocketAddr,
	/// The built wallet's directory, when `ui_dir` holds one.
	ui: Option<PathBuf>,
	files: Option<Arc<files::Files>>,
}

impl Gateway {
	/// Binds the listen address. The error is a line that says what to do.
	pub async fn bind(config: Config) -> Result<Self, String> {
		let listener = TcpListener::bind(config.listen).await.map_err(|e| {
			if e.kind() == io::ErrorKind::AddrInUse {
				format!(
					"the gateway's address {} is already in use (another node?): choose another port with \
					 --gateway-port, or run without it with --no-gateway",
					config.listen
				)
			} else {
				format!("the gateway cannot listen on {}: {e}", config.listen)
			}
		})?;
		let local_addr = listener.local_addr().map_err(|e| format!("the gateway's address: {e}"))?;
		let ui = config.ui_dir.as_ref().filter(|dir| dir.join("index.html").is_file()).cloned();
		if ui.is_none() {
			log::warn!(
				target: LOG_TARGET,
				"no built wallet at {:?}: the gateway says how to build it (`make ui`)",
				config.ui_dir
			);
		}
		let files = match &config.files {
			FilesSetting::On(files) => {
				// The staging directory is the gateway's own: what a previous run left is
				// removed.
				let _ = std::fs::remove_dir_all(&files.staging);
				std::fs::create_dir_all(&files.staging)
					.map_err(|e| format!("the gateway's staging directory {}: {e}", files.staging.display()))?;
				Some(Arc::new(files::Files::new(files.clone())))
			},
			FilesSetting::Off(_) => None,
		};
		Ok(Self { listener, state: Arc::new(State { config, local_addr, ui, files }) })
	}

	pub fn local_addr(&self) -> SocketAddr {
		self.state.local_addr
	}

	/// Serves connections until the task is dropped.
	pub async fn serve(self) {
		log::info!(target: LOG_TARGET, "the wallet: http://{}/", self.state.local_addr);
		let (max_connections, header_timeout) = (self.state.config.max_connections, self.state.config.header_timeout);
		serve_connections(self.listener, max_connections, header_timeout, self.state).await
	}
}

/// What answers the requests of one listener: the wallet, or the apps.
trait Site: Send + Sync + 'static {
	/// Answers `req`, which came from `peer`.
	fn answer(
		self: Arc<Self>,
		peer: SocketAddr,
		req: Request<Incoming>,
	) -> impl std::future::Future<Output = Response<Body>> + Send;
}

impl Site for State {
	async fn answer(self: Arc<Self>, _peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
		handle(&self, req).await
	}
}

/// Serves `site` on the connections of `listener`: at most `max_connections` at once,
/// each closed if it does not send a request head within `header_timeout`.
async fn serve_connections<S: Site>(
	listener: TcpListener,
	max_connections: usize,
	header_timeout: Duration,
	site: Arc<S>,
) {
	let slots = Arc::new(Semaphore::new(max_connections));
	loop {
		let (stream, peer) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(e) => {
				// Out of file descriptors and the like: wait instead of spinning.
				log::warn!(target: LOG_TARGET, "accept failed: {e}");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			},
		};
		let Ok(slot) = slots.clone().try_acquire_owned() else {
			log::debug!(target: LOG_TARGET, "{peer}: too many connections, closed");
			continue;
		};
		let site = site.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |req| {
				let site = site.clone();
				async move { Ok::<_, Infallible>(site.answer(peer, req).await) }
			});
			let connection = hyper::server::conn::http1::Builder::new()
				.timer(TokioTimer::new())
				.header_read_timeout(header_timeout)
				.serve_connection(TokioIo::new(stream), service);
			if let Err(e) = connection.await {
				log::debug!(target: LOG_TARGET, "{peer}: {e}");
			}
			drop(slot);
		});
	}
}

type Body = BoxBody<Bytes, io::Error>;

/// Answers one request; every answer carries the security headers.
async fn handle(state: &State, req: Request<Incoming>) -> Response<Body> {
	let mut response = route(state, req).await;
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
	headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
	headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
	headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
	response
}

async fn route(state: &State, req: Request<Incoming>) -> Response<Body> {
	let host = match check_host(state.local_addr, &state.config.hosts, "--gateway-host", req.headers()) {
		Ok(host) => host,
		Err(refused) => return refused,
	};
	let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD);
	if changes_state {
		if let Err(refused) = check_same_origin(&host, req.headers()) {
			return refused;
		}
	}
	let path = req.uri().path();
	if path == "/files" || path.starts_with("/files/") {
		return match (&state.files, &state.config.files) {
			(Some(files), _) => files.route(req).await,
			(None, FilesSetting::Off(reason)) => text(StatusCode::FORBIDDEN, &format!("{reason}\n")),
			(None, FilesSetting::On(_)) => text(StatusCode::INTERNAL_SERVER_ERROR, "files are not set up\n"),
		};
	}
	if changes_state {
		return text(StatusCode::METHOD_NOT_ALLOWED, "the gateway takes only GET and HEAD requests here\n");
	}
	if path == "/apps" || path.starts_with("/apps/") {
		return match state.config.apps_port {
			Some(port) => {
				let name = host_name(&host);
				let name = if name.contains(':') { format!("[{name}]") } else { name.to_owned() };
				let target = req.uri().path_and_query().map_or(path, |p| p.as_str());
				let mut response = text(StatusCode::TEMPORARY_REDIRECT, "apps are served on their own port\n");
				if let Ok(location) = HeaderValue::from_str(&format!("http://{name}:{port}{target}")) {
					response.headers_mut().insert(header::LOCATION, location);
				}
				response
			},
			None => text(StatusCode::NOT_FOUND, "this node hosts no apps (it was started with --no-apps)\n"),
		};
	}
	match req.uri().path() {
		"/apps.json" => {
			let apps = state.config.apps.as_deref().map(apps::listing).unwrap_or_default();
			let body = serde_json::json!({ "port": state.config.apps_port, "apps": apps }).to_string();
			let mut response = full(StatusCode::OK, body);
			response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
			response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
			response
		},
		"/config.json" => {
			let body =
				serde_json::json!({ "rpcPort": state.config.rpc_port, "appsPort": state.config.apps_port }).to_string();
			let mut response = full(StatusCode::OK, body);
			response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
			response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
			response
		},
		path => match &state.ui {
			Some(dir) => static_file(dir, path, *req.method() == Method::HEAD).await,
			None => not_built(state),
		},
	}
}

/// Most bytes of one of the wallet's files (its bundle is about 1 MiB).
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// A file of the built wallet: `path` resolved inside `dir` only (no `..`, no hidden or
/// encoded separators), `index.html` for `/`.
async fn static_file(dir: &Path, path: &str, head: bool) -> Response<Body> {
	let Some(relative) = wallet_path(path) else {
		return text(StatusCode::NOT_FOUND, "no such file\n");
	};
	let file = dir.join(&relative);
	let read = tokio::task::spawn_blocking(move || -> io::Result<Option<Vec<u8>>> {
		let meta = match std::fs::metadata(&file) {
			Ok(meta) if meta.is_file() => meta,
			Ok(_) => return Ok(None),
			Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
			Err(e) => return Err(e),
		};
		if meta.len() > MAX_FILE {
			return Err(io::Error::other("larger than the gateway serves"));
		}
		std::fs::read(&file).map(Some)
	})
	.await
	.unwrap_or_else(|e| Err(io::Error::other(e)));
	match read {
		Ok(Some(bytes)) => {
			let length = bytes.len();
			let mut response = full(StatusCode::OK, if head { Vec::new() } else { bytes });
			let headers = response.headers_mut();
			headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&relative)));
			headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
			// Vite names assets by their content: they never change under one name.
			let cache =
				if relative.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
			headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
			response
		},
		Ok(None) => text(StatusCode::NOT_FOUND, "no such file\n"),
		Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot read the wallet's file: {e}\n")),
	}
}

/// The file under the wallet's directory that a request path names, or `None` for a path
/// that could leave it: segments are plain names of `[A-Za-z0-9._-]`, none starting with a dot.
fn wallet_path(path: &str) -> Option<String> {
	let trimmed = path.trim_start_matches('/');
	if trimmed.is_empty() {
		return Some("index.html".into());
	}
	let plain = |segment: &str| {
		!segment.is_empty()
			&& !segment.starts_with('.')
			&& segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
	};
	trimmed.split('/').all(plain).then(|| trimmed.to_owned())
}

/// The media type of the wallet's files, by extension.
fn content_type(path: &str) -> &'static str {
	match path.rsplit_once('.').map(|(_, ext)| ext) {
		Some("html") => "text/html; charset=utf-8",
		Some("js" | "mjs") => "text/javascript; charset=utf-8",
		Some("css") => "text/css; charset=utf-8",
		Some("json" | "map") => "application/json",
		Some("svg") => "image/svg+xml",
		Some("png") => "image/png",
		Some("ico") => "image/x-icon",
		Some("wasm") => "application/wasm",
		Some("woff2") => "font/woff2",
		Some("txt") => "text/plain; charset=utf-8",
		_ => "application/octet-stream",
	}
}

/// The `Host` of the request if it names this listener (at `local_addr`, also called
/// `hosts`); else the refusal, which names `flag`, the option that adds a name.
fn check_host(
	local_addr: SocketAddr,
	hosts: &[String],
	flag: &str,
	headers: &HeaderMap,
) -> Result<String, Response<Body>> {
	let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
		return Err(text(StatusCode::BAD_REQUEST, "a request needs a Host header\n"));
	};
	let name = host_name(host).to_ascii_lowercase();
	let listen_ip = local_addr.ip();
	let known = name == "localhost"
		|| name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || (!listen_ip.is_unspecified() && ip == listen_ip))
		|| hosts.iter().any(|h| h.eq_ignore_ascii_case(&name));
	if known {
		Ok(host.to_owned())
	} else {
		Err(text(
			StatusCode::FORBIDDEN,
			&format!(
				"this gateway does not answer to the host {name:?}: open it as http://127.0.0.1 or localhost, \
				 or start the node with {flag} {name}\n"
			),
		))
	}
}

/// `name` of `name:port`, `[::1]:port` or `name`, without brackets.
fn host_name(host: &str) -> &str {
	if let Some(rest) = host.strip_prefix('[') {
		return rest.split(']').next().unwrap_or(rest);
	}
	host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// A state-changing request must come from the gateway's own pages.
fn check_same_origin(host: &str, headers: &HeaderMap) -> Result<(), Response<Body>> {
	let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
	let same = origin.is_some_and(|o| o == format!("http://{host}") || o == format!("https://{host}"));
	if same {
		Ok(())
	} else {
		Err(text(
			StatusCode::FORBIDDEN,
			&format!(
				"refused: a request that changes state must come from this gateway's own page (Origin {}, \
				 expected http://{host})\n",
				origin.unwrap_or("missing")
			),
		))
	}
}

/// What the gateway answers when it has no built wallet to serve.
fn not_built(state: &State) -> Response<Body> {
	let dir = state.config.ui_dir.as_ref().map_or_else(|| "no --ui-dir given".into(), |d| d.display().to_string());
	let page = format!(
		"<!doctype html><meta charset=\"utf-8\"><title>Cairn wallet</title>\
		 <h1>The wallet is not built</h1><p>This node serves the wallet from <code>{}</code>, which holds no \
		 built wallet. In a Cairn checkout, run <code>make ui</code> (it builds <code>ui/dist</code>), or start \
		 the node with <code>--ui-dir</code> pointing at a built wallet.</p>",
		escape(&dir)
	);
	let mut response = full(StatusCode::SERVICE_UNAVAILABLE, page);
	response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
	response
}

fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn full(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
	let mut response = Response::new(Full::new(body.into()).map_err(|never| match never {}).boxed());
	*response.status_mut() = status;
	response
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
	let mut response = full(status, message.to_owned());
	response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
	response
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn wallet_paths_stay_in_the_directory() {
		assert_eq!(wallet_path("/").as_deref(), Some("index.html"));
		assert_eq!(wallet_path("/assets/index-CQO7iM9-.js").as_deref(), Some("assets/index-CQO7iM9-.js"));
		for escape in ["/../x", "/assets/../../x", "/%2e%2e/x", "/..%2fx", "/.env", "/a//b", "/a\\b", "/a/./b"] {
			assert_eq!(wallet_path(escape), None, "{escape}");
		}
	}

	#[test]
	fn host_names_without_ports_or_brackets() {
		assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
		assert_eq!(host_name("localhost"), "localhost");
		assert_eq!(host_name("[::1]:8080"), "::1");
		assert_eq!(host_name("[::1]"), "::1");
		assert_eq!(host_name("node.mesh:80"), "node.mesh");
	}
}
