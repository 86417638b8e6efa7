//! Every call and every error of the endpoints pallet.

use crate::{
	check_address, check_origin, ed25519_key_of, endpoint_payload, is_app_name, mock::*, pallet, AddressBytes,
	AddressError, Addresses, AppName, AppNames, Error, Event, HostedApps, OriginBytes, PeerIdBytes,
};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, dispatch::Pays},
	sp_core::{ed25519, Pair},
	sp_runtime::{DispatchError, DispatchResult},
};

/// The libp2p key of node box `n`.
fn peer_key(n: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[n; 32])
}

/// The peer id bytes of an Ed25519 libp2p key (identity multihash of its protobuf).
fn peer_id_of(key: &ed25519::Pair) -> PeerIdBytes {
	let mut bytes = vec![0x00, 36, 0x08, 0x01, 0x12, 0x20];
	bytes.extend_from_slice(&key.public().0);
	bytes.try_into().unwrap()
}

/// The peer id of box 7, the one most tests use.
fn peer_id() -> PeerIdBytes {
	peer_id_of(&peer_key(7))
}

/// The peer key's signature binding it to `who` on this chain.
fn proof(key: &ed25519::Pair, who: u64) -> [u8; 64] {
	proof_at(key, who, System::block_number())
}

/// The peer key's signature binding it to `who` on this chain, made at block `at`.
fn proof_at(key: &ed25519::Pair, who: u64, at: u64) -> [u8; 64] {
	key.sign(&endpoint_payload(Endpoints::genesis_hash().as_ref(), &who, &at)).0
}

/// `who` publishes box 7's peer id with `list`.
fn publish(who: u64, list: Vec<AddressBytes>) -> DispatchResult {
	publish_as(who, &peer_key(7), list)
}

fn publish_as(who: u64, key: &ed25519::Pair, list: Vec<AddressBytes>) -> DispatchResult {
	let now = System::block_number();
	Endpoints::publish(RuntimeOrigin::signed(who), peer_id_of(key), addresses(list), now, proof(key, who))
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
		assert_ok!(publish(1, vec![address()]));
		assert_eq!(last_event(), Event::EndpointPublished { who: 1, expires_at: 1 + TTL });
		let endpoint = Endpoints::resolve(&1).unwrap();
		assert_eq!(endpoint.peer_id, peer_id());
		assert_eq!(endpoint.addresses.to_vec(), vec![address()]);
		System::set_block_number(TTL);
		assert!(Endpoints::resolve(&1).is_some());
		System::set_block_number(1 + TTL);
		assert_eq!(Endpoints::resolve(&1), None, "expired");
		// Refreshing makes it live again.
		assert_ok!(publish(1, vec![address()]));
		assert_eq!(Endpoints::resolve(&1).unwrap().expires_at, 1 + 2 * TTL);
	});
}

