//! The challenger's side of M2 and of audits, run by the off-chain workers of the nodes
//! whose keys sit in seats of open or audited requests.
//!
//! For each seat it holds, the worker keeps a private seed `r` in persistent off-chain
//! storage (drawn once from the node's off-chain randomness). With the request's binding
//! `b` (genesis, request id, requester, EK id, AK name) it derives the secret
//! `s = blake2_256("TPMREG/secret/v2" || r || b)`, makes the credential to the request's EK
//! bound to its AK with randomness `blake2_256("TPMREG/credential/v2" || r || b)`, and
//! sends `post_challenge` unsigned, signed by the validator's challenger key (a session
//! key). The same seat therefore always gets the same
//! challenge, however often it is resent. Seeds are kept per binding, so another request,
//! or this request id naming another EK or requester on another fork, gets another seed.
//! When a request is audited, the worker reveals `r`, from which the runtime makes the
//! challenge again, but only once the audit's opening block is final (the node writes the
//! finalized block number at [`FINALIZED_KEY`]): a seed revealed on a fork that is then
//! dropped would answer the same request on the fork that stays. It reveals only a seed
//! that makes the challenge on chain (another node with the same key may have posted
//! it). A node must keep its off-chain database for the reveal window.

use crate::{pallet::*, secret_from_seed, Challenge, EkId, Phase, RequestId, Seat, TpmName};
use alloc::vec::Vec;
use cairn_attestation::{credential, Error as CredentialError};
use codec::Encode;
use polkadot_sdk::{
	frame_system::{
		offchain::SubmitTransaction,
		pallet_prelude::BlockNumberFor,
	},
	sp_io::{self, hashing::blake2_256},
	sp_runtime::{
		offchain::storage::{MutateStorageError, StorageRetrievalError, StorageValueRef},
		traits::{Convert, Saturating},
		RuntimeAppPublic,
	},
};
use rand_chacha::{
	rand_core::{RngCore, SeedableRng},
	ChaCha20Rng,
};

const LOG_TARGET: &str = "runtime::attestation";
/// Off-chain storage of the private seed of a seat:
/// `SEED_KEY ++ (request id, challenger, binding)`.
const SEED_KEY: &[u8] = b"cairn/attestation/seed/";
/// Persistent off-chain storage of the number of the last finalized block, written by the
/// node (SCALE of the block number).
pub const FINALIZED_KEY: &[u8] = b"cairn/finalized-number";
/// Off-chain storage of the block a seat's challenge was last sent at.
const SENT_KEY: &[u8] = b"cairn/attestation/sent/";
/// Off-chain storage of the block a seat's reveal was last sent at.
const REVEAL_SENT_KEY: &[u8] = b"cairn/attestation/revealed/";
/// Blocks to wait for a sent challenge to be included before sending it again. Short
/// against the 10-block challenge window: a copy still in the pool is refused by the pool
/// as a duplicate (same `provides` tag) at no cost, while a copy that was lost (its
/// node's pool dropped it, or it sat on a fork that lost) is replaced within two blocks,
/// several times within one window.
pub const RESEND_AFTER: u32 = 2;
/// The most challenges one worker run makes; each costs an RSA encryption.
pub const MAX_CHALLENGES_PER_RUN: usize = 8;
/// The most reveals one worker run sends.
pub const MAX_REVEALS_PER_RUN: usize = 16;

/// A challenge and the secret it hides.
pub struct MadeChallenge {
	pub challenge: Challenge,
	pub secret: [u8; 32],
}

