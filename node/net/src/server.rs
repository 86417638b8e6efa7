//! Answers `/cairn/fragment/2` requests from the store, on blocking threads, within limits.
//!
//! - At most [`Limits::max_inflight`] requests are answered at once; more are refused with
//!   `Busy` at once, without queueing.
//! - Every upload writes into a staging slot of its own (see `cairn-store`); the first
//!   complete, root-checked one commits. The admission (e.g. "a pending contract names
//!   this fragment and its client signed this upload") is checked when an upload starts
//!   and again before it commits.
//! - Uploads that idle or go slower than the floor are dropped by a sweep every second,
//!   which releases their reservation.

use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc, Mutex,
	},
	time::Instant,
};

use cairn_store::{FragmentWriter, Store};
use libp2p::{
	request_response::{InboundRequestId, ResponseChannel},
	PeerId,
};
use tokio::sync::mpsc::UnboundedSender;

use crate::{
	protocol::{ErrorCode, Request, Response, UploadAuth, MAX_CHUNK},
	Admission, Limits, Refusal, UploadRequest,
};

/// Uploads of one fragment under one contract at once (a retry racing the first try).
const MAX_UPLOADS_PER_FRAGMENT: usize = 2;

/// One of [`Limits::max_uploads`], held by an upload for its whole life, also while one
/// of its chunks is being written outside the map.
struct UploadSlot(Arc<AtomicUsize>);

impl UploadSlot {
	fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
		count
			.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
			.ok()
			.map(|_| UploadSlot(count.clone()))
	}
}

impl Drop for UploadSlot {
	fn drop(&mut self) {
		self.0.fetch_sub(1, Ordering::AcqRel);
	}
}

struct Upload {
	_slot: UploadSlot,
	writer: FragmentWriter,
	auth: Option<UploadAuth>,
	segment_size: u32,
	next_offset: u64,
	started: Instant,
	last_seen: Instant,
}

impl Upload {
	/// Whether the upload idled too long or went slower than the floor.
	fn too_slow(&self, limits: &Limits, now: Instant) -> bool {
		if now.duration_since(self.last_seen) > limits.upload_idle {
			return true;
		}
		let Some(rated) = now.duration_since(self.started).checked_sub(limits.rate_grace) else {
			return false;
		};
		(self.next_offset as u128) < limits.min_upload_rate as u128 * rated.as_millis() / 1000
	}
}

#[derive(Clone)]
pub(crate) struct Server {
	store: Option<Store>,
	admission: Option<Arc<dyn Admission>>,
	limits: Limits,
	uploads: Arc<Mutex<HashMap<(PeerId, [u8; 32]), Upload>>>,
	inflight: Arc<AtomicUsize>,
	/// Uploads alive, in the map or being written.
	active_uploads: Arc<AtomicUsize>,
	/// Permits of 1 KiB of response data not yet sent.
	outbound: Arc<tokio::sync::Semaphore>,
	chain_spec: Option<crate::ChainSpecSource>,
}

/// Bytes of a response not yet sent, counted against [`Limits::max_outbound_bytes`].
pub(crate) type Permit = tokio::sync::OwnedSemaphorePermit;

type Done = UnboundedSender<(InboundRequestId, ResponseChannel<Response>, Response, Option<Permit>)>;

fn error(code: ErrorCode, message: impl Into<String>) -> Response {
	Response::Error { code, message: message.into() }
}

fn refusal(r: Refusal) -> Response {
	match r {
		Refusal::Retry(message) => error(ErrorCode::Refused, message),
		Refusal::Unauthorized(message) => error(ErrorCode::Unauthorized, message),
	}
}

fn store_error(e: cairn_store::Error) -> Response {
	use cairn_store::Error as E;
	let code = match &e {
		E::Full { .. } | E::NoSpace(_) => ErrorCode::Full,
		E::NotFound => ErrorCode::NotFound,
		E::RootMismatch => ErrorCode::RootMismatch,
		E::LengthMismatch { .. } | E::SegmentSize(_) | E::SegmentOutOfRange { .. } | E::BlobTooLarge(_) => {
			ErrorCode::BadRequest
		},
		E::AlreadyStored => ErrorCode::Busy,
		_ => ErrorCode::Internal,
	};
	error(code, e.to_string())
}

impl Server {
	pub(crate) fn new(
		store: Option<Store>,
		admission: Option<Arc<dyn Admission>>,
		limits: Limits,
		chain_spec: Option<crate::ChainSpecSource>,
	) -> Self {
		// At least one download's chunks in flight, so a small budget slows a client
		// down (`Busy`, asked again) instead of refusing it for good.
		let floor = crate::GETS_IN_FLIGHT * MAX_CHUNK as usize;
		let outbound = Arc::new(tokio::sync::Semaphore::new(limits.max_outbound_bytes.max(floor) / 1024));
		Server {
			store,
			admission,
			limits,
			uploads: Default::default(),
			inflight: Default::default(),
			active_uploads: Default::default(),
			outbound,
			chain_spec,
		}
	}