#[test]
fn only_attested_nodes_publish() {
	new_test_ext().execute_with(|| {
		assert_noop!(publish(9, vec![address()]), Error::<Test>::NotAttested);
		assert_noop!(
			Endpoints::publish(RuntimeOrigin::none(), peer_id(), addresses(vec![address()]), 1, proof(&peer_key(7), 1)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn malformed_endpoints_are_refused() {
	new_test_ext().execute_with(|| {
		let publish_peer = |peer: Vec<u8>, addrs: Vec<AddressBytes>| {
			Endpoints::publish(
				RuntimeOrigin::signed(1),
				peer.try_into().unwrap(),
				addresses(addrs),
				1,
				proof(&peer_key(7), 1),
			)
		};
		assert_noop!(publish_peer(vec![], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish_peer(vec![0x00, 5, 1, 2], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish_peer(vec![0x12, 32, 1], vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish_peer(vec![0x55, 1, 1], vec![address()]), Error::<Test>::BadPeerId);
		// A SHA-256 peer id (an RSA key) does not carry a key that could sign.
		let mut sha = vec![0x12, 32];
		sha.extend_from_slice(&[1; 32]);
		assert_noop!(publish_peer(sha, vec![address()]), Error::<Test>::BadPeerId);
		assert_noop!(publish(1, vec![]), Error::<Test>::NoAddresses);
		assert_noop!(publish(1, vec![address(), AddressBytes::default()]), Error::<Test>::EmptyAddress);
		let garbage: AddressBytes = vec![0x99, 1, 2].try_into().unwrap();
		assert_noop!(publish(1, vec![address(), garbage]), Error::<Test>::BadAddress);
		AllowLocal::set(false);
		assert_noop!(publish(1, vec![address()]), Error::<Test>::LocalAddress);
		assert_ok!(publish(1, vec![mesh_address()]));
	});
}

#[test]
fn oversized_endpoints_do_not_decode() {
	assert!(PeerIdBytes::try_from(vec![0u8; 65]).is_err());
	assert!(AddressBytes::try_from(vec![0u8; 129]).is_err());
	assert!(Addresses::try_from(vec![address(); 9]).is_err());
	let call = crate::Call::<Test>::publish {
		peer_id: peer_id(),
		addresses: addresses(vec![address(); 8]),
		signed_at: 1,
		peer_signature: [0; 64],
	};
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
		assert_ok!(publish(1, vec![address()]));
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
		assert_ok!(publish(1, vec![address()]));
		assert_ok!(publish_as(2, &peer_key(8), vec![address()]));
		assert_noop!(Endpoints::prune(RuntimeOrigin::signed(5), 1), Error::<Test>::NotStale);
		// Expired.
		System::set_block_number(1 + TTL);
		let info = Endpoints::prune(RuntimeOrigin::signed(5), 1).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert!(pallet::Endpoints::<Test>::get(1).is_none());
		// No longer attested.
		System::set_block_number(1);
		assert_ok!(publish_as(2, &peer_key(8), vec![address()]));
		Attested::set(vec![1, 3]);
		assert_eq!(Endpoints::resolve(&2), None);
		assert_ok!(Endpoints::prune(RuntimeOrigin::signed(5), 2));
		assert_eq!(last_event(), Event::EndpointRemoved { who: 2 });
	});
}

#[test]
fn peer_id_shapes() {
	assert_eq!(ed25519_key_of(&peer_id()), Some(peer_key(7).public().0));
	assert_eq!(ed25519_key_of(&[0x00, 0]), None);
	let secp = [0x00, 36, 0x08, 0x02, 0x12, 0x20].iter().copied().chain([0u8; 32]).collect::<Vec<_>>();
	assert_eq!(ed25519_key_of(&secp), None);
	assert_eq!(ed25519_key_of(&peer_id()[..37]), None);
}

/// `/ip4/10.0.0.7/tcp/30444`: a mesh network's private address.
fn mesh_address() -> AddressBytes {
	vec![0x04, 10, 0, 0, 7, 0x06, 0x76, 0xEC].try_into().unwrap()
}

#[test]
fn address_shapes() {
	let tcp = [0x06, 0x76, 0xEC];
	let udp = [0x91, 0x02, 0x76, 0xEC];
	let check = |bytes: Vec<u8>| check_address(&bytes, false);
	assert_eq!(check([&[0x04, 192, 168, 1, 2][..], &tcp].concat()), Ok(()));
	assert_eq!(check([&[0x04, 10, 1, 2, 3][..], &udp].concat()), Ok(()));
	let mut v6 = vec![0x29, 0xfd];
	v6.extend_from_slice(&[1; 15]);
	assert_eq!(check([&v6[..], &tcp].concat()), Ok(()));
	assert_eq!(check([&[0x36, 8][..], b"mesh.lan", &tcp].concat()), Ok(()));
	// Loopback and unspecified hosts, unless the chain allows them.
	for local in [
		vec![0x04, 127, 0, 0, 1],
		vec![0x04, 0, 0, 0, 0],
		[vec![0x29], vec![0; 15], vec![1]].concat(),
		[vec![0x29], vec![0; 16]].concat(),
		[vec![0x29], vec![0; 10], vec![0xff, 0xff, 127, 0, 0, 1]].concat(),
		[vec![0x29], vec![0; 12], vec![127, 0, 0, 1]].concat(),
		[vec![0x29, 0xfe, 0x80], vec![0; 13], vec![1]].concat(),
		vec![0x04, 0, 1, 2, 3],
		vec![0x04, 169, 254, 1, 1],
		[&[0x37, 9][..], b"localhost"].concat(),
		[&[0x35, 10][..], b"LOCALHOST."].concat(),
		[&[0x35, 13][..], b"web.localhost"].concat(),
		[&[0x36, 9][..], b"127.0.0.1"].concat(),
	] {
		let address = [&local[..], &tcp].concat();
		assert_eq!(check(address.clone()), Err(AddressError::Local), "{local:?}");
		assert_eq!(check_address(&address, true), Ok(()));
	}
	// Malformed: no host, a short host, no transport, no port, another transport, an
	// empty or short name, an endless varint, an unknown protocol.
	for bad in [
		vec![],
		vec![0x04, 10, 0],
		vec![0x04, 10, 0, 0, 7],
		vec![0x04, 10, 0, 0, 7, 0x06, 0x76],
		vec![0x04, 10, 0, 0, 7, 0x84, 0x03, 0x76, 0xEC],
		[&[0x36, 0][..], &tcp].concat(),
		[&[0x36, 20][..], b"short"].concat(),
		vec![0xff; 10],
		[&[0x21, 10, 0, 0, 7][..], &tcp].concat(),
	] {
		assert_eq!(check(bad.clone()), Err(AddressError::Malformed), "{bad:?}");
	}
}

#[test]
fn another_nodes_peer_id_cannot_be_published() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, vec![mesh_address()]));
		// Account 2 copies node 1's peer id (it is public) to steer clients to node 1's
		// box: without node 1's key it cannot sign for itself...
		let copied = Endpoints::resolve(&1).unwrap().peer_id;
		let publish_copy = |signature: [u8; 64]| {
			Endpoints::publish(RuntimeOrigin::signed(2), copied.clone(), addresses(vec![address()]), 1, signature)
		};
		assert_noop!(publish_copy([0; 64]), Error::<Test>::BadPeerSignature);
		// ...node 1's signature is for node 1 only, and for this chain only...
		assert_noop!(publish_copy(proof(&peer_key(7), 1)), Error::<Test>::BadPeerSignature);
		let other_chain = peer_key(7).sign(&endpoint_payload(&[1; 32], &2u64, &1u64)).0;
		assert_noop!(publish_copy(other_chain), Error::<Test>::BadPeerSignature);
		// ...and another key's signature over the right payload does not do either.
		assert_noop!(publish_copy(proof(&peer_key(8), 2)), Error::<Test>::BadPeerSignature);
		assert_eq!(Endpoints::resolve(&2), None);
	});
}

#[test]
fn a_peer_signature_is_good_for_a_while_and_a_newer_one_takes_the_peer_id_over() {
	new_test_ext().execute_with(|| {
		System::set_block_number(50);
		let publish_signed_at = |who: u64, at: u64| {
			Endpoints::publish(
				RuntimeOrigin::signed(who),
				peer_id(),
				addresses(vec![address()]),
				at,
				proof_at(&peer_key(7), who, at),
			)
		};
		// Signed at a block to come, or too long ago.
		assert_noop!(publish_signed_at(1, 51), Error::<Test>::StalePeerSignature);
		System::set_block_number(200);
		assert_noop!(publish_signed_at(1, 100), Error::<Test>::StalePeerSignature);
		assert_ok!(publish_signed_at(1, 101));
		// Account 1's key was sold: the box signs for account 2 now, and that newer
		// signature takes the peer id over; 1's old signature cannot take it back...
		assert_noop!(publish_signed_at(2, 101), Error::<Test>::PeerIdTaken);
		assert_ok!(publish_signed_at(2, 150));
		assert!(pallet::Endpoints::<Test>::get(1).is_none());
		assert_noop!(publish_signed_at(1, 120), Error::<Test>::PeerIdTaken);
		// ...and once it is older than the TTL, it is good for nothing.
		System::set_block_number(201 + TTL);
		assert_noop!(publish_signed_at(1, 120), Error::<Test>::StalePeerSignature);
	});
}

#[test]
fn one_peer_id_serves_one_live_node() {
	new_test_ext().execute_with(|| {
		// One box (key 7) holding two TPM accounts' node keys would front both.
		assert_ok!(publish(1, vec![address()]));
		assert_noop!(publish(2, vec![address()]), Error::<Test>::PeerIdTaken);
		// A node may move to another key; the old one is then free.
		assert_ok!(publish_as(1, &peer_key(8), vec![address()]));
		assert_ok!(publish(2, vec![address()]));
		assert_noop!(publish_as(3, &peer_key(8), vec![address()]), Error::<Test>::PeerIdTaken);
		// Once node 1's endpoint is stale, its key may serve another account, whose
		// publication replaces the stale endpoint.
		System::set_block_number(1 + TTL);
		assert_ok!(publish_as(3, &peer_key(8), vec![address()]));
		assert!(pallet::Endpoints::<Test>::get(1).is_none());
		assert_eq!(pallet::PeerOwners::<Test>::get(peer_key(8).public().0), Some((3, 1 + TTL)));
		// Withdrawing frees the key too.
		assert_ok!(Endpoints::withdraw(RuntimeOrigin::signed(3)));
		assert!(pallet::PeerOwners::<Test>::get(peer_key(8).public().0).is_none());
	});
}

fn origin(text: &str) -> OriginBytes {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn names(list: &[&str]) -> AppNames {
	list.iter().map(|n| AppName::try_from(n.as_bytes().to_vec()).unwrap()).collect::<Vec<_>>().try_into().unwrap()
}

fn publish_apps(who: u64, at: &str, list: &[&str]) -> DispatchResult {
	Endpoints::publish_apps(RuntimeOrigin::signed(who), origin(at), names(list))
}

#[test]
fn a_node_lists_its_apps_while_its_endpoint_lives() {
	new_test_ext().execute_with(|| {
		assert_noop!(publish_apps(1, "http://10.0.0.7:8090", &["wiki"]), Error::<Test>::NoEndpoint);
		assert_noop!(publish_apps(9, "http://10.0.0.7:8090", &["wiki"]), Error::<Test>::NoEndpoint);
		assert_ok!(publish(1, vec![address()]));
		assert_ok!(publish_apps(1, "http://10.0.0.7:8090", &["guestbook", "wiki"]));
		assert_eq!(last_event(), Event::AppsPublished { who: 1, count: 2, expires_at: 1 + TTL });
		let listed = Endpoints::hosted_apps(&1).unwrap();
		let expected = HostedApps {
			origin: origin("http://10.0.0.7:8090"),
			apps: names(&["guestbook", "wiki"]),
			expires_at: 1 + TTL,
		};
		assert_eq!(listed, expected);
		// A new listing replaces the old one.
		System::set_block_number(5);
		assert_ok!(publish_apps(1, "https://mesh.example.org", &["map"]));
		assert_eq!(Endpoints::hosted_apps(&1).unwrap().apps, names(&["map"]));
		// It is shown only while the endpoint lives and the node is attested.
		Attested::set(vec![2, 3]);
		assert_eq!(Endpoints::hosted_apps(&1), None);
		Attested::set(vec![1, 2, 3]);
		System::set_block_number(1 + TTL);
		assert_eq!(Endpoints::hosted_apps(&1), None, "the endpoint expired");
		assert_noop!(publish_apps(1, "http://10.0.0.7:8090", &["wiki"]), Error::<Test>::NoEndpoint);
		// Listing no apps withdraws the listing.
		assert_ok!(publish(1, vec![address()]));
		assert_ok!(publish_apps(1, "http://10.0.0.7:8090", &["wiki"]));
		assert_ok!(publish_apps(1, "", &[]));
		assert_eq!(last_event(), Event::AppsRemoved { who: 1 });
		assert!(pallet::Apps::<Test>::get(1).is_none());
		let events = System::events().len();
		assert_ok!(publish_apps(1, "", &[]));
		assert_eq!(System::events().len(), events, "nothing to withdraw");
	});
}

#[test]
fn the_listing_expires_and_goes_with_its_endpoint() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, vec![address()]));
		assert_ok!(publish_apps(1, "http://10.0.0.7", &["wiki"]));
		System::set_block_number(TTL / 2);
		assert_ok!(publish(1, vec![address()]));
		// The endpoint was refreshed later: the listing expires first.
		System::set_block_number(TTL + 10);
		assert!(Endpoints::resolve(&1).is_some());
		assert_eq!(Endpoints::hosted_apps(&1), None);
		// A stale listing is anyone's to prune, for free; a live one is not.
		assert_ok!(publish_as(2, &peer_key(8), vec![address()]));
		assert_ok!(publish_apps(2, "http://10.0.0.8", &["map"]));
		assert_noop!(Endpoints::prune(RuntimeOrigin::signed(5), 2), Error::<Test>::NotStale);
		let info = Endpoints::prune(RuntimeOrigin::signed(5), 1).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(last_event(), Event::AppsRemoved { who: 1 });
		assert!(pallet::Apps::<Test>::get(1).is_none());
		assert!(Endpoints::resolve(&1).is_some(), "the endpoint stays");
		// Withdrawing the endpoint withdraws the listing.
		assert_ok!(Endpoints::withdraw(RuntimeOrigin::signed(2)));
		assert!(pallet::Apps::<Test>::get(2).is_none());
		// Pruning an endpoint prunes its listing.
		assert_ok!(publish_as(3, &peer_key(9), vec![address()]));
		assert_ok!(publish_apps(3, "http://10.0.0.9", &["wiki"]));
		System::set_block_number(3 * TTL);
		assert_ok!(Endpoints::prune(RuntimeOrigin::signed(5), 3));
		assert!(pallet::Apps::<Test>::get(3).is_none());
		assert!(pallet::Endpoints::<Test>::get(3).is_none());
		// A listing left without its endpoint (the pallet never leaves one) is pruned too.
		let orphan = HostedApps { origin: origin("http://10.0.0.4"), apps: names(&["x"]), expires_at: 10 * TTL };
		pallet::Apps::<Test>::insert(4, orphan);
		assert_ok!(Endpoints::prune(RuntimeOrigin::signed(5), 4));
		assert!(pallet::Apps::<Test>::get(4).is_none());
	});
}