impl<T: Config> Pallet<T> {
	/// Posts the challenges of this node's seats that are still missing.
	pub(crate) fn offchain_challenge(now: BlockNumberFor<T>) {
		let local = T::ChallengerId::all();
		if local.is_empty() {
			return;
		}
		let mut made = 0;
		for (request_id, request) in Requests::<T>::iter() {
			if !matches!(request.phase, Phase::Challenging(_)) {
				continue;
			}
			for Seat { challenger, .. } in request.seats.iter().filter(|s| s.challenge.is_none()) {
				let Some(key) = Self::local_key(&local, challenger) else { continue };
				if made == MAX_CHALLENGES_PER_RUN {
					return;
				}
				if !Self::due_to_send(SENT_KEY, request_id, challenger, now) {
					continue;
				}
				made += 1;
				let binding = Self::binding(request_id, &request.who, &request.ek_id, &request.ak_name);
				let seed = Self::private_seed(request_id, challenger, &binding);
				let challenge = match Self::make_challenge(
					&seed,
					request_id,
					challenger,
					&request.who,
					&request.ek_id,
					&request.ek_modulus,
					&request.ak_name,
				) {
					Ok(challenge) => challenge,
					Err(e) => {
						log::warn!(target: LOG_TARGET, "cannot challenge request {request_id}: {e:?}");
						continue;
					},
				};
				let payload = Self::challenge_payload(request_id, challenger, &binding, &challenge.challenge);
				let Some(signature) = key.sign(&payload) else {
					log::warn!(target: LOG_TARGET, "the challenger key of {challenger:?} cannot sign");
					continue;
				};
				let Challenge { id_object, encrypted_secret, commitment } = challenge.challenge;
				let call = Call::post_challenge {
					request_id,
					id_object,
					encrypted_secret,
					commitment,
					challenger: challenger.clone(),
					signature,
				};
				match SubmitTransaction::<T, Call<T>>::submit_transaction(T::create_bare(call.into())) {
					Ok(()) => {
						log::info!(target: LOG_TARGET, "challenge for request {request_id} sent by {challenger:?}")
					},
					Err(()) => log::warn!(target: LOG_TARGET, "challenge for request {request_id} could not be sent"),
				}
			}
		}
	}

	/// Reveals the seeds of this node's seats in audited requests whose opening is final.
	pub(crate) fn offchain_reveal(now: BlockNumberFor<T>) {
		let local = T::ChallengerId::all();
		if local.is_empty() {
			return;
		}
		let finalized: Option<BlockNumberFor<T>> = StorageValueRef::persistent(FINALIZED_KEY).get().ok().flatten();
		let Some(finalized) = finalized else { return };
		let mut sent = 0;
		for (request_id, audit) in Audits::<T>::iter() {
			if audit.opened_at > finalized || now < audit.opened_at.saturating_add(<T::RevealDelay as polkadot_sdk::frame_support::traits::Get<_>>::get()) {
				continue;
			}
			for seat in audit.seats.iter().filter(|s| !s.revealed) {
				let Some(key) = Self::local_key(&local, &seat.challenger) else { continue };
				if sent == MAX_REVEALS_PER_RUN {
					return;
				}
				if !Self::due_to_send(REVEAL_SENT_KEY, request_id, &seat.challenger, now) {
					continue;
				}
				let binding = Self::binding(request_id, &audit.who, &audit.ek_id, &audit.ak_name);
				let Some(seed) = Self::stored_seed(request_id, &seat.challenger, &binding) else {
					log::error!(target: LOG_TARGET, "no seed for the challenge of request {request_id}: it cannot be revealed");
					continue;
				};
				let remade = Self::make_challenge(
					&seed,
					request_id,
					&seat.challenger,
					&audit.who,
					&audit.ek_id,
					&audit.ek_modulus,
					&audit.ak_name,
				);
				if !remade.is_ok_and(|made| made.challenge == seat.challenge) {
					log::warn!(target: LOG_TARGET, "the challenge of request {request_id} on chain is not this node's");
					continue;
				}
				sent += 1;
				let Some(signature) = key.sign(&Self::reveal_payload(request_id, &seat.challenger, &binding, &seed)) else {
					log::warn!(target: LOG_TARGET, "the challenger key of {:?} cannot sign", seat.challenger);
					continue;
				};
				let call = Call::reveal_challenge { request_id, seed, challenger: seat.challenger.clone(), signature };
				if SubmitTransaction::<T, Call<T>>::submit_transaction(T::create_bare(call.into())).is_err() {
					log::warn!(target: LOG_TARGET, "the reveal for request {request_id} could not be sent");
				}
			}
		}
	}

