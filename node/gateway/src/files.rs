//! `/files`: storing and reading Cairn files for a browser, which cannot speak the
//! fragment protocol. The gateway does what `cairn client put` and `get` do, with the
//! same code (`cairn-client`, `cairn-net`), but holds no account key: the page signs the
//! contracts' transaction and each upload authorisation (the wallet extension's
//! `signRaw`), and the gateway only carries the signatures to the providers.
//!
//! Storing a file, from the page:
//! 1. `POST /files/uploads?client=SS58&k=K&n=N[&codec=C]` with the file as the body: the
//!    gateway encrypts and erasure-codes it into its staging directory and answers the
//!    manifest (id, segment and fragment size, fragment roots) and the read capability,
//!    before anything is paid.
//! 2. The page makes the contracts (`storage.createContracts`), signed by `client`.
//! 3. `GET /files/uploads/ID/authorisations`: for each fragment, its pending contract and
//!    provider as the chain has them, and the payload the provider wants signed.
//! 4. `POST /files/uploads/ID/store` with the signatures: the gateway uploads each fragment
//!    to its provider and the manifest to each, in the background.
//! 5. `GET /files/uploads/ID`: progress (bytes sent of all), then `stored` or the error.
//!
//! Reading one: `GET /files/download?cap=CAPABILITY[&name=NAME]` fetches and checks the
//! fragments from the providers of its live contracts, then sends the file as an
//! attachment (with its length, so the browser shows progress), decoded as it is sent:
//! no restored copy is written.
//!
//! Bounded: the size of one file, the uploads kept at once and their staging bytes, the
//! downloads at once; an upload not stored within its time to live is dropped with its
//! staging files.

use std::{
	collections::HashMap,
	io::{self, Write},
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use bytes::Bytes;
use cairn_client::{market, Chain};
use cairn_erasure::{CodecId, Params, ReadCapability};
use cairn_net::{files, Address, UploadAuth};
use http_body_util::{BodyExt, StreamBody};
use hyper::{body::Frame, header, header::HeaderValue, Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{OnceCell, Semaphore};

use crate::{full, Body, LOG_TARGET};

/// The most contracts the chain takes for one file (its `MaxFragmentsPerFile`).
fn max_contracts_per_file() -> u32 {
	<<cairn_runtime::Runtime as pallet_storage::Config>::MaxFragmentsPerFile as polkadot_sdk::sp_core::Get<u32>>::get()
}

/// What `/files` may use.
#[derive(Clone, Debug)]
pub struct FilesConfig {
	/// The node's RPC (`ws://127.0.0.1:PORT`): quotes, contracts and endpoints come from it.
	pub rpc_url: String,
	/// Where uploads and downloads are staged (the node's base path, not `/tmp`).
	pub staging: PathBuf,
	/// The largest file stored or read through the gateway.
	pub max_file: u64,
	/// Uploads kept at once (each until stored, or for `upload_ttl`).
	pub max_uploads: usize,
	/// Downloads restored at once.
	pub max_downloads: usize,
	/// Bytes all uploads may stage together: the file and its n fragments each.
	pub max_staging: u64,
	/// How long an upload is kept when it is not stored.
	pub upload_ttl: Duration,
	/// The longest a request body may pause, and a download's reader may not read.
	pub idle: Duration,
}

impl FilesConfig {
	/// Defaults for a node whose RPC is at `rpc_url`, staging under `staging`.
	pub fn new(rpc_url: String, staging: PathBuf) -> Self {
		Self {
			rpc_url,
			staging,
			max_file: 1 << 30,
			max_uploads: 4,
			max_downloads: 4,
			max_staging: 16 << 30,
			upload_ttl: Duration::from_secs(3600),
			idle: Duration::from_secs(30),
		}
	}
}

/// How long the state of a stored upload stays readable (its staging files go at once).
const FINISHED_KEPT: Duration = Duration::from_secs(600);
/// The slowest a background upload may go before it is given up (bytes per second).
const UPLOAD_FLOOR: u64 = 64 * 1024;

/// The state of `/files`: the uploads in progress and what they share.
pub(crate) struct Files {
	config: FilesConfig,
	net: OnceCell<cairn_net::Handle>,
	uploads: Mutex<HashMap<String, Arc<Upload>>>,
	budget: Arc<Mutex<Budget>>,
	downloads: Arc<Semaphore>,
}

/// Upload slots and staging bytes in use: taken before a body is read, given back when the
/// upload's staging files are gone.
#[derive(Default)]
struct Budget {
	slots: usize,
	bytes: u64,
}

/// One upload's share of the budget, given back when dropped.
struct Reservation {
	budget: Arc<Mutex<Budget>>,
	bytes: u64,
}

impl Drop for Reservation {
	fn drop(&mut self) {
		let mut budget = self.budget.lock().expect("not poisoned");
		budget.slots -= 1;
		budget.bytes -= self.bytes;
	}
}

/// An upload's fragments in the staging directory, and the budget they hold.
struct Staged {
	encoded: files::EncodedFile,
	_reservation: Reservation,
}

/// A file encoded for a client, waiting for its contracts, then being uploaded.
struct Upload {
	client: cairn_runtime::AccountId,
	manifest: cairn_erasure::Manifest,
	/// The fragments, until they are stored (or the upload is dropped).
	staged: Mutex<Option<Arc<Staged>>>,
	created: Instant,
	sent: Arc<AtomicU64>,
	progress: Mutex<Progress>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
	/// `encoded`, `uploading`, `stored` or `failed`.
	state: &'static str,
	error: Option<String>,
	/// Each fragment's provider (`uploading` on): its account.
	providers: Vec<Option<String>>,
	/// When it was stored.
	#[serde(skip)]
	finished: Option<Instant>,
}

/// Drops uploads (and their staging files, which may be gigabytes) off the async threads.
fn drop_blocking<T: Send + 'static>(value: T) {
	tokio::task::spawn_blocking(move || drop(value));
}

/// An answer with a JSON body.
fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Body> {
	let mut response = full(status, value.to_string());
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
	headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
	response
}

/// A refusal: `{"error": message}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
	json_response(status, json!({ "error": message.into() }))
}

