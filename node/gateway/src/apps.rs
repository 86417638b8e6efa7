//! `/apps`: the apps the node hosts ([`cairn_apps`]), on a listener of their own.
//!
//! Apps get their own port, so their own origin: an app's page can never run script in
//! the wallet's origin, read what the wallet keeps there or send requests as the wallet's
//! pages. Requests to the wallet's `/apps/...` are redirected here. Serving apps to other
//! machines is the operator's choice of this listener's address, independent of `/files`.
//!
//! - `GET /apps/` (and `/`) lists the hosted apps as JSON;
//! - `/apps/NAME/REST` is answered by app `NAME` as a request for `/REST`, with the prefix
//!   it was reached under in `X-Forwarded-Prefix` (so that it can write absolute links);
//! - `/apps/NAME` is redirected to `/apps/NAME/`, where relative links resolve in the app;
//! - a request's body is read whole (at most [`MAX_BODY`], within 10 s; 16 bodies at once,
//!   4 from one address) before an instance is taken, so that a slow sender holds a
//!   connection, not an app's slots;
//! - a request that changes state and carries another site's `Origin` is refused (CSRF:
//!   a page elsewhere cannot make a visitor's browser post to an app).

use std::{
	collections::HashMap,
	net::{IpAddr, SocketAddr},
	sync::{Arc, Mutex},
	time::Duration,
};

use bytes::Bytes;
use cairn_apps::Apps;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::{
	body::{Body as _, Incoming},
	header::{self, HeaderValue},
	Method, Request, Response, StatusCode, Uri,
};
use tokio::net::TcpListener;

use crate::{full, text, Body, Site, LOG_TARGET};

/// The header an app finds its prefix in.
const PREFIX: &str = "x-forwarded-prefix";
/// The largest request body an app is given, and the time it has to arrive.
pub const MAX_BODY: usize = 1 << 20;
const BODY_TIME: Duration = Duration::from_secs(10);
/// Bodies read at once, and at once from one address.
const READERS: usize = 16;
const READERS_PER_PEER: usize = 4;

/// How the apps listener runs.
#[derive(Clone)]
pub struct AppsConfig {
	/// Where it listens; port 0 picks a free one.
	pub listen: SocketAddr,
	/// Host names it answers to besides `localhost`, loopback and the listen address.
	pub hosts: Vec<String>,
	/// Most connections at once; more are closed at once.
	pub max_connections: usize,
	/// Time a connection has to send each request head.
	pub header_timeout: Duration,
	pub apps: Arc<Apps>,
}

impl AppsConfig {
	/// The apps listener on 127.0.0.1:`port`.
	pub fn loopback(port: u16, apps: Arc<Apps>) -> Self {
		Self {
			listen: SocketAddr::from(([127, 0, 0, 1], port)),
			hosts: Vec::new(),
			max_connections: 256,
			header_timeout: Duration::from_secs(10),
			apps,
		}
	}
}

/// The apps listener, bound and ready to serve.
pub struct AppsGateway {
	listener: TcpListener,
	site: Arc<AppsSite>,
}

struct AppsSite {
	config: AppsConfig,
	local_addr: SocketAddr,
	readers: Readers,
}

impl AppsGateway {
	/// Binds the listen address. The error is a line that says what to do.
	pub async fn bind(config: AppsConfig) -> Result<Self, String> {
		let listener = TcpListener::bind(config.listen).await.map_err(|e| {
			if e.kind() == std::io::ErrorKind::AddrInUse {
				format!(
					"the apps' address {} is already in use (another node?): choose another port with --apps-port, \
					 or run without apps with --no-apps",
					config.listen
				)
			} else {
				format!("the apps cannot listen on {}: {e}", config.listen)
			}
		})?;
		let local_addr = listener.local_addr().map_err(|e| format!("the apps' address: {e}"))?;
		Ok(Self { listener, site: Arc::new(AppsSite { config, local_addr, readers: Readers::default() }) })
	}

