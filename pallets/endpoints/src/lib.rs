//! # Endpoints pallet
//!
//! Tells everyone where each attested node listens: its libp2p peer id and the
//! multiaddrs of its service plane. A node publishes its endpoint and refreshes it before
//! it expires (`Ttl` blocks after publication); a stale endpoint resolves to nothing and
//! anyone may prune it for free. Only attested nodes ([`NodeRegistry::is_attested`]) may
//! publish, and an endpoint of a node that lost its attestation resolves to nothing.
//!
//! The node does this by itself: its off-chain worker publishes what the node's service
//! plane listens at (see [`offchain`]).
//!
//! The chain checks shapes, not reachability: a peer id is a multihash (identity or
//! SHA-256) and addresses are bounded byte strings in multiaddr encoding, decoded by
//! readers off chain.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(test)]
mod mock;
pub mod offchain;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// The most addresses an endpoint lists.
pub const MAX_ADDRESSES: u32 = 8;
/// A libp2p peer id's bytes (a multihash: an identity hash of an Ed25519 key is 38 bytes).
pub type PeerIdBytes = BoundedVec<u8, ConstU32<64>>;
/// One multiaddr's bytes.
pub type AddressBytes = BoundedVec<u8, ConstU32<128>>;
pub type Addresses = BoundedVec<AddressBytes, ConstU32<MAX_ADDRESSES>>;

/// Where a node listens, until when.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Endpoint<BlockNumber> {
	pub peer_id: PeerIdBytes,
	pub addresses: Addresses,
	pub expires_at: BlockNumber,
}

/// Multihash codes a peer id may use.
const IDENTITY: u8 = 0x00;
const SHA2_256: u8 = 0x12;

/// Whether `bytes` is a multihash as libp2p peer ids use: identity (inline key, at most
/// 42 bytes) or SHA-256 (32 bytes), with a length that matches.
pub fn is_peer_id(bytes: &[u8]) -> bool {
	match bytes {
		[IDENTITY, len, rest @ ..] => *len as usize == rest.len() && rest.len() <= 42 && !rest.is_empty(),
		[SHA2_256, 32, rest @ ..] => rest.len() == 32,
		_ => false,
	}
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use cairn_primitives::traits::NodeRegistry;
	use polkadot_sdk::{
		frame_support::pallet_prelude::*,
		frame_system::{
			self,
			offchain::{AppCrypto, CreateSignedTransaction},
			pallet_prelude::*,
		},
		sp_runtime::Saturating,
	};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// The node key whose account the off-chain worker publishes the endpoint for.
		type NodeKey: AppCrypto<Self::Public, Self::Signature>;
		/// Who is an attested node.
		type Registry: NodeRegistry<Self::AccountId>;
		/// Blocks an endpoint stays valid after it is published.
		#[pallet::constant]
		type Ttl: Get<BlockNumberFor<Self>>;
		type WeightInfo: WeightInfo;
	}

	/// Published endpoints, by node account.
	#[pallet::storage]
	pub type Endpoints<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Endpoint<BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` listens at this endpoint until `expires_at`.
		EndpointPublished { who: T::AccountId, expires_at: BlockNumberFor<T> },
		/// `who` withdrew its endpoint, or a stale one was pruned.
		EndpointRemoved { who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only attested nodes publish endpoints.
		NotAttested,
		/// The peer id is not an identity or SHA-256 multihash.
		BadPeerId,
		/// An endpoint lists at least one address.
		NoAddresses,
		/// An address is empty.
		EmptyAddress,
		/// No endpoint is published for this account.
		UnknownEndpoint,
		/// The endpoint is live and its node attested; only its owner may withdraw it.
		NotStale,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Publishes this node's endpoint when it is missing or old (see [`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_publish(now);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by an attested node: publishes (or refreshes) where it listens, valid
		/// for `Ttl` blocks. Emits `EndpointPublished`.
		#[pallet::call_index(0)]
		pub fn publish(origin: OriginFor<T>, peer_id: PeerIdBytes, addresses: Addresses) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Registry::is_attested(&who), Error::<T>::NotAttested);
			ensure!(is_peer_id(&peer_id), Error::<T>::BadPeerId);
			ensure!(!addresses.is_empty(), Error::<T>::NoAddresses);
			ensure!(addresses.iter().all(|a| !a.is_empty()), Error::<T>::EmptyAddress);
			let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(T::Ttl::get());
			Endpoints::<T>::insert(&who, Endpoint { peer_id, addresses, expires_at });
			Self::deposit_event(Event::EndpointPublished { who, expires_at });
			Ok(())
		}

		/// Signed by a node: removes its endpoint. Emits `EndpointRemoved`.
		#[pallet::call_index(1)]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Endpoints::<T>::take(&who).is_some(), Error::<T>::UnknownEndpoint);
			Self::deposit_event(Event::EndpointRemoved { who });
			Ok(())
		}

		/// Anyone: removes an expired endpoint, or one whose node is no longer attested.
		/// Free when it succeeds. Emits `EndpointRemoved`.
		#[pallet::call_index(2)]
		pub fn prune(origin: OriginFor<T>, who: T::AccountId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let endpoint = Endpoints::<T>::get(&who).ok_or(Error::<T>::UnknownEndpoint)?;
			ensure!(!Self::is_live(&who, &endpoint), Error::<T>::NotStale);
			Endpoints::<T>::remove(&who);
			Self::deposit_event(Event::EndpointRemoved { who });
			Ok(Pays::No.into())
		}
	}

	impl<T: Config> Pallet<T> {
		fn is_live(who: &T::AccountId, endpoint: &Endpoint<BlockNumberFor<T>>) -> bool {
			endpoint.expires_at > frame_system::Pallet::<T>::block_number() && T::Registry::is_attested(who)
		}

		/// Where `who` listens, if its endpoint is live and it is attested.
		pub fn resolve(who: &T::AccountId) -> Option<Endpoint<BlockNumberFor<T>>> {
			Endpoints::<T>::get(who).filter(|e| Self::is_live(who, e))
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Endpoint queries for RPC and clients.
	pub trait EndpointsApi<AccountId, BlockNumber> where
		AccountId: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Where `who` listens, if its endpoint is live and it is attested.
		fn resolve(who: AccountId) -> Option<Endpoint<BlockNumber>>;
	}
}
