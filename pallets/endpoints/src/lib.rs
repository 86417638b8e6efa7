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
//! An endpoint is bound to the node: the peer id must be an Ed25519 libp2p key, which
//! signs [`endpoint_payload`] (this chain's genesis hash, the node's account and the block
//! it signed at), so nobody can publish another node's peer id (and steer its clients to
//! a victim), and one peer id serves one live node at a time (one box cannot front many
//! TPM accounts). A signature is good for `Ttl` blocks, and a newer one for another
//! account takes the peer id over: an account the box no longer signs for (an old or
//! sold node key) loses its claim within a day.
//! Addresses must start with an IP address or a DNS name followed by TCP or UDP;
//! loopback and unspecified hosts are refused unless the chain allows them (dev and test
//! chains, whose nodes all run on one machine). Private ranges such as 10.x are valid:
//! mesh networks use them. Reachability is not checked.
//!
//! A node with a live endpoint may also list the web apps it hosts (`publish_apps`): the
//! origin they are served at (`http(s)://HOST[:PORT]`, each app under `/apps/NAME/`) and
//! their names, so that wallets and others find them. A listing lives as long as an
//! endpoint (`Ttl`), only while its node's endpoint is live, and goes with it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
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

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an attested node.
	fn attest(who: &AccountId);
}

/// The most addresses an endpoint lists.
pub const MAX_ADDRESSES: u32 = 8;
/// A libp2p peer id's bytes (a multihash: an identity hash of an Ed25519 key is 38 bytes).
pub type PeerIdBytes = BoundedVec<u8, ConstU32<64>>;
/// One multiaddr's bytes.
pub type AddressBytes = BoundedVec<u8, ConstU32<128>>;
pub type Addresses = BoundedVec<AddressBytes, ConstU32<MAX_ADDRESSES>>;

/// The most apps a node lists.
pub const MAX_APPS: u32 = 32;
/// An app's name: 1 to 32 lowercase letters, digits and dashes, not starting with a dash.
pub type AppName = BoundedVec<u8, ConstU32<32>>;
pub type AppNames = BoundedVec<AppName, ConstU32<MAX_APPS>>;
/// An origin apps are served at: `http://` or `https://`, a host, an optional port.
pub type OriginBytes = BoundedVec<u8, ConstU32<128>>;

/// The web apps a node hosts, until when.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct HostedApps<BlockNumber> {
	/// Where they are served: app `NAME` at `ORIGIN/apps/NAME/`.
	pub origin: OriginBytes,
	/// Their names, sorted and distinct.
	pub apps: AppNames,
	pub expires_at: BlockNumber,
}

/// Where a node listens, until when.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Endpoint<BlockNumber> {
	pub peer_id: PeerIdBytes,
	pub addresses: Addresses,
	pub expires_at: BlockNumber,
}

/// The multihash code of a peer id that inlines its key.
const IDENTITY: u8 = 0x00;

/// The domain of [`endpoint_payload`].
pub const ENDPOINT_DOMAIN: &[u8] = b"cairn/endpoint/v1";

/// What a node's libp2p key signs to publish an endpoint for `account`, at block
/// `signed_at`: `ENDPOINT_DOMAIN || genesis hash || SCALE(account) || SCALE(signed_at)`.
pub fn endpoint_payload(genesis: &[u8], account: &impl Encode, signed_at: &impl Encode) -> alloc::vec::Vec<u8> {
	let mut payload = [ENDPOINT_DOMAIN, genesis].concat();
	account.encode_to(&mut payload);
	signed_at.encode_to(&mut payload);
	payload
}

/// The Ed25519 public key inside a peer id that inlines it: an identity multihash of the
/// protobuf `PublicKey { Type: Ed25519, Data: 32 bytes }`.
pub fn ed25519_key_of(peer_id: &[u8]) -> Option<[u8; 32]> {
	match peer_id {
		[IDENTITY, 36, 0x08, 0x01, 0x12, 32, key @ ..] => key.try_into().ok(),
		_ => None,
	}
}

/// Why an address is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddressError {
	/// Not an IP address or DNS name followed by TCP or UDP and a port.
	Malformed,
	/// A loopback or unspecified host, on a chain that does not allow them.
	Local,
}

/// Multiaddr protocol codes of the first two components.
mod code {
	pub const IP4: u64 = 4;
	pub const TCP: u64 = 6;
	pub const IP6: u64 = 41;
	pub const DNS: u64 = 53;
	pub const DNS4: u64 = 54;
	pub const DNS6: u64 = 55;
	pub const UDP: u64 = 273;
}