	fn uploads(&self) -> std::sync::MutexGuard<'_, HashMap<(PeerId, [u8; 32]), Upload>> {
		self.uploads.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Answers on a blocking thread and hands the response back to the swarm task; refuses
	/// at once when `max_inflight` requests are being answered.
	pub(crate) fn handle(
		&self,
		peer: PeerId,
		id: InboundRequestId,
		request: Request,
		channel: ResponseChannel<Response>,
		done: Done,
	) {
		if self.inflight.fetch_add(1, Ordering::AcqRel) >= self.limits.max_inflight {
			self.inflight.fetch_sub(1, Ordering::AcqRel);
			let _ = done.send((id, channel, error(ErrorCode::Busy, "the provider is busy; try again shortly"), None));
			return;
		}
		// Fragment data waits in memory until the peer reads it: counted before it is read,
		// for a length the answer may have (others are refused as such, not as busy).
		let permit = match &request {
			Request::Get { len, .. } | Request::GetChainSpec { len, .. } if *len == 0 || *len > MAX_CHUNK => None,
			Request::Get { len, .. } | Request::GetChainSpec { len, .. } => {
				match self.outbound.clone().try_acquire_many_owned(len.div_ceil(1024).max(1)) {
					Ok(permit) => Some(permit),
					Err(_) => {
						self.inflight.fetch_sub(1, Ordering::AcqRel);
						let busy = error(ErrorCode::Busy, "the provider is sending too much; try again shortly");
						let _ = done.send((id, channel, busy, None));
						return;
					},
				}
			},
			_ => None,
		};
		let server = self.clone();
		tokio::task::spawn_blocking(move || {
			let response = server.answer(peer, request);
			server.inflight.fetch_sub(1, Ordering::AcqRel);
			let _ = done.send((id, channel, response, permit));
		});
	}

	/// Drops uploads that idled or went slower than the floor (on a blocking thread: a
	/// dropped upload's slot is deleted from the store).
	pub(crate) fn sweep(&self) {
		let now = Instant::now();
		let dropped: Vec<Upload> = {
			let mut uploads = self.uploads();
			let slow: Vec<_> = uploads.iter().filter(|(_, u)| u.too_slow(&self.limits, now)).map(|(k, _)| *k).collect();
			slow.iter().filter_map(|k| uploads.remove(k)).collect()
		};
		if !dropped.is_empty() {
			log::debug!("cairn-net: dropped {} slow or idle uploads", dropped.len());
			tokio::task::spawn_blocking(move || drop(dropped));
		}
	}

	fn answer(&self, peer: PeerId, request: Request) -> Response {
		match (request, &self.store) {
			// Also a node that stores nothing serves its chain specification.
			(Request::GetChainSpec { offset, len }, _) => self.chain_spec(offset, len),
			(request, Some(store)) => self.answer_from(store, peer, request),
			(_, None) => error(ErrorCode::Refused, "this peer stores no fragments"),
		}
	}

