//! # Cairn's app host
//!
//! A node runs the apps its operator installed: WebAssembly components of the
//! `wasi:http/proxy` world, next to the data. Each request gets a fresh instance,
//! pre-linked once per app ([`ProxyPre`]) and allocated from a pool, and runs under:
//! - a **deadline** (default 1 s): the engine's epoch ticks every 10 ms; at each tick a
//!   running instance yields its thread to the node's other work, and past its deadline
//!   it traps. A request also ends at the deadline plus a grace (default 5 s) while it
//!   waits on the host (a slow client, an outbound request);
//! - a **memory cap** per instance (default 64 MiB) over all its memories: growing past
//!   it traps; what it may keep in the host's memory (headers, buffered bodies, random
//!   bytes, handles) is bounded too;
//! - **no filesystem, no sockets, no environment**: WASI's interfaces are linked (Rust's
//!   standard library asks for them), but no directory is opened to an app, no variable
//!   set, sockets and name lookups refused; `wasi:http`, and `cairn:app/kv` when granted;
//! - **outbound HTTP only to the hosts the operator granted**, plain HTTP, a few requests
//!   at once; a granted name only where it resolves to public addresses; anything else is
//!   refused with `HTTP-request-denied` before a connection is made;
//! - **bounded concurrency**: at most `per_app` instances of one app and `total` in all;
//!   a request beyond is answered 503 at once.
//!
//! Installed apps live in `DIR/apps/NAME/` (the component and `app.json`, the grants); each
//! app's key-value data in `DIR/kv` ([`kv`]), counted against its quota.

use std::{
	collections::{BTreeMap, VecDeque},
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex, RwLock,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{
	component::{Component, HasSelf, Linker},
	Config, Engine, PoolingAllocationConfig, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::{p2::pipe::MemoryOutputPipe, WasiCtx};
use wasmtime_wasi_http::{
	bindings::{http::types::ErrorCode, ProxyPre},
	body::{HostIncomingBody, HyperIncomingBody, HyperOutgoingBody},
	types::HostIncomingRequest,
	WasiHttpView,
};

use instance::{Instance, MemoryCap};

mod instance;
pub mod kv;
mod outbound;
pub mod package;
pub mod store;

pub use kv::{Kv, KvError};
pub use package::{Manifest, Package};
pub use store::{FileStorer, Payment, PutState, Started, StoreError, StoreOptions};

const LOG_TARGET: &str = "cairn-apps";

wasmtime::component::bindgen!({
	path: "wit",
	world: "host",
	imports: { default: async | trappable },
});

use cairn::app::{files as files_wit, kv as kv_wit, store as store_wit};

/// How long an epoch lasts: the deadline's resolution.
const TICK: Duration = Duration::from_millis(10);
/// The most bytes of standard output and error kept from one request.
const OUTPUT_PER_REQUEST: usize = 64 * 1024;
/// The most log lines kept per app, the most one request adds, and the longest line.
const LOG_LINES: usize = 1000;
const LOG_LINES_PER_REQUEST: usize = 50;
const LOG_LINE: usize = 500;
/// The longest app name.
pub const MAX_NAME: usize = 32;

/// What the host allows each app.
#[derive(Clone, Debug)]
pub struct Limits {
	/// Wall time an instance may run (its CPU and what it waits for in between).
	pub deadline: Duration,
	/// How long past its deadline a request may still wait on the host (a slow reader of
	/// the response, a slow outbound request) before it is dropped.
	pub grace: Duration,
	/// Outbound requests one instance may have in flight.
	pub outbound: usize,
	/// Largest linear memory of an instance, in bytes.
	pub memory: usize,
	/// Instances of one app at once.
	pub per_app: usize,
	/// Instances of all apps at once.
	pub total: usize,
	/// Bytes of keys and values an app may keep.
	pub kv_quota: u64,
	/// Largest component the host installs, in bytes.
	pub max_component: usize,
	/// Largest Cairn file an app reads (`cairn:app/files`), in bytes.
	pub max_file_read: u64,
	/// Largest Cairn file an app stores (`cairn:app/store`), in bytes.
	pub max_file_store: u64,
}

impl Default for Limits {
	fn default() -> Self {
		Limits {
			deadline: Duration::from_secs(1),
			grace: Duration::from_secs(5),
			outbound: 4,
			memory: 64 << 20,
			per_app: 4,
			total: 16,
			kv_quota: 16 << 20,
			max_component: 32 << 20,
			max_file_read: 16 << 20,
			max_file_store: 16 << 20,
		}
	}
}

/// What the operator granted an app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
	/// Its own key-value store (`cairn:app/kv`).
	#[serde(default)]
	pub kv: bool,
	/// Hosts it may send plain HTTP requests to: `example.org` (port 80) or
	/// `example.org:8080`.
	#[serde(default)]
	pub http: Vec<String>,
	/// Reading Cairn files by capability through the node (`cairn:app/files`).
	#[serde(default)]
	pub files_read: bool,
	/// Storing new Cairn files through the node (`cairn:app/store`), paid by the account
	/// the operator chose for the app, within its budget.
	#[serde(default)]
	pub files_write: bool,
}

impl Grants {
	/// Grants as the operator writes them: `kv,http:example.org,http:10.0.0.2:8080`.
	pub fn parse(text: &str) -> Result<Self, Error> {
		let mut grants = Grants::default();
		for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
			match item.split_once(':') {
				None if item == "kv" => grants.kv = true,
				Some(("files", "read")) => grants.files_read = true,
				Some(("files", "write")) => grants.files_write = true,
				Some(("http", host)) if valid_host(host) => grants.http.push(host.to_ascii_lowercase()),
				_ => return Err(Error::BadGrant(item.to_owned())),
			}
		}
		Ok(grants)
	}

	/// Whether a request to `host`:`port` (80 when none is given) was granted: a grant
	/// without a port grants port 80 only.
	pub(crate) fn allows(&self, host: &str, port: Option<u16>) -> bool {
		let wanted = format!("{}:{}", host.to_ascii_lowercase(), port.unwrap_or(80));
		self.http.iter().any(|granted| match granted.rsplit_once(':') {
			Some((_, granted_port)) if granted_port.parse::<u16>().is_ok() => *granted == wanted,
			_ => format!("{granted}:80") == wanted,
		})
	}
}

