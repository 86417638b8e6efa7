//! Every call and every error of the endpoints pallet.

use crate::{is_peer_id, mock::*, pallet, AddressBytes, Addresses, Error, Event, PeerIdBytes};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, dispatch::Pays},
	sp_runtime::DispatchError,
};

/// The peer id bytes of an Ed25519 libp2p key (identity multihash of its protobuf).
fn peer_id() -> PeerIdBytes {
	let mut bytes = vec![0x00, 36, 0x08, 0x01, 0x12, 0x20];
	bytes.extend_from_slice(&[7; 32]);
	bytes.try_into().unwrap()
}

/// `/ip4/127.0.0.1/tcp/30444` in multiaddr bytes.
fn address() -> AddressBytes {
	vec![0x04, 127, 0, 0, 1, 0x06, 0x76, 0xEC].try_into().unwrap()
}

fn addresses(list: Vec<AddressBytes>) -> Addresses {
	list.try_into().unwrap()
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Endpoints(e) = r.event { Some(e) } else { None })
		.last()
		.unwrap()
}

#[test]
fn an_attested_node_publishes_and_is_resolved_until_expiry() {
	new_test_ext().execute_with(|| {
		assert_eq!(Endpoints::resolve(&1), None);
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(1), peer_id(), addresses(vec![address()])));
		assert_eq!(last_event(), Event::EndpointPublished { who: 1, expires_at: 1 + TTL });
		let endpoint = Endpoints::resolve(&1).unwrap();
		assert_eq!(endpoint.peer_id, peer_id());
		assert_eq!(endpoint.addresses.to_vec(), vec![address()]);
		System::set_block_number(TTL);
		assert!(Endpoints::resolve(&1).is_some());
		System::set_block_number(1 + TTL);
		assert_eq!(Endpoints::resolve(&1), None, "expired");
		// Refreshing makes it live again.
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(1), peer_id(), addresses(vec![address()])));
		assert_eq!(Endpoints::resolve(&1).unwrap().expires_at, 1 + 2 * TTL);
	});
}

#[test]
fn only_attested_nodes_publish() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Endpoints::publish(RuntimeOrigin::signed(9), peer_id(), addresses(vec![address()])),
			Error::<Test>::NotAttested
		);
		assert_noop!(
			Endpoints::publish(RuntimeOrigin::none(), peer_id(), addresses(vec![address()])),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn malformed_endpoints_are_refused() {
	new_test_ext().execute_with(|| {
		let publish = |peer: Vec<u8>, addrs: Vec<AddressBytes>| {
			Endpoints::publish(RuntimeOrigin::signed(1), peer.try_into().unwrap(), addresses(addrs))
		};
		assert_noop!(publish(vec![], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish(vec![0x00, 5, 1, 2], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish(vec![0x12, 32, 1], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish(vec![0x55, 1, 1], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish(peer_id().to_vec(), vec![]), Error::<Test>::NoAddresses);
		assert_noop!(
			publish(peer_id().to_vec(), vec![address(), AddressBytes::default()]),
			Error::<Test>::EmptyAddress
		);
		// A SHA-256 peer id (RSA keys) is fine.
		let mut sha = vec![0x12, 32];
		sha.extend_from_slice(&[1; 32]);
		assert_ok!(publish(sha, vec![address()]));
	});
}

#[test]
fn oversized_endpoints_do_not_decode() {
	assert!(PeerIdBytes::try_from(vec![0u8; 65]).is_err());
	assert!(AddressBytes::try_from(vec![0u8; 129]).is_err());
	assert!(Addresses::try_from(vec![address(); 9]).is_err());
	let call = crate::Call::<Test>::publish { peer_id: peer_id(), addresses: addresses(vec![address(); 8]) };
	let mut encoded = codec::Encode::encode(&call);
	// Claim a ninth address in the list's compact length.
	let at = 2 + 1 + peer_id().len();
	assert_eq!(encoded[at], 8 << 2);
	encoded[at] = 9 << 2;
	assert!(<crate::Call<Test> as codec::Decode>::decode(&mut &encoded[..]).is_err());
}

#[test]
fn withdraw_removes_only_ones_own() {
	new_test_ext().execute_with(|| {
		assert_noop!(Endpoints::withdraw(RuntimeOrigin::signed(1)), Error::<Test>::UnknownEndpoint);
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(1), peer_id(), addresses(vec![address()])));
		assert_ok!(Endpoints::withdraw(RuntimeOrigin::signed(1)));
		assert_eq!(last_event(), Event::EndpointRemoved { who: 1 });
		assert_eq!(Endpoints::resolve(&1), None);
		assert!(pallet::Endpoints::<Test>::get(1).is_none());
	});
}

#[test]
fn anyone_prunes_stale_endpoints_for_free() {
	new_test_ext().execute_with(|| {
		assert_noop!(Endpoints::prune(RuntimeOrigin::signed(5), 1), Error::<Test>::UnknownEndpoint);
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(1), peer_id(), addresses(vec![address()])));
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(2), peer_id(), addresses(vec![address()])));
		assert_noop!(Endpoints::prune(RuntimeOrigin::signed(5), 1), Error::<Test>::NotStale);
		// Expired.
		System::set_block_number(1 + TTL);
		let info = Endpoints::prune(RuntimeOrigin::signed(5), 1).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert!(pallet::Endpoints::<Test>::get(1).is_none());
		// No longer attested.
		System::set_block_number(1);
		assert_ok!(Endpoints::publish(RuntimeOrigin::signed(2), peer_id(), addresses(vec![address()])));
		Attested::set(vec![1, 3]);
		assert_eq!(Endpoints::resolve(&2), None);
		assert_ok!(Endpoints::prune(RuntimeOrigin::signed(5), 2));
		assert_eq!(last_event(), Event::EndpointRemoved { who: 2 });
	});
}

