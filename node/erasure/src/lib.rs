//! Files as encrypted, erasure-coded, verifiable fragments.
//!
//! The pipeline, in bounded memory:
//!
//! ```text
//! file -> XChaCha20-Poly1305 STREAM (random key, 64 KiB chunks) -> 1 MiB stripes
//!      -> k-of-n erasure code per stripe -> fragment i = shard i of every stripe
//!      -> Merkle root per fragment over 1 KiB segments (cairn-primitives)
//!      -> Manifest + read capability (manifest id + key)
//! ```
//!
//! Reconstruction takes any k fragments, each checked against its root before use.

mod capability;
pub mod codec;
pub mod crypto;
mod manifest;
mod pipeline;

pub use capability::ReadCapability;
pub use codec::{new_codec, Codec, CodecId};
pub use crypto::{FileKey, KEY_LEN, NONCE_PREFIX_LEN};
pub use manifest::{Manifest, ManifestId, Params, MAX_FILE_SIZE, MAX_FRAGMENTS};
pub use pipeline::{decode, encode, fragment_root, verify_fragment, Encoded, FragmentVerifier};

/// What can go wrong when encoding, checking or decoding a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("unknown codec {0:?}: use `simd` or `novelpoly`")]
	UnknownCodec(String),
	#[error("bad erasure parameters k={k}, n={n}: {reason}")]
	BadParameters { k: usize, n: usize, reason: &'static str },
	#[error("not enough good fragments: have {have}, need {need}")]
	NotEnoughFragments { have: usize, need: usize },
	#[error("fragment {index} has a shard of {len} bytes, expected {expected}")]
	ShardLength { index: usize, len: usize, expected: usize },
	#[error("fragment {index} does not match its Merkle root")]
	FragmentMismatch { index: usize },
	#[error("fragment {index} has {len} bytes, the manifest says {expected}")]
	FragmentSize { index: usize, len: u64, expected: u64 },
	#[error("decryption failed: wrong key or tampered data")]
	Decryption,
	#[error("the restored file does not match the manifest's content hash")]
	ContentHash,
	#[error("malformed manifest: {0}")]
	Manifest(String),
	#[error("malformed capability: {0}")]
	Capability(&'static str),
	#[error("corrupt data: {0}")]
	Corrupt(&'static str),
	#[error("erasure code failed: {0}")]
	Code(String),
	#[error("I/O: {0}")]
	Io(#[from] std::io::Error),
}

impl Error {
	fn simd(e: reed_solomon_simd::Error) -> Self {
		Error::Code(e.to_string())
	}
	fn novelpoly(e: reed_solomon_novelpoly::Error) -> Self {
		Error::Code(e.to_string())
	}
}