fn valid_host(host: &str) -> bool {
	let name = match host.rsplit_once(':') {
		Some((name, port)) if port.parse::<u16>().is_ok() => name,
		_ => host,
	};
	!name.is_empty() && name.len() <= 253 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// An installed app, as `cairn apps list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
	pub name: String,
	pub grants: Grants,
	/// BLAKE3 hash of the component, hex.
	pub code_hash: String,
	/// Size of the component in bytes.
	pub size: u64,
	/// When it was installed, in seconds since the Unix epoch.
	pub installed_at: u64,
	/// Who signed its package (SS58); none for a component installed without one.
	#[serde(default)]
	pub author: Option<String>,
	/// The version its package gave.
	#[serde(default)]
	pub version: Option<String>,
	#[serde(default)]
	pub description: String,
	/// The operator's settings for the app, which it reads as its environment.
	#[serde(default)]
	pub config: BTreeMap<String, String>,
}

/// The most settings an app takes, and their most bytes in all.
pub const MAX_CONFIG: usize = 32;
pub const MAX_CONFIG_BYTES: usize = 8 * 1024;

/// Checks the operator's settings for an app: names of `[A-Z_][A-Z0-9_]*`, bounded.
pub fn check_config(config: &BTreeMap<String, String>) -> Result<(), Error> {
	let bytes: usize = config.iter().map(|(k, v)| k.len() + v.len()).sum();
	if config.len() > MAX_CONFIG || bytes > MAX_CONFIG_BYTES {
		return Err(Error::BadConfig(format!("at most {MAX_CONFIG} settings of {MAX_CONFIG_BYTES} bytes in all")));
	}
	for (name, value) in config {
		let good = name.bytes().next().is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
			&& name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
		if !good {
			return Err(Error::BadConfig(format!("`{name}` is not a setting name: A-Z, 0-9 and _, not first a digit")));
		}
		if value.contains('\0') {
			return Err(Error::BadConfig(format!("the value of {name} holds a NUL")));
		}
	}
	Ok(())
}

/// Reads Cairn files for apps (`cairn:app/files`): the node's own client.
pub trait FileReader: Send + Sync + 'static {
	/// The whole file `capability` names, if it has at most `max` bytes.
	fn read(
		&self,
		capability: String,
		max: u64,
	) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Bytes, FileError>> + Send>>;
}

/// Why a file could not be read for an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
	BadCapability(String),
	TooLarge(u64),
	Unavailable(String),
}

