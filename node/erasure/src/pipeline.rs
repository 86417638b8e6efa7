//! Streaming encode and decode. Memory is bounded by a few stripes, whatever the file size.

use std::{
	io::{Read, Write},
	sync::mpsc,
};

use crate::{
	codec::{new_codec, Codec},
	crypto::{random_nonce, Decryptor, Encryptor, FileKey, TAG_LEN},
	manifest::{Manifest, Params},
	Error,
};

/// The result of encoding: the manifest (public) and the key (secret).
#[derive(Debug)]
pub struct Encoded {
	pub manifest: Manifest,
	pub key: FileKey,
}

/// Stripes in flight between the encryption thread and the coder.
const STRIPES_IN_FLIGHT: usize = 2;

/// Hashes a fragment as it streams by: its root is its BLAKE3 hash, the root of the tree
/// the chain proves segments against, whatever the segment size.
#[derive(Default)]
struct FragmentHasher {
	hasher: blake3::Hasher,
	len: u64,
}

impl FragmentHasher {
	fn update(&mut self, data: &[u8]) {
		self.len += data.len() as u64;
		self.hasher.update(data);
	}

	fn finish(self) -> ([u8; 32], u64) {
		(*self.hasher.finalize().as_bytes(), self.len)
	}
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
	let mut filled = 0;
	while filled < buf.len() {
		match input.read(&mut buf[filled..]) {
			Ok(0) => break,
			Ok(n) => filled += n,
			Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {},
			Err(e) => return Err(e),
		}
	}
	Ok(filled)
}

/// Encrypts `input` and cuts the ciphertext into stripes, sent to `stripes`. Returns the
/// plaintext size and the ciphertext hash.
fn encrypt_into_stripes(
	mut input: impl Read,
	params: &Params,
	key: &FileKey,
	nonce: &[u8; crate::NONCE_PREFIX_LEN],
	stripes: mpsc::SyncSender<Vec<u8>>,
) -> Result<(u64, [u8; 32]), Error> {
	let chunk_size = params.chunk_size as usize;
	let stripe_size = params.stripe_size as usize;
	let mut encryptor = Encryptor::new(key, nonce);
	let mut content = blake3::Hasher::new();
	let mut stripe = Vec::with_capacity(stripe_size);
	let mut plain_size = 0u64;

	// One chunk of look-ahead tells whether the current chunk is the last.
	let mut current = vec![0u8; chunk_size];
	let mut current_len = read_full(&mut input, &mut current)?;
	loop {
		let mut next = vec![0u8; chunk_size];
		let next_len = if current_len == chunk_size { read_full(&mut input, &mut next)? } else { 0 };
		let last = next_len == 0;
		current.truncate(current_len);
		plain_size += current_len as u64;
		current.reserve(TAG_LEN);
		encryptor.seal(&mut current, last)?;
		content.update(&current);

		let mut sealed = &current[..];
		while !sealed.is_empty() {
			let take = (stripe_size - stripe.len()).min(sealed.len());
			stripe.extend_from_slice(&sealed[..take]);
			sealed = &sealed[take..];
			if stripe.len() == stripe_size {
				let full = std::mem::replace(&mut stripe, Vec::with_capacity(stripe_size));
				if stripes.send(full).is_err() {
					return Err(Error::Corrupt("coder stopped"));
				}
			}
		}
		if last {
			break;
		}
		current = next;
		current_len = next_len;
	}
	if !stripe.is_empty() && stripes.send(stripe).is_err() {
		return Err(Error::Corrupt("coder stopped"));
	}
	Ok((plain_size, *content.finalize().as_bytes()))
}

