//! The node publishes its own endpoint: its service plane writes the peer id and the
//! addresses it listens at into the off-chain database ([`LOCAL_ENDPOINT_KEY`]), and for
//! each node key in its keystore the peer key's signature over [`crate::endpoint_payload`]
//! ([`peer_proof_key`]). The off-chain worker publishes them for each attested node key
//! whenever the chain's copy differs or has less than half its `Ttl` left, leaving out
//! loopback and unspecified addresses on chains that refuse them.
//!
//! Likewise for the web apps the node hosts: the node writes the origin they are served at
//! and their names ([`LOCAL_APPS_KEY`]), and the off-chain worker lists them
//! (`publish_apps`) for the node key whose endpoint this node serves, when the chain's
//! listing differs or is past half its life, and withdraws it when the node lists none.

use crate::{check_address, check_origin, pallet::*, Addresses, AppNames, OriginBytes, PeerIdBytes};
use alloc::vec::Vec;
use cairn_primitives::traits::NodeRegistry;
use codec::Encode;
use polkadot_sdk::{
	frame_support::traits::Get,
	frame_system::{
		offchain::{AppCrypto, SendSignedTransaction, Signer},
		pallet_prelude::BlockNumberFor,
	},
	sp_io::hashing::blake2_256,
	sp_runtime::{
		offchain::storage::{StorageRetrievalError, StorageValueRef},
		traits::{IdentifyAccount, Saturating},
		RuntimeAppPublic,
	},
};

const LOG_TARGET: &str = "runtime::endpoints";
/// Persistent off-chain storage key of the node's own endpoint, written by the node:
/// SCALE `(PeerIdBytes, Addresses)`.
pub const LOCAL_ENDPOINT_KEY: &[u8] = b"cairn/endpoints/local";
/// Prefix of the persistent off-chain storage key of the peer key's signature for an
/// account, written by the node: SCALE `(block number signed at, [u8; 64])`.
pub const PEER_PROOF_PREFIX: &[u8] = b"cairn/endpoints/proof/";
/// Persistent off-chain storage key of the web apps the node hosts, written by the node:
/// SCALE `(OriginBytes, AppNames)`, the names sorted; none when it lists no apps.
pub const LOCAL_APPS_KEY: &[u8] = b"cairn/endpoints/apps";
/// Off-chain storage of the block the endpoint of an account was last sent at.
const SENT_KEY: &[u8] = b"cairn/endpoints/sent/";
/// Off-chain storage of the block the apps' listing of an account was last sent at.
const APPS_SENT_KEY: &[u8] = b"cairn/endpoints/apps-sent/";
/// Blocks to wait for a sent endpoint or listing to be included before sending it again.
///
/// Short: the transaction takes the node key's nonce from the chain, and the node's
/// provider worker signs with the same key, at the start of each proving deadline. When
/// both go into the pool at once, the pool may accept this one and drop it later for the
/// other (it never says so to the worker). A wait as long as a deadline would meet the next
/// deadline's proofs again, every time; a few blocks later the way is clear. A resend of a
/// transaction still waiting in the pool is refused by the pool (same nonce), not paid twice.
pub const RESEND_AFTER: u32 = 3;

/// The node's own endpoint, as its service plane wrote it.
pub fn local_endpoint() -> Option<(PeerIdBytes, Addresses)> {
	StorageValueRef::persistent(LOCAL_ENDPOINT_KEY).get().ok().flatten()
}

/// The web apps the node hosts, as it wrote them: none if it wrote none.
pub fn local_apps() -> (OriginBytes, AppNames) {
	StorageValueRef::persistent(LOCAL_APPS_KEY).get().ok().flatten().unwrap_or_default()
}

/// The off-chain storage key of the peer key's signature for `account`.
pub fn peer_proof_key(account: &impl Encode) -> Vec<u8> {
	[PEER_PROOF_PREFIX, &account.encode()].concat()
}

impl<T: Config> Pallet<T> {
	/// Publishes the node's endpoint for each attested node key whose published one is
	/// missing, different, or past half its life. Returns the accounts it sent for.
	pub(crate) fn offchain_publish(now: BlockNumberFor<T>) -> Vec<T::AccountId> {
		let mut sent_for = Vec::new();
		let Some((peer_id, mut addresses)) = local_endpoint() else { return sent_for };
		addresses.retain(|a| check_address(a, T::AllowLocalAddresses::get()).is_ok());
		if addresses.is_empty() {
			log::warn!(
				target: LOG_TARGET,
				"no address of this node is valid on this chain (loopback ones are not): pass --fragment-public-addr"
			);
			return sent_for;
		}
		let refresh_before = now.saturating_add(T::Ttl::get() / 2u32.into());
		let local = Self::local_accounts();
		for (public, account) in local.iter().cloned() {
			if !T::Registry::is_attested(&account) {
				continue;
			}
			let proof: Option<(BlockNumberFor<T>, [u8; 64])> =
				StorageValueRef::persistent(&peer_proof_key(&account)).get().ok().flatten();
			let Some((signed_at, peer_signature)) = proof.filter(|(at, _)| now < at.saturating_add(T::Ttl::get()))
			else {
				log::warn!(target: LOG_TARGET, "no recent peer key signature for {account:?} yet; the node writes it");
				continue;
			};
			// Another of this node's keys serves this peer id: one of them, not both in turn.
			let served_by_another = local
				.iter()
				.any(|(_, other)| *other != account && Self::resolve(other).is_some_and(|e| e.peer_id == peer_id));
			if served_by_another {
				continue;
			}
			let current = Endpoints::<T>::get(&account);
			let fresh = current
				.is_some_and(|e| e.peer_id == peer_id && e.addresses == addresses && e.expires_at > refresh_before);
			if fresh || !Self::due_to_send(SENT_KEY, &account, now) {
				continue;
			}
			let sent = Signer::<T, T::NodeKey>::all_accounts()
				.with_filter(alloc::vec![public])
				.send_signed_transaction(|_| Call::publish {
					peer_id: peer_id.clone(),
					addresses: addresses.clone(),
					signed_at,
					peer_signature,
				});
			match sent.first() {
				Some((_, Ok(()))) => {
					log::info!(target: LOG_TARGET, "endpoint of {account:?} sent");
					sent_for.push(account);
				},
				_ => {
					log::warn!(target: LOG_TARGET, "endpoint of {account:?} could not be sent; trying again next block");
					Self::forget_sent(SENT_KEY, &account);
				},
			}
		}
		sent_for
	}

