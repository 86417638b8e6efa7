//! Helpers shared by the network tests: finding the `cairn` binary and reading chain
//! state over RPC.

// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::{path::PathBuf, time::Duration};

use anyhow::{anyhow, bail, Context, Result};
use subxt::{
	backend::{legacy::LegacyRpcMethods, rpc::RpcClient},
	PolkadotConfig,
};

/// The `cairn` binary under test: `$CAIRN_BIN`, else the release build in the target dir.
pub fn cairn_bin() -> Result<PathBuf> {
	if let Ok(bin) = std::env::var("CAIRN_BIN") {
		return Ok(PathBuf::from(bin));
	}
	let target = std::env::var("CARGO_TARGET_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|_| PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../target"));
	let bin = target.join("release/cairn");
	if !bin.exists() {
		bail!("{} not found: build it first with `cargo build --release -p cairn-node`", bin.display());
	}
	Ok(bin)
}

/// Puts the `cairn` binary's directory first on PATH, where zombienet looks for it.
pub fn put_cairn_on_path() -> Result<()> {
	let bin = cairn_bin()?;
	let dir = bin.parent().context("binary has a directory")?;
	let path = std::env::var("PATH").unwrap_or_default();
	std::env::set_var("PATH", format!("{}:{path}", dir.display()));
	Ok(())
}

/// Legacy (chain_*, system_*) RPC methods over a websocket URL.
pub async fn rpc(url: &str) -> Result<LegacyRpcMethods<PolkadotConfig>> {
	let client = RpcClient::from_insecure_url(url).await.with_context(|| format!("connect {url}"))?;
	Ok(LegacyRpcMethods::new(client))
}

/// The number of the best and of the finalized block.
pub async fn heights(rpc: &LegacyRpcMethods<PolkadotConfig>) -> Result<(u64, u64)> {
	let best = rpc.chain_get_header(None).await?.context("best header")?.number as u64;
	let finalized_hash = rpc.chain_get_finalized_head().await?;
	let finalized = rpc.chain_get_header(Some(finalized_hash)).await?.context("finalized header")?.number as u64;
	Ok((best, finalized))
}

/// Polls `check` every second until it returns `Some`, or fails after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = Result<Option<T>>>,
{
	let deadline = tokio::time::Instant::now() + timeout;
	let mut last_error = None;
	loop {
		match check().await {
			Ok(Some(value)) => return Ok(value),
			Ok(None) => {},
			Err(e) => last_error = Some(e),
		}
		if tokio::time::Instant::now() > deadline {
			return Err(anyhow!("timed out after {timeout:?} waiting for {what}; last error: {last_error:?}"));
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}
