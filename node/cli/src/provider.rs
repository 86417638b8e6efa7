//! The provider's side of the storage market, run by the node with no operator action:
//!
//! - the fragment service takes a fragment only under a pending contract that names this
//!   node ([`ChainAdmission`]);
//! - once a pending contract's fragment is in the store, the node accepts the contract;
//! - in each deadline of every proving window it answers each of its partitions due there:
//!   it reads the challenged segments and their Merkle paths from the store, declares the
//!   fragments it cannot read lost for the window, and submits one proof transaction per
//!   partition. The schedule comes from the runtime at every block, never from constants.
//!
//! Transactions are signed with the node key (`cair` in the keystore) and go straight into
//! the node's transaction pool. The operator's only step is the offer
//! (`cairn provider offer`).

use std::{
	collections::HashMap,
	sync::{Arc, OnceLock},
};

use cairn_net::Admission;
use cairn_primitives::{ContractId, Period, NODE_KEY_TYPE};
use pallet_fragment_proofs::{Challenge, DeadlineChallenge};
use cairn_runtime::{opaque::Block, AccountId, RuntimeCall};
use cairn_store::Store;
use codec::{Decode, Encode};
use futures::StreamExt;
use pallet_fragment_proofs::{FragmentProof, ProofsApi, SegmentProof};
use pallet_storage::StorageApi;
use polkadot_sdk::{
	frame_system_rpc_runtime_api::AccountNonceApi,
	sc_client_api::BlockchainEvents,
	sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource},
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

/// An admission decided once the chain client exists: until then, every fragment is
/// refused with a message that says to try again.
#[derive(Default)]
pub struct LateAdmission(OnceLock<Box<dyn Admission>>);

impl LateAdmission {
	pub fn set(&self, admission: Box<dyn Admission>) {
		let _ = self.0.set(admission);
	}
}

impl Admission for LateAdmission {
	fn admit(&self, id: &[u8; 32], len: u64, segment_size: u32) -> Result<(), String> {
		match self.0.get() {
			Some(admission) => admission.admit(id, len, segment_size),
			None => Err("the node is starting; try again in a few seconds".into()),
		}
	}
}

/// Takes a fragment only if a pending contract in the best block names this provider, the
/// fragment's root, its length and its segment size.
pub struct ChainAdmission {
	pub client: Arc<FullClient>,
	/// This node's account; `None` when the keystore has no node key.
	pub provider: Option<AccountId>,
}

impl Admission for ChainAdmission {
	fn admit(&self, id: &[u8; 32], len: u64, segment_size: u32) -> Result<(), String> {
		let Some(provider) = &self.provider else {
			return Err("this node has no node key, so it takes no contracts".into());
		};
		let best = self.client.info().best_hash;
		let pending = self
			.client
			.runtime_api()
			.pending_for(best, provider.clone())
			.map_err(|e| format!("the provider cannot read its contracts: {e}"))?;
		pending
			.iter()
			.any(|c| c.contract.root == *id && c.contract.size == len && c.contract.segment_size == segment_size)
			.then_some(())
			.ok_or_else(|| {
				format!("no pending contract with {provider} for fragment 0x{} of {len} bytes", hex::encode(id))
			})
	}
}

/// The node key's public key in the keystore, if any.
pub fn node_key(keystore: &KeystorePtr) -> Option<sr25519::Public> {
	keystore.sr25519_public_keys(NODE_KEY_TYPE).into_iter().next()
}

/// The provider worker's state between blocks.
struct Worker<P> {
	client: Arc<FullClient>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	store: Store,
	public: sr25519::Public,
	account: AccountId,
	/// Accepts sent: contract -> block.
	accepts: HashMap<ContractId, u32>,
	/// Answers sent: (window, deadline, partition) -> block.
	proofs: HashMap<(Period, u32, u32), u32>,
}

/// Runs the provider worker until the node stops.
pub async fn run<P>(client: Arc<FullClient>, pool: Arc<P>, keystore: KeystorePtr, store: Store, public: sr25519::Public)
where
	P: TransactionPool<Block = Block> + 'static,
{
	let account = AccountId::from(public);
	log::info!(target: "cairn::provider", "💾 Providing storage as {account}");
	let mut worker = Worker {
		client: client.clone(),
		pool,
		keystore,
		store,
		public,
		account,
		accepts: HashMap::new(),
		proofs: HashMap::new(),
	};
	let mut blocks = client.import_notification_stream();
	while let Some(block) = blocks.next().await {
		if block.is_new_best {
			worker.on_block(block.hash, *block.header.number()).await;
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
		for c in pending {
			if self.accepts.get(&c.id).is_some_and(|sent| number < sent + RESEND_AFTER) {
				continue;
			}
			match self.store.meta(&c.contract.root) {
				Ok(Some(meta)) if meta.len == c.contract.size && meta.segment_size == c.contract.segment_size => {},
				_ => continue,
			}
			let call = RuntimeCall::Storage(pallet_storage::Call::accept_contract { id: c.id });
			if self.submit(best, call, nonce).await {
				log::info!(target: "cairn::provider", "📥 Accepting contract {} (fragment 0x{})", c.id, hex::encode(&c.contract.root[..8]));
				self.accepts.insert(c.id, number);
			}
		}
	}

	/// Answers each partition due in the deadline in progress, once (again after
	/// `RESEND_AFTER` blocks if it did not land), while the deadline has a block left.
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
			if self.proofs.get(&key).is_some_and(|sent| number < sent + RESEND_AFTER) {
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
			if self.submit(best, call, nonce).await {
				log::info!(
					target: "cairn::provider",
					"🔏 Proofs for window {} deadline {} partition {}: {proven} of {} fragments",
					deadline.window,
					deadline.deadline,
					partition.index,
					partition.fragments.len()
				);
				self.proofs.insert(key, number);
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

	/// Signs `call` with the node key and puts it into the pool; whether it went in.
	async fn submit(
		&self,
		best: <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash,
		call: RuntimeCall,
		nonce: &mut u32,
	) -> bool {
		let Ok(Some(genesis)) = self.client.hash(0) else { return false };
		let version = match self.client.runtime_api().version(best) {
			Ok(v) => v,
			Err(e) => {
				log::warn!(target: "cairn::provider", "cannot read the runtime version: {e}");
				return false;
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
			return false;
		}
		let Ok(xt) = OpaqueExtrinsic::decode(&mut &xt.encode()[..]) else { return false };
		match self.pool.submit_one(best, TransactionSource::Local, xt).await {
			Ok(_) => {
				*nonce += 1;
				true
			},
			Err(e) => {
				log::warn!(target: "cairn::provider", "transaction refused by the pool: {e}");
				false
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