/// The value of `name` in a query string (`+` and `%XX` decoded).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
	query?.split('&').find_map(|pair| {
		let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
		(key == name).then(|| percent_decode(value))
	})
}

fn percent_decode(text: &str) -> String {
	let bytes = text.as_bytes();
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0;
	while i < bytes.len() {
		match bytes[i] {
			b'+' => out.push(b' '),
			b'%' if i + 2 < bytes.len() => {
				match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
					Ok(b) => {
						out.push(b);
						i += 2;
					},
					Err(_) => out.push(b'%'),
				}
			},
			b => out.push(b),
		}
		i += 1;
	}
	String::from_utf8_lossy(&out).into_owned()
}

/// A file name safe in a `Content-Disposition` header: plain characters only.
fn attachment_name(name: Option<String>) -> String {
	let name: String = name
		.unwrap_or_default()
		.chars()
		.filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '))
		.take(100)
		.collect();
	let name = name.trim().trim_start_matches('.');
	if name.is_empty() {
		"cairn-file".into()
	} else {
		name.into()
	}
}

/// The staging bytes of an upload of `size` bytes as n fragments of which k restore it:
/// the file itself while it is encoded, and its fragments (a little over size/k each).
fn staging_bytes(size: u64, fragment_size: u64, n: u16) -> u64 {
	size.saturating_add(fragment_size.saturating_mul(n as u64))
}

fn random_id() -> String {
	hex::encode(rand::random::<[u8; 16]>())
}

