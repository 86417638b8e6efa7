//! `/cairn/fragment/2`: length-prefixed SCALE requests and responses, size-limited.

use codec::{Decode, DecodeLimit, Encode};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// The protocol name. Version 2: uploads carry the paying client's authorisation.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/cairn/fragment/2");
/// Fragment bytes per message: large fragments move in chunks of this size.
pub const MAX_CHUNK: u32 = 1024 * 1024;
/// The slowest pace at which a message's body is read, after 5 s: 1 MiB takes at most 21 s.
const BODY_FLOOR_BYTES_PER_SEC: usize = 64 * 1024;
/// The largest encoded message accepted (a chunk plus its header).
pub const MAX_MESSAGE: usize = MAX_CHUNK as usize + 4096;

/// The paying client's authorisation of one upload: its sr25519 signature over
/// [`upload_payload`] for the contract that names the fragment.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct UploadAuth {
	/// The storage contract the fragment is uploaded under.
	pub contract: u64,
	/// The client account's sr25519 signature over [`upload_payload`].
	pub signature: [u8; 64],
}

/// The bytes a client signs to authorise uploading fragment `root` (`len` bytes in
/// `segment_size`-byte segments) under `contract` to the provider whose service plane
/// has peer id `provider`, on the chain with `genesis`: the SCALE encoding of
/// `("cairn/upload/1", genesis, contract, root, len, segment_size, provider)`. A wallet's
/// `signRaw` wraps the bytes in `<Bytes>...</Bytes>`; providers accept both.
pub fn upload_payload(
	genesis: &[u8; 32],
	contract: u64,
	root: &[u8; 32],
	len: u64,
	segment_size: u32,
	provider: &libp2p::PeerId,
) -> Vec<u8> {
	(b"cairn/upload/1", genesis, contract, root, len, segment_size, provider.to_bytes()).encode()
}

/// What a peer may ask.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
	/// Append `data` at `offset` to fragment `id` of `total_len` bytes; the chunk that
	/// completes it commits it, checked against `id` as its Merkle root. The chunk at
	/// offset 0 starts the upload (again, if one was in progress) and carries `auth`
	/// when the provider sells storage.
	Put { id: [u8; 32], total_len: u64, segment_size: u32, offset: u64, data: Vec<u8>, auth: Option<UploadAuth> },
	/// Read up to `len` bytes of fragment `id` from `offset`.
	Get { id: [u8; 32], offset: u64, len: u32 },
	/// Whether fragment `id` is stored, and its length.
	Has { id: [u8; 32] },
	/// Store a manifest under its id, for the file of `contract`.
	PutManifest { id: [u8; 32], manifest: Vec<u8>, contract: Option<u64> },
	/// Fetch a manifest by id.
	GetManifest { id: [u8; 32] },
	/// Read up to `len` bytes of the node's chain specification (raw JSON) from `offset`:
	/// what a newcomer's node starts from (`cairn join`), checked against the genesis hash
	/// of its invitation.
	GetChainSpec { offset: u64, len: u32 },
}

/// Why a request failed, as the remote reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ErrorCode {
	NotFound,
	Full,
	BadRequest,
	RootMismatch,
	Busy,
	Internal,
	/// The provider does not take this now (e.g. it has not yet seen the contract): retry.
	Refused,
	/// The upload's authorisation is missing or wrong: retrying will not help.
	Unauthorized,
	/// The upload went slower than the provider's floor or idled, and was dropped.
	TooSlow,
}

/// The answers.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Response {
	/// Done; for a put, `committed` says whether the fragment is complete.
	Ok { committed: bool },
	/// Fragment bytes.
	Data(Vec<u8>),
	/// Length of a stored fragment, if stored.
	Has(Option<u64>),
	/// A manifest.
	Manifest(Option<Vec<u8>>),
	/// A failure, with a code and a message for people.
	Error { code: ErrorCode, message: String },
	/// A part of the chain specification, and its whole length.
	ChainSpec { total: u64, data: Vec<u8> },
}

/// Encoding of requests and responses on a stream, within a budget of bytes being read
/// at once over all streams (a message that does not fit fails at once: the sender retries).
#[derive(Clone)]
pub struct Codec {
	/// Permits of 1 KiB.
	budget: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Codec {
	/// A codec that reads at most `max_bytes` (at least one whole message) at once.
	pub fn new(max_bytes: usize) -> Self {
		let permits = max_bytes.max(MAX_MESSAGE).div_ceil(1024);
		Codec { budget: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)) }
	}
}

