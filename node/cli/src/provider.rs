//! The provider's side of the storage market, run by the node with no operator action:
//!
//! - the fragment service takes a fragment only under a pending contract that names this
//!   node, uploaded with the signature of that contract's client, and a manifest only for
//!   a live contract that names it ([`ChainContracts`] behind `cairn_net::auth`);
//! - once a pending contract's fragment is in the store, the node accepts the contract;
//! - every few finalized blocks it deletes the fragments and manifests that no live
//!   contract names any more (cancelled, expired, completed, lost), counted per root;
//! - in each deadline of every proving window it answers each of its partitions due there:
//!   it reads the challenged segments and their Merkle paths from the store, declares the
//!   fragments it cannot read lost for the window, and submits one proof transaction per
//!   partition. The schedule comes from the runtime at every block, never from constants.
//!
//! Transactions are signed with the node key (`cair` in the keystore) and go straight into
//! the node's transaction pool. The operator's only step is the offer
//! (`cairn provider offer`).

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, OnceLock},
};

use cairn_net::{
	auth::{ContractTerms, Contracts},
	Admission, Refusal, UploadRequest,
};
use cairn_primitives::{ContractId, Period, NODE_KEY_TYPE};
use cairn_runtime::{opaque::Block, AccountId, RuntimeCall};
use cairn_store::Store;
use codec::{Decode, Encode};
use futures::StreamExt;
use pallet_fragment_proofs::{Challenge, DeadlineChallenge};
use pallet_fragment_proofs::{FragmentProof, ProofsApi, SegmentProof};
use pallet_storage::StorageApi;
use polkadot_sdk::{
	frame_system_rpc_runtime_api::AccountNonceApi,
	sc_client_api::BlockchainEvents,
	sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource, TxHash},
	sp_api::Core,
	sp_api::ProvideRuntimeApi,
	sp_blockchain::HeaderBackend,
	sp_core::sr25519,
	sp_keystore::{Keystore, KeystorePtr},
	sp_runtime::{traits::Header as _, MultiSignature, OpaqueExtrinsic},
};

use crate::service::FullClient;

/// Blocks after which a transaction that changed nothing is sent again.
const RESEND_AFTER: u32 = 4;
/// Finalized blocks between two garbage collections of the store.
const COLLECT_EVERY: u32 = 5;

/// An admission decided once the chain client exists: until then, every fragment is
/// refused with a message that says to try again.
#[derive(Default)]
pub struct LateAdmission(OnceLock<Box<dyn Admission>>);

impl LateAdmission {
	pub fn set(&self, admission: Box<dyn Admission>) {
		let _ = self.0.set(admission);
	}
}

const STARTING: &str = "the node is starting; try again in a few seconds";

impl Admission for LateAdmission {
	fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), Refusal> {
		self.0.get().ok_or_else(|| Refusal::Retry(STARTING.into()))?.admit(upload)
	}

	fn admit_manifest(&self, id: &[u8; 32], contract: Option<u64>) -> Result<(), Refusal> {
		self.0.get().ok_or_else(|| Refusal::Retry(STARTING.into()))?.admit_manifest(id, contract)
	}
}

/// A node without a node key sells no storage: it takes nothing.
pub struct NoContracts;

impl Admission for NoContracts {
	fn admit(&self, _: &UploadRequest<'_>) -> Result<(), Refusal> {
		Err(Refusal::Unauthorized("this node has no node key, so it takes no contracts".into()))
	}

	fn admit_manifest(&self, _: &[u8; 32], _: Option<u64>) -> Result<(), Refusal> {
		Err(Refusal::Unauthorized("this node has no node key, so it takes no contracts".into()))
	}
}

/// The provider's contracts as its best block shows them: what the fragment service's
/// admission checks uploads and manifests against (see `cairn_net::auth`).
pub struct ChainContracts {
	pub client: Arc<FullClient>,
	/// This node's account.
	pub provider: AccountId,
}

impl Contracts for ChainContracts {
	fn genesis(&self) -> [u8; 32] {
		self.client.info().genesis_hash.into()
	}

	fn contract(&self, id: u64) -> Result<Option<ContractTerms>, String> {
		let best = self.client.info().best_hash;
		let contract = self
			.client
			.runtime_api()
			.contract(best, id)
			.map_err(|e| format!("the provider cannot read its contracts: {e}"))?;
		Ok(contract.filter(|c| c.provider == self.provider).map(|c| ContractTerms {
			client: c.client.into(),
			root: c.root,
			len: c.size,
			segment_size: c.segment_size,
			manifest: c.manifest,
			pending: matches!(c.state, pallet_storage::ContractState::Pending { .. }),
		}))
	}
}

/// The node key's public key in the keystore, if any.
pub fn node_key(keystore: &KeystorePtr) -> Option<sr25519::Public> {
	keystore.sr25519_public_keys(NODE_KEY_TYPE).into_iter().next()
}

