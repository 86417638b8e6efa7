//! Cairn's service plane: fragments move between nodes and clients over libp2p
//! (TCP + noise + yamux), with identify and ping, on the `/cairn/fragment/2`
//! request-response protocol (put, get, has, and manifests).
//!
//! One task owns the swarm; the rest of the program talks to it through a cloneable
//! [`Handle`] (commands in, replies on oneshot channels). Store work runs on blocking
//! threads, never on the swarm task. What a hostile peer can take is bounded: connections
//! (in all, pending and per peer; idle ones close after seconds), bytes of inbound
//! messages being read, requests being answered, and uploads ([`Limits`]).

pub mod auth;
pub mod files;
mod protocol;
mod server;

use std::{io::Read, io::Write, time::Duration};

use futures::{channel::oneshot, StreamExt};
use libp2p::{
	identify,
	identity::Keypair,
	noise, ping, request_response,
	swarm::{NetworkBehaviour, SwarmEvent},
	tcp, yamux, Multiaddr, PeerId, Swarm,
};
use tokio::sync::mpsc;

pub use cairn_store::Store;
pub use libp2p::{identity, multiaddr::Protocol, Multiaddr as Address, PeerId as Peer};
pub use protocol::{upload_payload, ErrorCode, Request, Response, UploadAuth, MAX_CHUNK, PROTOCOL};

/// How the service runs.
pub struct Config {
	/// The node's identity.
	pub keypair: Keypair,
	/// Where to listen; `None` for a client that only dials.
	pub listen: Option<Multiaddr>,
	/// The store that serves and receives fragments; `None` for a client.
	pub store: Option<Store>,
	/// Per-request timeout.
	pub request_timeout: Duration,
	/// Concurrent streams per connection (bounds each peer's load).
	pub max_concurrent_streams: usize,
	/// Which fragments and manifests the store takes; `None` takes any (a store without
	/// a market).
	pub admission: Option<std::sync::Arc<dyn Admission>>,
	/// What one node gives its peers.
	pub limits: Limits,
	/// The chain specification the node serves to newcomers; `None` serves none.
	pub chain_spec: Option<ChainSpecSource>,
}

/// Makes the node's chain specification (raw JSON) when first asked, e.g. from the
/// node's `ChainSpec` (building a raw spec runs the runtime's genesis builder, so it is
/// made on a blocking thread and only when a newcomer asks).
pub type ChainSpecSource = std::sync::Arc<dyn Fn() -> Result<std::sync::Arc<[u8]>, String> + Send + Sync>;

/// The largest chain specification a newcomer fetches (a raw spec holds the runtime's
/// code, about 2x its size in hex).
pub const MAX_CHAIN_SPEC: u64 = 64 * 1024 * 1024;

/// Bounds on what peers can take of a node.
#[derive(Clone, Debug)]
pub struct Limits {
	/// Established incoming connections.
	pub max_connections: u32,
	/// Incoming connections still in their handshake.
	pub max_pending_connections: u32,
	/// Connections per peer.
	pub max_connections_per_peer: u32,
	/// A connection with no request in progress for this long is closed.
	pub idle_connection_timeout: Duration,
	/// Bytes of inbound messages being read at once, over all peers.
	pub max_inbound_bytes: usize,
	/// Bytes of fragment data in responses not yet sent, over all peers (beyond: `Busy`).
	pub max_outbound_bytes: usize,
	/// Requests being answered at once; more are refused with `Busy`.
	pub max_inflight: usize,
	/// Uploads in progress, in all and per peer.
	pub max_uploads: usize,
	pub max_uploads_per_peer: usize,
	/// An upload with no chunk for this long is dropped.
	pub upload_idle: Duration,
	/// An upload slower than this (bytes per second, averaged from its start, after
	/// `rate_grace`) is dropped.
	pub min_upload_rate: u64,
	pub rate_grace: Duration,
}

impl Default for Limits {
	fn default() -> Self {
		Limits {
			max_connections: 256,
			max_pending_connections: 64,
			max_connections_per_peer: 2,
			idle_connection_timeout: Duration::from_secs(5),
			max_inbound_bytes: 128 * 1024 * 1024,
			max_outbound_bytes: 64 * 1024 * 1024,
			max_inflight: 64,
			max_uploads: 64,
			max_uploads_per_peer: 16,
			upload_idle: Duration::from_secs(30),
			min_upload_rate: 64 * 1024,
			rate_grace: Duration::from_secs(10),
		}
	}
}

