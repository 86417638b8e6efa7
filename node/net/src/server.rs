//! Answers `/cairn/fragment/1` requests from the store, on blocking threads.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use cairn_store::{FragmentWriter, Store};
use libp2p::{request_response::ResponseChannel, PeerId};
use tokio::sync::mpsc::UnboundedSender;

use crate::protocol::{ErrorCode, Request, Response, MAX_BLOB, MAX_CHUNK};

/// Unfinished uploads a single peer may keep open.
const MAX_UPLOADS_PER_PEER: usize = 16;
/// An upload with no chunk for this long is dropped (and its space released).
const UPLOAD_IDLE: Duration = Duration::from_secs(120);

struct Upload {
	writer: FragmentWriter,
	next_offset: u64,
	last_seen: Instant,
}

#[derive(Clone)]
pub(crate) struct Server {
	store: Option<Store>,
	admission: Option<Arc<dyn crate::Admission>>,
	uploads: Arc<Mutex<HashMap<(PeerId, [u8; 32]), Upload>>>,
}

type Done = UnboundedSender<(ResponseChannel<Response>, Response)>;

fn error(code: ErrorCode, message: impl Into<String>) -> Response {
	Response::Error { code, message: message.into() }
}

fn store_error(e: cairn_store::Error) -> Response {
	use cairn_store::Error as E;
	let code = match &e {
		E::Full { .. } => ErrorCode::Full,
		E::NotFound => ErrorCode::NotFound,
		E::RootMismatch => ErrorCode::RootMismatch,
		E::LengthMismatch { .. } | E::SegmentSize(_) | E::SegmentOutOfRange { .. } => ErrorCode::BadRequest,
		E::AlreadyStored => ErrorCode::Busy,
		_ => ErrorCode::Internal,
	};
	error(code, e.to_string())
}

impl Server {
	pub(crate) fn new(store: Option<Store>, admission: Option<Arc<dyn crate::Admission>>) -> Self {
		Server { store, admission, uploads: Default::default() }
	}

	/// Answers on a blocking thread and hands the response back to the swarm task.
	pub(crate) fn handle(&self, peer: PeerId, request: Request, channel: ResponseChannel<Response>, done: Done) {
		let server = self.clone();
		tokio::task::spawn_blocking(move || {
			let response = server.answer(peer, request);
			let _ = done.send((channel, response));
		});
	}

	fn answer(&self, peer: PeerId, request: Request) -> Response {
		let Some(store) = &self.store else {
			return error(ErrorCode::Refused, "this peer stores no fragments");
		};
		match request {
			Request::Has { id } => match store.meta(&id) {
				Ok(meta) => Response::Has(meta.map(|m| m.len)),
				Err(e) => store_error(e),
			},
			Request::Get { id, offset, len } => {
				if len == 0 || len > MAX_CHUNK {
					return error(ErrorCode::BadRequest, format!("read length must be 1..={MAX_CHUNK}"));
				}
				match store.read(&id, offset, len as usize) {
					Ok(data) if data.is_empty() => error(ErrorCode::BadRequest, "offset past the end"),
					Ok(data) => Response::Data(data),
					Err(e) => store_error(e),
				}
			},
			Request::Put { id, total_len, segment_size, offset, data } => {
				self.put(store, peer, id, total_len, segment_size, offset, data)
			},
			Request::PutManifest { id, manifest } => {
				if manifest.len() > MAX_BLOB {
					return error(ErrorCode::BadRequest, "manifest too large");
				}
				if cairn_primitives::blake2_256(&manifest) != id {
					return error(ErrorCode::BadRequest, "manifest does not hash to its id");
				}
				match store.put_blob(&id, &manifest) {
					Ok(()) => Response::Ok { committed: true },
					Err(e) => store_error(e),
				}
			},
			Request::GetManifest { id } => match store.get_blob(&id) {
				Ok(m) => Response::Manifest(m),
				Err(e) => store_error(e),
			},
		}
	}

	#[allow(clippy::too_many_arguments)]
	fn put(
		&self,
		store: &Store,
		peer: PeerId,
		id: [u8; 32],
		total_len: u64,
		segment_size: u32,
		offset: u64,
		data: Vec<u8>,
	) -> Response {
		if data.is_empty() && total_len > 0 {
			return error(ErrorCode::BadRequest, "empty chunk");
		}
		let mut uploads = self.uploads.lock().expect("not poisoned");
		uploads.retain(|_, u| u.last_seen.elapsed() < UPLOAD_IDLE);
		let key = (peer, id);
		if offset == 0 && !uploads.contains_key(&key) {
			match store.meta(&id) {
				Ok(Some(meta)) if meta.root == id && meta.len == total_len => return Response::Ok { committed: true },
				Ok(_) => {},
				Err(e) => return store_error(e),
			}
			if let Some(admission) = &self.admission {
				if let Err(reason) = admission.admit(&id, total_len, segment_size) {
					return error(ErrorCode::Refused, reason);
				}
			}
			if uploads.keys().filter(|(p, _)| *p == peer).count() >= MAX_UPLOADS_PER_PEER {
				return error(ErrorCode::Busy, "too many unfinished uploads from this peer");
			}
			match store.writer(id, total_len, segment_size) {
				Ok(writer) => {
					uploads.insert(key, Upload { writer, next_offset: 0, last_seen: Instant::now() });
				},
				Err(e) => return store_error(e),
			}
		}
		// Take the upload out while writing, so that other uploads proceed meanwhile.
		let Some(mut upload) = uploads.remove(&key) else {
			return error(ErrorCode::BadRequest, "no upload in progress: start at offset 0");
		};
		drop(uploads);
		if offset != upload.next_offset {
			let expected = upload.next_offset;
			self.uploads.lock().expect("not poisoned").insert(key, upload);
			return error(ErrorCode::BadRequest, format!("expected offset {expected}"));
		}
		if let Err(e) = upload.writer.write(&data) {
			return store_error(e);
		}
		upload.next_offset += data.len() as u64;
		upload.last_seen = Instant::now();
		if upload.next_offset < total_len {
			self.uploads.lock().expect("not poisoned").insert(key, upload);
			return Response::Ok { committed: false };
		}
		// The fragment's id is its Merkle root: a foreign or damaged fragment is refused.
		match upload.writer.commit(Some(id)) {
			Ok(_) => Response::Ok { committed: true },
			Err(e) => store_error(e),
		}
	}
}