fn hex32(bytes: &[u8; 32]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Counts the bytes sent of an upload.
struct Sent(Arc<AtomicU64>);

impl files::Progress for Sent {
	fn set_total(&self, _: u64) {}
	fn advance(&self, bytes: u64) {
		self.0.fetch_add(bytes, Ordering::Relaxed);
	}
	fn note(&self, message: &str) {
		log::info!(target: LOG_TARGET, "upload: {message}");
	}
}

#[derive(Deserialize)]
struct StoreRequest {
	signatures: Vec<Signed>,
}

#[derive(Deserialize)]
struct Signed {
	index: usize,
	contract: u64,
	/// `0x` and 64 bytes in hex.
	signature: String,
}

/// A fragment's pending contract and its provider, as the chain has them.
struct Placement {
	contract: u64,
	provider: String,
	address: Address,
}

impl Files {
	pub(crate) fn new(config: FilesConfig) -> Self {
		let downloads = Arc::new(Semaphore::new(config.max_downloads));
		Self {
			config,
			net: OnceCell::new(),
			uploads: Mutex::new(HashMap::new()),
			budget: Default::default(),
			downloads,
		}
	}

	/// A slot and `bytes` of staging for a new upload, if the budget has them.
	fn reserve(&self, bytes: u64) -> Option<Reservation> {
		let mut budget = self.budget.lock().expect("not poisoned");
		if budget.slots >= self.config.max_uploads || budget.bytes.saturating_add(bytes) > self.config.max_staging {
			return None;
		}
		budget.slots += 1;
		budget.bytes += bytes;
		Some(Reservation { budget: self.budget.clone(), bytes })
	}

	async fn net(&self) -> Result<&cairn_net::Handle, Response<Body>> {
		self.net
			.get_or_try_init(|| cairn_net::start(cairn_net::Config::client()))
			.await
			.map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, format!("the gateway's network did not start: {e}")))
	}

	async fn chain(&self) -> Result<Chain, Response<Body>> {
		Chain::connect(&self.config.rpc_url).await.map_err(|e| error(StatusCode::BAD_GATEWAY, e))
	}

	fn upload(&self, id: &str) -> Result<Arc<Upload>, Response<Body>> {
		self.uploads.lock().expect("not poisoned").get(id).cloned().ok_or_else(|| {
			error(StatusCode::NOT_FOUND, format!("no upload {id} (it was stored, cancelled or expired): upload again"))
		})
	}

	/// Drops uploads past their time to live that are not uploading, and the states of
	/// stored ones kept long enough for the page to read them.
	fn sweep(&self) {
		let ttl = self.config.upload_ttl;
		let mut gone = Vec::new();
		self.uploads.lock().expect("not poisoned").retain(|_, upload| {
			let progress = upload.progress.lock().expect("not poisoned");
			let keep = match (progress.state, progress.finished) {
				("uploading", _) => true,
				(_, Some(finished)) => finished.elapsed() < FINISHED_KEPT,
				_ => upload.created.elapsed() < ttl,
			};
			if !keep {
				gone.push(upload.clone());
			}
			keep
		});
		drop_blocking(gone);
	}

	pub(crate) async fn route(self: &Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
		self.sweep();
		// A page of another site may not make this node read files for it (an `<img>` of
		// a download link): browsers say where a request comes from.
		let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("none");
		if !matches!(site, "same-origin" | "none") {
			return error(
				StatusCode::FORBIDDEN,
				format!("refused: /files answers this gateway's own page only, not {site} requests"),
			);
		}
		let path = req.uri().path().trim_end_matches('/').to_owned();
		let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
		match (req.method().clone(), &segments[1..]) {
			(Method::POST, ["uploads"]) => self.encode(req).await,
			(Method::GET, ["uploads", id]) => match self.upload(id) {
				Ok(upload) => {
					let progress = upload.progress.lock().expect("not poisoned").clone();
					let total = upload.manifest.fragment_size * upload.manifest.n as u64;
					json_response(
						StatusCode::OK,
						json!({
							"state": progress.state,
							"error": progress.error,
							"providers": progress.providers,
							"sent": upload.sent.load(Ordering::Relaxed).min(total),
							"total": total,
						}),
					)
				},
				Err(refused) => refused,
			},
			(Method::DELETE, ["uploads", id]) => {
				let mut uploads = self.uploads.lock().expect("not poisoned");
				match uploads.get(*id).map(|u| u.progress.lock().expect("not poisoned").state) {
					Some("uploading") => error(StatusCode::CONFLICT, "the upload is under way; wait for it to end"),
					Some(_) => {
						drop_blocking(uploads.remove(*id));
						json_response(StatusCode::OK, json!({ "removed": id }))
					},
					None => error(StatusCode::NOT_FOUND, format!("no upload {id}")),
				}
			},
			(Method::GET, ["uploads", id, "authorisations"]) => match self.upload(id) {
				Ok(upload) => self.authorisations(&upload).await,
				Err(refused) => refused,
			},
			(Method::POST, ["uploads", id, "store"]) => match self.upload(id) {
				Ok(upload) => self.store(id, upload, req).await,
				Err(refused) => refused,
			},
			(Method::GET | Method::HEAD, ["download"]) => self.download(req).await,
			_ => error(StatusCode::NOT_FOUND, format!("no such route {} {path}", req.method())),
		}
	}

	/// Step 1: the file in the body, encrypted and erasure-coded into the staging directory.
	async fn encode(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
		let query = req.uri().query();
		let Some(client) = query_param(query, "client") else {
			return error(StatusCode::BAD_REQUEST, "give the paying account: ?client=SS58 address");
		};
		let Ok(client) = client.parse::<cairn_runtime::AccountId>() else {
			return error(StatusCode::BAD_REQUEST, format!("client `{client}` is not an SS58 account address"));
		};
		let number = |name: &str, default: u16| -> Result<u16, Response<Body>> {
			match query_param(query, name) {
				None => Ok(default),
				Some(text) => text.parse().map_err(|_| {
					error(StatusCode::BAD_REQUEST, format!("{name} `{text}` is not a whole number from 1 to 65535"))
				}),
			}
		};
		let defaults = Params::default();
		let (k, n) = match (number("k", defaults.k), number("n", defaults.n)) {
			(Ok(k), Ok(n)) => (k, n),
			(Err(refused), _) | (_, Err(refused)) => return refused,
		};
		let codec = match query_param(query, "codec").map(|c| c.parse::<CodecId>()) {
			None => defaults.codec,
			Some(Ok(codec)) => codec,
			Some(Err(e)) => return error(StatusCode::BAD_REQUEST, e.to_string()),
		};
		let params = Params { codec, k, n, ..defaults };
		if let Err(e) = params.check() {
			return error(StatusCode::BAD_REQUEST, e.to_string());
		}
		if n as u32 > max_contracts_per_file() {
			return error(
				StatusCode::BAD_REQUEST,
				format!("n = {n}: the chain takes at most {} contracts for one file", max_contracts_per_file()),
			);
		}
		let Some(size) =
			req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
		else {
			return error(StatusCode::LENGTH_REQUIRED, "send the file with its Content-Length");
		};
		if size == 0 {
			return error(StatusCode::BAD_REQUEST, "the file is empty");
		}
		if size > self.config.max_file {
			return error(
				StatusCode::PAYLOAD_TOO_LARGE,
				format!(
					"the file has {size} bytes; this gateway takes at most {} (use `cairn client put` for larger files)",
					self.config.max_file
				),
			);
		}
		// The upload's slot and staging bytes are taken before anything is read.
		let fragment_size = match params.fragment_size(size) {
			Ok(fragment_size) => fragment_size,
			Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
		};
		let Some(reservation) = self.reserve(staging_bytes(size, fragment_size, n)) else {
			return error(
				StatusCode::SERVICE_UNAVAILABLE,
				"the gateway holds as many uploads as it may: finish or cancel one, or try again later",
			);
		};
		let id = random_id();
		let staging = self.config.staging.clone();
		let received = match receive(req.into_body(), &staging, size, self.config.idle).await {
			Ok(received) => received,
			Err(refused) => return refused,
		};
		let encoded = match files::encode_file_in(received.path(), params, &staging).await {
			Ok(encoded) => encoded,
			Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("encoding the file failed: {e}")),
		};
		drop_blocking(received);
		let manifest = &encoded.manifest;
		let answer = json!({
			"upload": id,
			"manifest": hex32(&manifest.id()),
			"plainSize": manifest.plain_size,
			"segmentSize": manifest.segment_size,
			"fragmentSize": manifest.fragment_size,
			"k": manifest.k,
			"n": manifest.n,
			"roots": manifest.fragment_roots.iter().map(hex32).collect::<Vec<_>>(),
			"capability": encoded.capability(Some(client.clone().into())).to_string(),
		});
		let progress =
			Progress { state: "encoded", error: None, providers: vec![None; manifest.n as usize], finished: None };
		let upload = Upload {
			client,
			manifest: manifest.clone(),
			staged: Mutex::new(Some(Arc::new(Staged { encoded, _reservation: reservation }))),
			created: Instant::now(),
			sent: Default::default(),
			progress: Mutex::new(progress),
		};
		self.uploads.lock().expect("not poisoned").insert(id, Arc::new(upload));
		json_response(StatusCode::OK, answer)
	}

	/// Each fragment's pending contract (made by the upload's client, naming the fragment's
	/// root) and where its provider listens.
	async fn placements(&self, chain: &Chain, upload: &Upload) -> Result<Vec<Placement>, Response<Body>> {
		let manifest = &upload.manifest;
		let contracts = market::file_status(chain, &upload.client, manifest.id())
			.await
			.map_err(|e| error(StatusCode::BAD_GATEWAY, e))?;
		let mut taken = std::collections::HashSet::new();
		let mut placements = Vec::new();
		for (index, root) in manifest.fragment_roots.iter().enumerate() {
			let contract = contracts
				.iter()
				.find(|c| c.state == "pending" && c.root == hex32(root) && !taken.contains(&c.id))
				.ok_or_else(|| {
					error(
						StatusCode::CONFLICT,
						format!(
							"fragment {index} has no pending contract of this client yet: make the contracts first"
						),
					)
				})?;
			taken.insert(contract.id);
			let endpoint: Option<cairn_rpc::cairn::ResolvedEndpoint> = chain
				.call("cairn_resolve", jsonrpsee::rpc_params![contract.provider.clone()])
				.await
				.map_err(|e| error(StatusCode::BAD_GATEWAY, e))?;
			let address = endpoint
				.as_ref()
				.ok_or_else(|| format!("provider {} has published no endpoint", contract.provider))
				.and_then(market::dial_address)
				.map_err(|e| error(StatusCode::BAD_GATEWAY, format!("fragment {index}: {e}")))?;
			placements.push(Placement { contract: contract.id, provider: contract.provider.clone(), address });
		}
		Ok(placements)
	}

	/// Step 3: what the client signs for each fragment's upload.
	async fn authorisations(&self, upload: &Upload) -> Response<Body> {
		let chain = match self.chain().await {
			Ok(chain) => chain,
			Err(refused) => return refused,
		};
		let placements = match self.placements(&chain, upload).await {
			Ok(placements) => placements,
			Err(refused) => return refused,
		};
		let manifest = &upload.manifest;
		let genesis: [u8; 32] = chain.genesis().into();
		let mut list = Vec::new();
		for (index, placement) in placements.iter().enumerate() {
			let Ok((peer, _)) = cairn_net::split_peer(&placement.address) else {
				return error(
					StatusCode::BAD_GATEWAY,
					format!("fragment {index}: the provider's address has no peer id"),
				);
			};
			let payload = cairn_net::upload_payload(
				&genesis,
				placement.contract,
				&manifest.fragment_roots[index],
				manifest.fragment_size,
				manifest.segment_size,
				&peer,
			);
			list.push(json!({
				"index": index,
				"contract": placement.contract,
				"provider": placement.provider,
				"payload": format!("0x{}", hex::encode(payload)),
			}));
		}
		json_response(StatusCode::OK, json!({ "authorisations": list }))
	}

	/// Step 4: the signed authorisations; the uploads run in the background.
	async fn store(&self, id: &str, upload: Arc<Upload>, req: Request<hyper::body::Incoming>) -> Response<Body> {
		let body = match http_body_util::Limited::new(req.into_body(), 64 * 1024).collect().await {
			Ok(body) => body.to_bytes(),
			Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "the signatures take at most 64 KiB"),
		};
		let request: StoreRequest = match serde_json::from_slice(&body) {
			Ok(request) => request,
			Err(e) => {
				return error(
					StatusCode::BAD_REQUEST,
					format!("expected {{\"signatures\": [{{\"index\", \"contract\", \"signature\"}}]}}: {e}"),
				)
			},
		};
		let n = upload.manifest.n as usize;
		let mut auths: Vec<Option<UploadAuth>> = vec![None; n];
		for signed in request.signatures {
			let signature = hex::decode(signed.signature.trim_start_matches("0x")).ok().and_then(|s| s.try_into().ok());
			let (Some(slot), Some(signature)) = (auths.get_mut(signed.index), signature) else {
				return error(
					StatusCode::BAD_REQUEST,
					format!("signature of fragment {}: a fragment index below {n} and 64 bytes in hex", signed.index),
				);
			};
			*slot = Some(UploadAuth { contract: signed.contract, signature });
		}
		if let Some(index) = auths.iter().position(Option::is_none) {
			return error(StatusCode::BAD_REQUEST, format!("no signature for fragment {index}"));
		}
		let auths: Vec<UploadAuth> = auths.into_iter().flatten().collect();
		let chain = match self.chain().await {
			Ok(chain) => chain,
			Err(refused) => return refused,
		};
		let placements = match self.placements(&chain, &upload).await {
			Ok(placements) => placements,
			Err(refused) => return refused,
		};
		if let Some((index, _)) = placements.iter().zip(&auths).enumerate().find(|(_, (p, a))| p.contract != a.contract)
		{
			return error(
				StatusCode::CONFLICT,
				format!(
					"fragment {index}: signed for contract {}, but its contract is {}",
					auths[index].contract, placements[index].contract
				),
			);
		}
		let net = match self.net().await {
			Ok(net) => net.clone(),
			Err(refused) => return refused,
		};
		// Uploading from here on, if the upload is still the one kept under `id` (not
		// dropped or swept meanwhile) and not already under way.
		let staged = {
			let uploads = self.uploads.lock().expect("not poisoned");
			if !uploads.get(id).is_some_and(|kept| Arc::ptr_eq(kept, &upload)) {
				return error(
					StatusCode::NOT_FOUND,
					format!("no upload {id} (it was cancelled or expired): upload again"),
				);
			}
			let mut progress = upload.progress.lock().expect("not poisoned");
			let staged = upload.staged.lock().expect("not poisoned").clone();
			let Some(staged) = staged.filter(|_| !matches!(progress.state, "uploading" | "stored")) else {
				return error(StatusCode::CONFLICT, format!("the upload is already {}", progress.state));
			};
			progress.state = "uploading";
			progress.error = None;
			progress.providers = placements.iter().map(|p| Some(p.provider.clone())).collect();
			upload.sent.store(0, Ordering::Relaxed);
			staged
		};
		let total = upload.manifest.fragment_size * n as u64;
		let deadline = Duration::from_secs(120 + total / UPLOAD_FLOOR);
		tokio::spawn(async move {
			let sending = send(&net, &staged.encoded, &upload.sent, &placements, auths);
			let result = match tokio::time::timeout(deadline, sending).await {
				Ok(result) => result,
				Err(_) => Err(format!("the providers took more than {} s", deadline.as_secs())),
			};
			let mut progress = upload.progress.lock().expect("not poisoned");
			match result {
				Ok(()) => {
					progress.state = "stored";
					progress.finished = Some(Instant::now());
					// The fragments are with the providers: the staging files and the
					// upload's slot go now; the state stays for the page to read.
					drop_blocking((upload.staged.lock().expect("not poisoned").take(), staged));
					log::info!(target: LOG_TARGET, "stored file 0x{}", hex::encode(upload.manifest.id()));
				},
				Err(e) => {
					progress.state = "failed";
					progress.error = Some(e);
					drop_blocking(staged);
				},
			}
		});
		json_response(StatusCode::ACCEPTED, json!({ "state": "uploading" }))
	}

	/// Reading a file back: its fragments fetched into the staging directory, then the
	/// file decoded into the answer.
	async fn download(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
		let query = req.uri().query();
		let Some(text) = query_param(query, "cap") else {
			return error(StatusCode::BAD_REQUEST, "give the file's read capability: ?cap=cairn:v2:...");
		};
		let cap: ReadCapability = match text.parse() {
			Ok(cap) => cap,
			Err(e) => return error(StatusCode::BAD_REQUEST, format!("{e}; a capability looks like `cairn:v2:...`")),
		};
		let client = match market::client_of(&cap, query_param(query, "client").as_deref()) {
			Ok(client) => client,
			Err(e) => return error(StatusCode::BAD_REQUEST, e),
		};
		let Ok(slot) = self.downloads.clone().try_acquire_owned() else {
			return error(
				StatusCode::SERVICE_UNAVAILABLE,
				"the gateway restores as many files as it may: try again shortly",
			);
		};
		let chain = match self.chain().await {
			Ok(chain) => chain,
			Err(refused) => return refused,
		};
		let providers = match market::providers_of(&chain, &client, &cap).await {
			Ok(providers) => providers,
			Err(e) => return error(StatusCode::NOT_FOUND, e),
		};
		let net = match self.net().await {
			Ok(net) => net,
			Err(refused) => return refused,
		};
		// The size first, from the manifest the capability names: nothing larger than the
		// gateway serves is fetched.
		match files::fetch_manifest(net, &cap, &providers).await {
			Ok(manifest) if manifest.plain_size > self.config.max_file => {
				return error(
					StatusCode::PAYLOAD_TOO_LARGE,
					format!(
						"the file has {} bytes; this gateway serves at most {} (use `cairn client get`)",
						manifest.plain_size, self.config.max_file
					),
				)
			},
			Ok(_) => {},
			Err(e) => return error(StatusCode::BAD_GATEWAY, e.to_string()),
		}
		// The fragments are fetched and checked before the answer starts, so that a file
		// that cannot be read is an error in words; then the file is decoded as it is sent.
		let fetched =
			match files::fetch_fragments(net, &cap, &providers, &self.config.staging, Arc::new(files::Quiet)).await {
				Ok(fetched) => fetched,
				Err(e) => return error(StatusCode::BAD_GATEWAY, e.to_string()),
			};
		let manifest = fetched.manifest().clone();
		let name = attachment_name(query_param(query, "name"));
		let head = req.method() == Method::HEAD;
		let body = if head {
			full(StatusCode::OK, Bytes::new()).into_body()
		} else {
			let key = cap.key.clone();
			stream_from(slot, self.config.idle, move |out| {
				fetched.decode(&key, out).map_err(|e| io::Error::other(e.to_string()))
			})
		};
		let mut response = Response::new(body);
		let headers = response.headers_mut();
		headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
		headers.insert(header::CONTENT_LENGTH, HeaderValue::from(manifest.plain_size));
		headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
		if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
			headers.insert(header::CONTENT_DISPOSITION, value);
		}
		response
	}
}