/// Encrypts, stripes and erasure-codes `input`, writing fragment i to `sinks[i]`.
///
/// Three stages run at once: encryption (its own thread), coding, and hashing of the
/// fragments (split over two threads per stripe).
pub fn encode<R: Read + Send, W: Write + Send>(input: R, params: &Params, sinks: &mut [W]) -> Result<Encoded, Error> {
	params.check()?;
	if sinks.len() != params.n as usize {
		return Err(Error::BadParameters {
			k: params.k as usize,
			n: params.n as usize,
			reason: "need one sink per fragment",
		});
	}
	let key = FileKey::random();
	let nonce = random_nonce();
	let mut codec = new_codec(params.codec, params.k, params.n)?;
	let mut hashers: Vec<FragmentHasher> = (0..params.n).map(|_| FragmentHasher::default()).collect();

	let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(STRIPES_IN_FLIGHT);
	let (plain_size, content_hash) = std::thread::scope(|scope| -> Result<_, Error> {
		let encryptor = scope.spawn(|| encrypt_into_stripes(input, params, &key, &nonce, tx));
		let coded = (|| -> Result<(), Error> {
			for stripe in rx.iter() {
				codec.encode(&stripe, &mut |shards| {
					let half = shards.len() / 2;
					let (first_hashers, second_hashers) = hashers.split_at_mut(half);
					std::thread::scope(|inner| {
						inner.spawn(|| {
							for (h, s) in first_hashers.iter_mut().zip(&shards[..half]) {
								h.update(s);
							}
						});
						for (h, s) in second_hashers.iter_mut().zip(&shards[half..]) {
							h.update(s);
						}
					});
					for (sink, shard) in sinks.iter_mut().zip(shards) {
						sink.write_all(shard)?;
					}
					Ok(())
				})?;
			}
			Ok(())
		})();
		// Drop the receiver so that a failed coder stops the encryptor too.
		drop(rx);
		let encrypted = encryptor.join().map_err(|_| Error::Corrupt("encryption thread panicked"))?;
		coded?;
		encrypted
	})?;
	for sink in sinks.iter_mut() {
		sink.flush()?;
	}

	let mut fragment_size = 0;
	let fragment_roots = hashers
		.into_iter()
		.map(|h| {
			let (root, len) = h.finish();
			fragment_size = len;
			root
		})
		.collect();
	let manifest = Manifest {
		codec: params.codec,
		k: params.k,
		n: params.n,
		chunk_size: params.chunk_size,
		stripe_size: params.stripe_size,
		segment_size: params.segment_size,
		plain_size,
		nonce,
		fragment_size,
		fragment_roots,
		content_hash,
	};
	debug_assert!(manifest.check().is_ok());
	Ok(Encoded { manifest, key })
}

/// The root (BLAKE3 hash) and length of a fragment read from `input`.
pub fn fragment_root(mut input: impl Read) -> Result<([u8; 32], u64), Error> {
	let mut hasher = FragmentHasher::default();
	let mut buf = vec![0u8; 256 * 1024];
	loop {
		let n = read_full(&mut input, &mut buf)?;
		if n == 0 {
			break;
		}
		hasher.update(&buf[..n]);
	}
	Ok(hasher.finish())
}

/// Checks fragment `index` against the manifest: its length and its Merkle root.
pub fn verify_fragment(manifest: &Manifest, index: usize, input: impl Read) -> Result<(), Error> {
	let verifier = FragmentVerifier::new(manifest, index)?;
	let (root, len) = fragment_root(input)?;
	verifier.check(root, len)
}

/// Checks fragment `index` against the manifest as its bytes go by, so that a download is
/// verified without reading it a second time.
pub struct FragmentVerifier {
	index: usize,
	expected_root: [u8; 32],
	expected_len: u64,
	hasher: FragmentHasher,
}

impl FragmentVerifier {
	/// A verifier for fragment `index` of `manifest`.
	pub fn new(manifest: &Manifest, index: usize) -> Result<Self, Error> {
		let expected_root = *manifest.fragment_roots.get(index).ok_or(Error::FragmentMismatch { index })?;
		Ok(Self {
			index,
			expected_root,
			expected_len: manifest.fragment_size,
			hasher: FragmentHasher::default(),
		})
	}

	/// Feeds the next bytes of the fragment.
	pub fn update(&mut self, data: &[u8]) {
		self.hasher.update(data);
	}

	/// Whether the bytes fed so far are the whole fragment, with the manifest's root.
	pub fn finish(mut self) -> Result<(), Error> {
		let hasher = std::mem::take(&mut self.hasher);
		let (root, len) = hasher.finish();
		self.check(root, len)
	}

