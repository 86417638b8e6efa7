//! The manifest: everything needed to find, check and decode a file's fragments, except
//! the key. Versioned SCALE, so that old files stay readable.

use codec::{Decode, DecodeLimit, Encode};

use crate::{
	codec::{new_codec, CodecId},
	crypto::{NONCE_PREFIX_LEN, TAG_LEN},
	Error,
};

/// The most fragments a file may have (bounds decoding of untrusted manifests).
pub const MAX_FRAGMENTS: usize = 1024;

/// The BLAKE2b-256 hash of a manifest's encoding: its name on the network.
pub type ManifestId = [u8; 32];

/// How to encode a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
	pub codec: CodecId,
	/// Fragments needed to restore the file.
	pub k: u16,
	/// Fragments made.
	pub n: u16,
	/// Plaintext bytes per encrypted chunk.
	pub chunk_size: u32,
	/// Ciphertext bytes per stripe.
	pub stripe_size: u32,
	/// Bytes per Merkle leaf of a fragment.
	pub segment_size: u32,
}

impl Default for Params {
	/// Tahoe-LAFS's 3-of-10, 1 MiB stripes, 1 KiB segments, 64 KiB chunks.
	fn default() -> Self {
		Params {
			codec: CodecId::ReedSolomonSimd,
			k: 3,
			n: 10,
			chunk_size: 64 * 1024,
			stripe_size: 1024 * 1024,
			segment_size: 1024,
		}
	}
}

impl Params {
	/// Checks the parameters, including the codec's limits.
	pub fn check(&self) -> Result<(), Error> {
		if self.n as usize > MAX_FRAGMENTS {
			return Err(Error::BadParameters { k: self.k as usize, n: self.n as usize, reason: "n above 1024" });
		}
		new_codec(self.codec, self.k, self.n)?;
		if self.chunk_size == 0 || self.stripe_size < 2 {
			return Err(Error::Manifest("chunk and stripe sizes must be positive".into()));
		}
		if !cairn_primitives::merkle::is_segment_size(self.segment_size) {
			return Err(Error::Manifest(format!(
				"segment size {} is not a power of two of at least 1 KiB (a subtree of the fragment's BLAKE3 tree)",
				self.segment_size
			)));
		}
		if self.stripe_size > 64 * 1024 * 1024 || self.chunk_size > 16 * 1024 * 1024 {
			return Err(Error::Manifest("stripes above 64 MiB or chunks above 16 MiB".into()));
		}
		Ok(())
	}

	/// Ciphertext length of a plaintext of `plain_size` bytes (each chunk gains a tag;
	/// an empty file is one empty last chunk). Saturates for sizes beyond [`MAX_FILE_SIZE`].
	pub fn cipher_size(&self, plain_size: u64) -> u64 {
		let chunks = plain_size.div_ceil(self.chunk_size.max(1) as u64).max(1);
		plain_size.saturating_add(chunks.saturating_mul(TAG_LEN as u64))
	}

	/// The length of each fragment of a file of `plain_size` bytes, in closed form: the
	/// full stripes' shards plus the last stripe's. Files above [`MAX_FILE_SIZE`] are an
	/// error, at once, whatever their size.
	pub fn fragment_size(&self, plain_size: u64) -> Result<u64, Error> {
		if plain_size > MAX_FILE_SIZE {
			return Err(Error::Manifest(format!("files above {MAX_FILE_SIZE} bytes (1 PiB) are not supported")));
		}
		let codec = new_codec(self.codec, self.k, self.n)?;
		let cipher = self.cipher_size(plain_size);
		let stripe = self.stripe_size.max(1) as u64;
		let (full, rest) = (cipher / stripe, cipher % stripe);
		let full_len = full.checked_mul(codec.shard_len(stripe as usize) as u64);
		let rest_len = if rest > 0 { codec.shard_len(rest as usize) as u64 } else { 0 };
		full_len
			.and_then(|f| f.checked_add(rest_len))
			.ok_or_else(|| Error::Manifest("the file's fragments would overflow 64-bit sizes".into()))
	}

	/// The lengths of the stripes of a ciphertext of `cipher_size` bytes.
	pub fn stripes(&self, cipher_size: u64) -> impl Iterator<Item = usize> {
		let stripe = self.stripe_size as u64;
		let full = cipher_size / stripe;
		let rest = cipher_size % stripe;
		(0..full).map(move |_| stripe as usize).chain((rest > 0).then_some(rest as usize))
	}
}

/// The largest file Cairn stores: 1 PiB.
pub const MAX_FILE_SIZE: u64 = 1 << 50;

/// Version 2 of the manifest: fragment roots and the content hash are BLAKE3.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Manifest {
	pub codec: CodecId,
	pub k: u16,
	pub n: u16,
	pub chunk_size: u32,
	pub stripe_size: u32,
	pub segment_size: u32,
	/// Plaintext length.
	pub plain_size: u64,
	/// STREAM nonce prefix.
	pub nonce: [u8; NONCE_PREFIX_LEN],
	/// Length of every fragment.
	pub fragment_size: u64,
	/// Root of each fragment (its BLAKE3 hash), by index.
	pub fragment_roots: Vec<[u8; 32]>,
	/// BLAKE3 of the ciphertext, checked after reconstruction, before decryption.
	pub content_hash: [u8; 32],
}

