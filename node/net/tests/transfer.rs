//! Two services on 127.0.0.1 over real TCP sockets: a provider with a RocksDB store and a
//! client.

use cairn_net::{start, Config, Error, ErrorCode, Store};
use cairn_primitives::merkle;
use std::time::Duration;

fn bytes(len: usize) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2654435761) as u8).collect()
}

fn root(data: &[u8]) -> [u8; 32] {
	merkle::fragment_root(data)
}

async fn provider(dir: &std::path::Path, capacity: u64) -> (cairn_net::Handle, libp2p::Multiaddr) {
	let store = Store::open(dir, capacity).unwrap();
	let config =
		Config { listen: Some("/ip4/127.0.0.1/tcp/0".parse().unwrap()), store: Some(store), ..Config::client() };
	let handle = start(config).await.unwrap();
	let addr = handle.listen_addrs().await.unwrap().remove(0);
	(handle, addr)
}

#[tokio::test(flavor = "multi_thread")]
async fn fragment_put_has_get_roundtrip_in_chunks() {
	let dir = tempfile::tempdir().unwrap();
	let (_provider, addr) = provider(dir.path(), 1 << 30).await;
	let client = start(Config::client()).await.unwrap();

	let data = bytes(2 * 1024 * 1024 + 12345); // three chunks on the wire
	let id = root(&data);
	assert_eq!(client.has(&addr, id).await.unwrap(), None);
	let mut sent = Vec::new();
	client
		.put_fragment(&addr, id, 1024, data.len() as u64, None, std::io::Cursor::new(data.clone()), |n| sent.push(n))
		.await
		.unwrap();
	assert_eq!(sent.len(), 3);
	assert_eq!(client.has(&addr, id).await.unwrap(), Some(data.len() as u64));
	// Putting it again is a no-op.
	client
		.put_fragment(&addr, id, 1024, data.len() as u64, None, std::io::Cursor::new(data.clone()), |_| {})
		.await
		.unwrap();

	let mut back = Vec::new();
	client.get_fragment(&addr, id, data.len() as u64, &mut back, |_| {}).await.unwrap();
	assert_eq!(back, data);
}

