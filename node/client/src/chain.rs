//! A small client of a node's RPC for what reads the chain and submits transactions
//! (`cairn tpm register`, `cairn client put`, the gateway, ...): storage reads, and signed
//! calls watched until they are in a block, with the pallet error by name when they fail.

use cairn_runtime::{AccountId, Hash, Nonce, RuntimeCall, RuntimeError, RuntimeEvent};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use polkadot_sdk::{
	frame_system::{self, EventRecord, Phase},
	sp_core::{sr25519, Pair},
	sp_io::hashing::twox_128,
	sp_runtime::DispatchError,
	sp_version::RuntimeVersion,
};
use serde_json::Value;

/// How long a submitted transaction may take to reach a block.
const INCLUSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The default node RPC endpoint.
pub const DEFAULT_NODE_URL: &str = "ws://127.0.0.1:9944";

/// The sr25519 key of a secret URI: a mnemonic, a hex seed, or a dev path such as `//Dave`.
pub fn pair_from_suri(suri: &str) -> Result<sr25519::Pair, String> {
	sr25519::Pair::from_string(suri, None)
		.map_err(|e| format!("--suri is not a secret URI ({e:?}): give a mnemonic, a 0x seed or //Name"))
}

/// A connection to a node, with what signing needs to know about its chain.
pub struct Chain {
	client: WsClient,
	genesis: Hash,
	version: RuntimeVersion,
}

/// Why a submission did not make it into a block.
enum Submit {
	/// Another transaction took its nonce: sign again.
	Usurped(String),
	Failed(String),
}

/// A transaction that made it into a block.
pub struct Included {
	pub block_number: u32,
	pub events: Vec<RuntimeEvent>,
}

fn hex_bytes(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
	hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("the node sent bad hex: {e}"))
}

fn rpc_error(url: &str) -> impl Fn(jsonrpsee::core::client::Error) -> String + '_ {
	move |e| format!("node {url}: {e}")
}

impl Chain {
	/// Connects to the node at `url` and reads the chain's genesis hash and runtime version.
	pub async fn connect(url: &str) -> Result<Self, String> {
		let client = WsClientBuilder::default().build(url).await.map_err(|e| {
			format!("cannot reach the node at {url} ({e}); start one (`cairn --dev`) or give --node-url")
		})?;
		let genesis: Hash = client.request("chain_getBlockHash", rpc_params![0]).await.map_err(rpc_error(url))?;
		let version: RuntimeVersion =
			client.request("state_getRuntimeVersion", rpc_params![]).await.map_err(rpc_error(url))?;
		if version.spec_name != cairn_runtime::VERSION.spec_name {
			return Err(format!("the node at {url} runs `{}`, not a Cairn chain", version.spec_name));
		}
		Ok(Self { client, genesis, version })
	}

	pub fn genesis(&self) -> Hash {
		self.genesis
	}

	/// Calls RPC `method`; the node's error message is the error.
	pub async fn call<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<T, String> {
		self.client.request(method, params).await.map_err(|e| match e {
			jsonrpsee::core::client::Error::Call(e) => e.message().to_string(),
			e => format!("{method}: {e}"),
		})
	}

	/// The value at a storage key in the best block.
	pub async fn storage<T: Decode>(&self, key: Vec<u8>) -> Result<Option<T>, String> {
		self.storage_at(key, None).await
	}

	async fn storage_at<T: Decode>(&self, key: Vec<u8>, at: Option<Hash>) -> Result<Option<T>, String> {
		let value: Option<String> = self
			.client
			.request("state_getStorage", rpc_params![hex_bytes(&key), at])
			.await
			.map_err(|e| format!("reading storage: {e}"))?;
		value
			.map(|hex| {
				let bytes = from_hex(&hex)?;
				T::decode(&mut &bytes[..])
					.map_err(|e| format!("the node's storage does not decode ({e}): wrong chain?"))
			})
			.transpose()
	}

