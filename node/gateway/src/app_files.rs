//! Cairn files for apps (`cairn:app/files`): the node's own client reads a file by its
//! capability, as `/files` downloads do, whole into memory, and keeps recent ones.
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
use cairn_apps::{FileError, FileReader};
use cairn_client::{market, Chain};
use cairn_erasure::ReadCapability;
use cairn_net::files;
use tokio::sync::{OnceCell, Semaphore};

/// Files fetched at once for apps.
const READS: usize = 2;

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

impl Inner {
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
		let net = self
			.net
			.get_or_try_init(|| cairn_net::start(cairn_net::Config::client()))
			.await
			.map_err(|e| FileError::Unavailable(format!("the node's network did not start: {e}")))?;
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
