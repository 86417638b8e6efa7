//! What one instance of an app sees of the host: WASI's proxy interfaces, wasi:http with
//! bounded buffers, its key-value store, outbound requests to granted hosts, and a memory
//! cap over all its memories.

use std::{
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc,
	},
	time::Instant,
};

use tokio::sync::Semaphore;
use wasmtime::{component::ResourceTable, ResourceLimiter};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
	bindings::http::types::ErrorCode,
	body::HyperOutgoingBody,
	types::{HostFutureIncomingResponse, OutgoingRequestConfig},
	HttpResult, WasiHttpCtx, WasiHttpView,
};

use crate::{
	files_wit, kv_wit, outbound, store, store_wit, App, FileError, FileReader, Kv, KvError, PutState, StoreError,
	StoreOptions,
};

/// The most bytes of headers one `fields` (or request) may hold on the host.
pub(crate) const FIELDS_LIMIT: usize = 32 * 1024;
/// The most resources (fields, streams, bodies, pollables) one instance may hold: with
/// [`FIELDS_LIMIT`] and [`BODY_CHUNK`], a bound on what an app keeps in the host's memory.
pub(crate) const MAX_RESOURCES: usize = 256;
/// The largest piece of an outgoing body the host buffers per write.
const BODY_CHUNK: usize = 64 * 1024;
/// The most random bytes one call gives.
pub(crate) const MAX_RANDOM: u64 = 64 * 1024;

/// The memory cap over all of an instance's memories, recording whether it was hit.
pub(crate) struct MemoryCap {
	pub cap: usize,
	pub used: usize,
	pub hit: Arc<AtomicBool>,
}

impl ResourceLimiter for MemoryCap {
	fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> anyhow::Result<bool> {
		let used = self.used.saturating_add(desired.saturating_sub(current));
		if used > self.cap {
			self.hit.store(true, Ordering::Relaxed);
			anyhow::bail!("the app's memory would grow to {used} bytes, past its cap of {} bytes", self.cap);
		}
		self.used = used;
		Ok(true)
	}

	fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> anyhow::Result<bool> {
		Ok(desired <= 100_000)
	}
}

pub(crate) struct Instance {
	pub wasi: WasiCtx,
	pub http: WasiHttpCtx,
	pub table: ResourceTable,
	pub memory: MemoryCap,
	pub app: Arc<App>,
	pub kv: Arc<Kv>,
	pub kv_quota: u64,
	/// Outbound requests of this instance in flight.
	pub outbound: Arc<Semaphore>,
	/// The node's client for Cairn files, and the largest file it reads for the app.
	pub files: Option<Arc<dyn FileReader>>,
	pub max_file_read: u64,
	/// Who pays for the app's files, and the node's client that stores them.
	pub payers: Option<Arc<store::Payers>>,
	/// Nanoseconds the instance waited for Cairn's host calls: its deadline moves by them.
	pub waited: Arc<AtomicU64>,
}

impl Instance {
	pub fn new(wasi: WasiCtx, memory: MemoryCap, app: Arc<App>, kv: Arc<Kv>, kv_quota: u64, outbound: usize) -> Self {
		let mut http = WasiHttpCtx::new();
		http.set_field_size_limit(FIELDS_LIMIT);
		let mut table = ResourceTable::new();
		table.set_max_capacity(MAX_RESOURCES);
		let outbound = Arc::new(Semaphore::new(outbound));
		Instance {
			wasi,
			http,
			table,
			memory,
			app,
			kv,
			kv_quota,
			outbound,
			files: None,
			max_file_read: 0,
			payers: None,
			waited: Arc::default(),
		}
	}

	/// Counts the time since `started` as waited for the host.
	fn waited_since(&self, started: Instant) {
		let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
		self.waited.fetch_add(nanos, Ordering::Relaxed);
	}

	/// Runs a store operation of this app off the executor, as the app interface's error;
	/// an app removed meanwhile writes nothing. (The future holds no borrow of the
	/// instance, whose WASI state is not `Sync`.)
	fn store<T: Send + 'static>(
		&self,
		work: impl FnOnce(&Kv, &str) -> Result<T, KvError> + Send + 'static,
	) -> impl std::future::Future<Output = Result<T, kv_wit::Error>> + Send + 'static {
		let (kv, app) = (self.kv.clone(), self.app.clone());
		async move {
			if app.removed.load(Ordering::Acquire) {
				return Err(kv_wit::Error::Unavailable("the app was removed".into()));
			}
			match tokio::task::spawn_blocking(move || work(&kv, &app.info.name)).await {
				Ok(Ok(value)) => Ok(value),
				Ok(Err(KvError::QuotaExceeded(quota))) => Err(kv_wit::Error::QuotaExceeded(quota)),
				Ok(Err(KvError::TooLarge)) => Err(kv_wit::Error::TooLarge),
				Ok(Err(KvError::Unavailable(why))) => Err(kv_wit::Error::Unavailable(why)),
				Err(e) => Err(kv_wit::Error::Unavailable(e.to_string())),
			}
		}
	}
}