	/// The challenge of seat `challenger` of request `request_id` of `who` for the EK and
	/// AK given, made from the seat's private seed. The runtime makes it again from the
	/// revealed seed when the request is audited.
	pub fn make_challenge(
		seed: &[u8; 32],
		request_id: RequestId,
		challenger: &T::AccountId,
		who: &T::AccountId,
		ek_id: &EkId,
		ek_modulus: &[u8; 256],
		ak_name: &TpmName,
	) -> Result<MadeChallenge, CredentialError> {
		let binding = Self::binding(request_id, who, ek_id, ak_name);
		let secret = secret_from_seed(seed, &binding);
		let mut rng = ChaCha20Rng::from_seed(blake2_256(&[crate::CREDENTIAL_DOMAIN, seed, &binding].concat()));
		let mut credential_seed = [0u8; 32];
		rng.fill_bytes(&mut credential_seed);
		let credential = credential::make_credential(ek_modulus, ak_name, &secret, &credential_seed, &mut rng)?;
		// Both fit by construction: a 34-byte name and a 32-byte secret, RSA-2048.
		let too_long = |_| CredentialError::Encryption;
		Ok(MadeChallenge {
			challenge: Challenge {
				id_object: credential.id_object.try_into().map_err(too_long)?,
				encrypted_secret: credential.encrypted_secret.try_into().map_err(too_long)?,
				commitment: Self::commitment(request_id, challenger, &secret),
			},
			secret,
		})
	}

	/// The challenger key `challenger` set, if this node's keystore holds it.
	fn local_key(local: &[T::ChallengerId], challenger: &T::AccountId) -> Option<T::ChallengerId> {
		T::ChallengerKeyOf::convert(challenger.clone()).filter(|key| local.contains(key))
	}

	fn seed_key(request_id: RequestId, challenger: &T::AccountId, binding: &[u8; 32]) -> Vec<u8> {
		[SEED_KEY, &(request_id, challenger, binding).encode()].concat()
	}

	/// The private seed of the seat for the request that `binding` names, if one was drawn.
	pub fn stored_seed(request_id: RequestId, challenger: &T::AccountId, binding: &[u8; 32]) -> Option<[u8; 32]> {
		StorageValueRef::persistent(&Self::seed_key(request_id, challenger, binding)).get().ok().flatten()
	}

	/// The seat's private seed for the request that `binding` names, drawn on first use
	/// and kept.
	pub fn private_seed(request_id: RequestId, challenger: &T::AccountId, binding: &[u8; 32]) -> [u8; 32] {
		let key = Self::seed_key(request_id, challenger, binding);
		let store = StorageValueRef::persistent(&key);
		let stored = store.mutate(|old: Result<Option<[u8; 32]>, StorageRetrievalError>| match old {
			Ok(Some(seed)) => Ok::<_, ()>(seed),
			_ => Ok(sp_io::offchain::random_seed()),
		});
		match stored {
			Ok(seed) => seed,
			// Another run is writing it right now: take what it wrote, or a fresh seed
			// that at worst makes this run's challenge differ from the one sent.
			Err(_) => store.get().ok().flatten().unwrap_or_else(sp_io::offchain::random_seed),
		}
	}

	/// Whether the seat's message (under `prefix`) was not sent within the last
	/// [`RESEND_AFTER`] blocks; if so, records that it is sent now.
	fn due_to_send(prefix: &[u8], request_id: RequestId, challenger: &T::AccountId, now: BlockNumberFor<T>) -> bool {
		let key = [prefix, &(request_id, challenger).encode()].concat();
		let marked = StorageValueRef::persistent(&key).mutate(
			|last: Result<Option<BlockNumberFor<T>>, StorageRetrievalError>| match last {
				Ok(Some(at)) if now < at.saturating_add(RESEND_AFTER.into()) => Err(()),
				_ => Ok(now),
			},
		);
		match marked {
			Ok(_) => true,
			Err(MutateStorageError::ValueFunctionFailed(())) | Err(MutateStorageError::ConcurrentModification(_)) => {
				false
			},
		}
	}
}