#[test]
fn a_node_taking_a_peer_id_over_removes_the_old_owners_listing() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, vec![address()]));
		assert_ok!(publish_apps(1, "http://10.0.0.7", &["wiki"]));
		System::set_block_number(2);
		assert_ok!(publish(2, vec![address()]));
		assert!(pallet::Apps::<Test>::get(1).is_none());
	});
}

#[test]
fn bad_listings_are_refused() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, vec![address()]));
		for bad in [
			"javascript:alert(1)",
			"ftp://10.0.0.7",
			"http://",
			"http://10.0.0.7/apps",
			"http://10.0.0.7:8090/",
			"http://user@10.0.0.7",
			"http://10.0.0.7:99999",
			"http://10.0.0.7:",
			"http://Mesh.Example.org",
			"http://mesh..org",
			"http://-mesh.org",
			"http://[::ffff:10.0.0.7]",
			"http://[fe80::1:2:3:4:5:6:7:8]",
			"http://[::1",
			"http://10.0.0.7\\@evil",
			"http://10.0.0.7?x",
			"http://10.0.0.7#x",
			"http://10.0.0.7 ",
		] {
			assert_noop!(publish_apps(1, bad, &["wiki"]), Error::<Test>::BadOrigin);
		}
		for bad in ["", "-wiki", "Wiki", "wi ki", "wiki/../x", "wiki\u{200b}"] {
			let name = AppName::try_from(bad.as_bytes().to_vec()).unwrap();
			assert!(!is_app_name(&name), "{bad:?}");
			let list: AppNames = vec![name].try_into().unwrap();
			assert_noop!(
				Endpoints::publish_apps(RuntimeOrigin::signed(1), origin("http://10.0.0.7"), list),
				Error::<Test>::BadAppName
			);
		}
		assert_noop!(publish_apps(1, "http://10.0.0.7", &["wiki", "guestbook"]), Error::<Test>::AppsNotSorted);
		assert_noop!(publish_apps(1, "http://10.0.0.7", &["wiki", "wiki"]), Error::<Test>::AppsNotSorted);
		// Loopback only where the chain allows it.
		assert_ok!(publish_apps(1, "http://127.0.0.1:8090", &["wiki"]));
		AllowLocal::set(false);
		let local = [
			"http://127.0.0.1:8090",
			"http://localhost",
			"https://a.localhost",
			"http://[::1]",
			"http://[0:0::1]",
			"http://[fe80::1]",
			"http://0.0.0.0",
		];
		for local in local {
			assert_noop!(publish_apps(1, local, &["wiki"]), Error::<Test>::LocalOrigin);
		}
		// Too long or too many do not decode.
		assert!(OriginBytes::try_from(vec![b'a'; 129]).is_err());
		assert!(AppName::try_from(vec![b'a'; 33]).is_err());
		assert!(AppNames::try_from(vec![AppName::default(); 33]).is_err());
	});
}

