//! `/cairn/fragment/1`: length-prefixed SCALE requests and responses, size-limited.

use codec::{Decode, DecodeLimit, Encode};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// The protocol name.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/cairn/fragment/1");
/// Fragment bytes per message: large fragments move in chunks of this size.
pub const MAX_CHUNK: u32 = 1024 * 1024;
/// The largest encoded message accepted (a chunk plus its header).
pub const MAX_MESSAGE: usize = MAX_CHUNK as usize + 4096;
/// The largest manifest accepted.
pub const MAX_BLOB: usize = 256 * 1024;

/// What a peer may ask.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
	/// Append `data` at `offset` to fragment `id` of `total_len` bytes; the chunk that
	/// completes it commits it, checked against `id` as its Merkle root.
	Put { id: [u8; 32], total_len: u64, segment_size: u32, offset: u64, data: Vec<u8> },
	/// Read up to `len` bytes of fragment `id` from `offset`.
	Get { id: [u8; 32], offset: u64, len: u32 },
	/// Whether fragment `id` is stored, and its length.
	Has { id: [u8; 32] },
	/// Store a manifest under its id.
	PutManifest { id: [u8; 32], manifest: Vec<u8> },
	/// Fetch a manifest by id.
	GetManifest { id: [u8; 32] },
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
	Refused,
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
}

/// Encoding of requests and responses on a stream.
#[derive(Clone, Default)]
pub struct Codec;

async fn read_message<T: AsyncRead + Unpin + Send, M: Decode>(io: &mut T) -> std::io::Result<M> {
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
	io.read_exact(&mut buf).await?;
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
		read_message(io).await
	}

	async fn read_response<T: AsyncRead + Unpin + Send>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> std::io::Result<Response> {
		read_message(io).await
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
		let err = futures::executor::block_on(read_message::<_, Request>(&mut io)).unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
	}

	#[test]
	fn truncated_message_is_an_error() {
		let body = Request::Has { id: [1; 32] }.encode();
		let mut io = Cursor::new(framed(body.len() as u32, &body[..body.len() - 1]));
		let err = futures::executor::block_on(read_message::<_, Request>(&mut io)).unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
	}

	#[test]
	fn garbage_and_trailing_bytes_are_refused() {
		let mut io = Cursor::new(framed(3, &[200, 1, 2]));
		assert!(futures::executor::block_on(read_message::<_, Request>(&mut io)).is_err());
		let mut body = Request::Has { id: [1; 32] }.encode();
		body.push(0);
		let mut io = Cursor::new(framed(body.len() as u32, &body));
		assert!(futures::executor::block_on(read_message::<_, Request>(&mut io)).is_err());
	}

	#[test]
	fn message_roundtrips() {
		let req = Request::Get { id: [3; 32], offset: 9, len: 10 };
		let mut buf = Vec::new();
		futures::executor::block_on(write_message(&mut futures::io::Cursor::new(&mut buf), &req)).unwrap();
		let mut io = Cursor::new(buf);
		assert_eq!(futures::executor::block_on(read_message::<_, Request>(&mut io)).unwrap(), req);
	}
}
