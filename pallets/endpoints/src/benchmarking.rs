//! Benchmarks of the calls at their worst case.

use super::*;
use crate::Pallet as EndpointsPallet;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::Get,
	frame_system::{self, pallet_prelude::BlockNumberFor, RawOrigin},
	sp_core::{crypto::KeyTypeId, ed25519},
	sp_io,
	sp_runtime::traits::{One, Saturating},
};

/// A fresh Ed25519 peer key in the benchmark's keystore: its key and peer id.
fn peer() -> (ed25519::Public, PeerIdBytes) {
	let key = sp_io::crypto::ed25519_generate(KeyTypeId(*b"peer"), None);
	let peer_id = [[0x00, 36, 0x08, 0x01, 0x12, 32].as_slice(), key.as_ref()].concat();
	(key, peer_id.try_into().expect("38 bytes"))
}

/// `MAX_ADDRESSES` addresses of the longest kind: a DNS name filling the 128 bytes.
fn longest_addresses() -> Addresses {
	let name = [b'n'; 123];
	let address = [[53u8, 123].as_slice(), &name, &[6, 0x0f, 0xa0]].concat();
	assert!(check_address(&address, false).is_ok());
	let address: AddressBytes = address.try_into().expect("128 bytes");
	alloc::vec![address; MAX_ADDRESSES as usize].try_into().expect("the most addresses")
}

/// `n` apps of 32-byte names at a 128-byte origin.
fn most_apps<T: Config>(n: u32, expires_at: BlockNumberFor<T>) -> HostedApps<BlockNumberFor<T>> {
	let host = [b"https://".as_slice(), &[b'a'; 114], b":65535"].concat();
	assert!(check_origin(&host, false).is_err(), "a label is at most 63 bytes");
	let origin = [b"https://".as_slice(), &[b'a'; 60], b".", &[b'b'; 53], b":65535"].concat();
	assert!(check_origin(&origin, false).is_ok());
	let apps = (0..n)
		.map(|i| {
			let mut name = alloc::vec![b'a'; 32];
			name[24..].copy_from_slice(alloc::format!("{i:08}").as_bytes());
			AppName::try_from(name).expect("32 bytes")
		})
		.collect::<alloc::vec::Vec<_>>();
	HostedApps {
		origin: origin.try_into().expect("128 bytes"),
		apps: apps.try_into().expect("at most MAX_APPS"),
		expires_at,
	}
}

/// An attested node's account with an endpoint of its own.
fn node<T: Config>(index: u32, expires_at: BlockNumberFor<T>) -> (T::AccountId, ed25519::Public) {
	let who: T::AccountId = account("node", index, 0);
	T::BenchmarkHelper::attest(&who);
	let (key, peer_id) = peer();
	PeerOwners::<T>::insert(key.0, (&who, BlockNumberFor::<T>::one()));
	Endpoints::<T>::insert(&who, Endpoint { peer_id, addresses: longest_addresses(), expires_at });
	(who, key)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A node republishes with a new peer id that another live node used, with an older
	/// signature: both old records are replaced; the longest address list is checked.
	#[benchmark]
	fn publish() {
		let now = T::Ttl::get();
		frame_system::Pallet::<T>::set_block_number(now);
		let (who, _) = node::<T>(0, now.saturating_add(T::Ttl::get()));
		let (owner, key) = node::<T>(1, now.saturating_add(T::Ttl::get()));
		let peer_id = Endpoints::<T>::get(&owner).expect("owner's endpoint").peer_id;
		let payload = endpoint_payload(EndpointsPallet::<T>::genesis_hash().as_ref(), &who, &now);
		let signature = sp_io::crypto::ed25519_sign(KeyTypeId(*b"peer"), &key, &payload).expect("in the keystore");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), peer_id, longest_addresses(), now, signature.0);
		assert_eq!(PeerOwners::<T>::get(key.0).map(|(a, _)| a), Some(who));
		assert!(!Endpoints::<T>::contains_key(&owner));
	}

	#[benchmark]
	fn withdraw() {
		let (who, key) = node::<T>(0, T::Ttl::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Endpoints::<T>::contains_key(&who));
		assert!(!PeerOwners::<T>::contains_key(key.0));
	}

	/// Anyone prunes an expired endpoint, with the most apps listed.
	#[benchmark]
	fn prune() {
		let (stale, key) = node::<T>(0, One::one());
		Apps::<T>::insert(&stale, most_apps::<T>(MAX_APPS, One::one()));
		frame_system::Pallet::<T>::set_block_number(T::Ttl::get());
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), stale.clone());
		assert!(!Endpoints::<T>::contains_key(&stale));
		assert!(!PeerOwners::<T>::contains_key(key.0));
		assert!(!Apps::<T>::contains_key(&stale));
	}

	/// A node replaces its listing with `n` apps of the longest names, at the longest origin.
	#[benchmark]
	fn publish_apps(n: Linear<1, MAX_APPS>) {
		let (who, _) = node::<T>(0, T::Ttl::get());
		Apps::<T>::insert(&who, most_apps::<T>(MAX_APPS, One::one()));
		let listing = most_apps::<T>(n, One::one());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), listing.origin, listing.apps);
		assert_eq!(Apps::<T>::get(&who).map(|apps| apps.apps.len() as u32), Some(n));
	}

	impl_benchmark_test_suite!(EndpointsPallet, crate::mock::bench_ext(), crate::mock::Test);
}