	fn answer_from(&self, store: &Store, peer: PeerId, request: Request) -> Response {
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
			Request::Put { id, total_len, segment_size, offset, data, auth } => {
				self.put(store, peer, id, total_len, segment_size, offset, data, auth)
			},
			Request::PutManifest { id, manifest, contract } => {
				if manifest.len() > cairn_store::MAX_BLOB {
					return error(ErrorCode::BadRequest, "manifest too large");
				}
				if cairn_primitives::blake2_256(&manifest) != id {
					return error(ErrorCode::BadRequest, "manifest does not hash to its id");
				}
				if let Some(admission) = &self.admission {
					if let Err(r) = admission.admit_manifest(&id, contract) {
						return refusal(r);
					}
				}
				match store.put_blob(&id, &manifest) {
					Ok(_) => Response::Ok { committed: true },
					Err(e) => store_error(e),
				}
			},
			Request::GetManifest { id } => match store.get_blob(&id) {
				Ok(m) => Response::Manifest(m),
				Err(e) => store_error(e),
			},
			Request::GetChainSpec { offset, len } => self.chain_spec(offset, len),
		}
	}

	/// `len` bytes of the chain specification from `offset` (all of it may be asked for in
	/// parts, never more than [`MAX_CHUNK`] at once).
	fn chain_spec(&self, offset: u64, len: u32) -> Response {
		let Some(source) = &self.chain_spec else {
			return error(ErrorCode::NotFound, "this peer serves no chain specification");
		};
		if len == 0 || len > MAX_CHUNK {
			return error(ErrorCode::BadRequest, format!("read length must be 1..={MAX_CHUNK}"));
		}
		let spec = match source() {
			Ok(spec) => spec,
			Err(e) => return error(ErrorCode::Internal, format!("cannot make the chain specification: {e}")),
		};
		let total = spec.len() as u64;
		if offset > total {
			return error(ErrorCode::BadRequest, "offset past the end");
		}
		let end = total.min(offset + len as u64);
		Response::ChainSpec { total, data: spec[offset as usize..end as usize].to_vec() }
	}

	fn admit(&self, id: &[u8; 32], len: u64, segment_size: u32, auth: Option<&UploadAuth>) -> Result<(), Response> {
		match &self.admission {
			Some(admission) => admission.admit(&UploadRequest { id, len, segment_size, auth }).map_err(refusal),
			None => Ok(()),
		}
	}

	/// Starts an upload: checks the admission and the limits, opens a staging slot.
	fn start(
		&self,
		store: &Store,
		peer: PeerId,
		id: [u8; 32],
		total_len: u64,
		segment_size: u32,
		auth: Option<UploadAuth>,
	) -> Result<Option<Upload>, Response> {
		// Admission first: "already stored" is an answer only for an upload it admits.
		self.admit(&id, total_len, segment_size, auth.as_ref())?;
		match store.meta(&id) {
			Ok(Some(meta)) if meta.root == id && meta.len == total_len && meta.segment_size == segment_size => {
				return Ok(None)
			},
			Ok(_) => {},
			Err(e) => return Err(store_error(e)),
		}
		{
			let uploads = self.uploads();
			if uploads.keys().filter(|(p, _)| *p == peer).count() >= self.limits.max_uploads_per_peer {
				return Err(error(ErrorCode::Busy, "too many unfinished uploads from this peer"));
			}
			// A client's retry may race its first attempt, no more: peer ids are free, so
			// one contract must not hold many slots (and reservations).
			let contract = auth.as_ref().map(|a| a.contract);
			let same =
				uploads.values().filter(|u| u.writer.id() == id && u.auth.as_ref().map(|a| a.contract) == contract);
			if same.count() >= MAX_UPLOADS_PER_FRAGMENT {
				return Err(error(ErrorCode::Busy, "this fragment is already being uploaded; try again shortly"));
			}
		}
		let slot = UploadSlot::take(&self.active_uploads, self.limits.max_uploads)
			.ok_or_else(|| error(ErrorCode::Busy, "too many uploads in progress; try again shortly"))?;
		let writer = store.writer(id, total_len, segment_size).map_err(store_error)?;
		let now = Instant::now();
		Ok(Some(Upload { _slot: slot, writer, auth, segment_size, next_offset: 0, started: now, last_seen: now }))
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
		auth: Option<UploadAuth>,
	) -> Response {
		if data.is_empty() && total_len > 0 {
			return error(ErrorCode::BadRequest, "empty chunk");
		}
		let key = (peer, id);
		// Take the upload out while writing, so that other uploads proceed meanwhile.
		let mut upload = if offset == 0 {
			// Offset 0 (re)starts the upload; a previous one of this peer is dropped (after
			// the lock is released: dropping a writer deletes its slot).
			let previous = self.uploads().remove(&key);
			drop(previous);
			match self.start(store, peer, id, total_len, segment_size, auth) {
				Ok(Some(upload)) => upload,
				Ok(None) => return Response::Ok { committed: true },
				Err(response) => return response,
			}
		} else {
			match self.uploads().remove(&key) {
				Some(upload) => upload,
				None => {
					return error(
						ErrorCode::TooSlow,
						format!(
							"no upload of this fragment in progress (uploads idle for {} s or slower than {} B/s \
							 are dropped): start again at offset 0",
							self.limits.upload_idle.as_secs(),
							self.limits.min_upload_rate
						),
					)
				},
			}
		};
		if offset != upload.next_offset || total_len != upload.writer.announced() || segment_size != upload.segment_size
		{
			let expected = upload.next_offset;
			let replaced = self.uploads().insert(key, upload);
			drop(replaced);
			return error(ErrorCode::BadRequest, format!("expected offset {expected} of the same fragment"));
		}
		if let Err(e) = upload.writer.write(&data) {
			return store_error(e);
		}
		upload.next_offset += data.len() as u64;
		upload.last_seen = Instant::now();
		if upload.next_offset < total_len {
			let replaced = self.uploads().insert(key, upload);
			drop(replaced);
			return Response::Ok { committed: false };
		}
		// The contract may have ended while the bytes came in.
		if let Err(response) = self.admit(&id, total_len, segment_size, upload.auth.as_ref()) {
			return response;
		}
		// The fragment's id is its Merkle root: a foreign or damaged fragment is refused. If
		// another upload of the same root committed first, the fragment is there all the same.
		match upload.writer.commit(Some(id)) {
			Ok(_) | Err(cairn_store::Error::AlreadyStored) => Response::Ok { committed: true },
			Err(e) => store_error(e),
		}
	}
}