#[test]
fn origin_shapes() {
	for good in [
		"http://10.0.0.7",
		"https://10.0.0.7:8090",
		"http://mesh.example.org",
		"https://xn--bcher-kva.example:443",
		"http://[2001:db8::7]:8090",
		"http://[2001:db8:0:0:0:0:0:7]",
	] {
		assert_eq!(check_origin(good.as_bytes(), false), Ok(()), "{good}");
	}
	assert_eq!(check_origin(b"http://[::1]:8090", true), Ok(()));
	assert_eq!(check_origin(b"http://[::1]:8090", false), Err(AddressError::Local));
	assert_eq!(check_origin(b"http://[1:2:3:4:5:6:7:8:9]", true), Err(AddressError::Malformed));
	assert_eq!(check_origin(b"http://[1::2::3]", true), Err(AddressError::Malformed));
	assert_eq!(check_origin(b"http://[12345::]", true), Err(AddressError::Malformed));
}

/// The node's off-chain worker publishing its own endpoint.
mod offchain_worker {
	use super::*;
	use crate::offchain::{peer_proof_key, LOCAL_APPS_KEY, LOCAL_ENDPOINT_KEY, RESEND_AFTER};
	use codec::{Decode, Encode};
	use polkadot_sdk::{
		frame_support::traits::Hooks,
		sp_core::offchain::{
			testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
			OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPool, TransactionPoolExt,
		},
		sp_io::{self, TestExternalities},
		sp_runtime::{generic::Preamble, testing::UintAuthorityId, traits::Dispatchable},
	};
	use std::sync::Arc;