/// Uploads each fragment to its provider with the client's signature, then the manifest to
/// every provider.
async fn send(
	net: &cairn_net::Handle,
	encoded: &files::EncodedFile,
	sent: &Arc<AtomicU64>,
	placements: &[Placement],
	auths: Vec<UploadAuth>,
) -> Result<(), String> {
	let progress: Arc<dyn files::Progress> = Arc::new(Sent(sent.clone()));
	let uploads = placements.iter().zip(auths).enumerate().map(|(index, (placement, auth))| {
		let progress = progress.clone();
		async move {
			files::upload_fragment(
				net,
				encoded,
				index,
				&placement.address,
				Some(auth),
				progress,
				Duration::from_secs(30),
			)
			.await
			.map_err(|e| format!("fragment {index} to provider {}: {e}", placement.provider))
		}
	});
	let failures: Vec<String> = futures::future::join_all(uploads).await.into_iter().filter_map(Result::err).collect();
	if !failures.is_empty() {
		return Err(failures.join("; "));
	}
	let addresses: Vec<Address> = placements.iter().map(|p| p.address.clone()).collect();
	let contracts: Vec<u64> = placements.iter().map(|p| p.contract).collect();
	files::put_manifests(net, encoded, &addresses, Some(&contracts)).await.map_err(|e| e.to_string())
}