	fn check(&self, root: [u8; 32], len: u64) -> Result<(), Error> {
		if len != self.expected_len {
			return Err(Error::FragmentSize { index: self.index, len, expected: self.expected_len });
		}
		if root != self.expected_root {
			return Err(Error::FragmentMismatch { index: self.index });
		}
		Ok(())
	}
}

/// Restores the file from fragments, writing the plaintext to `out`.
///
/// `fragments[i]` is fragment i if present. Fragments must have been checked with
/// [`verify_fragment`] first; only as many as the codec needs are read.
pub fn decode<R: Read + Send, W: Write>(
	manifest: &Manifest,
	key: &FileKey,
	mut fragments: Vec<Option<R>>,
	mut out: W,
) -> Result<(), Error> {
	manifest.check()?;
	let params = manifest.params();
	let mut codec: Box<dyn Codec> = new_codec(params.codec, params.k, params.n)?;
	let need = crate::codec::fragments_needed(params.codec, params.k, params.n);
	fragments.resize_with(params.n as usize, || None);
	let have = fragments.iter().flatten().count();
	if have < need {
		return Err(Error::NotEnoughFragments { have, need });
	}
	// Read only the first `need` fragments; the rest stay unread.
	let mut used = 0;
	for f in fragments.iter_mut() {
		if f.is_some() {
			if used == need {
				*f = None;
			} else {
				used += 1;
			}
		}
	}

	let sealed_chunk = params.chunk_size as usize + TAG_LEN;
	let cipher_size = manifest.cipher_size();
	let mut decryptor = Decryptor::new(key, &manifest.nonce);
	let mut content = blake3::Hasher::new();
	let mut pending: Vec<u8> = Vec::with_capacity(sealed_chunk * 2);
	let mut consumed = 0u64;

	// Two stages on two threads of about equal cost: reading, erasure decoding and hashing
	// stripes; then decrypting and writing them.
	let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(STRIPES_IN_FLIGHT);
	std::thread::scope(|scope| -> Result<(), Error> {
		let content = &mut content;
		let coder = scope.spawn(move || -> Result<(), Error> {
			// Each fragment's shard buffer is reused from stripe to stripe.
			let mut shards: Vec<Option<Vec<u8>>> = fragments.iter().map(|f| f.as_ref().map(|_| Vec::new())).collect();
			for stripe_len in params.stripes(cipher_size) {
				let shard_len = codec.shard_len(stripe_len);
				for (fragment, shard) in fragments.iter_mut().zip(shards.iter_mut()) {
					if let (Some(reader), Some(shard)) = (fragment, shard) {
						shard.resize(shard_len, 0);
						if read_full(reader, shard)? != shard_len {
							return Err(Error::Corrupt("fragment ended early"));
						}
					}
				}
				let mut stripe = Vec::new();
				codec.decode(&shards, stripe_len, &mut stripe)?;
				content.update(&stripe);
				if tx.send(stripe).is_err() {
					// The writer stopped; it reports why.
					return Ok(());
				}
			}
			Ok(())
		});
		let written = (|| -> Result<(), Error> {
			for stripe in rx.iter() {
				consumed += stripe.len() as u64;
				pending.extend_from_slice(&stripe);

				// Decrypt every whole sealed chunk; keep the last one until the end.
				let mut start = 0;
				while pending.len() - start > sealed_chunk
					|| (pending.len() - start == sealed_chunk && consumed < cipher_size)
				{
					let mut chunk = pending[start..start + sealed_chunk].to_vec();
					decryptor.open(&mut chunk, false)?;
					out.write_all(&chunk)?;
					start += sealed_chunk;
				}
				pending.drain(..start);
			}
			Ok(())
		})();
		drop(rx);
		let decoded = coder.join().map_err(|_| Error::Corrupt("decoding thread panicked"))?;
		decoded?;
		written
	})?;
	if consumed != cipher_size {
		return Err(Error::Corrupt("fragments ended early"));
	}
	if *content.finalize().as_bytes() != manifest.content_hash {
		return Err(Error::ContentHash);
	}
	decryptor.open(&mut pending, true)?;
	out.write_all(&pending)?;
	out.flush()?;
	Ok(())
}