/// Why the host refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("`{0}` is not an app name: 1 to {MAX_NAME} lowercase letters, digits and dashes, starting with a letter or digit")]
	BadName(String),
	#[error("`{0}` is not a grant: use kv, files:read, files:write, or http:HOST (http:HOST:PORT for one port)")]
	BadGrant(String),
	#[error("the component has {0} bytes; this node installs at most {1}")]
	TooLarge(usize, usize),
	#[error("not a WebAssembly component this node can run: {0}")]
	NotAComponent(String),
	#[error("not a wasi:http/proxy component (an app handles HTTP requests): {0}")]
	NotAProxy(String),
	#[error("the app does not start: {0}")]
	DoesNotStart(String),
	#[error("the app asks for {0}, which it was not granted: grant it with --grant {0}")]
	NotGranted(&'static str),
	#[error("no app named `{0}` is installed")]
	UnknownApp(String),
	#[error("app `{0}` is still answering requests; try again")]
	Busy(String),
	#[error("not an app package this node installs: {0}")]
	BadPackage(String),
	#[error("the package's signature does not hold for its author {0}: it was changed after it was signed")]
	BadSignature(String),
	#[error("the package's manifest does not match its component: {0}")]
	ManifestMismatch(String),
	#[error("`{0}` is not an author: give an SS58 address or 0x and 64 hex digits")]
	BadAuthor(String),
	#[error(
		"app `{name}` is by {installed}, this package by {offered}: remove the app first to install another author's"
	)]
	OtherAuthor { name: String, installed: String, offered: String },
	#[error("the package is signed by {offered}, not by the author asked for ({wanted})")]
	NotTheAuthor { wanted: String, offered: String },
	#[error("the app asks for {0}, which was not granted: install it with --grant {0} if you trust it with that")]
	AsksMore(String),
	#[error("bad settings: {0}")]
	BadConfig(String),
	#[error("bad payer: {0}")]
	BadPayer(String),
	#[error("the app store: {0}")]
	Store(String),
	#[error(transparent)]
	Kv(#[from] KvError),
}

impl From<std::io::Error> for Error {
	fn from(e: std::io::Error) -> Self {
		Error::Store(e.to_string())
	}
}

/// An installed app: its linked component and its own bound on instances.
pub(crate) struct App {
	info: AppInfo,
	pre: ProxyPre<Instance>,
	slots: Arc<Semaphore>,
	logs: Mutex<VecDeque<String>>,
	/// Set when the app is removed: its instances still running write no data.
	removed: AtomicBool,
}

impl App {
	/// Keeps `line` in the app's log: printable characters only, at most [`LOG_LINE`].
	pub(crate) fn log(&self, line: String) {
		let line: String = line.chars().filter(|c| !c.is_control()).take(LOG_LINE).collect();
		log::debug!(target: LOG_TARGET, "{}: {line}", self.info.name);
		let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
		if logs.len() == LOG_LINES {
			logs.pop_front();
		}
		logs.push_back(line);
	}
}

/// The apps of a node.
pub struct Apps {
	engine: Engine,
	linker: Linker<Instance>,
	dir: PathBuf,
	kv: Arc<Kv>,
	/// The node's client for `cairn:app/files`; without one, reads are unavailable.
	files: Option<Arc<dyn FileReader>>,
	/// Who pays for each app's files (`cairn:app/store`), and the client that stores them.
	payers: Arc<store::Payers>,
	limits: Limits,
	installed: RwLock<BTreeMap<String, Arc<App>>>,
	/// Held while apps are installed or removed: one change on disk at a time.
	changing: tokio::sync::Mutex<()>,
	total: Arc<Semaphore>,
	/// Lowered when the host goes: the epoch ticker stops once no instance runs.
	ticking: Arc<AtomicBool>,
}

impl std::fmt::Debug for Apps {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Apps").field("dir", &self.dir).field("apps", &self.list().len()).finish_non_exhaustive()
	}
}

impl Drop for Apps {
	fn drop(&mut self) {
		self.ticking.store(false, Ordering::Relaxed);
	}
}

/// A response with a plain-text body, as the host answers for an app that could not.
pub fn text_response(status: u16, text: impl Into<String>) -> hyper::Response<HyperOutgoingBody> {
	let mut line = text.into();
	line.push('\n');
	let body = Full::new(Bytes::from(line)).map_err(|never| match never {}).boxed();
	let mut response = hyper::Response::new(body);
	*response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
	response
		.headers_mut()
		.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
	response
}

fn check_name(name: &str) -> Result<(), Error> {
	let ok = !name.is_empty()
		&& name.len() <= MAX_NAME
		&& name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
		&& !name.starts_with('-');
	ok.then_some(()).ok_or_else(|| Error::BadName(name.to_owned()))
}

/// Compiles and links `component` for `info`: a component that is no HTTP app, or asks
/// for what it was not granted, is refused.
fn link(
	engine: &Engine,
	linker: &Linker<Instance>,
	info: &AppInfo,
	component: &[u8],
) -> Result<ProxyPre<Instance>, Error> {
	let compiled = Component::new(engine, component).map_err(|e| Error::NotAComponent(format!("{e:#}")))?;
	let imports =
		|interface: &str| compiled.component_type().imports(engine).any(|(name, _)| name.starts_with(interface));
	if imports("cairn:app/kv") && !info.grants.kv {
		return Err(Error::NotGranted("kv"));
	}
	if imports("cairn:app/files") && !info.grants.files_read {
		return Err(Error::NotGranted("files:read"));
	}
	if imports("cairn:app/store") && !info.grants.files_write {
		return Err(Error::NotGranted("files:write"));
	}
	let pre = linker.instantiate_pre(&compiled).map_err(|e| Error::NotAProxy(format!("{e:#}")))?;
	ProxyPre::new(pre).map_err(|e| Error::NotAProxy(format!("{e:#}")))
}