/// An upload a provider is asked to take.
pub struct UploadRequest<'a> {
	/// The fragment's Merkle root.
	pub id: &'a [u8; 32],
	pub len: u64,
	pub segment_size: u32,
	/// The paying client's authorisation, if the uploader sent one.
	pub auth: Option<&'a UploadAuth>,
}

/// Why a provider does not take an upload or a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
	/// Not now (e.g. the contract is not yet in the provider's view of the chain).
	Retry(String),
	/// The authorisation is missing or does not come from the contract's client.
	Unauthorized(String),
}

/// Decides which fragments and manifests a provider's store takes, e.g. only those a
/// live storage contract names, uploaded by that contract's client.
pub trait Admission: Send + Sync {
	/// Whether to take this upload (asked when it starts and again before it commits).
	fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), Refusal>;
	/// Whether to keep manifest `id`, which the uploader says contract `contract` names.
	fn admit_manifest(&self, id: &[u8; 32], contract: Option<u64>) -> Result<(), Refusal>;
}

impl Config {
	/// A client: ephemeral identity, no listener, no store.
	pub fn client() -> Self {
		Config {
			keypair: Keypair::generate_ed25519(),
			listen: None,
			store: None,
			request_timeout: Duration::from_secs(60),
			max_concurrent_streams: 16,
			admission: None,
			limits: Limits::default(),
			chain_spec: None,
		}
	}
}

/// Service-plane errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("address {0} has no /p2p/<peer id> suffix")]
	NoPeerId(Multiaddr),
	#[error("request to {peer} failed: {reason}")]
	Outbound { peer: PeerId, reason: String },
	#[error("{peer} refused: {code:?}: {message}")]
	Remote { peer: PeerId, code: ErrorCode, message: String },
	#[error("{peer} sent an unexpected response")]
	Unexpected { peer: PeerId },
	#[error("could not start: {0}")]
	Start(String),
	#[error("the network service has stopped")]
	Stopped,
	#[error("I/O: {0}")]
	Io(#[from] std::io::Error),
}

#[derive(NetworkBehaviour)]
struct Behaviour {
	limits: libp2p::connection_limits::Behaviour,
	fragment: request_response::Behaviour<protocol::Codec>,
	identify: identify::Behaviour,
	ping: ping::Behaviour,
}

enum Command {
	Request { peer: PeerId, addr: Multiaddr, request: Request, reply: oneshot::Sender<Result<Response, Error>> },
	ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
}

/// Talks to the service task. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
	commands: mpsc::Sender<Command>,
	peer_id: PeerId,
	/// Download chunks in flight per peer, over all fragments: below the streams a
	/// connection takes at once ([`Config::max_concurrent_streams`]).
	chunk_permits: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<PeerId, std::sync::Arc<tokio::sync::Semaphore>>>>,
	chunks_per_peer: usize,
}

/// Splits `/ip4/../tcp/../p2p/<id>` into the peer id and the address.
pub fn split_peer(addr: &Multiaddr) -> Result<(PeerId, Multiaddr), Error> {
	let mut addr = addr.clone();
	match addr.pop() {
		Some(Protocol::P2p(peer)) => Ok((peer, addr)),
		_ => Err(Error::NoPeerId(addr)),
	}
}

/// Chunks of one fragment a download asks for at once (fewer when a peer serves several
/// of its fragments: a peer is asked for at most half its stream limit at once).
pub const GETS_IN_FLIGHT: usize = 4;
/// How often a chunk the provider was too busy to send is asked for again, with a pause
/// that grows by [`BUSY_PAUSE`] each time.
const BUSY_RETRIES: u32 = 8;
const BUSY_PAUSE: Duration = Duration::from_millis(250);

