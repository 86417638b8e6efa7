//! A provider that sells storage, against hostile peers: real libp2p sockets on 127.0.0.1,
//! a real RocksDB store, and the provider's contract admission (`ContractAdmission`) over
//! a fixed table of contracts standing in for its view of the chain. After each attack the
//! honest client still stores and reads its fragment, and what was committed is unchanged.

use std::{
	collections::HashMap,
	sync::Arc,
	time::{Duration, Instant},
};

use cairn_net::{
	auth::{ContractAdmission, ContractTerms, Contracts},
	start, upload_payload, Config, Error, ErrorCode, Limits, Request, Response, Store, UploadAuth,
};
use cairn_primitives::merkle;
use libp2p::{identity::Keypair, Multiaddr, PeerId};

const GENESIS: [u8; 32] = [0x47; 32];

fn bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u32).wrapping_mul(2654435761).wrapping_add(seed as u32) as u8).collect()
}

fn root(data: &[u8]) -> [u8; 32] {
	merkle::fragment_root(data)
}

/// An sr25519 account, as a wallet holds it.
struct Account(schnorrkel::Keypair);

impl Account {
	fn new(seed: u8) -> Self {
		let mini = schnorrkel::MiniSecretKey::from_bytes(&[seed; 32]).unwrap();
		Account(mini.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519))
	}
	fn public(&self) -> [u8; 32] {
		self.0.public.to_bytes()
	}
	fn sign(&self, message: &[u8]) -> [u8; 64] {
		self.0.sign_simple(b"substrate", message).to_bytes()
	}
	fn authorise(&self, contract: u64, data: &[u8], provider: &PeerId) -> UploadAuth {
		let payload = upload_payload(&GENESIS, contract, &root(data), data.len() as u64, 1024, provider);
		UploadAuth { contract, signature: self.sign(&payload) }
	}
}

/// The provider's contracts, as its chain view would report them.
struct Table(HashMap<u64, ContractTerms>);

impl Contracts for Table {
	fn genesis(&self) -> [u8; 32] {
		GENESIS
	}
	fn contract(&self, id: u64) -> Result<Option<ContractTerms>, String> {
		Ok(self.0.get(&id).cloned())
	}
}

fn terms(client: &Account, data: &[u8], manifest: [u8; 32]) -> ContractTerms {
	ContractTerms {
		client: client.public(),
		root: root(data),
		len: data.len() as u64,
		segment_size: 1024,
		manifest,
		pending: true,
	}
}

struct Provider {
	store: Store,
	addr: Multiaddr,
	peer: PeerId,
	_dir: tempfile::TempDir,
}

/// A provider with contracts 1..=4 of `client`, for fragments `data[i]`, manifest `[9; 32]`.
async fn provider(client: &Account, data: &[Vec<u8>], limits: Limits) -> Provider {
	let dir = tempfile::tempdir().unwrap();
	let store = Store::open(dir.path(), 1 << 30).unwrap();
	let keypair = Keypair::generate_ed25519();
	let peer = keypair.public().to_peer_id();
	let table = data.iter().enumerate().map(|(i, d)| (i as u64 + 1, terms(client, d, [9; 32]))).collect();
	let config = Config {
		keypair,
		listen: Some("/ip4/127.0.0.1/tcp/0".parse().unwrap()),
		store: Some(store.clone()),
		admission: Some(Arc::new(ContractAdmission::new(Table(table), peer))),
		limits,
		..Config::client()
	};
	let handle = start(config).await.unwrap();
	let addr = handle.listen_addrs().await.unwrap().remove(0);
	// The service lives as long as the test's runtime.
	std::mem::forget(handle);
	Provider { store, addr, peer, _dir: dir }
}

async fn put(net: &cairn_net::Handle, p: &Provider, data: &[u8], auth: Option<UploadAuth>) -> Result<(), Error> {
	net.put_fragment(&p.addr, root(data), 1024, data.len() as u64, auth, std::io::Cursor::new(data.to_vec()), |_| {})
		.await
}

async fn get(net: &cairn_net::Handle, p: &Provider, data: &[u8]) -> Vec<u8> {
	let mut back = Vec::new();
	net.get_fragment(&p.addr, root(data), data.len() as u64, &mut back, |_| {}).await.unwrap();
	back
}

fn fragments() -> Vec<Vec<u8>> {
	vec![bytes(1_500_000, 1), bytes(70_000, 2), bytes(3_000, 3), bytes(2_200_000, 4)]
}