/// Writes a request body of `size` bytes to a file in `staging`: disk work on a blocking
/// thread, fed through a small channel so a slow disk slows the sender.
async fn receive(
	mut body: hyper::body::Incoming,
	staging: &Path,
	size: u64,
	idle: Duration,
) -> Result<tempfile::NamedTempFile, Response<Body>> {
	let file = tempfile::Builder::new()
		.prefix("upload-")
		.tempfile_in(staging)
		.map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, format!("staging the upload: {e}")))?;
	let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(16);
	let writer = tokio::task::spawn_blocking(move || -> std::io::Result<tempfile::NamedTempFile> {
		let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
		for chunk in rx {
			out.write_all(&chunk)?;
		}
		out.into_inner().map_err(|e| e.into_error())
	});
	let mut got = 0u64;
	let mut failure = None;
	loop {
		let frame = match tokio::time::timeout(idle, body.frame()).await {
			Ok(Some(frame)) => frame,
			Ok(None) => break,
			Err(_) => {
				failure = Some(error(
					StatusCode::REQUEST_TIMEOUT,
					format!("the upload sent nothing for {} s", idle.as_secs()),
				));
				break;
			},
		};
		match frame {
			Ok(frame) => {
				let Ok(data) = frame.into_data() else { continue };
				got += data.len() as u64;
				if got > size {
					failure = Some(error(StatusCode::BAD_REQUEST, "the body is longer than its Content-Length"));
					break;
				}
				let tx = tx.clone();
				// The channel is bounded: wait for the writer off the executor.
				if tokio::task::spawn_blocking(move || tx.send(data)).await.map_or(true, |r| r.is_err()) {
					break;
				}
			},
			Err(e) => {
				failure = Some(error(StatusCode::BAD_REQUEST, format!("the upload broke off: {e}")));
				break;
			},
		}
	}
	drop(tx);
	let written = writer.await.map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
	if let Some(refused) = failure {
		return Err(refused);
	}
	let file = written.map_err(|e| error(StatusCode::INSUFFICIENT_STORAGE, format!("staging the upload: {e}")))?;
	if got != size {
		return Err(error(
			StatusCode::BAD_REQUEST,
			format!("the body has {got} bytes, its Content-Length says {size}"),
		));
	}
	Ok(file)
}