/// A transaction sent: the block it was sent at and its hash in the pool.
type Sent<P> = (u32, TxHash<P>);

/// The provider worker's state between blocks.
struct Worker<P: TransactionPool> {
	client: Arc<FullClient>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	store: Store,
	public: sr25519::Public,
	account: AccountId,
	/// Accepts sent: contract -> (block, transaction).
	accepts: HashMap<ContractId, Sent<P>>,
	/// Answers sent: (window, deadline, partition) -> (block, transaction).
	proofs: HashMap<(Period, u32, u32), Sent<P>>,
	/// The roots of `accepts`, for the collector.
	accepting: Arc<std::sync::Mutex<HashSet<[u8; 32]>>>,
}

/// Runs the provider worker until the node stops.
pub async fn run<P>(client: Arc<FullClient>, pool: Arc<P>, keystore: KeystorePtr, store: Store, public: sr25519::Public)
where
	P: TransactionPool<Block = Block> + 'static,
{
	let account = AccountId::from(public);
	log::info!(target: "cairn::provider", "💾 Providing storage as {account}");
	let accepting = Arc::new(std::sync::Mutex::new(HashSet::new()));
	let mut worker = Worker {
		client: client.clone(),
		pool,
		keystore,
		store: store.clone(),
		public,
		account: account.clone(),
		accepts: HashMap::new(),
		proofs: HashMap::new(),
		accepting: accepting.clone(),
	};
	let mut collector =
		Collector { client: client.clone(), store, account, accepting, condemned: HashSet::new(), collected_at: None };
	// Proving never waits for a garbage collection: the two run side by side.
	let prove = async {
		let mut best = client.import_notification_stream().filter(|b| futures::future::ready(b.is_new_best));
		while let Some(block) = best.next().await {
			worker.on_block(block.hash, *block.header.number()).await;
		}
	};
	let collect = async {
		let mut finalized = client.finality_notification_stream();
		while let Some(block) = finalized.next().await {
			let number = *block.header.number();
			if collector.collected_at.is_none_or(|at| number >= at + COLLECT_EVERY) {
				collector.collect_garbage(block.hash, number).await;
			}
		}
	};
	futures::join!(prove, collect);
}

/// Deletes what no live contract names, driven by finality.
struct Collector {
	client: Arc<FullClient>,
	store: Store,
	account: AccountId,
	/// Roots whose acceptance the worker has in the pool: kept whatever the chain says.
	accepting: Arc<std::sync::Mutex<HashSet<[u8; 32]>>>,
	/// Fragments (`false`) and manifests (`true`) no live contract named at the last
	/// collection: deleted at the next one if that still holds.
	condemned: HashSet<(bool, [u8; 32])>,
	/// The finalized block of the last collection.
	collected_at: Option<u32>,
}

impl Collector {
	/// Deletes the fragments and manifests that no live contract naming this provider names,
	/// neither in the finalized block nor in the best one, and did not at the previous
	/// collection either (so an upload for a contract in a block not yet seen here is
	/// safe). Driven by finality: nothing is deleted on the word of a block that can be
	/// reverted, and a node that was down catches up at its first finalized block.
	async fn collect_garbage(
		&mut self,
		finalized: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash,
		number: u32,
	) {
		let mut roots: HashSet<[u8; 32]> = self.accepting.lock().map(|a| a.clone()).unwrap_or_default();
		let mut manifests = HashSet::new();
		// The runtime calls walk all of this provider's contracts: off the async threads.
		let (client, account) = (self.client.clone(), self.account.clone());
		let read = tokio::task::spawn_blocking(move || {
			[finalized, client.info().best_hash]
				.into_iter()
				.map(|at| client.runtime_api().holdings(at, account.clone()))
				.collect::<Result<Vec<_>, _>>()
		});
		match read.await {
			Ok(Ok(views)) => views.into_iter().flatten().for_each(|c| {
				roots.insert(c.contract.root);
				manifests.insert(c.contract.manifest);
			}),
			Ok(Err(e)) => return log::warn!(target: "cairn::provider", "cannot read this provider's contracts: {e}"),
			Err(e) => return log::error!(target: "cairn::provider", "contract reading task failed: {e}"),
		}
		let store = self.store.clone();
		let condemned = std::mem::take(&mut self.condemned);
		let collected = tokio::task::spawn_blocking(move || {
			let mut still = HashSet::new();
			let mut removed = cairn_store::Removed::default();
			let unnamed = store
				.fragment_ids()
				.into_iter()
				.filter(|id| !roots.contains(id))
				.map(|id| (false, id))
				.chain(store.blob_ids().into_iter().filter(|id| !manifests.contains(id)).map(|id| (true, id)));
			for key in unnamed {
				if !condemned.contains(&key) {
					still.insert(key);
					continue;
				}
				let (blob, id) = key;
				let len = if blob {
					store.get_blob(&id).ok().flatten().map_or(0, |b| b.len() as u64)
				} else {
					store.meta(&id).ok().flatten().map_or(0, |m| m.len)
				};
				match if blob { store.delete_blob(&id) } else { store.delete(&id) } {
					Ok(true) if blob => (removed.blobs += 1, removed.bytes += len).1,
					Ok(true) => (removed.fragments += 1, removed.bytes += len).1,
					Ok(false) => {},
					Err(e) => {
						log::warn!(target: "cairn::provider", "cannot delete 0x{}: {e}", hex::encode(&id[..8]));
						still.insert(key);
					},
				}
			}
			if removed.fragments > 0 {
				if let Err(e) = store.reclaim() {
					log::warn!(target: "cairn::provider", "cannot reclaim the space of deleted fragments: {e}");
				}
			}
			(still, removed)
		})
		.await;
		match collected {
			Ok((still, removed)) => {
				self.condemned = still;
				self.collected_at = Some(number);
				if removed != cairn_store::Removed::default() {
					log::info!(
						target: "cairn::provider",
						"🧹 Deleted {} fragments and {} manifests ({} bytes) that no live contract names (finalized #{number})",
						removed.fragments,
						removed.blobs,
						removed.bytes
					);
				}
			},
			Err(e) => log::error!(target: "cairn::provider", "garbage collection failed: {e}"),
		}
	}
}