impl WasiView for Instance {
	fn ctx(&mut self) -> WasiCtxView<'_> {
		WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
	}
}

impl WasiHttpView for Instance {
	fn ctx(&mut self) -> &mut WasiHttpCtx {
		&mut self.http
	}

	fn table(&mut self) -> &mut ResourceTable {
		&mut self.table
	}

	fn outgoing_body_chunk_size(&mut self) -> usize {
		BODY_CHUNK
	}

	fn send_request(
		&mut self,
		request: hyper::Request<HyperOutgoingBody>,
		config: OutgoingRequestConfig,
	) -> HttpResult<HostFutureIncomingResponse> {
		let uri = request.uri();
		let (host, port) = (uri.host().unwrap_or_default().to_owned(), uri.port_u16());
		if !self.app.info.grants.allows(&host, port) {
			self.app.log(format!("refused: a request to {host}, which the app was not granted"));
			return Err(ErrorCode::HttpRequestDenied.into());
		}
		if config.use_tls {
			self.app.log(format!("refused: https to {host} (this node sends plain HTTP only)"));
			return Err(ErrorCode::HttpRequestDenied.into());
		}
		let Ok(permit) = self.outbound.clone().try_acquire_owned() else {
			self.app.log("refused: more outbound requests at once than the node allows".into());
			return Err(ErrorCode::InternalError(Some("too many outbound requests at once".into())).into());
		};
		Ok(outbound::send(request, config, self.app.clone(), permit))
	}
}

impl kv_wit::Host for Instance {
	async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, kv_wit::Error>> {
		Ok(self.store(move |kv, app| kv.get(app, key.as_bytes())).await)
	}

	async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), kv_wit::Error>> {
		let quota = self.kv_quota;
		Ok(self.store(move |kv, app| kv.set(app, key.as_bytes(), &value, quota)).await)
	}

	async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, kv_wit::Error>> {
		Ok(self.store(move |kv, app| kv.delete(app, key.as_bytes())).await)
	}

	async fn keys(
		&mut self,
		prefix: String,
		after: Option<String>,
		limit: u32,
	) -> wasmtime::Result<Result<Vec<String>, kv_wit::Error>> {
		Ok(self
			.store(move |kv, app| {
				let keys = kv.keys(app, prefix.as_bytes(), after.as_deref().map(str::as_bytes), limit)?;
				// Keys are written as strings by the app: anything else is not listed.
				Ok(keys.into_iter().filter_map(|k| String::from_utf8(k).ok()).collect())
			})
			.await)
	}
}

impl files_wit::Host for Instance {
	async fn read(&mut self, capability: String) -> wasmtime::Result<Result<Vec<u8>, files_wit::Error>> {
		let Some(files) = self.files.clone() else {
			return Ok(Err(files_wit::Error::Unavailable("this node reads no Cairn files for apps".into())));
		};
		let started = Instant::now();
		let read = files.read(capability, self.max_file_read).await;
		self.waited_since(started);
		if let Err(e) = &read {
			self.app.log(format!("reading a file failed: {e:?}"));
		}
		Ok(read.map(|bytes| bytes.to_vec()).map_err(|e| match e {
			FileError::BadCapability(why) => files_wit::Error::BadCapability(why),
			FileError::TooLarge(size) => files_wit::Error::TooLarge(size),
			FileError::Unavailable(why) => files_wit::Error::Unavailable(why),
		}))
	}
}

impl store_wit::Host for Instance {
	async fn put(
		&mut self,
		data: Vec<u8>,
		options: store_wit::Options,
	) -> wasmtime::Result<Result<String, store_wit::Error>> {
		let Some(payers) = self.payers.clone() else {
			return Ok(Err(store_wit::Error::Unavailable("this node stores no files for apps".into())));
		};
		let options = StoreOptions {
			data_fragments: options.data_fragments,
			total_fragments: options.total_fragments,
			windows: options.windows,
		};
		let started = Instant::now();
		let put = payers.put(&self.app.info.name, data, options).await;
		self.waited_since(started);
		// Not the capability: it holds the file's key.
		if let Err(e) = &put {
			self.app.log(format!("storing a file failed: {e:?}"));
		}
		Ok(put.map_err(|e| match e {
			StoreError::TooLarge(max) => store_wit::Error::TooLarge(max),
			StoreError::OverBudget(why) => store_wit::Error::OverBudget(why),
			StoreError::BadOptions(why) => store_wit::Error::BadOptions(why),
			StoreError::Unavailable(why) => store_wit::Error::Unavailable(why),
		}))
	}

	async fn status(&mut self, capability: String) -> wasmtime::Result<Option<store_wit::State>> {
		let state = self.payers.as_ref().and_then(|payers| payers.status(&self.app.info.name, &capability));
		Ok(state.map(|state| match state {
			PutState::Placing => store_wit::State::Placing,
			PutState::Stored => store_wit::State::Stored,
			PutState::Failed(why) => store_wit::State::Failed(why),
		}))
	}
}
