//! Cairn files for apps: the node's own client reads a file by its capability
//! (`cairn:app/files`), as `/files` downloads do, whole into memory, and keeps recent
//! ones; and stores new files (`cairn:app/store`) as `cairn client put` does, paid by the
//! account the operator chose for the app (the app host keeps its budget).
//!
//! A file a capability names never changes (the capability holds its root and key), so a
//! kept copy is never stale: an app serving a site from one file fetches it once. Reads
//! are bounded: a few at once, each file at most the size the app host allows, and the
//! copies kept at most `cache` bytes in all, oldest dropped first.

use std::{
	collections::VecDeque,
	path::PathBuf,
	pin::Pin,
	sync::{Arc, Mutex},
};

use bytes::Bytes;
use cairn_apps::{store::BoxFuture, FileError, FileReader, FileStorer, Started, StoreError, StoreOptions};
use cairn_client::{market, put, Chain};
use cairn_erasure::{Params, ReadCapability};
use cairn_net::files;
use polkadot_sdk::sp_core::sr25519;
use tokio::sync::{OnceCell, Semaphore};

/// Files fetched at once for apps.
const READS: usize = 2;
/// How long the providers of an app's file have to accept its contracts, once uploaded.
const ACCEPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// The node's client for apps' file reads.
#[derive(Clone)]
pub struct AppFiles(Arc<Inner>);

struct Inner {
	rpc_url: String,
	staging: PathBuf,
	net: OnceCell<cairn_net::Handle>,
	reads: Semaphore,
	kept: Mutex<Kept>,
}

/// Recently read files, newest last.
struct Kept {
	files: VecDeque<(String, Bytes)>,
	bytes: u64,
	max: u64,
}

impl AppFiles {
	/// Reads through the node whose RPC is `rpc_url`, staging fragments under `staging`,
	/// keeping up to `cache` bytes of recent files.
	pub fn new(rpc_url: String, staging: PathBuf, cache: u64) -> Self {
		let kept = Mutex::new(Kept { files: VecDeque::new(), bytes: 0, max: cache });
		AppFiles(Arc::new(Inner { rpc_url, staging, net: OnceCell::new(), reads: Semaphore::new(READS), kept }))
	}
}

impl FileReader for AppFiles {
	fn read(
		&self,
		capability: String,
		max: u64,
	) -> Pin<Box<dyn std::future::Future<Output = Result<Bytes, FileError>> + Send>> {
		let inner = self.0.clone();
		Box::pin(async move { inner.read(capability, max).await })
	}
}

impl FileStorer for AppFiles {
	fn quote(&self, size: u64, options: StoreOptions) -> BoxFuture<Result<u128, StoreError>> {
		let inner = self.0.clone();
		Box::pin(async move {
			let params = params(options)?;
			let chain = Chain::connect(&inner.rpc_url).await.map_err(StoreError::Unavailable)?;
			let quote = market::quote(&chain, size, params.k, params.n, options.windows)
				.await
				.map_err(StoreError::Unavailable)?;
			quote.total.parse().map_err(|_| StoreError::Unavailable("the node quoted a bad total".into()))
		})
	}

	fn start(
		&self,
		data: Bytes,
		options: StoreOptions,
		payer: sr25519::Pair,
		max_price: u128,
	) -> BoxFuture<Result<Started, StoreError>> {
		let inner = self.0.clone();
		Box::pin(async move { inner.start(data, options, payer, max_price).await })
	}

	fn format(&self, amount: u128) -> String {
		market::format_crn(amount)
	}
}

/// The erasure code an app asks for, checked.
fn params(options: StoreOptions) -> Result<Params, StoreError> {
	let params = Params { k: options.data_fragments, n: options.total_fragments, ..Params::default() };
	params.check().map_err(|e| StoreError::BadOptions(e.to_string()))?;
	if options.windows == 0 {
		return Err(StoreError::BadOptions("a file is stored for at least one proving window".into()));
	}
	Ok(params)
}

impl Inner {
	async fn net(&self) -> Result<&cairn_net::Handle, String> {
		self.net
			.get_or_try_init(|| cairn_net::start(cairn_net::Config::client()))
			.await
			.map_err(|e| format!("the node's network did not start: {e}"))
	}