fn code(e: Error) -> ErrorCode {
	match e {
		Error::Remote { code, .. } => code,
		e => panic!("expected a refusal, got {e}"),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_but_the_contract_client_can_take_its_upload_slot() {
	let (client, mallory) = (Account::new(1), Account::new(2));
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let net = start(Config::client()).await.unwrap();
	let thief = start(Config::client()).await.unwrap();

	// Unsigned, signed by another account, signed for another provider or another
	// contract's fragment: all refused, nothing reserved.
	assert_eq!(code(put(&thief, &p, &data[0], None).await.unwrap_err()), ErrorCode::Unauthorized);
	let forged = mallory.authorise(1, &data[0], &p.peer);
	assert_eq!(code(put(&thief, &p, &data[0], Some(forged)).await.unwrap_err()), ErrorCode::Unauthorized);
	let elsewhere = client.authorise(1, &data[0], &PeerId::random());
	assert_eq!(code(put(&thief, &p, &data[0], Some(elsewhere)).await.unwrap_err()), ErrorCode::Unauthorized);
	let wrong_contract = client.authorise(2, &data[0], &p.peer);
	assert_eq!(code(put(&thief, &p, &data[0], Some(wrong_contract)).await.unwrap_err()), ErrorCode::Unauthorized);
	let unknown = client.authorise(77, &data[0], &p.peer);
	assert_eq!(code(put(&thief, &p, &data[0], Some(unknown)).await.unwrap_err()), ErrorCode::Refused);
	assert_eq!((p.store.used(), p.store.reserved()), (0, 0));

	// The thief starts an upload with the client's replayed authorisation and stalls; the
	// client's own upload is in a staging slot of its own and commits regardless.
	let replayed = client.authorise(1, &data[0], &p.peer);
	let first = Request::Put {
		id: root(&data[0]),
		total_len: data[0].len() as u64,
		segment_size: 1024,
		offset: 0,
		data: data[0][..1024].to_vec(),
		auth: Some(replayed.clone()),
	};
	assert_eq!(thief.request(&p.addr, first).await.unwrap(), Response::Ok { committed: false });
	put(&net, &p, &data[0], Some(replayed)).await.unwrap();
	assert_eq!(get(&net, &p, &data[0]).await, data[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_uploader_is_dropped_and_its_reservation_released() {
	let client = Account::new(1);
	let data = fragments();
	let limits =
		Limits { rate_grace: Duration::from_secs(1), upload_idle: Duration::from_secs(3), ..Limits::default() };
	let p = provider(&client, &data, limits).await;
	let slow = start(Config::client()).await.unwrap();
	let id = root(&data[3]);
	let auth = client.authorise(4, &data[3], &p.peer);
	let chunk = |offset: u64, len: usize, auth: Option<UploadAuth>| Request::Put {
		id,
		total_len: data[3].len() as u64,
		segment_size: 1024,
		offset,
		data: data[3][offset as usize..offset as usize + len].to_vec(),
		auth,
	};
	// One byte, then one byte a second: far below the 64 KiB/s floor.
	assert_eq!(slow.request(&p.addr, chunk(0, 1, Some(auth))).await.unwrap(), Response::Ok { committed: false });
	assert_eq!(p.store.reserved(), data[3].len() as u64);
	let started = Instant::now();
	let mut offset = 1;
	let err = loop {
		tokio::time::sleep(Duration::from_secs(1)).await;
		match slow.request(&p.addr, chunk(offset, 1, None)).await {
			Ok(_) => offset += 1,
			Err(e) => break e,
		}
		assert!(started.elapsed() < Duration::from_secs(10), "the slow upload was never dropped");
	};
	assert_eq!(code(err), ErrorCode::TooSlow);
	assert_eq!(p.store.reserved(), 0, "its reservation is released");
	assert_eq!(p.store.unfinished(), 0, "and its staging slot removed");
	// The client's own upload of the same fragment goes through.
	let net = start(Config::client()).await.unwrap();
	put(&net, &p, &data[3], Some(client.authorise(4, &data[3], &p.peer))).await.unwrap();
	assert_eq!(get(&net, &p, &data[3]).await, data[3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_unnamed_manifests_are_refused_and_cost_nothing() {
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let net = start(Config::client()).await.unwrap();
	put(&net, &p, &data[2], Some(client.authorise(3, &data[2], &p.peer))).await.unwrap();
	let used = p.store.used();
	// 100 at once on one connection: beyond 16 streams per connection and 64 requests
	// being answered, the provider drops or refuses the rest.
	let (mut refused, mut dropped) = (0, 0);
	for batch in 0..100u32 {
		let requests = (0..100u32).map(|i| {
			let blob = (batch, i, [0xabu8; 200]).encode_blob();
			let id = cairn_primitives::blake2_256(&blob);
			// Half claim no contract, half claim a contract that names another file.
			let contract = (i % 2 == 0).then_some(1);
			net.put_manifest(&p.addr, id, blob, contract)
		});
		for result in futures::future::join_all(requests).await {
			match result {
				Err(Error::Remote { code: ErrorCode::Unauthorized, .. }) => refused += 1,
				Err(Error::Remote { code: ErrorCode::Busy, .. }) | Err(Error::Outbound { .. }) => dropped += 1,
				other => panic!("expected a refusal, got {other:?}"),
			}
		}
	}
	assert_eq!(refused + dropped, 10_000);
	assert!(refused > 1_000, "{refused} refused, {dropped} dropped");
	assert_eq!(p.store.used(), used);
	assert!(p.store.blob_ids().is_empty());
	assert_eq!(get(&net, &p, &data[2]).await, data[2]);
}

trait EncodeBlob {
	fn encode_blob(&self) -> Vec<u8>;
}

impl EncodeBlob for (u32, u32, [u8; 200]) {
	fn encode_blob(&self) -> Vec<u8> {
		[&self.0.to_le_bytes()[..], &self.1.to_le_bytes(), &self.2].concat()
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_writer_racing_the_commit_loses_nothing() {
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let (a, b) = (start(Config::client()).await.unwrap(), start(Config::client()).await.unwrap());
	let auth = client.authorise(1, &data[0], &p.peer);
	for _ in 0..3 {
		// Two uploads of one fragment from two peers at once (a client's retry racing its
		// first attempt): both end as committed, and the fragment is whole.
		let (ra, rb) =
			tokio::join!(put(&a, &p, &data[0], Some(auth.clone())), put(&b, &p, &data[0], Some(auth.clone())));
		ra.unwrap();
		rb.unwrap();
		assert_eq!(get(&a, &p, &data[0]).await, data[0]);
		assert_eq!(p.store.used(), data[0].len() as u64);
		assert_eq!((p.store.reserved(), p.store.unfinished()), (0, 0));
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_idle_connections_from_fresh_peer_ids_do_not_lock_out_the_client() {
	use libp2p::{
		core::{
			muxing::StreamMuxerExt,
			transport::{DialOpts, PortUse},
			upgrade::Version,
			Endpoint,
		},
		noise, tcp, yamux, Transport,
	};
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let mut held = Vec::new();
	let mut opened = 0;
	for _ in 0..1000 {
		let key = Keypair::generate_ed25519();
		let mut transport = tcp::tokio::Transport::new(tcp::Config::default())
			.upgrade(Version::V1)
			.authenticate(noise::Config::new(&key).unwrap())
			.multiplex(yamux::Config::default())
			.boxed();
		let dial = transport.dial(p.addr.clone(), DialOpts { role: Endpoint::Dialer, port_use: PortUse::New }).unwrap();
		held.push(tokio::spawn(async move {
			let Ok(Ok((_, mut muxer))) = tokio::time::timeout(Duration::from_secs(10), dial).await else {
				return (false, false);
			};
			// Hold the connection open and make no request, until the provider closes it.
			let closed = futures::future::poll_fn(|cx| loop {
				match muxer.poll_inbound_unpin(cx) {
					std::task::Poll::Ready(Ok(_)) => continue,
					std::task::Poll::Ready(Err(_)) => return std::task::Poll::Ready(()),
					std::task::Poll::Pending => return std::task::Poll::Pending,
				}
			});
			(true, tokio::time::timeout(Duration::from_secs(15), closed).await.is_ok())
		}));
		opened += 1;
	}
	assert_eq!(opened, 1000);
	tokio::time::sleep(Duration::from_secs(1)).await;
	// The honest client gets through within seconds: idle connections close after 5 s and
	// the limits turn away the rest.
	let net = start(Config::client()).await.unwrap();
	let started = Instant::now();
	let auth = client.authorise(2, &data[1], &p.peer);
	loop {
		match put(&net, &p, &data[1], Some(auth.clone())).await {
			Ok(()) => break,
			Err(e) => {
				assert!(started.elapsed() < Duration::from_secs(30), "locked out: {e}");
				tokio::time::sleep(Duration::from_millis(500)).await;
			},
		}
	}
	assert_eq!(get(&net, &p, &data[1]).await, data[1]);
	// Every connection that got through its handshake was closed by the provider within
	// 15 s (idle after 5 s, or beyond the limits at once).
	let mut established = 0;
	for h in held {
		let (connected, closed) = h.await.unwrap();
		if connected {
			established += 1;
			assert!(closed, "an idle connection stayed open");
		}
	}
	assert!(established > 0);
}

/// Writes raw bytes on `/cairn/fragment/2` and reads whatever comes back.
#[derive(Clone, Default)]
struct RawCodec;

#[async_trait::async_trait]
impl libp2p::request_response::Codec for RawCodec {
	type Protocol = libp2p::StreamProtocol;
	type Request = Vec<u8>;
	type Response = Vec<u8>;

	async fn read_request<T: futures::AsyncRead + Unpin + Send>(
		&mut self,
		_: &Self::Protocol,
		_: &mut T,
	) -> std::io::Result<Vec<u8>> {
		Err(std::io::Error::other("this peer answers nothing"))
	}

	async fn read_response<T: futures::AsyncRead + Unpin + Send>(
		&mut self,
		_: &Self::Protocol,
		io: &mut T,
	) -> std::io::Result<Vec<u8>> {
		use futures::AsyncReadExt;
		let mut out = Vec::new();
		io.take(1 << 20).read_to_end(&mut out).await?;
		Ok(out)
	}

	async fn write_request<T: futures::AsyncWrite + Unpin + Send>(
		&mut self,
		_: &Self::Protocol,
		io: &mut T,
		request: Vec<u8>,
	) -> std::io::Result<()> {
		use futures::AsyncWriteExt;
		// A message that starts with `STALL` is sent without the marker, then the sender
		// goes quiet without closing the stream.
		match request.strip_prefix(b"STALL") {
			Some(rest) => {
				io.write_all(rest).await?;
				io.flush().await?;
				tokio::time::sleep(Duration::from_secs(60)).await;
				Ok(())
			},
			None => {
				io.write_all(&request).await?;
				io.close().await
			},
		}
	}

	async fn write_response<T: futures::AsyncWrite + Unpin + Send>(
		&mut self,
		_: &Self::Protocol,
		_: &mut T,
		_: Vec<u8>,
	) -> std::io::Result<()> {
		Ok(())
	}
}

/// Sends each raw message on its own stream; what came back for each (an empty answer
/// when the provider reset the stream).
async fn send_raw(addr: &Multiaddr, messages: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
	use futures::StreamExt;
	use libp2p::{request_response, swarm::SwarmEvent};
	let mut swarm = libp2p::SwarmBuilder::with_new_identity()
		.with_tokio()
		.with_tcp(libp2p::tcp::Config::default(), libp2p::noise::Config::new, libp2p::yamux::Config::default)
		.unwrap()
		.with_behaviour(|_| {
			request_response::Behaviour::with_codec(
				RawCodec,
				[(cairn_net::PROTOCOL, request_response::ProtocolSupport::Outbound)],
				request_response::Config::default(),
			)
		})
		.unwrap()
		.build();
	let (peer, at) = cairn_net::split_peer(addr).unwrap();
	swarm.add_peer_address(peer, at);
	let ids: Vec<_> = messages.into_iter().map(|m| swarm.behaviour_mut().send_request(&peer, m)).collect();
	let mut answers: HashMap<_, Vec<u8>> = HashMap::new();
	while answers.len() < ids.len() {
		match tokio::time::timeout(Duration::from_secs(20), swarm.select_next_some()).await.expect("no answer") {
			SwarmEvent::Behaviour(request_response::Event::Message {
				message: request_response::Message::Response { request_id, response },
				..
			}) => {
				answers.insert(request_id, response);
			},
			SwarmEvent::Behaviour(request_response::Event::OutboundFailure { request_id, .. }) => {
				answers.insert(request_id, Vec::new());
			},
			_ => {},
		}
	}
	ids.iter().map(|id| answers.remove(id).unwrap()).collect()
}

fn framed(len: u32, body: &[u8]) -> Vec<u8> {
	[&len.to_le_bytes()[..], body].concat()
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_oversized_messages_change_nothing() {
	use codec::{Decode, Encode};
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let net = start(Config::client()).await.unwrap();
	put(&net, &p, &data[2], Some(client.authorise(3, &data[2], &p.peer))).await.unwrap();
	let used = p.store.used();

	let huge_put = Request::Put {
		id: root(&data[0]),
		total_len: u64::MAX,
		segment_size: 0,
		offset: 0,
		data: vec![1],
		auth: Some(client.authorise(1, &data[0], &p.peer)),
	};
	let past_the_end = Request::Get { id: root(&data[2]), offset: u64::MAX, len: 1 };
	let messages = vec![
		framed(u32::MAX, &[]),                             // announces 4 GiB
		framed(10, &[0xff; 10]),                           // not a request
		framed(100, &[0; 10]),                             // cut short
		framed(2, &Request::Has { id: [0; 32] }.encode()), // shorter than it is
		framed(huge_put.encoded_size() as u32, &huge_put.encode()),
		framed(past_the_end.encoded_size() as u32, &past_the_end.encode()),
	];
	// Each from a peer of its own: a broken stream may cost its sender the connection.
	let mut answers = Vec::new();
	for message in messages {
		answers.extend(send_raw(&p.addr, vec![message]).await);
	}
	for (i, answer) in answers.iter().enumerate() {
		if answer.is_empty() {
			continue; // the provider reset the stream
		}
		let response = Response::decode(&mut &answer[4..]).unwrap();
		assert!(matches!(response, Response::Error { .. }), "message {i} got {response:?}");
	}
	assert!(answers[..4].iter().all(Vec::is_empty), "undecodable messages get no answer");
	assert!(answers[4..].iter().all(|a| !a.is_empty()), "well-formed bad requests get a named error");
	assert_eq!((p.store.used(), p.store.reserved(), p.store.unfinished()), (used, 0, 0));
	// The provider still serves the honest client.
	put(&net, &p, &data[1], Some(client.authorise(2, &data[1], &p.peer))).await.unwrap();
	assert_eq!(get(&net, &p, &data[2]).await, data[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_contract_holds_at_most_two_upload_slots() {
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	let auth = client.authorise(1, &data[0], &p.peer);
	let first_chunk = Request::Put {
		id: root(&data[0]),
		total_len: data[0].len() as u64,
		segment_size: 1024,
		offset: 0,
		data: data[0][..1024].to_vec(),
		auth: Some(auth.clone()),
	};
	// Peer ids are free: three of them start the same contract's upload.
	let mut answers = Vec::new();
	for _ in 0..3 {
		let peer = start(Config::client()).await.unwrap();
		answers.push(peer.request(&p.addr, first_chunk.clone()).await);
		std::mem::forget(peer);
	}
	assert!(answers[..2].iter().all(|a| matches!(a, Ok(Response::Ok { committed: false }))), "{answers:?}");
	assert!(matches!(answers[2], Err(Error::Remote { code: ErrorCode::Busy, .. })), "{:?}", answers[2]);
	assert_eq!(p.store.reserved(), 2 * data[0].len() as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickled_message_is_cut_off() {
	let client = Account::new(1);
	let data = fragments();
	let p = provider(&client, &data, Limits::default()).await;
	// Announces 100 KiB, sends 10 bytes, then nothing: the provider gives up on it after
	// 5 s plus the body's time at 64 KiB/s, not after the 60 s request timeout.
	let started = Instant::now();
	let answer = send_raw(&p.addr, vec![[&b"STALL"[..], &framed(100 * 1024, &[0; 10])].concat()]).await;
	assert!(answer[0].is_empty());
	assert!(started.elapsed() < Duration::from_secs(15), "cut off after {:?}", started.elapsed());
	let net = start(Config::client()).await.unwrap();
	put(&net, &p, &data[2], Some(client.authorise(3, &data[2], &p.peer))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_in_progress_are_bounded_in_all() {
	let client = Account::new(1);
	let data = fragments();
	let limits = Limits { max_uploads: 3, ..Limits::default() };
	let p = provider(&client, &data, limits).await;
	let net = start(Config::client()).await.unwrap();
	let start_upload = |i: usize| Request::Put {
		id: root(&data[i]),
		total_len: data[i].len() as u64,
		segment_size: 1024,
		offset: 0,
		data: data[i][..1024].to_vec(),
		auth: Some(client.authorise(i as u64 + 1, &data[i], &p.peer)),
	};
	for i in 0..3 {
		assert_eq!(net.request(&p.addr, start_upload(i)).await.unwrap(), Response::Ok { committed: false });
	}
	let fourth = net.request(&p.addr, start_upload(3)).await.unwrap_err();
	assert_eq!(code(fourth), ErrorCode::Busy);
	// Finishing one frees its place.
	put(&net, &p, &data[2], Some(client.authorise(3, &data[2], &p.peer))).await.unwrap();
	assert_eq!(net.request(&p.addr, start_upload(3)).await.unwrap(), Response::Ok { committed: false });
}