impl<P> Worker<P>
where
	P: TransactionPool<Block = Block> + 'static,
{
	async fn on_block(&mut self, best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash, number: u32) {
		let Ok(mut nonce) = self.next_nonce(best) else { return };
		self.accept_stored(best, number, &mut nonce).await;
		self.prove(best, number, &mut nonce).await;
	}

	/// Accepts the pending contracts whose fragment is in the store.
	async fn accept_stored(
		&mut self,
		best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash,
		number: u32,
		nonce: &mut u32,
	) {
		let pending = match self.client.runtime_api().pending_for(best, self.account.clone()) {
			Ok(p) => p,
			Err(e) => return log::warn!(target: "cairn::provider", "cannot read pending contracts: {e}"),
		};
		self.accepts.retain(|id, _| pending.iter().any(|c| c.id == *id));
		for c in &pending {
			if self.accepts.get(&c.id).is_some_and(|sent| self.waiting(sent, number)) {
				continue;
			}
			match self.store.meta(&c.contract.root) {
				Ok(Some(meta)) if meta.len == c.contract.size && meta.segment_size == c.contract.segment_size => {},
				_ => continue,
			}
			let call = RuntimeCall::Storage(pallet_storage::Call::accept_contract { id: c.id });
			if let Some(hash) = self.submit(best, call, nonce).await {
				log::info!(target: "cairn::provider", "📥 Accepting contract {} (fragment 0x{})", c.id, hex::encode(&c.contract.root[..8]));
				self.accepts.insert(c.id, (number, hash));
			}
		}
		// The collector keeps these even if a reorg hides their contracts for a while.
		let accepting = pending.iter().filter(|c| self.accepts.contains_key(&c.id)).map(|c| c.contract.root).collect();
		if let Ok(mut shared) = self.accepting.lock() {
			*shared = accepting;
		}
	}

	/// Answers each partition due in the deadline in progress, once (again if the answer
	/// left the pool without landing, at least `RESEND_AFTER` blocks later), while the
	/// deadline has a block left.
	async fn prove(
		&mut self,
		best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash,
		number: u32,
		nonce: &mut u32,
	) {
		let deadline: DeadlineChallenge = match self.client.runtime_api().deadline_challenge(best, self.account.clone())
		{
			Ok(d) => d,
			Err(e) => return log::warn!(target: "cairn::provider", "cannot read the challenge: {e}"),
		};
		self.proofs.retain(|(window, d, _), _| (*window, *d) == (deadline.window, deadline.deadline));
		let Some(partitions) = deadline.partitions else { return };
		// The next block is the first our transaction can enter; it must be before `close`.
		if number + 1 >= deadline.close {
			return;
		}
		for partition in partitions.into_iter().filter(|p| !p.answered && !p.fragments.is_empty()) {
			let key = (deadline.window, deadline.deadline, partition.index);
			if self.proofs.get(&key).is_some_and(|sent| self.waiting(sent, number)) {
				continue;
			}
			let store = self.store.clone();
			let fragments = partition.fragments.clone();
			let answer = match tokio::task::spawn_blocking(move || answer(&store, &fragments)).await {
				Ok(answer) => answer,
				Err(e) => return log::error!(target: "cairn::provider", "proof task failed: {e}"),
			};
			let proven = answer.iter().filter(|a| a.is_some()).count();
			let Ok(answer) = answer.try_into() else {
				log::error!(target: "cairn::provider", "partition {} has more contracts than an answer holds", partition.index);
				continue;
			};
			let call = RuntimeCall::FragmentProofs(pallet_fragment_proofs::Call::submit_proofs {
				window: deadline.window,
				deadline: deadline.deadline,
				partition: partition.index,
				answer,
			});
			if let Some(hash) = self.submit(best, call, nonce).await {
				log::info!(
					target: "cairn::provider",
					"🔏 Proofs for window {} deadline {} partition {}: {proven} of {} fragments",
					deadline.window,
					deadline.deadline,
					partition.index,
					partition.fragments.len()
				);
				self.proofs.insert(key, (number, hash));
			}
		}
	}

	/// The account's next nonce, counting its transactions already in the pool.
	fn next_nonce(&self, best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash) -> Result<u32, ()> {
		let mut nonce = self
			.client
			.runtime_api()
			.account_nonce(best, self.account.clone())
			.map_err(|e| log::warn!(target: "cairn::provider", "cannot read the nonce: {e}"))?;
		// The pool's ready transactions provide `(account, nonce)` tags, in order.
		let mut tag = (self.account.clone(), nonce).encode();
		for tx in self.pool.ready() {
			if tx.provides().contains(&tag) {
				nonce += 1;
				tag = (self.account.clone(), nonce).encode();
			}
		}
		Ok(nonce)
	}

	/// Whether a transaction sent earlier should be left alone: it is still in the pool's
	/// ready queue, or was sent less than `RESEND_AFTER` blocks ago.
	fn waiting(&self, (at, hash): &Sent<P>, number: u32) -> bool {
		number < at + RESEND_AFTER || self.pool.ready_transaction(hash).is_some()
	}

	/// Signs `call` with the node key and puts it into the pool; its hash if it went in.
	async fn submit(
		&self,
		best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash,
		call: RuntimeCall,
		nonce: &mut u32,
	) -> Option<TxHash<P>> {
		let Ok(Some(genesis)) = self.client.hash(0) else { return None };
		let version = match self.client.runtime_api().version(best) {
			Ok(v) => v,
			Err(e) => {
				log::warn!(target: "cairn::provider", "cannot read the runtime version: {e}");
				return None;
			},
		};
		let mut signed = true;
		let xt = cairn_runtime::transactions::sign_offline(
			call,
			self.account.clone(),
			*nonce,
			genesis,
			version.spec_version,
			version.transaction_version,
			|payload| match self.keystore.sr25519_sign(NODE_KEY_TYPE, &self.public, payload) {
				Ok(Some(signature)) => MultiSignature::Sr25519(signature),
				_ => {
					signed = false;
					MultiSignature::Sr25519(sr25519::Signature::default())
				},
			},
		);
		if !signed {
			log::error!(target: "cairn::provider", "the keystore cannot sign with the node key {}", self.account);
			return None;
		}
		let Ok(xt) = OpaqueExtrinsic::decode(&mut &xt.encode()[..]) else { return None };
		match self.pool.submit_one(best, TransactionSource::Local, xt).await {
			Ok(hash) => {
				*nonce += 1;
				Some(hash)
			},
			Err(e) => {
				log::warn!(target: "cairn::provider", "transaction refused by the pool: {e}");
				None
			},
		}
	}
}