#[test]
fn peer_id_shapes() {
	assert!(is_peer_id(&peer_id()));
	assert!(!is_peer_id(&[0x00, 0]));
	assert!(!is_peer_id(&[0x00, 43].iter().copied().chain([0u8; 43]).collect::<Vec<_>>()));
}

/// The node's off-chain worker publishing its own endpoint.
mod offchain_worker {
	use super::*;
	use crate::offchain::{LOCAL_ENDPOINT_KEY, RESEND_AFTER};
	use codec::{Decode, Encode};
	use polkadot_sdk::{
		frame_support::traits::Hooks,
		sp_core::offchain::{
			testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
			OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPoolExt,
		},
		sp_io::{self, TestExternalities},
		sp_runtime::{generic::Preamble, testing::UintAuthorityId, traits::Dispatchable},
	};
	use std::sync::Arc;

	type Pool = Arc<parking_lot::RwLock<PoolState>>;

	/// A node holding `keys` whose service plane wrote `endpoint`, if any.
	fn node(keys: Vec<u64>, endpoint: Option<(PeerIdBytes, Addresses)>) -> (TestExternalities, Pool) {
		UintAuthorityId::set_all_keys(keys);
		let mut ext = new_test_ext();
		let (offchain, state) = TestOffchainExt::new();
		if let Some(endpoint) = endpoint {
			// As the node writes it; the test database keeps persistent values without a prefix.
			state.write().persistent_storage.set(b"", LOCAL_ENDPOINT_KEY, &endpoint.encode());
		}
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		(ext, pool_state)
	}

	/// Dispatches the transactions in the pool and returns their signers.
	fn include(pool: &Pool) -> Vec<u64> {
		let sent: Vec<_> = pool.write().transactions.drain(..).collect();
		sent.into_iter()
			.map(|bytes| {
				let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
				let Preamble::Signed(signer, ..) = xt.preamble else { panic!("unsigned") };
				assert!(matches!(xt.function, RuntimeCall::Endpoints(pallet::Call::publish { .. })));
				xt.function.dispatch(RuntimeOrigin::signed(signer)).unwrap();
				signer
			})
			.collect()
	}

	fn mine() -> (PeerIdBytes, Addresses) {
		(peer_id(), addresses(vec![address()]))
	}

	#[test]
	fn an_attested_node_publishes_its_endpoint_by_itself() {
		// Keys 1 (attested) and 9 (not).
		let (mut ext, pool) = node(vec![1, 9], Some(mine()));
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			assert_eq!(include(&pool), vec![1], "only the attested key publishes");
			let endpoint = Endpoints::resolve(&1).unwrap();
			assert_eq!((endpoint.peer_id, endpoint.addresses), mine());
			assert_eq!(Endpoints::resolve(&9), None);
		});
	}

	#[test]
	fn a_fresh_endpoint_is_left_alone_and_refreshed_at_half_its_life() {
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			assert_eq!(include(&pool), vec![1]);
			let published = Endpoints::resolve(&1).unwrap().expires_at;
			for n in [2, 1 + RESEND_AFTER as u64, 1 + TTL / 2 - 1] {
				System::set_block_number(n);
				Endpoints::offchain_worker(n);
				assert!(include(&pool).is_empty(), "republished at block {n}");
			}
			System::set_block_number(1 + TTL / 2);
			Endpoints::offchain_worker(1 + TTL / 2);
			assert_eq!(include(&pool), vec![1]);
			assert!(Endpoints::resolve(&1).unwrap().expires_at > published);
		});
	}

	#[test]
	fn new_addresses_are_published_and_unsent_ones_resent_after_a_wait() {
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			// Sent, but not included yet: the next blocks wait.
			pool.write().transactions.clear();
			System::set_block_number(2);
			Endpoints::offchain_worker(2);
			assert!(include(&pool).is_empty());
			System::set_block_number(1 + RESEND_AFTER as u64);
			Endpoints::offchain_worker(1 + RESEND_AFTER as u64);
			assert_eq!(include(&pool), vec![1], "resent");

			// The node moved: its new address goes out.
			let moved: AddressBytes = vec![0x04, 10, 0, 0, 7, 0x06, 0x76, 0xEC].try_into().unwrap();
			let (peer, _) = mine();
			sp_io::offchain::local_storage_set(
				polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
				LOCAL_ENDPOINT_KEY,
				&(peer, addresses(vec![moved.clone()])).encode(),
			);
			let later = 1 + 2 * RESEND_AFTER as u64;
			System::set_block_number(later);
			Endpoints::offchain_worker(later);
			assert_eq!(include(&pool), vec![1]);
			assert_eq!(Endpoints::resolve(&1).unwrap().addresses.to_vec(), vec![moved]);
		});
	}

	#[test]
	fn without_a_service_plane_or_a_key_nothing_is_sent() {
		let (mut ext, pool) = node(vec![1], None);
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			assert!(include(&pool).is_empty(), "no endpoint written by the node");
		});
		let (mut ext, pool) = node(vec![], Some(mine()));
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			assert!(include(&pool).is_empty(), "no node key");
		});
	}
}