	/// Signs `call` as `signer`, submits it and waits until it is in a block. A transaction
	/// the pool refuses, or a call that fails, is an error that names the reason. When the
	/// node's own off-chain worker takes the same nonce first (the operator's account is
	/// the node key), it is signed again with the next nonce.
	pub async fn submit(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<Included, String> {
		let mut attempts = 0;
		loop {
			attempts += 1;
			match self.submit_once(signer, call.clone()).await {
				Err(Submit::Usurped(update)) if attempts < 4 => {
					log::info!("transaction replaced by another with the same nonce ({update}); signing again");
				},
				Err(Submit::Usurped(update)) => return Err(format!("the transaction was not included: {update}")),
				Err(Submit::Failed(e)) => return Err(e),
				Ok(included) => return Ok(included),
			}
		}
	}

	/// Submits `call` unsigned (a call its pallet checks by itself, such as redeeming an
	/// invitation) and waits until it is in a block; errors as for [`Chain::submit`].
	pub async fn submit_unsigned(&self, call: RuntimeCall) -> Result<Included, String> {
		let extrinsic = cairn_runtime::UncheckedExtrinsic::new_bare(call).encode();
		self.watch(extrinsic).await.map_err(|e| match e {
			Submit::Usurped(e) | Submit::Failed(e) => e,
		})
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Result<u32, String> {
		let header: Value = self
			.client
			.request("chain_getHeader", rpc_params![])
			.await
			.map_err(|e| format!("reading the best block: {e}"))?;
		block_number(&header)
	}

	async fn submit_once(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<Included, Submit> {
		let account = AccountId::from(signer.public());
		let nonce: Nonce = self
			.client
			.request("system_accountNextIndex", rpc_params![account.to_string()])
			.await
			.map_err(|e| Submit::Failed(format!("reading the nonce of {account}: {e}")))?;
		let extrinsic = cairn_runtime::transactions::sign_offline(
			call,
			account,
			nonce,
			self.genesis,
			self.version.spec_version,
			self.version.transaction_version,
			|payload| signer.sign(payload).into(),
		)
		.encode();
		self.watch(extrinsic).await
	}

	/// Submits `extrinsic` and follows it into a block.
	async fn watch(&self, extrinsic: Vec<u8>) -> Result<Included, Submit> {
		let mut status: Subscription<Value> = self
			.client
			.subscribe("author_submitAndWatchExtrinsic", rpc_params![hex_bytes(&extrinsic)], "author_unwatchExtrinsic")
			.await
			.map_err(|e| match e {
				// Another transaction of the account took this nonce meanwhile.
				jsonrpsee::core::client::Error::Call(e)
					if e.message().contains("Priority is too low") || e.message().contains("stale") =>
				{
					Submit::Usurped(e.message().to_string())
				},
				jsonrpsee::core::client::Error::Call(e) => Submit::Failed(format!(
					"the node refused the transaction: {}",
					pool_error(e.message(), e.data().map(|d| d.get()))
				)),
				e => Submit::Failed(format!("the node refused the transaction: {e}")),
			})?;
		let block = loop {
			let next = tokio::time::timeout(INCLUSION_TIMEOUT, status.next()).await.map_err(|_| {
				Submit::Failed(format!(
					"the transaction was not in a block after {} s (is the chain producing blocks?)",
					INCLUSION_TIMEOUT.as_secs()
				))
			})?;
			let Some(update) = next else {
				return Err(Submit::Failed(
					"the node closed the connection before the transaction was in a block".into(),
				));
			};
			let update = update.map_err(|e| Submit::Failed(format!("watching the transaction: {e}")))?;
			if let Some(hash) = update.get("inBlock").or_else(|| update.get("finalized")) {
				break serde_json::from_value::<Hash>(hash.clone())
					.map_err(|e| Submit::Failed(format!("bad block hash: {e}")))?;
			}
			if update.get("usurped").is_some() {
				return Err(Submit::Usurped(update.to_string()));
			}
			let pending = matches!(update.as_str(), Some("future" | "ready"))
				|| update.get("broadcast").is_some()
				|| update.get("retracted").is_some();
			if !pending {
				// "dropped", "invalid": it will not be included.
				return Err(Submit::Failed(format!("the transaction was not included: {update}")));
			}
		};
		let _ = status.unsubscribe().await;
		self.outcome(block, &extrinsic).await.map_err(Submit::Failed)
	}

	/// The events of `extrinsic` in `block`; an error if it failed.
	async fn outcome(&self, block: Hash, extrinsic: &[u8]) -> Result<Included, String> {
		let body: Value = self
			.client
			.request("chain_getBlock", rpc_params![block])
			.await
			.map_err(|e| format!("reading block {block}: {e}"))?;
		let wanted = hex_bytes(extrinsic);
		let index = body["block"]["extrinsics"]
			.as_array()
			.and_then(|xts| xts.iter().position(|x| x.as_str() == Some(&wanted)))
			.ok_or_else(|| format!("the transaction is not in block {block}"))? as u32;
		let block_number = block_number(&body["block"]["header"])?;
		// frame-system keeps `Events` private; its key is the pallet's and the item's name.
		let key = [twox_128(b"System"), twox_128(b"Events")].concat();
		let records: Vec<EventRecord<RuntimeEvent, Hash>> =
			self.storage_at(key, Some(block)).await?.unwrap_or_default();
		let events: Vec<_> =
			records.into_iter().filter(|r| r.phase == Phase::ApplyExtrinsic(index)).map(|r| r.event).collect();
		for event in &events {
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) = event {
				return Err(describe(dispatch_error));
			}
		}
		Ok(Included { block_number, events })
	}
}

/// The pool's reason for refusing a transaction: its message and detail
/// (`Invalid Transaction: Custom error: 3`).
fn pool_error(message: &str, data: Option<&str>) -> String {
	match data.map(|d| d.trim_matches('"')).filter(|d| !d.is_empty()) {
		Some(data) => format!("{message}: {data}"),
		None => message.to_string(),
	}
}

fn block_number(header: &Value) -> Result<u32, String> {
	header["number"]
		.as_str()
		.and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
		.ok_or_else(|| format!("the node sent a header without a number: {header}"))
}

/// A dispatch error by name: `Attestation::EkAlreadyOwned`, `Token(FundsUnavailable)`.
pub fn describe(error: &DispatchError) -> String {
	match RuntimeError::from_dispatch_error(*error) {
		Some(module) => {
			let text = format!("{module:?}");
			// `Attestation(EkAlreadyOwned)` -> `Attestation::EkAlreadyOwned`
			match text.split_once('(') {
				Some((pallet, rest)) => format!("{pallet}::{}", rest.trim_end_matches(')')),
				None => text,
			}
		},
		None => format!("{error:?}"),
	}
}