type Answer = Vec<Option<pallet_fragment_proofs::ProofOf<cairn_runtime::Runtime>>>;

/// Reads each challenged fragment's segments and Merkle paths from the store; a fragment
/// it cannot read is declared lost for the window (`None`), which costs less than a wrong
/// proof and lets the rest of the partition be paid.
fn answer(store: &Store, fragments: &[Challenge]) -> Answer {
	fragments
		.iter()
		.map(|c| {
			let segments: Result<Vec<_>, cairn_store::Error> = c
				.segments
				.iter()
				.map(|index| {
					let (segment, path) = store.segment_proof(&c.root, *index)?;
					Ok(SegmentProof {
						segment: segment.try_into().map_err(|_| cairn_store::Error::Corrupt("segment too large"))?,
						path: path.try_into().map_err(|_| cairn_store::Error::Corrupt("path too long"))?,
					})
				})
				.collect();
			match segments.and_then(|s| s.try_into().map_err(|_| cairn_store::Error::Corrupt("too many segments"))) {
				Ok(segments) => Some(FragmentProof { contract: c.contract, segments }),
				Err(e) => {
					log::warn!(
						target: "cairn::provider",
						"⚠️ Cannot prove fragment 0x{} of contract {}: {e}; declaring it lost for this window",
						hex::encode(&c.root[..8]),
						c.contract
					);
					None
				},
			}
		})
		.collect()
}