/// A body written by `write` on a blocking thread, sent in frames of 256 KiB as they
/// fill; a failure ends the body with the error. The download's slot goes when `write`
/// returns, or when the reader has taken nothing for `idle`.
fn stream_from(
	slot: tokio::sync::OwnedSemaphorePermit,
	idle: Duration,
	write: impl FnOnce(&mut dyn io::Write) -> io::Result<()> + Send + 'static,
) -> Body {
	const FRAME: usize = 256 * 1024;
	let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Frame<Bytes>>>(4);
	let runtime = tokio::runtime::Handle::current();
	/// Frames to the channel, waiting (on the blocking thread) while the reader is slow.
	struct Frames {
		tx: tokio::sync::mpsc::Sender<io::Result<Frame<Bytes>>>,
		runtime: tokio::runtime::Handle,
		idle: Duration,
		buffer: Vec<u8>,
	}
	impl Frames {
		fn send(&self, item: io::Result<Frame<Bytes>>) -> io::Result<()> {
			let sent = self.runtime.block_on(async { tokio::time::timeout(self.idle, self.tx.send(item)).await });
			match sent {
				Ok(Ok(())) => Ok(()),
				_ => Err(io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away or stalled")),
			}
		}
	}
	impl io::Write for Frames {
		fn write(&mut self, data: &[u8]) -> io::Result<usize> {
			self.buffer.extend_from_slice(data);
			if self.buffer.len() >= FRAME {
				self.flush()?;
			}
			Ok(data.len())
		}

		fn flush(&mut self) -> io::Result<()> {
			if self.buffer.is_empty() {
				return Ok(());
			}
			let frame = std::mem::replace(&mut self.buffer, Vec::with_capacity(FRAME));
			self.send(Ok(Frame::data(Bytes::from(frame))))
		}
	}
	tokio::task::spawn_blocking(move || {
		let _slot = slot;
		let mut frames = Frames { tx, runtime, idle, buffer: Vec::with_capacity(FRAME) };
		if let Err(e) = write(&mut frames).and_then(|()| io::Write::flush(&mut frames)) {
			log::warn!(target: LOG_TARGET, "a download ended early: {e}");
			let _ = frames.send(Err(e));
		}
	});
	let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
	StreamBody::new(stream).boxed()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test(flavor = "multi_thread")]
	async fn a_streamed_body_arrives_whole_or_ends_in_its_error() {
		let slots = Arc::new(Semaphore::new(1));
		let body = stream_from(slots.clone().try_acquire_owned().unwrap(), Duration::from_secs(5), |out| {
			for i in 0..600u32 {
				out.write_all(&[(i % 251) as u8; 1024])?;
			}
			Ok(())
		});
		let bytes = body.collect().await.expect("the whole body").to_bytes();
		assert_eq!(bytes.len(), 600 * 1024);
		assert!(bytes.chunks(1024).enumerate().all(|(i, kib)| kib.iter().all(|&b| b == (i % 251) as u8)));
		// The download's slot is given back when the writer is done.
		for _ in 0..50 {
			if slots.available_permits() == 1 {
				break;
			}
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
		assert_eq!(slots.available_permits(), 1);

		let failing = stream_from(slots.clone().try_acquire_owned().unwrap(), Duration::from_secs(5), |out| {
			out.write_all(&[1; 300 * 1024])?;
			Err(io::Error::other("fragment 2 does not decode"))
		});
		let failed = failing.collect().await.expect_err("the body ends in the error");
		assert!(failed.to_string().contains("fragment 2 does not decode"), "{failed}");
	}

	#[test]
	fn query_parameters_are_decoded() {
		let query = Some("cap=cairn%3Av2%3Aabc&name=my+notes.txt&k=3");
		assert_eq!(query_param(query, "cap").as_deref(), Some("cairn:v2:abc"));
		assert_eq!(query_param(query, "name").as_deref(), Some("my notes.txt"));
		assert_eq!(query_param(query, "k").as_deref(), Some("3"));
		assert_eq!(query_param(query, "n"), None);
		assert_eq!(query_param(Some("x=%zz%4"), "x").as_deref(), Some("%zz%4"));
	}

	#[test]
	fn attachment_names_are_plain() {
		assert_eq!(attachment_name(Some("notes.txt".into())), "notes.txt");
		assert_eq!(attachment_name(Some("../\"evil\"\r\nX: y".into())), "evilX y");
		assert_eq!(attachment_name(Some("..".into())), "cairn-file");
		assert_eq!(attachment_name(None), "cairn-file");
	}

	#[test]
	fn staging_counts_the_file_and_its_fragments() {
		let params = Params { k: 3, n: 10, ..Params::default() };
		let fragment = params.fragment_size(3 << 20).unwrap();
		assert!(fragment >= 1 << 20);
		assert_eq!(staging_bytes(3 << 20, fragment, 10), (3 << 20) + 10 * fragment);
		assert_eq!(staging_bytes(u64::MAX, 1 << 30, 64), u64::MAX);
	}

	#[test]
	fn a_reservation_is_given_back_when_dropped() {
		let config =
			FilesConfig { max_uploads: 2, max_staging: 100, ..FilesConfig::new(String::new(), "/nowhere".into()) };
		let files = Files::new(config);
		let a = files.reserve(60).expect("room");
		assert!(files.reserve(50).is_none(), "over the staging bytes");
		let b = files.reserve(40).expect("room");
		assert!(files.reserve(0).is_none(), "over the slots");
		drop(a);
		let c = files.reserve(50).expect("room again");
		drop((b, c));
		let budget = files.budget.lock().unwrap();
		assert_eq!((budget.slots, budget.bytes), (0, 0));
	}
}