/// An unsigned varint (multiformats), at most 9 bytes; the value and the rest.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
	let mut value = 0u64;
	for (i, byte) in bytes.iter().enumerate().take(9) {
		value |= u64::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			return Some((value, &bytes[i + 1..]));
		}
	}
	None
}

/// Loopback (127/8), "this network" (0/8) and link-local (169.254/16) IPv4 addresses:
/// none reaches a node from elsewhere.
fn local_ipv4(ip: [u8; 4]) -> bool {
	ip[0] == 127 || ip[0] == 0 || (ip[0] == 169 && ip[1] == 254)
}

/// `localhost` and names under it (with or without the final dot), and names that are
/// IPv4 addresses, which resolvers take literally.
fn local_name(name: &[u8]) -> bool {
	let name = name.strip_suffix(b".").unwrap_or(name).to_ascii_lowercase();
	if name == b"localhost" || name.ends_with(b".localhost") {
		return true;
	}
	let octets: alloc::vec::Vec<_> = name.split(|b| *b == b'.').collect();
	let numeric =
		octets.len() == 4 && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.iter().all(u8::is_ascii_digit));
	numeric && {
		let parse = |o: &[u8]| o.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
		let ip: alloc::vec::Vec<u16> = octets.iter().map(|o| parse(o)).collect();
		ip.iter().all(|o| *o <= 255) && local_ipv4([ip[0] as u8, ip[1] as u8, ip[2] as u8, ip[3] as u8])
	}
}

/// Checks that a multiaddr starts with a host (IPv4, IPv6 or a DNS name) and a TCP or UDP
/// port, and that the host is not loopback or unspecified unless `allow_local`.
pub fn check_address(bytes: &[u8], allow_local: bool) -> Result<(), AddressError> {
	let (protocol, rest) = varint(bytes).ok_or(AddressError::Malformed)?;
	let (local, rest) = match protocol {
		code::IP4 => {
			let ip: [u8; 4] = rest.get(..4).and_then(|ip| ip.try_into().ok()).ok_or(AddressError::Malformed)?;
			(local_ipv4(ip), &rest[4..])
		},
		code::IP6 => {
			let ip: [u8; 16] = rest.get(..16).and_then(|ip| ip.try_into().ok()).ok_or(AddressError::Malformed)?;
			// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses.
			let v4 = (ip[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] || ip[..12] == [0; 12])
				.then(|| [ip[12], ip[13], ip[14], ip[15]]);
			let loopback = ip == [[0; 15].as_slice(), &[1]].concat().as_slice();
			let link_local = ip[0] == 0xfe && ip[1] & 0xc0 == 0x80;
			(loopback || link_local || ip == [0; 16] || v4.is_some_and(local_ipv4), &rest[16..])
		},
		code::DNS | code::DNS4 | code::DNS6 => {
			let (len, rest) = varint(rest).ok_or(AddressError::Malformed)?;
			let len = usize::try_from(len).map_err(|_| AddressError::Malformed)?;
			let name = rest.get(..len).filter(|n| !n.is_empty()).ok_or(AddressError::Malformed)?;
			(local_name(name), &rest[len..])
		},
		_ => return Err(AddressError::Malformed),
	};
	let (transport, rest) = varint(rest).ok_or(AddressError::Malformed)?;
	if !matches!(transport, code::TCP | code::UDP) || rest.len() < 2 {
		return Err(AddressError::Malformed);
	}
	if local && !allow_local {
		return Err(AddressError::Local);
	}
	Ok(())
}