/// Starts the service on the current tokio runtime.
pub async fn start(config: Config) -> Result<Handle, Error> {
	let request_timeout = config.request_timeout;
	let streams = config.max_concurrent_streams;
	let limits = config.limits.clone();
	let codec = protocol::Codec::new(limits.max_inbound_bytes);
	let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
		.map_err(|e| Error::Start(e.to_string()))?
		.with_behaviour(|key| Behaviour {
			limits: libp2p::connection_limits::Behaviour::new(
				libp2p::connection_limits::ConnectionLimits::default()
					.with_max_established_incoming(Some(limits.max_connections))
					.with_max_pending_incoming(Some(limits.max_pending_connections))
					.with_max_established_per_peer(Some(limits.max_connections_per_peer)),
			),
			fragment: request_response::Behaviour::with_codec(
				codec,
				[(PROTOCOL, request_response::ProtocolSupport::Full)],
				request_response::Config::default()
					.with_request_timeout(request_timeout)
					.with_max_concurrent_streams(streams),
			),
			identify: identify::Behaviour::new(identify::Config::new("/cairn/1".into(), key.public())),
			ping: ping::Behaviour::default(),
		})
		.map_err(|e| Error::Start(e.to_string()))?
		.with_swarm_config(|c| c.with_idle_connection_timeout(limits.idle_connection_timeout))
		.build();

	let mut listening = Vec::new();
	if let Some(listen) = config.listen {
		swarm.listen_on(listen.clone()).map_err(|e| Error::Start(format!("listen on {listen}: {e}")))?;
		// Wait for the listener, so that a taken port fails here, with its address.
		loop {
			match swarm.select_next_some().await {
				SwarmEvent::NewListenAddr { address, .. } => {
					listening.push(address);
					break;
				},
				SwarmEvent::ListenerError { error, .. } | SwarmEvent::ListenerClosed { reason: Err(error), .. } => {
					return Err(Error::Start(format!("listen on {listen}: {error}")))
				},
				_ => {},
			}
		}
	}
	let peer_id = *swarm.local_peer_id();
	let (commands, rx) = mpsc::channel(64);
	let server = server::Server::new(config.store, config.admission, config.limits, config.chain_spec);
	tokio::spawn(run(swarm, rx, server, listening));
	Ok(Handle { commands, peer_id, chunk_permits: Default::default(), chunks_per_peer: (streams / 2).max(1) })
}

async fn run(
	mut swarm: Swarm<Behaviour>,
	mut commands: mpsc::Receiver<Command>,
	server: server::Server,
	mut listening: Vec<Multiaddr>,
) {
	let mut pending: std::collections::HashMap<
		request_response::OutboundRequestId,
		(PeerId, oneshot::Sender<Result<Response, Error>>),
	> = Default::default();
	// Requests to peers being dialed. One dial per peer: the request-response behaviour
	// would start a dial per request, and a second dial to a peer already being dialed
	// fails every request queued for it.
	let mut dialing: std::collections::HashMap<PeerId, Vec<(Request, oneshot::Sender<Result<Response, Error>>)>> =
		Default::default();
	let (done_tx, mut done_rx) = mpsc::unbounded_channel();
	let mut sending: std::collections::HashMap<request_response::InboundRequestId, server::Permit> = Default::default();
	let mut sweep = tokio::time::interval(Duration::from_secs(1));
	sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	loop {
		tokio::select! {
			_ = sweep.tick() => server.sweep(),
			command = commands.recv() => match command {
				None => break,
				Some(Command::Request { peer, addr, request, reply }) => {
					if swarm.is_connected(&peer) {
						let id = swarm.behaviour_mut().fragment.send_request(&peer, request);
						pending.insert(id, (peer, reply));
					} else if let Some(queue) = dialing.get_mut(&peer) {
						queue.push((request, reply));
					} else {
						let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer).addresses(vec![addr]).build();
						match swarm.dial(opts) {
							Ok(()) => {
								dialing.insert(peer, vec![(request, reply)]);
							},
							Err(e) => {
								let _ = reply.send(Err(Error::Outbound { peer, reason: e.to_string() }));
							},
						}
					}
				},
				Some(Command::ListenAddrs(reply)) => {
					let _ = reply.send(listening.clone());
				},
			},
			Some((id, channel, response, permit)) = done_rx.recv() => {
				// A response's bytes stay counted until it is sent or fails.
				if swarm.behaviour_mut().fragment.send_response(channel, response).is_ok() {
					if let Some(permit) = permit {
						sending.insert(id, permit);
					}
				}
			},
			event = swarm.select_next_some() => match event {
				SwarmEvent::Behaviour(BehaviourEvent::Fragment(event)) => match event {
					request_response::Event::Message { peer, message, .. } => match message {
						request_response::Message::Request { request_id, request, channel } => {
							server.handle(peer, request_id, request, channel, done_tx.clone());
						},
						request_response::Message::Response { request_id, response } => {
							if let Some((_, reply)) = pending.remove(&request_id) {
								let _ = reply.send(Ok(response));
							}
						},
					},
					request_response::Event::OutboundFailure { request_id, error, peer } => {
						if let Some((_, reply)) = pending.remove(&request_id) {
							let _ = reply.send(Err(Error::Outbound { peer, reason: error.to_string() }));
						}
					},
					request_response::Event::InboundFailure { peer, error, request_id, .. } => {
						sending.remove(&request_id);
						log::debug!("cairn-net: inbound request from {peer} failed: {error}");
					},
					request_response::Event::ResponseSent { request_id, .. } => {
						sending.remove(&request_id);
					},
				},
				SwarmEvent::ConnectionEstablished { peer_id, .. } => {
					for (request, reply) in dialing.remove(&peer_id).unwrap_or_default() {
						let id = swarm.behaviour_mut().fragment.send_request(&peer_id, request);
						pending.insert(id, (peer_id, reply));
					}
				},
				SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), error, .. } => {
					for (_, reply) in dialing.remove(&peer).unwrap_or_default() {
						let _ = reply.send(Err(Error::Outbound { peer, reason: format!("cannot connect: {error}") }));
					}
				},
				SwarmEvent::NewListenAddr { address, .. } => listening.push(address),
				_ => {},
			},
		}
	}
}