/// The manifest's versions on the wire. Never reuse an index.
#[derive(Encode, Decode)]
enum Versioned {
	/// BLAKE2b segment trees: no node proves them any more, so such files are refused.
	#[codec(index = 1)]
	V1(Manifest),
	#[codec(index = 2)]
	V2(Manifest),
}

impl Manifest {
	/// The encoding parameters this manifest was made with.
	pub fn params(&self) -> Params {
		Params {
			codec: self.codec,
			k: self.k,
			n: self.n,
			chunk_size: self.chunk_size,
			stripe_size: self.stripe_size,
			segment_size: self.segment_size,
		}
	}

	/// Length of the ciphertext.
	pub fn cipher_size(&self) -> u64 {
		self.params().cipher_size(self.plain_size)
	}

	/// The versioned encoding.
	pub fn to_bytes(&self) -> Vec<u8> {
		Versioned::V2(self.clone()).encode()
	}

	/// Decodes and checks an untrusted manifest.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let manifest = match Versioned::decode_all_with_depth_limit(8, &mut &bytes[..])
			.map_err(|e| Error::Manifest(e.to_string()))?
		{
			Versioned::V2(manifest) => manifest,
			Versioned::V1(_) => {
				return Err(Error::Manifest(
					"manifest version 1 (BLAKE2b fragment trees) is not supported since the chain proves BLAKE3 trees; \
					 store the file again"
						.into(),
				))
			},
		};
		manifest.check()?;
		Ok(manifest)
	}

	/// The manifest's id.
	pub fn id(&self) -> ManifestId {
		blake2b_256(&self.to_bytes())
	}

	/// Checks that the fields agree with each other.
	pub fn check(&self) -> Result<(), Error> {
		self.params().check()?;
		if self.fragment_roots.len() != self.n as usize {
			return Err(Error::Manifest(format!("{} fragment roots for n = {}", self.fragment_roots.len(), self.n)));
		}
		if self.plain_size > (1 << 50) {
			return Err(Error::Manifest("file larger than 1 PiB".into()));
		}
		if self.fragment_size != self.expected_fragment_size()? {
			return Err(Error::Manifest("fragment size does not match the file size".into()));
		}
		Ok(())
	}

	/// The fragment length that the sizes and codec imply.
	pub fn expected_fragment_size(&self) -> Result<u64, Error> {
		self.params().fragment_size(self.plain_size)
	}
}

pub(crate) use cairn_primitives::blake2_256 as blake2b_256;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fragment_size_in_closed_form_matches_the_stripes() {
		for codec in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
			let params = Params { codec, stripe_size: 4096, chunk_size: 1000, ..Params::default() };
			let shards = new_codec(codec, params.k, params.n).unwrap();
			for size in [0u64, 1, 999, 1000, 4095, 4096, 4097, 12_345, 1 << 20, (1 << 20) + 17] {
				let by_stripe: u64 = params.stripes(params.cipher_size(size)).map(|s| shards.shard_len(s) as u64).sum();
				assert_eq!(params.fragment_size(size).unwrap(), by_stripe, "{codec:?}, {size} bytes");
			}
		}
	}

	#[test]
	fn segments_must_be_blake3_subtrees() {
		for segment_size in [0, 512, 1000, 1536, 3072] {
			let err = Params { segment_size, ..Params::default() }.check().unwrap_err();
			assert!(err.to_string().contains("power of two"), "{segment_size}: {err}");
		}
		for segment_size in [1024, 4096, 64 * 1024] {
			assert!(Params { segment_size, ..Params::default() }.check().is_ok());
		}
	}

	#[test]
	fn version_1_manifests_are_refused_with_a_reason() {
		let params = Params::default();
		let manifest = Manifest {
			codec: params.codec,
			k: params.k,
			n: params.n,
			chunk_size: params.chunk_size,
			stripe_size: params.stripe_size,
			segment_size: params.segment_size,
			plain_size: 0,
			nonce: [0; NONCE_PREFIX_LEN],
			fragment_size: params.fragment_size(0).unwrap(),
			fragment_roots: alloc_roots(params.n),
			content_hash: [0; 32],
		};
		assert_eq!(Manifest::from_bytes(&manifest.to_bytes()).unwrap(), manifest);
		let v1 = Versioned::V1(manifest).encode();
		let err = Manifest::from_bytes(&v1).unwrap_err().to_string();
		assert!(err.contains("version 1") && err.contains("store the file again"), "{err}");
	}

	fn alloc_roots(n: u16) -> Vec<[u8; 32]> {
		(0..n).map(|i| [i as u8; 32]).collect()
	}

	#[test]
	fn huge_sizes_are_an_error_at_once() {
		let params = Params::default();
		assert!(params.fragment_size(MAX_FILE_SIZE).is_ok());
		for size in [MAX_FILE_SIZE + 1, 1 << 60, u64::MAX] {
			assert!(params.fragment_size(size).unwrap_err().to_string().contains("not supported"));
		}
	}
}