/// Whether `name` is an app's name: 1 to 32 lowercase letters, digits and dashes, not
/// starting with a dash (what nodes accept at install, and safe in a URL's path).
pub fn is_app_name(name: &[u8]) -> bool {
	!name.is_empty()
		&& name.len() <= 32
		&& name[0] != b'-'
		&& name.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// An IPv6 address in hex groups (with at most one `::`), without IPv4 forms.
fn parse_ipv6(text: &[u8]) -> Option<[u16; 8]> {
	let group = |g: &[u8]| -> Option<u16> {
		(!g.is_empty() && g.len() <= 4 && g.iter().all(u8::is_ascii_hexdigit))
			.then(|| g.iter().fold(0u16, |n, d| n << 4 | (*d as char).to_digit(16).unwrap_or(0) as u16))
	};
	let groups = |part: &[u8]| -> Option<alloc::vec::Vec<u16>> {
		if part.is_empty() {
			return Some(alloc::vec::Vec::new());
		}
		part.split(|b| *b == b':').map(group).collect()
	};
	let position = text.windows(2).position(|w| w == b"::");
	let (head, tail) = match position {
		Some(at) => (groups(&text[..at])?, groups(&text[at + 2..])?),
		None => (groups(text)?, alloc::vec::Vec::new()),
	};
	let missing = 8usize.checked_sub(head.len() + tail.len())?;
	if (position.is_some() && missing == 0) || (position.is_none() && missing != 0) {
		return None;
	}
	let mut all = [0u16; 8];
	all[..head.len()].copy_from_slice(&head);
	all[8 - tail.len()..].copy_from_slice(&tail);
	Some(all)
}

/// Checks a web origin: `http://` or `https://`, then a host (a DNS name of lowercase
/// letters, digits, dashes and dots, an IPv4 address, or an IPv6 one in brackets), then
/// an optional `:PORT`, and nothing else (no user, path, query or fragment, so a page
/// showing it as a link cannot be made to run a script or hide where it leads). The host
/// is not loopback or unspecified unless `allow_local`.
pub fn check_origin(bytes: &[u8], allow_local: bool) -> Result<(), AddressError> {
	let rest =
		bytes.strip_prefix(b"https://").or_else(|| bytes.strip_prefix(b"http://")).ok_or(AddressError::Malformed)?;
	let (host, port) = match rest.strip_prefix(b"[") {
		Some(v6) => {
			let end = v6.iter().position(|b| *b == b']').ok_or(AddressError::Malformed)?;
			(&rest[..end + 2], &v6[end + 1..])
		},
		None => match rest.iter().position(|b| *b == b':') {
			Some(colon) => (&rest[..colon], &rest[colon..]),
			None => (rest, &[][..]),
		},
	};
	if !port.is_empty() {
		let digits = port.strip_prefix(b":").ok_or(AddressError::Malformed)?;
		let valid = !digits.is_empty()
			&& digits.len() <= 5
			&& digits.iter().all(u8::is_ascii_digit)
			&& digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')) <= 65535;
		if !valid {
			return Err(AddressError::Malformed);
		}
	}
	let local = match host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
		Some(v6) => {
			let groups = parse_ipv6(v6).ok_or(AddressError::Malformed)?;
			let loopback = groups == [0, 0, 0, 0, 0, 0, 0, 1];
			let link_local = groups[0] & 0xffc0 == 0xfe80;
			loopback || link_local || groups == [0; 8]
		},
		None => {
			let valid = !host.is_empty()
				&& host.split(|b| *b == b'.').all(|label| {
					!label.is_empty()
						&& label.len() <= 63
						&& label[0] != b'-'
						&& label.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
				});
			if !valid {
				return Err(AddressError::Malformed);
			}
			local_name(host)
		},
	};
	if local && !allow_local {
		return Err(AddressError::Local);
	}
	Ok(())
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
		sp_core::ed25519,
		sp_io,
		sp_runtime::{traits::Zero, Saturating},
	};

	/// The storage layout's version. 1: endpoints bound to their peer key (`PeerOwners`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
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
		/// Whether loopback and unspecified hosts are valid addresses (dev and test chains).
		type AllowLocalAddresses: Get<bool>;
		type WeightInfo: WeightInfo;
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Published endpoints, by node account.
	#[pallet::storage]
	pub type Endpoints<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Endpoint<BlockNumberFor<T>>>;

	/// The account whose endpoint uses a peer id, by the peer's Ed25519 key, and the block
	/// the peer key signed for it at.
	#[pallet::storage]
	pub type PeerOwners<T: Config> = StorageMap<_, Identity, [u8; 32], (T::AccountId, BlockNumberFor<T>)>;

	/// The web apps each node lists, by node account (see [`HostedApps`]).
	#[pallet::storage]
	pub type Apps<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, HostedApps<BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` listens at this endpoint until `expires_at`.
		EndpointPublished { who: T::AccountId, expires_at: BlockNumberFor<T> },
		/// `who` withdrew its endpoint, or a stale one was pruned.
		EndpointRemoved { who: T::AccountId },
		/// `who` hosts `count` web apps at the origin it listed, until `expires_at`.
		AppsPublished { who: T::AccountId, count: u32, expires_at: BlockNumberFor<T> },
		/// `who` no longer lists web apps: it listed none, or its listing or endpoint
		/// was withdrawn or pruned.
		AppsRemoved { who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only attested nodes publish endpoints.
		NotAttested,
		/// The peer id is not an Ed25519 libp2p key (an identity multihash of it).
		BadPeerId,
		/// The signature is not the peer key's over this chain's genesis, the account and
		/// the block given.
		BadPeerSignature,
		/// The peer key signed more than `Ttl` blocks ago, or at a block still to come.
		StalePeerSignature,
		/// Another node's live endpoint uses this peer id, with a signature as recent.
		PeerIdTaken,
		/// An endpoint lists at least one address.
		NoAddresses,
		/// An address is empty.
		EmptyAddress,
		/// An address is not an IP address or DNS name followed by TCP or UDP and a port.
		BadAddress,
		/// A loopback or unspecified address, on a chain that does not allow them.
		LocalAddress,
		/// No endpoint is published for this account.
		UnknownEndpoint,
		/// The endpoint is live and its node attested; only its owner may withdraw it.
		NotStale,
		/// Apps are listed by a node whose endpoint is live: publish the endpoint first.
		NoEndpoint,
		/// The origin is not `http://` or `https://`, a host and an optional port.
		BadOrigin,
		/// The origin's host is loopback or unspecified, on a chain that does not allow it.
		LocalOrigin,
		/// An app's name is not 1 to 32 lowercase letters, digits and dashes, not starting
		/// with a dash.
		BadAppName,
		/// App names are listed sorted and once each.
		AppsNotSorted,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Publishes this node's endpoint and the apps it hosts when the chain's copies are
		/// missing, different or old (see [`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			let busy = Self::offchain_publish(now);
			Self::offchain_publish_apps(now, &busy);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Signed by an attested node: publishes (or refreshes) where it listens, valid
		/// for `Ttl` blocks. `peer_signature` is the peer key's Ed25519 signature over
		/// [`endpoint_payload`] made at block `signed_at`, at most `Ttl` blocks ago.
		/// Emits `EndpointPublished`.
		#[pallet::call_index(0)]
		pub fn publish(
			origin: OriginFor<T>,
			peer_id: PeerIdBytes,
			addresses: Addresses,
			signed_at: BlockNumberFor<T>,
			peer_signature: [u8; 64],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Registry::is_attested(&who), Error::<T>::NotAttested);
			let key = ed25519_key_of(&peer_id).ok_or(Error::<T>::BadPeerId)?;
			ensure!(!addresses.is_empty(), Error::<T>::NoAddresses);
			for address in &addresses {
				ensure!(!address.is_empty(), Error::<T>::EmptyAddress);
				check_address(address, T::AllowLocalAddresses::get()).map_err(|e| match e {
					AddressError::Malformed => Error::<T>::BadAddress,
					AddressError::Local => Error::<T>::LocalAddress,
				})?;
			}
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(signed_at <= now && now < signed_at.saturating_add(T::Ttl::get()), Error::<T>::StalePeerSignature);
			let payload = endpoint_payload(Self::genesis_hash().as_ref(), &who, &signed_at);
			ensure!(
				sp_io::crypto::ed25519_verify(
					&ed25519::Signature::from_raw(peer_signature),
					&payload,
					&ed25519::Public::from_raw(key)
				),
				Error::<T>::BadPeerSignature
			);
			if let Some((owner, owner_signed_at)) = PeerOwners::<T>::get(key).filter(|(owner, _)| *owner != who) {
				let live = Self::resolve(&owner).is_some_and(|e| e.peer_id == peer_id);
				ensure!(!live || owner_signed_at < signed_at, Error::<T>::PeerIdTaken);
				Endpoints::<T>::remove(&owner);
				Self::remove_apps(&owner);
			}
			if let Some(old) = Endpoints::<T>::get(&who) {
				Self::release_peer(&who, &old.peer_id);
			}
			PeerOwners::<T>::insert(key, (&who, signed_at));
			let expires_at = now.saturating_add(T::Ttl::get());
			Endpoints::<T>::insert(&who, Endpoint { peer_id, addresses, expires_at });
			Self::deposit_event(Event::EndpointPublished { who, expires_at });
			Ok(())
		}

		/// Signed by a node: removes its endpoint. Emits `EndpointRemoved`.
		#[pallet::call_index(1)]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let endpoint = Endpoints::<T>::take(&who).ok_or(Error::<T>::UnknownEndpoint)?;
			Self::release_peer(&who, &endpoint.peer_id);
			Self::remove_apps(&who);
			Self::deposit_event(Event::EndpointRemoved { who });
			Ok(())
		}

		/// Anyone: removes an expired endpoint, or one whose node is no longer attested,
		/// with its apps' listing; or an expired listing of apps. Free when it succeeds.
		/// Emits `EndpointRemoved` and `AppsRemoved`.
		#[pallet::call_index(2)]
		pub fn prune(origin: OriginFor<T>, who: T::AccountId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let apps = Apps::<T>::get(&who);
			match Endpoints::<T>::get(&who) {
				Some(endpoint) if !Self::is_live(&who, &endpoint) => {
					Endpoints::<T>::remove(&who);
					Self::release_peer(&who, &endpoint.peer_id);
					Self::remove_apps(&who);
					Self::deposit_event(Event::EndpointRemoved { who });
				},
				Some(_) => {
					let now = frame_system::Pallet::<T>::block_number();
					ensure!(apps.is_some_and(|apps| apps.expires_at <= now), Error::<T>::NotStale);
					Self::remove_apps(&who);
				},
				None => {
					ensure!(apps.is_some(), Error::<T>::UnknownEndpoint);
					Self::remove_apps(&who);
				},
			}
			Ok(Pays::No.into())
		}

		/// Signed by a node whose endpoint is live: lists the web apps it hosts, each at
		/// `origin/apps/NAME/`, for `Ttl` blocks (no longer than its endpoint lives). No
		/// names withdraws the listing. Emits `AppsPublished` or `AppsRemoved`.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::publish_apps(apps.len() as u32))]
		pub fn publish_apps(origin: OriginFor<T>, origin_url: OriginBytes, apps: AppNames) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Self::resolve(&who).is_some(), Error::<T>::NoEndpoint);
			if apps.is_empty() {
				Self::remove_apps(&who);
				return Ok(());
			}
			check_origin(&origin_url, T::AllowLocalAddresses::get()).map_err(|e| match e {
				AddressError::Malformed => Error::<T>::BadOrigin,
				AddressError::Local => Error::<T>::LocalOrigin,
			})?;
			ensure!(apps.iter().all(|name| is_app_name(name)), Error::<T>::BadAppName);
			ensure!(apps.windows(2).all(|pair| pair[0] < pair[1]), Error::<T>::AppsNotSorted);
			let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(T::Ttl::get());
			let count = apps.len() as u32;
			Apps::<T>::insert(&who, HostedApps { origin: origin_url, apps, expires_at });
			Self::deposit_event(Event::AppsPublished { who, count, expires_at });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The genesis hash, which binds the peer key's signature to this chain.
		pub fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// Removes the apps `who` listed, if any.
		fn remove_apps(who: &T::AccountId) {
			if Apps::<T>::take(who).is_some() {
				Self::deposit_event(Event::AppsRemoved { who: who.clone() });
			}
		}

		/// The web apps `who` lists, if the listing and the node's endpoint are live.
		pub fn hosted_apps(who: &T::AccountId) -> Option<HostedApps<BlockNumberFor<T>>> {
			let now = frame_system::Pallet::<T>::block_number();
			Self::resolve(who).and(Apps::<T>::get(who)).filter(|apps| apps.expires_at > now)
		}

		/// Every live listing of web apps (one per node account; for RPC, off chain).
		pub fn all_hosted_apps() -> alloc::vec::Vec<(T::AccountId, HostedApps<BlockNumberFor<T>>)> {
			Apps::<T>::iter_keys().filter_map(|who| Self::hosted_apps(&who).map(|apps| (who, apps))).collect()
		}

		/// Forgets that `who` uses `peer_id`, if it is the one recorded.
		fn release_peer(who: &T::AccountId, peer_id: &[u8]) {
			if let Some(key) = ed25519_key_of(peer_id) {
				if PeerOwners::<T>::get(key).is_some_and(|(owner, _)| owner == *who) {
					PeerOwners::<T>::remove(key);
				}
			}
		}

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
	/// Endpoint queries for RPC and clients. Version 2: `hosted_apps`.
	#[api_version(2)]
	pub trait EndpointsApi<AccountId, BlockNumber> where
		AccountId: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Where `who` listens, if its endpoint is live and it is attested.
		fn resolve(who: AccountId) -> Option<Endpoint<BlockNumber>>;

		/// Every live listing of web apps, by node account: one per attested node at most.
		#[api_version(2)]
		fn hosted_apps() -> alloc::vec::Vec<(AccountId, HostedApps<BlockNumber>)>;
	}
}