impl Handle {
	/// The semaphore that bounds download chunks in flight to `peer`.
	fn chunk_permits(&self, peer: PeerId) -> std::sync::Arc<tokio::sync::Semaphore> {
		let mut permits = self.chunk_permits.lock().unwrap_or_else(|e| e.into_inner());
		// Forget peers nobody is downloading from, so the map stays small.
		permits.retain(|_, p| std::sync::Arc::strong_count(p) > 1);
		permits.entry(peer).or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(self.chunks_per_peer))).clone()
	}

	/// This node's peer id.
	pub fn peer_id(&self) -> PeerId {
		self.peer_id
	}

	/// The addresses this node listens on, each ending in `/p2p/<peer id>`.
	pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, Error> {
		let (tx, rx) = oneshot::channel();
		self.commands.send(Command::ListenAddrs(tx)).await.map_err(|_| Error::Stopped)?;
		let addrs = rx.await.map_err(|_| Error::Stopped)?;
		Ok(addrs.into_iter().map(|a| a.with(Protocol::P2p(self.peer_id))).collect())
	}

	/// Sends one request to the peer at `addr` (`.../p2p/<id>`) and waits for its answer.
	pub async fn request(&self, addr: &Multiaddr, request: Request) -> Result<Response, Error> {
		let (peer, addr) = split_peer(addr)?;
		let (tx, rx) = oneshot::channel();
		self.commands.send(Command::Request { peer, addr, request, reply: tx }).await.map_err(|_| Error::Stopped)?;
		let response = rx.await.map_err(|_| Error::Stopped)??;
		match response {
			Response::Error { code, message } => Err(Error::Remote { peer, code, message }),
			other => Ok(other),
		}
	}

	/// Uploads a fragment of `len` bytes in chunks, authorised by `auth` (see
	/// [`upload_payload`]); `progress` gets the bytes sent so far.
	#[allow(clippy::too_many_arguments)]
	pub async fn put_fragment(
		&self,
		addr: &Multiaddr,
		id: [u8; 32],
		segment_size: u32,
		len: u64,
		mut auth: Option<UploadAuth>,
		mut input: impl Read + Send + 'static,
		mut progress: impl FnMut(u64),
	) -> Result<(), Error> {
		let (peer, _) = split_peer(addr)?;
		let mut offset = 0u64;
		loop {
			let take = (len - offset).min(MAX_CHUNK as u64) as usize;
			let (data, back) = tokio::task::spawn_blocking(move || {
				let mut data = vec![0u8; take];
				let r = input.read_exact(&mut data);
				(r.map(|_| data), input)
			})
			.await
			.map_err(|_| Error::Stopped)?;
			input = back;
			let data = data?;
			let request = Request::Put { id, total_len: len, segment_size, offset, data, auth: auth.take() };
			let committed = match self.request(addr, request).await? {
				Response::Ok { committed } => committed,
				_ => return Err(Error::Unexpected { peer }),
			};
			offset += take as u64;
			progress(offset);
			if committed || offset >= len {
				return if committed { Ok(()) } else { Err(Error::Unexpected { peer }) };
			}
		}
	}

	/// Downloads fragment `id` of `len` bytes into `out`; `progress` gets bytes so far.
	/// [`GETS_IN_FLIGHT`] chunks are asked for at once, each on its own stream, so the
	/// transfer does not wait a round trip per chunk; they are written in order.
	pub async fn get_fragment(
		&self,
		addr: &Multiaddr,
		id: [u8; 32],
		len: u64,
		out: &mut (impl Write + Send),
		mut progress: impl FnMut(u64),
	) -> Result<(), Error> {
		let (peer, _) = split_peer(addr)?;
		let permits = self.chunk_permits(peer);
		let chunks = (0..len.div_ceil(MAX_CHUNK as u64)).map(|i| {
			let offset = i * MAX_CHUNK as u64;
			(offset, (len - offset).min(MAX_CHUNK as u64) as u32)
		});
		let mut replies = futures::stream::iter(chunks)
			.map(|(offset, want)| {
				let permits = permits.clone();
				async move {
					let mut tries = 0;
					loop {
						let reply = {
							let _permit = permits.acquire().await;
							self.request(addr, Request::Get { id, offset, len: want }).await
						};
						match reply {
							Err(Error::Remote { code: protocol::ErrorCode::Busy, .. }) if tries < BUSY_RETRIES => {
								tries += 1;
								tokio::time::sleep(BUSY_PAUSE * tries).await;
							},
							reply => return (want, reply),
						}
					}
				}
			})
			.buffered(GETS_IN_FLIGHT);
		let mut done = 0u64;
		while let Some((want, reply)) = replies.next().await {
			match reply? {
				// A provider answers a chunk whole: a short one would leave a gap.
				Response::Data(data) if data.len() == want as usize => {
					out.write_all(&data)?;
					done += data.len() as u64;
					progress(done);
				},
				_ => return Err(Error::Unexpected { peer }),
			}
		}
		Ok(())
	}

	/// The length of fragment `id` at the peer, if it has it.
	pub async fn has(&self, addr: &Multiaddr, id: [u8; 32]) -> Result<Option<u64>, Error> {
		let (peer, _) = split_peer(addr)?;
		match self.request(addr, Request::Has { id }).await? {
			Response::Has(len) => Ok(len),
			_ => Err(Error::Unexpected { peer }),
		}
	}

	/// Stores a manifest at the peer, for the file of `contract` (a provider that sells
	/// storage keeps only manifests its contracts name).
	pub async fn put_manifest(
		&self,
		addr: &Multiaddr,
		id: [u8; 32],
		manifest: Vec<u8>,
		contract: Option<u64>,
	) -> Result<(), Error> {
		let (peer, _) = split_peer(addr)?;
		match self.request(addr, Request::PutManifest { id, manifest, contract }).await? {
			Response::Ok { .. } => Ok(()),
			_ => Err(Error::Unexpected { peer }),
		}
	}

	/// Fetches the peer's chain specification, in chunks; at most [`MAX_CHAIN_SPEC`] bytes.
	pub async fn chain_spec(&self, addr: &Multiaddr) -> Result<Vec<u8>, Error> {
		let (peer, _) = split_peer(addr)?;
		let mut spec = Vec::new();
		let mut expected = None;
		let mut busy = 0;
		loop {
			let offset = spec.len() as u64;
			let request = Request::GetChainSpec { offset, len: MAX_CHUNK };
			let (total, data) = match self.request(addr, request).await {
				Ok(Response::ChainSpec { total, data }) => (total, data),
				Err(Error::Remote { code: protocol::ErrorCode::Busy, .. }) if busy < BUSY_RETRIES => {
					busy += 1;
					tokio::time::sleep(BUSY_PAUSE * busy).await;
					continue;
				},
				Ok(_) => return Err(Error::Unexpected { peer }),
				Err(e) => return Err(e),
			};
			// Every part agrees on the length and is whole: a chunk, or the rest.
			let whole = total.saturating_sub(offset).min(MAX_CHUNK as u64);
			if total > MAX_CHAIN_SPEC || *expected.get_or_insert(total) != total || data.len() as u64 != whole {
				return Err(Error::Unexpected { peer });
			}
			let end = offset + whole;
			spec.extend_from_slice(&data);
			if end == total {
				return Ok(spec);
			}
		}
	}

	/// Fetches a manifest from the peer.
	pub async fn get_manifest(&self, addr: &Multiaddr, id: [u8; 32]) -> Result<Option<Vec<u8>>, Error> {
		let (peer, _) = split_peer(addr)?;
		match self.request(addr, Request::GetManifest { id }).await? {
			Response::Manifest(m) => Ok(m),
			_ => Err(Error::Unexpected { peer }),
		}
	}
}