	/// Starts a put of `data`; returns once the read capability is known.
	async fn start(
		&self,
		data: Bytes,
		options: StoreOptions,
		payer: sr25519::Pair,
		max_price: u128,
	) -> Result<Started, StoreError> {
		let params = params(options)?;
		let chain = Chain::connect(&self.rpc_url).await.map_err(StoreError::Unavailable)?;
		let net = self.net().await.map_err(StoreError::Unavailable)?.clone();
		let staging = self.staging.clone();
		let file = tokio::task::spawn_blocking(move || -> std::io::Result<tempfile::TempPath> {
			use std::io::Write;
			std::fs::create_dir_all(&staging)?;
			let mut file = tempfile::NamedTempFile::new_in(&staging)?;
			file.write_all(&data)?;
			Ok(file.into_temp_path())
		})
		.await
		.map_err(|e| StoreError::Unavailable(e.to_string()))?
		.map_err(|e| StoreError::Unavailable(format!("the node cannot stage the file: {e}")))?;
		let options = put::PutOptions {
			params,
			duration: options.windows,
			max_price: Some(max_price),
			accept_timeout: ACCEPT_TIMEOUT,
		};
		let (tx, rx) = tokio::sync::oneshot::channel();
		let task = tokio::spawn(async move {
			let stored = put::put(&net, &chain, &payer, &file, &options, Arc::new(files::Quiet), |cap| {
				let _ = tx.send(cap.to_string());
			})
			.await;
			// The staged copy goes once the put ends (the fragments were made from it).
			drop(file);
			stored.map(|stored| stored.escrow)
		});
		let ended = |joined: Result<Result<u128, String>, tokio::task::JoinError>| match joined {
			Ok(result) => result,
			Err(e) => Err(format!("the put stopped: {e}")),
		};
		match rx.await {
			Ok(capability) => Ok(Started { capability, placed: Box::pin(async move { ended(task.await) }) }),
			// It ended before the file was encoded: nothing was paid.
			Err(_) => Err(StoreError::Unavailable(match ended(task.await) {
				Err(why) => why,
				Ok(_) => "the put ended without a capability".into(),
			})),
		}
	}

	async fn read(&self, text: String, max: u64) -> Result<Bytes, FileError> {
		if let Some(bytes) = self.kept(&text) {
			return if bytes.len() as u64 > max { Err(FileError::TooLarge(bytes.len() as u64)) } else { Ok(bytes) };
		}
		let cap: ReadCapability =
			text.parse().map_err(|e: cairn_erasure::Error| FileError::BadCapability(e.to_string()))?;
		let client = market::client_of(&cap, None).map_err(FileError::BadCapability)?;
		let _read = self.reads.acquire().await.map_err(|e| FileError::Unavailable(e.to_string()))?;
		let chain = Chain::connect(&self.rpc_url).await.map_err(FileError::Unavailable)?;
		let providers = market::providers_of(&chain, &client, &cap).await.map_err(FileError::Unavailable)?;
		let net = self.net().await.map_err(FileError::Unavailable)?;
		// The size first, from the manifest: nothing larger than allowed is fetched.
		let manifest =
			files::fetch_manifest(net, &cap, &providers).await.map_err(|e| FileError::Unavailable(e.to_string()))?;
		if manifest.plain_size > max {
			return Err(FileError::TooLarge(manifest.plain_size));
		}
		std::fs::create_dir_all(&self.staging).map_err(|e| FileError::Unavailable(e.to_string()))?;
		let fetched = files::fetch_fragments(net, &cap, &providers, &self.staging, Arc::new(files::Quiet))
			.await
			.map_err(|e| FileError::Unavailable(e.to_string()))?;
		let key = cap.key.clone();
		let decoded = tokio::task::spawn_blocking(move || {
			let mut out = Vec::new();
			fetched.decode(&key, &mut out).map(|()| out)
		})
		.await
		.map_err(|e| FileError::Unavailable(e.to_string()))?
		.map_err(|e| FileError::Unavailable(e.to_string()))?;
		let bytes = Bytes::from(decoded);
		self.keep(text, bytes.clone());
		Ok(bytes)
	}

	fn kept(&self, capability: &str) -> Option<Bytes> {
		let mut kept = self.lock_kept();
		let at = kept.files.iter().position(|(cap, _)| cap == capability)?;
		// Used again: it becomes the newest.
		let entry = kept.files.remove(at)?;
		let bytes = entry.1.clone();
		kept.files.push_back(entry);
		Some(bytes)
	}

	fn keep(&self, capability: String, bytes: Bytes) {
		let mut kept = self.lock_kept();
		let size = bytes.len() as u64;
		if size > kept.max || kept.files.iter().any(|(cap, _)| *cap == capability) {
			return;
		}
		while kept.bytes + size > kept.max {
			let Some((_, dropped)) = kept.files.pop_front() else { break };
			kept.bytes -= dropped.len() as u64;
		}
		kept.bytes += size;
		kept.files.push_back((capability, bytes));
	}

	fn lock_kept(&self) -> std::sync::MutexGuard<'_, Kept> {
		self.kept.lock().unwrap_or_else(|e| e.into_inner())
	}
}