	type Pool = Arc<parking_lot::RwLock<PoolState>>;

	std::thread_local! {
		/// Whether the node's pool refuses what it is sent, as a real pool refuses a
		/// transaction whose nonce another one of the account's took.
		static REFUSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
	}

	/// The test pool, refusing transactions while [`REFUSING`] is set.
	struct RefusingPool(TestTransactionPoolExt);

	impl TransactionPool for RefusingPool {
		fn submit_transaction(&mut self, extrinsic: Vec<u8>) -> Result<(), ()> {
			if REFUSING.get() {
				return Err(());
			}
			self.0.submit_transaction(extrinsic)
		}
	}

	/// A node holding `keys` whose service plane wrote `endpoint`, if any.
	fn node(keys: Vec<u64>, endpoint: Option<(PeerIdBytes, Addresses)>) -> (TestExternalities, Pool) {
		UintAuthorityId::set_all_keys(keys.clone());
		let mut ext = new_test_ext();
		let (offchain, state) = TestOffchainExt::new();
		if let Some(endpoint) = endpoint {
			// As the node writes it; the test database keeps persistent values without a prefix.
			state.write().persistent_storage.set(b"", LOCAL_ENDPOINT_KEY, &endpoint.encode());
		}
		// The node signs for each of its node keys with box 7's peer key.
		let genesis = polkadot_sdk::sp_core::H256([69; 32]);
		for account in keys {
			let signature = peer_key(7).sign(&endpoint_payload(genesis.as_ref(), &account, &1u64)).0;
			state.write().persistent_storage.set(b"", &peer_proof_key(&account), &(1u64, signature).encode());
		}
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(RefusingPool(pool)));
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
	fn loopback_addresses_are_left_out_where_the_chain_refuses_them() {
		let (mut ext, pool) = node(vec![1], Some((peer_id(), addresses(vec![address(), mesh_address()]))));
		ext.execute_with(|| {
			AllowLocal::set(false);
			Endpoints::offchain_worker(1);
			assert_eq!(include(&pool), vec![1]);
			assert_eq!(Endpoints::resolve(&1).unwrap().addresses.to_vec(), vec![mesh_address()]);
		});
		// Only loopback addresses: nothing to publish.
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			AllowLocal::set(false);
			Endpoints::offchain_worker(1);
			assert!(include(&pool).is_empty());
		});
	}

	#[test]
	fn a_node_with_two_attested_keys_publishes_its_peer_id_for_one() {
		let (mut ext, pool) = node(vec![1, 2], Some(mine()));
		ext.execute_with(|| {
			Endpoints::offchain_worker(1);
			// Both go out the first time; the second is refused on chain.
			let sent: Vec<_> = pool.write().transactions.drain(..).collect();
			assert_eq!(sent.len(), 2);
			let results: Vec<_> = sent
				.into_iter()
				.map(|bytes| {
					let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
					let Preamble::Signed(signer, ..) = xt.preamble else { panic!("unsigned") };
					xt.function.dispatch(RuntimeOrigin::signed(signer)).is_ok()
				})
				.collect();
			assert_eq!(results, vec![true, false]);
			// From then on only the key that serves it refreshes; the other does not try.
			for n in [1 + RESEND_AFTER as u64, 1 + TTL / 2] {
				System::set_block_number(n);
				Endpoints::offchain_worker(n);
				assert!(include(&pool).len() <= 1, "block {n}");
			}
			assert!(Endpoints::resolve(&1).is_some());
			assert_eq!(Endpoints::resolve(&2), None);
		});
	}

	#[test]
	fn without_the_peer_keys_signature_nothing_is_sent() {
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			sp_io::offchain::local_storage_clear(
				polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
				&peer_proof_key(&1u64),
			);
			Endpoints::offchain_worker(1);
			assert!(include(&pool).is_empty());
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

	/// As the node writes the apps it hosts.
	fn host_apps(at: &str, list: &[&str]) {
		sp_io::offchain::local_storage_set(
			polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
			LOCAL_APPS_KEY,
			&(origin(at), names(list)).encode(),
		);
	}

	/// Dispatches the apps' listings in the pool; returns how many there were.
	fn include_listings(pool: &Pool) -> usize {
		let sent: Vec<_> = pool.write().transactions.drain(..).collect();
		for bytes in &sent {
			let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
			let Preamble::Signed(signer, ..) = xt.preamble else { panic!("unsigned") };
			assert!(matches!(xt.function, RuntimeCall::Endpoints(pallet::Call::publish_apps { .. })));
			xt.function.dispatch(RuntimeOrigin::signed(signer)).unwrap();
		}
		sent.len()
	}

	fn run(n: u64) {
		System::set_block_number(n);
		Endpoints::offchain_worker(n);
	}

	#[test]
	fn a_node_lists_its_apps_once_its_endpoint_is_on_chain_and_withdraws_them() {
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			host_apps("http://127.0.0.1:8090", &["guestbook", "wiki"]);
			Endpoints::offchain_worker(1);
			assert_eq!(include(&pool), vec![1], "the endpoint first");
			run(2);
			assert_eq!(include_listings(&pool), 1);
			let listed = Endpoints::hosted_apps(&1).unwrap();
			assert_eq!((listed.origin, listed.apps), (origin("http://127.0.0.1:8090"), names(&["guestbook", "wiki"])));
			// Left alone while fresh; refreshed at half its life (with the endpoint).
			for n in [3, 2 + RESEND_AFTER as u64, TTL / 2] {
				run(n);
				assert_eq!(pool.read().transactions.len(), 0, "sent at block {n}");
			}
			run(1 + TTL / 2);
			assert_eq!(include(&pool), vec![1]);
			run(2 + TTL / 2);
			assert_eq!(include_listings(&pool), 1);
			assert!(Endpoints::hosted_apps(&1).unwrap().expires_at > listed.expires_at);
			// An app installed: the new list goes out at once.
			host_apps("http://127.0.0.1:8090", &["guestbook", "map", "wiki"]);
			let later = 3 + TTL / 2;
			run(later);
			assert_eq!(include_listings(&pool), 1);
			assert_eq!(Endpoints::hosted_apps(&1).unwrap().apps, names(&["guestbook", "map", "wiki"]));
			// The node hosts none: the listing is withdrawn, then nothing more is sent.
			host_apps("http://127.0.0.1:8090", &[]);
			run(later + 1);
			assert_eq!(include_listings(&pool), 1);
			assert!(pallet::Apps::<Test>::get(1).is_none());
			run(later + 2);
			run(later + 2 + RESEND_AFTER as u64);
			assert_eq!(pool.read().transactions.len(), 0);
			// A listing sent but not included is sent again after a while, not before.
			host_apps("http://127.0.0.1:8090", &["wiki"]);
			run(later + 20);
			pool.write().transactions.clear();
			run(later + 21);
			assert_eq!(pool.read().transactions.len(), 0);
			run(later + 20 + RESEND_AFTER as u64);
			assert_eq!(include_listings(&pool), 1);
		});
	}

	#[test]
	fn a_send_the_pool_refuses_goes_again_next_block_and_one_goes_per_block() {
		let (mut ext, pool) = node(vec![1], Some(mine()));
		ext.execute_with(|| {
			host_apps("http://127.0.0.1:8090", &["wiki"]);
			REFUSING.set(true);
			run(1);
			REFUSING.set(false);
			run(2);
			assert_eq!(include(&pool), vec![1], "the endpoint, again at once");
			REFUSING.set(true);
			run(3);
			REFUSING.set(false);
			run(4);
			assert_eq!(include_listings(&pool), 1, "the listing, again at once");
			assert!(Endpoints::hosted_apps(&1).is_some());

			// A new address and a new app in one block: both transactions would take the
			// account's nonce from the chain, so the endpoint goes first, the listing next.
			let moved: AddressBytes = vec![0x04, 10, 0, 0, 7, 0x06, 0x76, 0xEC].try_into().unwrap();
			sp_io::offchain::local_storage_set(
				polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
				LOCAL_ENDPOINT_KEY,
				&(peer_id(), addresses(vec![moved])).encode(),
			);
			host_apps("http://127.0.0.1:8090", &["map", "wiki"]);
			let later = 2 + RESEND_AFTER as u64;
			run(later);
			assert_eq!(include(&pool), vec![1]);
			run(later + 1);
			assert_eq!(include_listings(&pool), 1);
			assert_eq!(Endpoints::hosted_apps(&1).unwrap().apps, names(&["map", "wiki"]));
		});
	}

	#[test]
	fn apps_at_an_origin_the_chain_refuses_are_not_listed() {
		let (mut ext, pool) = node(vec![1], Some((peer_id(), addresses(vec![mesh_address()]))));
		ext.execute_with(|| {
			AllowLocal::set(false);
			host_apps("http://127.0.0.1:8090", &["wiki"]);
			Endpoints::offchain_worker(1);
			assert_eq!(include(&pool), vec![1]);
			run(2);
			assert_eq!(pool.read().transactions.len(), 0);
			// Listed before at a good origin: the listing is withdrawn.
			host_apps("http://10.0.0.7:8090", &["wiki"]);
			run(3);
			assert_eq!(include_listings(&pool), 1);
			assert!(Endpoints::hosted_apps(&1).is_some());
			host_apps("http://127.0.0.1:8090", &["wiki"]);
			run(4);
			assert_eq!(include_listings(&pool), 1);
			assert!(pallet::Apps::<Test>::get(1).is_none());
		});
	}

	#[test]
	fn a_node_lists_apps_only_for_the_key_that_serves_its_peer_id() {
		let (mut ext, pool) = node(vec![1, 2], Some(mine()));
		ext.execute_with(|| {
			// Key 2's endpoint names another box.
			assert_ok!(publish_as(2, &peer_key(8), vec![address()]));
			host_apps("http://127.0.0.1:8090", &["wiki"]);
			Endpoints::offchain_worker(1);
			// Both keys try box 7's peer id at first; the chain takes one.
			for bytes in pool.write().transactions.drain(..) {
				let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
				let Preamble::Signed(signer, ..) = xt.preamble else { panic!("unsigned") };
				let _ = xt.function.dispatch(RuntimeOrigin::signed(signer));
			}
			assert!(Endpoints::resolve(&1).is_some_and(|e| e.peer_id == peer_id()));
			assert!(Endpoints::resolve(&2).is_some_and(|e| e.peer_id != peer_id()));
			run(2);
			assert_eq!(include_listings(&pool), 1);
			assert!(Endpoints::hosted_apps(&1).is_some());
			assert!(pallet::Apps::<Test>::get(2).is_none());
		});
	}
}