	/// The accounts of the node keys in this node's keystore.
	fn local_accounts() -> Vec<(T::Public, T::AccountId)> {
		<T::NodeKey as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all()
			.into_iter()
			.map(|key| {
				let generic: <T::NodeKey as AppCrypto<T::Public, T::Signature>>::GenericPublic = key.into();
				let public: T::Public = generic.into();
				(public.clone(), public.into_account())
			})
			.collect()
	}

	/// Lists the web apps the node hosts for the node key whose live endpoint has this
	/// node's peer id, when the chain's listing is missing, different, or past half its
	/// life; withdraws the listing when the node hosts none.
	///
	/// Skips the accounts in `busy`, which sent a transaction in this block already: the
	/// transaction takes the account's nonce from the chain, so a second one would carry
	/// the same nonce and the pool would refuse it. It goes in the next block instead.
	pub(crate) fn offchain_publish_apps(now: BlockNumberFor<T>, busy: &[T::AccountId]) {
		let Some((peer_id, _)) = local_endpoint() else { return };
		let (origin, apps) = local_apps();
		let apps = match check_origin(&origin, T::AllowLocalAddresses::get()) {
			Ok(()) => apps,
			Err(_) if apps.is_empty() => apps,
			Err(_) => {
				log::warn!(target: LOG_TARGET, "the apps' origin is not valid on this chain: pass --apps-public-url");
				AppNames::default()
			},
		};
		let refresh_before = now.saturating_add(T::Ttl::get() / 2u32.into());
		for (public, account) in Self::local_accounts() {
			if busy.contains(&account) || Self::resolve(&account).is_none_or(|e| e.peer_id != peer_id) {
				continue;
			}
			let fresh = match Apps::<T>::get(&account) {
				None => apps.is_empty(),
				Some(listed) => {
					!apps.is_empty()
						&& listed.origin == origin
						&& listed.apps == apps
						&& listed.expires_at > refresh_before
				},
			};
			if fresh || !Self::listing_due(&account, now, (&origin, &apps).using_encoded(blake2_256)) {
				continue;
			}
			let count = apps.len();
			let sent = Signer::<T, T::NodeKey>::all_accounts()
				.with_filter(alloc::vec![public])
				.send_signed_transaction(|_| Call::publish_apps { origin_url: origin.clone(), apps: apps.clone() });
			match sent.first() {
				Some((_, Ok(()))) => log::info!(target: LOG_TARGET, "listing of {count} apps of {account:?} sent"),
				_ => {
					log::warn!(target: LOG_TARGET, "listing of the apps of {account:?} could not be sent; trying again next block");
					Self::forget_sent(APPS_SENT_KEY, &account);
				},
			}
		}
	}

	/// Whether the listing whose hash is `listing` was not sent for `account` within the
	/// last [`RESEND_AFTER`] blocks (another one may go at once); if so, records that it is
	/// sent now.
	fn listing_due(account: &T::AccountId, now: BlockNumberFor<T>, listing: [u8; 32]) -> bool {
		let key = [APPS_SENT_KEY, &account.encode()].concat();
		type Last<N> = Result<Option<(N, [u8; 32])>, StorageRetrievalError>;
		StorageValueRef::persistent(&key)
			.mutate(|last: Last<BlockNumberFor<T>>| match last {
				Ok(Some((at, sent))) if sent == listing && now < at.saturating_add(RESEND_AFTER.into()) => Err(()),
				_ => Ok((now, listing)),
			})
			.is_ok()
	}

	/// Forgets that what `account` sends under `prefix` was sent: the pool refused it
	/// (say, another transaction of the account's took its nonce), so waiting
	/// [`RESEND_AFTER`] blocks for its inclusion would only delay it.
	fn forget_sent(prefix: &[u8], account: &T::AccountId) {
		StorageValueRef::persistent(&[prefix, &account.encode()].concat()).clear();
	}

	/// Whether what `account` sends under `prefix` was not sent within the last
	/// [`RESEND_AFTER`] blocks; if so, records that it is sent now.
	fn due_to_send(prefix: &[u8], account: &T::AccountId, now: BlockNumberFor<T>) -> bool {
		let key = [prefix, &account.encode()].concat();
		StorageValueRef::persistent(&key)
			.mutate(|last: Result<Option<BlockNumberFor<T>>, StorageRetrievalError>| match last {
				Ok(Some(at)) if now < at.saturating_add(RESEND_AFTER.into()) => Err(()),
				_ => Ok(now),
			})
			.is_ok()
	}
}