/// Writes `bytes` to a new file at `path`, readable by the node's user only (an app's
/// record holds the operator's settings, which may be secrets), synced.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
	use std::{io::Write, os::unix::fs::OpenOptionsExt};
	let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
	file.write_all(bytes)?;
	file.sync_all()
}

/// Makes the entries of `dir` durable (a rename or removal in it).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
	std::fs::File::open(dir)?.sync_all()
}

/// How a request ended when the app gave no response.
#[derive(Default)]
struct Ending {
	/// The instance ran past its deadline.
	late: AtomicBool,
	/// It passed its memory cap.
	memory: Arc<AtomicBool>,
	/// It waited on the host past its deadline and grace.
	stalled: AtomicBool,
}

impl Ending {
	/// The host's own reason, if the host stopped the instance.
	fn reason(&self) -> Option<&'static str> {
		if self.memory.load(Ordering::Relaxed) {
			Some("was stopped: it passed its memory cap")
		} else if self.late.load(Ordering::Relaxed) {
			Some("was stopped: it ran past its deadline")
		} else if self.stalled.load(Ordering::Relaxed) {
			Some("was stopped: it waited past its deadline")
		} else {
			None
		}
	}
}

impl Apps {
	/// Opens the apps under `dir` (creating it) and links every installed one. Compiling
	/// takes a while per app: call it off the executor's threads.
	pub fn open(dir: &Path, limits: Limits) -> Result<Self, Error> {
		let apps_dir = dir.join("apps");
		std::fs::create_dir_all(&apps_dir)?;
		let engine = Self::engine(&limits).map_err(|e| Error::Store(format!("the app engine: {e:#}")))?;
		let mut linker = Linker::new(&engine);
		// All of WASI 0.2, because Rust's standard library asks for the environment, exit
		// and the filesystem even in an app; the context an instance gets opens no
		// directory, sets no variable and refuses sockets and name lookups.
		wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| Error::Store(e.to_string()))?;
		wasmtime_wasi_http::add_only_http_to_linker_async(&mut linker).map_err(|e| Error::Store(e.to_string()))?;
		kv_wit::add_to_linker::<_, HasSelf<_>>(&mut linker, |instance| instance)
			.map_err(|e| Error::Store(e.to_string()))?;
		files_wit::add_to_linker::<_, HasSelf<_>>(&mut linker, |instance| instance)
			.map_err(|e| Error::Store(e.to_string()))?;
		store_wit::add_to_linker::<_, HasSelf<_>>(&mut linker, |instance| instance)
			.map_err(|e| Error::Store(e.to_string()))?;
		let kv = Arc::new(Kv::open(&dir.join("kv"))?);
		let payers = Arc::new(store::Payers::open(&dir.join("payers"), limits.max_file_store)?);
		let mut installed = BTreeMap::new();
		for entry in std::fs::read_dir(&apps_dir)? {
			let path = entry?.path();
			let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
			// `.NAME.new` and `.NAME.old` are an install that did not finish: the old app
			// stays if the new one never moved in.
			if let Some(hidden) = name.strip_prefix('.') {
				let app = hidden.trim_end_matches(".new").trim_end_matches(".old");
				if hidden.ends_with(".old") && !apps_dir.join(app).exists() {
					std::fs::rename(&path, apps_dir.join(app))?;
				} else {
					std::fs::remove_dir_all(&path)?;
				}
			}
		}
		for entry in std::fs::read_dir(&apps_dir)? {
			let path = entry?.path();
			let loaded = std::fs::read(path.join("app.json"))
				.map_err(Error::from)
				.and_then(|json| serde_json::from_slice::<AppInfo>(&json).map_err(|e| Error::Store(e.to_string())))
				.and_then(|info| {
					check_name(&info.name)?;
					let pre = link(&engine, &linker, &info, &std::fs::read(path.join("component.wasm"))?)?;
					Ok((info, pre))
				});
			match loaded {
				Ok((info, pre)) => {
					let app = App {
						slots: Arc::new(Semaphore::new(limits.per_app)),
						logs: Mutex::default(),
						removed: AtomicBool::new(false),
						info,
						pre,
					};
					installed.insert(app.info.name.clone(), Arc::new(app));
				},
				Err(e) => log::warn!(target: LOG_TARGET, "the app in {} is not loaded: {e}", path.display()),
			}
		}
		let apps = Apps {
			total: Arc::new(Semaphore::new(limits.total)),
			engine,
			linker,
			dir: dir.to_owned(),
			kv,
			files: None,
			payers,
			limits,
			installed: RwLock::new(installed),
			changing: tokio::sync::Mutex::new(()),
			ticking: Arc::new(AtomicBool::new(true)),
		};
		apps.tick()?;
		Ok(apps)
	}

	/// Reads Cairn files for apps granted `files:read` with `reader`.
	pub fn with_files(mut self, reader: Arc<dyn FileReader>) -> Self {
		self.files = Some(reader);
		self
	}

	/// Stores Cairn files for apps granted `files:write` with `storer`.
	pub fn with_storer(self, storer: Arc<dyn FileStorer>) -> Self {
		self.payers.with_storer(storer);
		self
	}

	/// Makes the account of secret URI `suri` pay for the files app `name` stores, up to
	/// `budget` in all (in the chain's smallest unit; what it spent before counts).
	pub fn pay(&self, name: &str, suri: &str, budget: u128) -> Result<Payment, Error> {
		let app = self.app(name)?;
		if !app.info.grants.files_write {
			return Err(Error::BadPayer(format!("app `{name}` stores no files: it was not granted files:write")));
		}
		self.payers.set(name, suri, budget)
	}

	/// Who pays for the files app `name` stores, if anyone.
	pub fn payment(&self, name: &str) -> Option<Payment> {
		self.payers.payment(name)
	}

	/// Starts the epoch ticker: it runs while the host is open, and after that while any
	/// instance still runs (so that each still yields and meets its deadline).
	fn tick(&self) -> Result<(), Error> {
		let (engine, ticking, total, all) =
			(self.engine.clone(), self.ticking.clone(), self.total.clone(), self.limits.total);
		std::thread::Builder::new().name("cairn-apps-epoch".into()).spawn(move || {
			while ticking.load(Ordering::Relaxed) || total.available_permits() < all {
				std::thread::sleep(TICK);
				engine.increment_epoch();
			}
		})?;
		Ok(())
	}

	fn engine(limits: &Limits) -> anyhow::Result<Engine> {
		let mut pool = PoolingAllocationConfig::new();
		// One more than `total`: an install's trial instance.
		let instances = limits.total as u32 + 1;
		pool.total_component_instances(instances)
			.total_core_instances(instances * 16)
			.total_memories(instances * 2)
			.total_tables(instances * 16)
			.total_stacks(instances)
			// An instance may not take the slots of others.
			.max_memories_per_component(2)
			.max_core_instances_per_component(16)
			.max_tables_per_component(16)
			.max_memory_size(limits.memory)
			.max_component_instance_size(4 << 20)
			.max_core_instance_size(4 << 20)
			// A freed slot keeps its first pages resident instead of returning them to the
			// kernel: the next instance does not fault them in again (at most ~6 MiB in all).
			.linear_memory_keep_resident(256 << 10)
			.table_keep_resident(64 << 10)
			.async_stack_keep_resident(64 << 10);
		let mut config = Config::new();
		config.async_support(true).wasm_component_model(true).epoch_interruption(true).allocation_strategy(pool);
		Engine::new(&config)
	}

	/// A fresh store for one instance of `app`, its deadline counted from now.
	fn store(&self, app: Arc<App>, output: &MemoryOutputPipe, ending: &Arc<Ending>) -> Store<Instance> {
		let mut wasi = WasiCtx::builder();
		for (name, value) in &app.info.config {
			wasi.env(name, value);
		}
		let wasi = wasi
			.stdout(output.clone())
			.stderr(output.clone())
			.max_random_size(instance::MAX_RANDOM)
			.allow_tcp(false)
			.allow_udp(false)
			.allow_ip_name_lookup(false)
			.build();
		let memory = MemoryCap { cap: self.limits.memory, used: 0, hit: ending.memory.clone() };
		let mut state = Instance::new(wasi, memory, app, self.kv.clone(), self.limits.kv_quota, self.limits.outbound);
		state.files = self.files.clone();
		state.payers = Some(self.payers.clone());
		let waited = state.waited.clone();
		state.max_file_read = self.limits.max_file_read.min(self.limits.memory as u64);
		let mut store = Store::new(&self.engine, state);
		store.limiter(|instance| &mut instance.memory);
		// At every tick the instance yields to the node's other work; past its deadline
		// it traps.
		let deadline = Instant::now() + self.limits.deadline;
		let ending = ending.clone();
		store.set_epoch_deadline(1);
		store.epoch_deadline_callback(move |_| {
			// What it waited for Cairn's host calls (a file fetched, a file encoded) does
			// not count: the request's own limit, its deadline and grace, still does.
			let waited = Duration::from_nanos(waited.load(Ordering::Relaxed));
			if Instant::now() >= deadline + waited {
				ending.late.store(true, Ordering::Relaxed);
				return Err(Trap::Interrupt.into());
			}
			Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now())))
		});
		store
	}

	/// Installs `component` as `name` with `grants`, replacing an app of that name (its
	/// data stays). The component is checked, linked and started once first: a bad one
	/// changes nothing.
	pub async fn install(&self, name: &str, component: Vec<u8>, grants: Grants) -> Result<AppInfo, Error> {
		check_name(name)?;
		if component.len() > self.limits.max_component {
			return Err(Error::TooLarge(component.len(), self.limits.max_component));
		}
		let info = AppInfo {
			name: name.to_owned(),
			grants,
			code_hash: blake3::hash(&component).to_hex().to_string(),
			size: component.len() as u64,
			installed_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
			author: None,
			version: None,
			description: String::new(),
			config: BTreeMap::new(),
		};
		self.install_as(info, component).await
	}

	/// Installs a signed package, granting what its manifest asks for, which `granted`
	/// must cover, with the operator's settings `config` (the app's environment). An app of
	/// the same name by another author is not replaced; with `author`, only a package that
	/// author signed is installed.
	pub async fn install_package(
		&self,
		package: &[u8],
		granted: &Grants,
		author: Option<&str>,
		config: BTreeMap<String, String>,
	) -> Result<AppInfo, Error> {
		check_config(&config)?;
		use polkadot_sdk::sp_core::crypto::Ss58Codec;
		if package.len() > self.max_package() {
			return Err(Error::BadPackage(format!(
				"it has {} bytes; this node installs packages of at most {}",
				package.len(),
				self.max_package()
			)));
		}
		let wanted = author.map(package::parse_author).transpose()?;
		let package = Package::open(package)?;
		let offered = package.author.to_ss58check();
		if let Some(wanted) = wanted.filter(|wanted| *wanted != package.author) {
			return Err(Error::NotTheAuthor { wanted: wanted.to_ss58check(), offered });
		}
		let missing = package.missing(granted);
		if !missing.is_empty() {
			return Err(Error::AsksMore(missing.join(",")));
		}
		let Package { manifest, component, .. } = package;
		if component.len() > self.limits.max_component {
			return Err(Error::TooLarge(component.len(), self.limits.max_component));
		}
		let info = AppInfo {
			name: manifest.name,
			// The app gets what it asked for, not more than that even if more was granted.
			grants: manifest.asks,
			code_hash: manifest.component,
			size: manifest.size,
			installed_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
			author: Some(offered),
			version: Some(manifest.version),
			description: manifest.description,
			config,
		};
		self.install_as(info, component).await.map_err(|e| match e {
			// It imports what its author did not declare.
			Error::NotGranted(what) => {
				Error::ManifestMismatch(format!("the component asks for {what}, which its manifest does not"))
			},
			e => e,
		})
	}

	/// The largest package this node installs: its largest component and manifest.
	pub fn max_package(&self) -> usize {
		self.limits.max_component + package::MAX_MANIFEST + 128
	}

	/// Who signed the app installed as `name`, from memory or, for an app that did not load
	/// (its data still there), from its `app.json`: `None` for no such app.
	fn installed_author(&self, name: &str) -> Option<Option<String>> {
		if let Ok(app) = self.app(name) {
			return Some(app.info.author.clone());
		}
		let json = std::fs::read(self.dir.join("apps").join(name).join("app.json")).ok()?;
		// An app.json that cannot be read names no author: only an unsigned install, or the
		// operator's removal, replaces it.
		Some(serde_json::from_slice::<AppInfo>(&json).ok().and_then(|info| info.author).or(Some(String::new())))
	}

	async fn install_as(&self, info: AppInfo, component: Vec<u8>) -> Result<AppInfo, Error> {
		let name = info.name.as_str();
		let _changing = self.changing.lock().await;
		// A signed app is replaced only by its own author's package.
		if let (Some(offered), Some(installed)) = (&info.author, self.installed_author(name)) {
			if installed.as_ref() != Some(offered) {
				return Err(Error::OtherAuthor {
					name: name.to_owned(),
					installed: match installed.as_deref() {
						None => "no signed package".into(),
						Some("") => "an app whose record cannot be read".into(),
						Some(author) => author.to_owned(),
					},
					offered: offered.clone(),
				});
			}
		}
		let (engine, linker, checked) = (self.engine.clone(), self.linker.clone(), info.clone());
		let (component, pre) = tokio::task::spawn_blocking(move || {
			let pre = link(&engine, &linker, &checked, &component);
			(component, pre)
		})
		.await
		.map_err(|e| Error::Store(e.to_string()))?;
		let pre = pre?;
		// A reinstalled app keeps its bound on instances: its old version's requests count.
		let slots =
			self.app(name).map_or_else(|_| Arc::new(Semaphore::new(self.limits.per_app)), |old| old.slots.clone());
		let app =
			Arc::new(App { info: info.clone(), pre, slots, logs: Mutex::default(), removed: AtomicBool::new(false) });
		self.trial(&app).await?;

		// Written beside, synced, then swapped in: a crash leaves the old app or the new.
		let apps_dir = self.dir.join("apps");
		let (dir, new, old) =
			(apps_dir.join(name), apps_dir.join(format!(".{name}.new")), apps_dir.join(format!(".{name}.old")));
		let json = serde_json::to_vec_pretty(&info).map_err(|e| Error::Store(e.to_string()))?;
		let write = move || -> std::io::Result<()> {
			let _ = std::fs::remove_dir_all(&new);
			std::fs::create_dir_all(&new)?;
			write_synced(&new.join("component.wasm"), &component)?;
			write_synced(&new.join("app.json"), &json)?;
			sync_dir(&new)?;
			if dir.exists() {
				std::fs::rename(&dir, &old)?;
			}
			std::fs::rename(&new, &dir)?;
			sync_dir(&apps_dir)?;
			let _ = std::fs::remove_dir_all(&old);
			Ok(())
		};
		tokio::task::spawn_blocking(write).await.map_err(|e| Error::Store(e.to_string()))??;
		self.installed.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_owned(), app);
		log::info!(target: LOG_TARGET, "installed app {name} ({} bytes, {})", info.size, info.code_hash);
		Ok(info)
	}

	/// Starts `app` once, as a request would, without a request: a component that links
	/// but cannot start (its memory, its start function) is refused at install.
	async fn trial(&self, app: &Arc<App>) -> Result<(), Error> {
		let ending = Arc::new(Ending::default());
		let mut store = self.store(app.clone(), &MemoryOutputPipe::new(OUTPUT_PER_REQUEST), &ending);
		let started =
			tokio::time::timeout(self.limits.deadline + self.limits.grace, app.pre.instantiate_async(&mut store));
		match started.await {
			Ok(Ok(_)) => Ok(()),
			Ok(Err(e)) => Err(Error::DoesNotStart(ending.reason().map_or_else(|| format!("{e:#}"), str::to_owned))),
			Err(_) => Err(Error::DoesNotStart("it did not start within its deadline".into())),
		}
	}

	/// Removes app `name` and its data, once the requests it is answering have ended.
	///
	/// An app that did not load at start (its component or record damaged) is removed
	/// too, with its data: there is no other way for the operator to get rid of it.
	pub async fn remove(&self, name: &str) -> Result<(), Error> {
		let _changing = self.changing.lock().await;
		let dir = self.dir.join("apps").join(name);
		match self.app(name) {
			Ok(app) => {
				let wait = self.limits.deadline + self.limits.grace + Duration::from_secs(1);
				let all = self.limits.per_app as u32;
				let _quiet = tokio::time::timeout(wait, app.slots.clone().acquire_many_owned(all))
					.await
					.map_err(|_| Error::Busy(name.to_owned()))?
					.map_err(|_| Error::Busy(name.to_owned()))?;
				app.removed.store(true, Ordering::Release);
				self.installed.write().unwrap_or_else(|e| e.into_inner()).remove(name);
			},
			// The name is checked first: it becomes a path.
			Err(_) if check_name(name).is_ok() && dir.is_dir() => {
				log::info!(target: LOG_TARGET, "removing app {name}, which did not load, and its data");
			},
			Err(e) => return Err(e),
		}
		let (kv, app_name) = (self.kv.clone(), name.to_owned());
		let payers = self.payers.clone();
		tokio::task::spawn_blocking(move || -> Result<(), Error> {
			payers.remove(&app_name)?;
			kv.purge(&app_name)?;
			std::fs::remove_dir_all(&dir)?;
			Ok(())
		})
		.await
		.map_err(|e| Error::Store(e.to_string()))?
	}

	/// Closes the host once the requests it runs have ended (each ends by its deadline
	/// and grace): then its store is closed and may be opened again.
	pub async fn close(self) {
		let wait = self.limits.deadline + self.limits.grace + Duration::from_secs(1);
		let _ = tokio::time::timeout(wait, self.total.clone().acquire_many_owned(self.limits.total as u32)).await;
	}

	/// The installed apps, by name.
	pub fn list(&self) -> Vec<AppInfo> {
		self.installed.read().unwrap_or_else(|e| e.into_inner()).values().map(|app| app.info.clone()).collect()
	}

	/// The last lines app `name` printed, and what the host said of its requests.
	pub fn logs(&self, name: &str) -> Result<Vec<String>, Error> {
		let app = self.app(name)?;
		let logs = app.logs.lock().unwrap_or_else(|e| e.into_inner());
		Ok(logs.iter().cloned().collect())
	}

	/// The bytes of data app `name` keeps (with what each entry costs the database).
	pub fn data_used(&self, name: &str) -> Result<u64, Error> {
		self.app(name)?;
		Ok(self.kv.used(name)?)
	}

	fn app(&self, name: &str) -> Result<Arc<App>, Error> {
		self.installed
			.read()
			.unwrap_or_else(|e| e.into_inner())
			.get(name)
			.cloned()
			.ok_or_else(|| Error::UnknownApp(name.to_owned()))
	}

	/// Answers `request` with app `name`, in a fresh instance. The host's own answers
	/// (no such app, busy, stopped) are plain text with a status; what went wrong inside
	/// an app is told to its log, not to the client.
	pub async fn handle(
		&self,
		name: &str,
		request: hyper::Request<HyperIncomingBody>,
	) -> hyper::Response<HyperOutgoingBody> {
		let Ok(app) = self.app(name) else {
			return text_response(404, format!("no app named `{name}` is installed on this node"));
		};
		let Ok(app_slot) = app.slots.clone().try_acquire_owned() else {
			return text_response(
				503,
				format!("app `{name}` is busy ({} requests at once); try again", self.limits.per_app),
			);
		};
		let Ok(slot) = self.total.clone().try_acquire_owned() else {
			return text_response(503, "this node runs as many app requests as it may; try again");
		};
		self.run(app, request, [app_slot, slot]).await
	}

	async fn run(
		&self,
		app: Arc<App>,
		request: hyper::Request<HyperIncomingBody>,
		slots: [OwnedSemaphorePermit; 2],
	) -> hyper::Response<HyperOutgoingBody> {
		let name = app.info.name.clone();
		let output = MemoryOutputPipe::new(OUTPUT_PER_REQUEST);
		let ending = Arc::new(Ending::default());
		let mut store = self.store(app.clone(), &output, &ending);
		let (parts, body) = request.into_parts();
		let incoming = HostIncomingBody::new(body, self.limits.grace, instance::FIELDS_LIMIT);
		let scheme = wasmtime_wasi_http::bindings::http::types::Scheme::Http;
		let prepared =
			HostIncomingRequest::new(store.data_mut(), parts, scheme, Some(incoming), instance::FIELDS_LIMIT)
				.and_then(|request| Ok(WasiHttpView::table(store.data_mut()).push(request)?));
		let request = match prepared {
			Ok(request) => request,
			Err(e) => return text_response(400, format!("app `{name}` cannot take this request: {e}")),
		};
		let (tx, rx) = tokio::sync::oneshot::channel();
		let out = match store.data_mut().new_response_outparam(tx) {
			Ok(out) => out,
			Err(e) => return text_response(500, format!("app `{name}`: {e}")),
		};
		let pre = app.pre.clone();
		let logged = app.clone();
		let limit = self.limits.deadline + self.limits.grace;
		let watched = ending.clone();
		// The instance runs in a task of its own: it may go on writing the body after it
		// gave the response. Its slots are held until it ends.
		let task = tokio::spawn(async move {
			let run = async {
				let proxy = pre.instantiate_async(&mut store).await?;
				proxy.wasi_http_incoming_handler().call_handle(&mut store, request, out).await
			};
			let result = match tokio::time::timeout(limit, run).await {
				Ok(result) => result,
				Err(_) => {
					watched.stalled.store(true, Ordering::Relaxed);
					Err(anyhow::anyhow!("the request waited past its deadline and grace"))
				},
			};
			let printed = output.contents();
			for line in String::from_utf8_lossy(&printed).lines().take(LOG_LINES_PER_REQUEST) {
				app.log(line.to_owned());
			}
			if let Err(e) = &result {
				app.log(match watched.reason() {
					Some(reason) => reason.to_owned(),
					None => format!("failed: {e:#}"),
				});
			}
			// The instance is gone (and its hold on the store) before its slots are free.
			drop(store);
			drop(slots);
			result
		});
		let failed = |status: u16, what: &str| text_response(status, format!("app `{name}` {what}"));
		match rx.await {
			Ok(Ok(response)) => response,
			Ok(Err(code)) => {
				logged.log(format!("answered with an error: {code:?}"));
				failed(500, "failed; its log (`cairn apps logs`) says why")
			},
			Err(_) => match task.await {
				Ok(Err(_)) => match ending.reason() {
					Some(reason) => failed(503, reason),
					None => failed(500, "failed; its log (`cairn apps logs`) says why"),
				},
				Ok(Ok(())) => failed(500, "gave no response"),
				Err(_) => failed(500, "failed"),
			},
		}
	}
}

/// A request body from bytes, as [`Apps::handle`] takes it.
pub fn body_from(bytes: impl Into<Bytes>) -> HyperIncomingBody {
	Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A response body's bytes (for tests and small answers).
pub async fn collect(body: HyperOutgoingBody) -> Result<Bytes, ErrorCode> {
	Ok(body.collect().await?.to_bytes())
}