	pub fn local_addr(&self) -> SocketAddr {
		self.site.local_addr
	}

	/// Serves connections until the task is dropped.
	pub async fn serve(self) {
		log::info!(target: LOG_TARGET, "apps: http://{}/apps/", self.site.local_addr);
		let (max_connections, header_timeout) = (self.site.config.max_connections, self.site.config.header_timeout);
		crate::serve_connections(self.listener, max_connections, header_timeout, self.site).await
	}
}

impl Site for AppsSite {
	async fn answer(self: Arc<Self>, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
		let mut response = self.route(peer, req).await;
		response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
		response
	}
}

impl AppsSite {
	async fn route(&self, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
		let host = match crate::check_host(self.local_addr, &self.config.hosts, "--apps-host", req.headers()) {
			Ok(host) => host,
			Err(refused) => return refused,
		};
		if !matches!(*req.method(), Method::GET | Method::HEAD) {
			// A page of another site may not make a visitor's browser post to an app
			// (CSRF); requests without an Origin (not from a browser page) pass.
			if let Some(origin) = req.headers().get(header::ORIGIN) {
				let own =
					origin.to_str().is_ok_and(|o| o == format!("http://{host}") || o == format!("https://{host}"));
				if !own {
					return text(
						StatusCode::FORBIDDEN,
						"refused: a page of another site may not send this app requests that change state\n",
					);
				}
			}
		}
		let path = req.uri().path().to_owned();
		let Some(rest) = path.strip_prefix("/apps/").or((path == "/").then_some("")) else {
			return if path == "/apps" {
				redirect("/apps/")
			} else {
				text(StatusCode::NOT_FOUND, "apps are under /apps/NAME/; /apps/ lists them\n")
			};
		};
		if rest.is_empty() {
			return if matches!(*req.method(), Method::GET | Method::HEAD) {
				self.list()
			} else {
				text(StatusCode::METHOD_NOT_ALLOWED, "the list of apps is read with GET\n")
			};
		}
		let (name, app_path) = match rest.split_once('/') {
			Some((name, app_path)) => (name.to_owned(), format!("/{app_path}")),
			None => {
				let query = req.uri().query().map_or_else(String::new, |q| format!("?{q}"));
				return redirect(&format!("/apps/{rest}/{query}"));
			},
		};
		let target = match req.uri().query() {
			Some(query) => format!("{app_path}?{query}"),
			None => app_path,
		};
		let Ok(uri) = target.parse::<Uri>() else {
			return text(StatusCode::BAD_REQUEST, "not a path an app can take\n");
		};
		// All apps of a node share its origin: a service worker one app registered would
		// answer for every app in the visitor's browser, and outlive its removal.
		if req.headers().contains_key("service-worker") {
			return text(
				StatusCode::FORBIDDEN,
				"apps may not register service workers: one would answer for every app of this node\n",
			);
		}
		// The body is read whole before an instance is taken: a client that sends it slowly
		// holds a connection, never an app's slots.
		let mut req = match self.read_body(peer.ip(), req).await {
			Ok(req) => req,
			Err(refused) => return refused,
		};
		*req.uri_mut() = uri;
		// The prefix is the gateway's to tell: one a client sent is dropped.
		let headers = req.headers_mut();
		headers.remove(PREFIX);
		if let Ok(prefix) = HeaderValue::from_str(&format!("/apps/{name}")) {
			headers.insert(PREFIX, prefix);
		}
		let request = req.map(cairn_apps::body_from);
		let mut response = self.config.apps.handle(&name, request).await;
		// Nor may an app widen a worker's scope or clear what the browser keeps for the
		// other apps of the origin.
		for shared in ["service-worker-allowed", "clear-site-data"] {
			response.headers_mut().remove(shared);
		}
		response.map(|body| body.map_err(|e| std::io::Error::other(format!("the app's body: {e:?}"))).boxed())
	}