#[tokio::test(flavor = "multi_thread")]
async fn fragment_that_does_not_match_its_id_is_refused_and_not_stored() {
	let dir = tempfile::tempdir().unwrap();
	let (_provider, addr) = provider(dir.path(), 1 << 30).await;
	let client = start(Config::client()).await.unwrap();
	let data = bytes(5000);
	let wrong_id = [7u8; 32];
	let err =
		client.put_fragment(&addr, wrong_id, 1024, 5000, None, std::io::Cursor::new(data), |_| {}).await.unwrap_err();
	assert!(matches!(err, Error::Remote { code: ErrorCode::RootMismatch, .. }), "{err}");
	assert_eq!(client.has(&addr, wrong_id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn full_provider_refuses_with_a_clear_error() {
	let dir = tempfile::tempdir().unwrap();
	let (_provider, addr) = provider(dir.path(), 1000).await;
	let client = start(Config::client()).await.unwrap();
	let data = bytes(5000);
	let err = client
		.put_fragment(&addr, root(&data), 1024, 5000, None, std::io::Cursor::new(data), |_| {})
		.await
		.unwrap_err();
	assert!(matches!(err, Error::Remote { code: ErrorCode::Full, .. }), "{err}");
	assert!(err.to_string().contains("store full"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn manifests_are_stored_by_hash_only() {
	let dir = tempfile::tempdir().unwrap();
	let (_provider, addr) = provider(dir.path(), 1 << 30).await;
	let client = start(Config::client()).await.unwrap();
	let manifest = b"a manifest".to_vec();
	let id = cairn_primitives::blake2_256(&manifest);
	client.put_manifest(&addr, id, manifest.clone(), None).await.unwrap();
	assert_eq!(client.get_manifest(&addr, id).await.unwrap(), Some(manifest));
	let err = client.put_manifest(&addr, [1; 32], b"other".to_vec(), None).await.unwrap_err();
	assert!(matches!(err, Error::Remote { code: ErrorCode::BadRequest, .. }));
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_provider_and_missing_peer_id_are_errors() {
	let client = start(Config { request_timeout: Duration::from_secs(5), ..Config::client() }).await.unwrap();
	let nobody = libp2p::identity::Keypair::generate_ed25519().public().to_peer_id();
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let addr: libp2p::Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{nobody}").parse().unwrap();
	assert!(matches!(client.has(&addr, [0; 32]).await, Err(Error::Outbound { .. })));
	let bare: libp2p::Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
	assert!(matches!(client.has(&bare, [0; 32]).await, Err(Error::NoPeerId(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn taken_port_fails_at_start_with_the_address() {
	let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port();
	let config = Config { listen: Some(format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()), ..Config::client() };
	let err = start(config).await.err().unwrap();
	assert!(err.to_string().contains(&port.to_string()), "{err}");
}

/// Admits only the fragment it was told about.
struct OnlyOne([u8; 32]);
impl cairn_net::Admission for OnlyOne {
	fn admit(&self, upload: &cairn_net::UploadRequest<'_>) -> Result<(), cairn_net::Refusal> {
		(*upload.id == self.0)
			.then_some(())
			.ok_or_else(|| cairn_net::Refusal::Retry("no pending contract for this fragment".into()))
	}
	fn admit_manifest(&self, _: &[u8; 32], _: Option<u64>) -> Result<(), cairn_net::Refusal> {
		Ok(())
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_with_admission_takes_only_admitted_fragments() {
	let dir = tempfile::tempdir().unwrap();
	let wanted = bytes(3000);
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let config = Config {
		listen: Some("/ip4/127.0.0.1/tcp/0".parse().unwrap()),
		store: Some(store),
		admission: Some(std::sync::Arc::new(OnlyOne(root(&wanted)))),
		..Config::client()
	};
	let handle = start(config).await.unwrap();
	let addr = handle.listen_addrs().await.unwrap().remove(0);
	let client = start(Config::client()).await.unwrap();

	let other = bytes(4000);
	let err = client
		.put_fragment(&addr, root(&other), 1024, 4000, None, std::io::Cursor::new(other.clone()), |_| {})
		.await
		.unwrap_err();
	match err {
		Error::Remote { code: ErrorCode::Refused, message, .. } => assert!(message.contains("no pending contract")),
		e => panic!("expected a refusal, got {e}"),
	}
	assert_eq!(client.has(&addr, root(&other)).await.unwrap(), None);
	let id = root(&wanted);
	client.put_fragment(&addr, id, 1024, 3000, None, std::io::Cursor::new(wanted), |_| {}).await.unwrap();
	assert_eq!(client.has(&addr, id).await.unwrap(), Some(3000));
}

/// Many requests to one provider before any connection exists share one dial.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_to_an_unconnected_provider_all_succeed() {
	let dir = tempfile::tempdir().unwrap();
	let (_provider, addr) = provider(dir.path(), 1 << 30).await;
	let client = start(Config::client()).await.unwrap();
	let fragments: Vec<Vec<u8>> = (0..4).map(|i| bytes(3000 + i * 1000)).collect();
	let puts = fragments.iter().map(|data| {
		let (client, addr) = (client.clone(), addr.clone());
		let data = data.clone();
		async move {
			client
				.put_fragment(&addr, root(&data), 1024, data.len() as u64, None, std::io::Cursor::new(data), |_| {})
				.await
		}
	});
	for result in futures::future::join_all(puts).await {
		result.unwrap();
	}
	for data in &fragments {
		assert_eq!(client.has(&addr, root(data)).await.unwrap(), Some(data.len() as u64));
	}
}

/// A file 2-of-4 on three providers, one of them stopped and listed first: `get` tries
/// every fragment at every provider until it has two good ones (it once dropped the
/// other candidates of a fragment it was already fetching, and gave up here).
#[tokio::test(flavor = "multi_thread")]
async fn get_finds_fragments_whatever_the_order_of_the_providers() {
	let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
	let mut providers = Vec::new();
	for dir in &dirs {
		providers.push(provider(dir.path(), 1 << 30).await);
	}
	let addrs: Vec<_> = providers.iter().map(|(_, a)| a.clone()).collect();
	let client = start(Config::client()).await.unwrap();
	let work = tempfile::tempdir().unwrap();
	let input = work.path().join("in.bin");
	let data = bytes(300_000);
	std::fs::write(&input, &data).unwrap();
	let params = cairn_erasure::Params { k: 2, n: 4, ..Default::default() };
	let quiet = std::sync::Arc::new(cairn_net::files::Quiet);
	let (cap, _) = cairn_net::files::put_file(&client, &input, params, &addrs, quiet.clone()).await.unwrap();
	// Provider 1 (fragment 1) stops; the list starts with it.
	let (stopped, _) = providers.remove(1);
	drop(stopped);
	tokio::time::sleep(Duration::from_millis(500)).await;
	let order = vec![addrs[1].clone(), addrs[2].clone(), addrs[0].clone()];
	let out = work.path().join("out.bin");
	cairn_net::files::get_file(&client, &cap, &order, &out, false, quiet).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), data);
}

/// Downloads keep several chunks in flight: a provider that answers one request at a time
/// says `Busy` to the others, and they are asked again until the fragment is whole; and
/// one provider serving many fragments to one client at once is asked for no more chunks
/// than its connection takes streams.
#[tokio::test(flavor = "multi_thread")]
async fn pipelined_downloads_wait_for_a_busy_provider_and_stay_within_its_streams() {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let limits = cairn_net::Limits { max_inflight: 1, ..cairn_net::Limits::default() };
	let config = Config {
		listen: Some("/ip4/127.0.0.1/tcp/0".parse().unwrap()),
		store: Some(store),
		limits,
		..Config::client()
	};
	let busy = start(config).await.unwrap();
	let addr = busy.listen_addrs().await.unwrap().remove(0);
	let client = start(Config::client()).await.unwrap();

	let data = bytes(6 * 1024 * 1024 + 1);
	let id = root(&data);
	client
		.put_fragment(&addr, id, 1024, data.len() as u64, None, std::io::Cursor::new(data.clone()), |_| {})
		.await
		.unwrap();
	let mut back = Vec::new();
	client.get_fragment(&addr, id, data.len() as u64, &mut back, |_| {}).await.unwrap();
	assert_eq!(back, data, "whole, in order, after Busy answers");

	// Twelve fragments from a provider that answers many at once: 48 chunks wanted, at
	// most half of the 16 streams a connection takes are asked for.
	let dir = tempfile::tempdir().unwrap();
	let (_wide, addr) = provider(dir.path(), 1 << 30).await;
	let fragments: Vec<Vec<u8>> = (0..12).map(|i| bytes(4 * 1024 * 1024 + i)).collect();
	for f in &fragments {
		client.put_fragment(&addr, root(f), 1024, f.len() as u64, None, std::io::Cursor::new(f.clone()), |_| {}).await.unwrap();
	}
	let gets = fragments.iter().map(|f| {
		let (client, addr) = (client.clone(), addr.clone());
		let (id, len) = (root(f), f.len() as u64);
		tokio::spawn(async move {
			let mut back = Vec::new();
			client.get_fragment(&addr, id, len, &mut back, |_| {}).await.map(|_| back)
		})
	});
	for (got, f) in futures::future::join_all(gets).await.into_iter().zip(&fragments) {
		assert_eq!(&got.unwrap().unwrap(), f);
	}
}

fn spec_source(make: impl Fn() -> Result<std::sync::Arc<[u8]>, String> + Send + Sync + 'static) -> cairn_net::ChainSpecSource {
	std::sync::Arc::new(make)
}

/// A node serving `spec` as its chain specification (made when first asked).
async fn spec_server(spec: cairn_net::ChainSpecSource) -> (cairn_net::Handle, libp2p::Multiaddr) {
	let config = Config { listen: Some("/ip4/127.0.0.1/tcp/0".parse().unwrap()), chain_spec: Some(spec), ..Config::client() };
	let handle = start(config).await.unwrap();
	let addr = handle.listen_addrs().await.unwrap().remove(0);
	(handle, addr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_fetches_the_chain_spec_in_parts_and_only_a_consistent_one() {
	// Over two and a half chunks, made once, when first asked.
	let spec: std::sync::Arc<[u8]> = bytes(2 * cairn_net::MAX_CHUNK as usize + 12_345).into();
	let made = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let source = {
		let (spec, made) = (spec.clone(), made.clone());
		spec_source(move || {
			made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
			Ok(spec.clone())
		})
	};
	let (_server, addr) = spec_server(source).await;
	let client = start(Config::client()).await.unwrap();
	assert_eq!(client.chain_spec(&addr).await.unwrap(), spec.to_vec());
	assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 3, "asked once per part");

	// A node that serves none, and one that cannot make it, say so.
	let dir = tempfile::tempdir().unwrap();
	let (_provider, plain) = provider(dir.path(), 1 << 20).await;
	let err = client.chain_spec(&plain).await.unwrap_err().to_string();
	assert!(err.contains("serves no chain specification"), "{err}");
	let (_broken, broken) = spec_server(spec_source(|| Err("the genesis builder failed".into()))).await;
	let err = client.chain_spec(&broken).await.unwrap_err().to_string();
	assert!(err.contains("the genesis builder failed"), "{err}");

	// A node whose spec changes length between parts is not believed.
	let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let shifting = spec_source(move || {
		let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
		Ok(bytes(cairn_net::MAX_CHUNK as usize + 10 + n).into())
	});
	let (_shifting, shifting) = spec_server(shifting).await;
	assert!(matches!(client.chain_spec(&shifting).await, Err(cairn_net::Error::Unexpected { .. })));
}