async fn read_message<T: AsyncRead + Unpin + Send, M: Decode>(
	io: &mut T,
	budget: Option<&tokio::sync::Semaphore>,
) -> std::io::Result<M> {
	let mut len = [0u8; 4];
	io.read_exact(&mut len).await?;
	let len = u32::from_le_bytes(len) as usize;
	if len > MAX_MESSAGE {
		return Err(std::io::Error::new(
			std::io::ErrorKind::InvalidData,
			format!("message of {len} bytes exceeds the limit of {MAX_MESSAGE}"),
		));
	}
	let mut buf = vec![0u8; len];
	match budget {
		Some(budget) => {
			let _permit = budget
				.try_acquire_many(len.div_ceil(1024) as u32)
				.map_err(|_| std::io::Error::other("busy: too many bytes being received; try again"))?;
			// A sender that announces a message and trickles it would hold the budget: the
			// body must come at the upload floor's pace.
			let deadline = std::time::Duration::from_secs(5 + (len / BODY_FLOOR_BYTES_PER_SEC) as u64);
			tokio::time::timeout(deadline, io.read_exact(&mut buf))
				.await
				.map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "message body too slow"))??;
		},
		None => io.read_exact(&mut buf).await?,
	}
	M::decode_all_with_depth_limit(8, &mut &buf[..])
		.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
}

async fn write_message<T: AsyncWrite + Unpin + Send, M: Encode>(io: &mut T, msg: &M) -> std::io::Result<()> {
	let bytes = msg.encode();
	if bytes.len() > MAX_MESSAGE {
		return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "message too large"));
	}
	io.write_all(&(bytes.len() as u32).to_le_bytes()).await?;
	io.write_all(&bytes).await?;
	io.close().await
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for Codec {
	type Protocol = StreamProtocol;
	type Request = Request;
	type Response = Response;

	async fn read_request<T: AsyncRead + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> std::io::Result<Request> {
		read_message(io, Some(&self.budget)).await
	}

	async fn read_response<T: AsyncRead + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> std::io::Result<Response> {
		read_message(io, Some(&self.budget)).await
	}

	async fn write_request<T: AsyncWrite + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		req: Request,
	) -> std::io::Result<()> {
		write_message(io, &req).await
	}

	async fn write_response<T: AsyncWrite + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		res: Response,
	) -> std::io::Result<()> {
		write_message(io, &res).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::io::Cursor;

	fn framed(len: u32, body: &[u8]) -> Vec<u8> {
		let mut out = len.to_le_bytes().to_vec();
		out.extend_from_slice(body);
		out
	}

	#[test]
	fn oversized_message_is_refused_before_reading_it() {
		let mut io = Cursor::new(framed(MAX_MESSAGE as u32 + 1, &[]));
		let err = futures::executor::block_on(read_message::<_, Request>(&mut io, None)).unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
	}

	#[test]
	fn truncated_message_is_an_error() {
		let body = Request::Has { id: [1; 32] }.encode();
		let mut io = Cursor::new(framed(body.len() as u32, &body[..body.len() - 1]));
		let err = futures::executor::block_on(read_message::<_, Request>(&mut io, None)).unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
	}

	#[test]
	fn garbage_and_trailing_bytes_are_refused() {
		let mut io = Cursor::new(framed(3, &[200, 1, 2]));
		assert!(futures::executor::block_on(read_message::<_, Request>(&mut io, None)).is_err());
		let mut body = Request::Has { id: [1; 32] }.encode();
		body.push(0);
		let mut io = Cursor::new(framed(body.len() as u32, &body));
		assert!(futures::executor::block_on(read_message::<_, Request>(&mut io, None)).is_err());
	}

	#[test]
	fn message_beyond_the_budget_is_refused_without_reading_it() {
		let codec = Codec::new(0);
		let body = Request::Has { id: [1; 32] }.encode();
		let permits = codec.budget.available_permits();
		let _held = codec.budget.try_acquire_many(permits as u32).unwrap();
		let mut io = Cursor::new(framed(body.len() as u32, &body));
		let err = futures::executor::block_on(read_message::<_, Request>(&mut io, Some(&codec.budget))).unwrap_err();
		assert!(err.to_string().contains("busy"), "{err}");
	}

	#[test]
	fn message_roundtrips() {
		let req = Request::Get { id: [3; 32], offset: 9, len: 10 };
		let mut buf = Vec::new();
		futures::executor::block_on(write_message(&mut futures::io::Cursor::new(&mut buf), &req)).unwrap();
		let mut io = Cursor::new(buf);
		assert_eq!(futures::executor::block_on(read_message::<_, Request>(&mut io, None)).unwrap(), req);
	}
}