	/// `req` with its body read, at most [`MAX_BODY`] bytes within [`BODY_TIME`]; a few
	/// bodies are read at once, fewer from one address.
	async fn read_body(&self, peer: IpAddr, req: Request<Incoming>) -> Result<Request<Bytes>, Response<Body>> {
		let (parts, body) = req.into_parts();
		if body.is_end_stream() {
			return Ok(Request::from_parts(parts, Bytes::new()));
		}
		if body.size_hint().lower() > MAX_BODY as u64 {
			return Err(too_large());
		}
		let Some(_reading) = self.readers.take(peer) else {
			return Err(text(
				StatusCode::SERVICE_UNAVAILABLE,
				"the node reads as many request bodies as it may; try again\n",
			));
		};
		let read = tokio::time::timeout(BODY_TIME, Limited::new(body, MAX_BODY).collect()).await;
		match read {
			Ok(Ok(collected)) => Ok(Request::from_parts(parts, collected.to_bytes())),
			Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
			Ok(Err(e)) => Err(text(StatusCode::BAD_REQUEST, &format!("the request's body: {e}\n"))),
			Err(_) => Err(text(
				StatusCode::REQUEST_TIMEOUT,
				&format!("the request's body did not arrive within {} s\n", BODY_TIME.as_secs()),
			)),
		}
	}

	/// The hosted apps, as JSON: what a wallet or another node shows of them.
	fn list(&self) -> Response<Body> {
		let mut response = full(StatusCode::OK, serde_json::json!({ "apps": listing(&self.config.apps) }).to_string());
		let headers = response.headers_mut();
		headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
		headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
		// Any page may read what this node hosts.
		headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
		response
	}
}

/// What a node tells of each app it hosts: name, version, author, description, code hash
/// and path.
pub(crate) fn listing(apps: &Apps) -> Vec<serde_json::Value> {
	apps.list()
		.into_iter()
		.map(|app| {
			serde_json::json!({
				"name": app.name,
				"version": app.version,
				"author": app.author,
				"description": app.description,
				"codeHash": app.code_hash,
				"path": format!("/apps/{}/", app.name),
			})
		})
		.collect()
}

fn too_large() -> Response<Body> {
	text(StatusCode::PAYLOAD_TOO_LARGE, &format!("an app takes request bodies of at most {MAX_BODY} bytes\n"))
}

/// Bodies being read: a bound in all and per address.
#[derive(Default)]
struct Readers {
	by_peer: Mutex<HashMap<IpAddr, usize>>,
}

/// A body being read from a peer; counted until dropped.
struct Reading<'a> {
	readers: &'a Readers,
	peer: IpAddr,
}

impl Readers {
	fn take(&self, peer: IpAddr) -> Option<Reading<'_>> {
		let mut by_peer = self.by_peer.lock().unwrap_or_else(|e| e.into_inner());
		let all: usize = by_peer.values().sum();
		let mine = by_peer.get(&peer).copied().unwrap_or(0);
		if all >= READERS || mine >= READERS_PER_PEER {
			return None;
		}
		by_peer.insert(peer, mine + 1);
		Some(Reading { readers: self, peer })
	}
}

impl Drop for Reading<'_> {
	fn drop(&mut self) {
		let mut by_peer = self.readers.by_peer.lock().unwrap_or_else(|e| e.into_inner());
		if let Some(count) = by_peer.get_mut(&self.peer) {
			*count -= 1;
			if *count == 0 {
				by_peer.remove(&self.peer);
			}
		}
	}
}

fn redirect(location: &str) -> Response<Body> {
	let mut response = text(StatusCode::PERMANENT_REDIRECT, "the app is under its path with a slash\n");
	if let Ok(location) = HeaderValue::from_str(location) {
		response.headers_mut().insert(header::LOCATION, location);
	}
	response
}
