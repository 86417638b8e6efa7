//! Chunked authenticated encryption: XChaCha20-Poly1305 in the STREAM construction
//! (Hoang, Reyhanitabar, Rogaway, Vizár), as the `aead` crate implements it. Each chunk
//! carries its own tag and position, and the last chunk is marked, so that truncation,
//! reordering and tampering are all detected.

use chacha20poly1305::{
	aead::{
		stream::{DecryptorBE32, EncryptorBE32},
		KeyInit,
	},
	XChaCha20Poly1305,
};
use rand::RngCore;

use crate::Error;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// STREAM's nonce prefix: the 24-byte XChaCha nonce less 5 bytes of counter and flag.
pub const NONCE_PREFIX_LEN: usize = 19;
/// Bytes the tag adds to each chunk.
pub const TAG_LEN: usize = 16;

/// A file's random symmetric key.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey(pub [u8; KEY_LEN]);

impl std::fmt::Debug for FileKey {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("FileKey(..)")
	}
}

impl FileKey {
	/// A fresh key from the operating system's random source.
	pub fn random() -> Self {
		let mut key = [0u8; KEY_LEN];
		rand::rngs::OsRng.fill_bytes(&mut key);
		FileKey(key)
	}
}

/// A fresh nonce prefix.
pub fn random_nonce() -> [u8; NONCE_PREFIX_LEN] {
	let mut nonce = [0u8; NONCE_PREFIX_LEN];
	rand::rngs::OsRng.fill_bytes(&mut nonce);
	nonce
}

/// Encrypts a file chunk by chunk.
pub struct Encryptor(Option<EncryptorBE32<XChaCha20Poly1305>>);

impl Encryptor {
	pub fn new(key: &FileKey, nonce: &[u8; NONCE_PREFIX_LEN]) -> Self {
		let aead = XChaCha20Poly1305::new(&key.0.into());
		Encryptor(Some(EncryptorBE32::from_aead(aead, nonce.into())))
	}

	/// Encrypts a chunk in place (the tag is appended); `last` for the final chunk.
	pub fn seal(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<(), Error> {
		if last {
			let enc = self.0.take().ok_or(Error::Corrupt("chunk after the last"))?;
			enc.encrypt_last_in_place(&[], chunk).map_err(|_| Error::Corrupt("encryption"))
		} else {
			let enc = self.0.as_mut().ok_or(Error::Corrupt("chunk after the last"))?;
			enc.encrypt_next_in_place(&[], chunk).map_err(|_| Error::Corrupt("encryption"))
		}
	}
}

/// Decrypts what [`Encryptor`] produced.
pub struct Decryptor(Option<DecryptorBE32<XChaCha20Poly1305>>);

impl Decryptor {
	pub fn new(key: &FileKey, nonce: &[u8; NONCE_PREFIX_LEN]) -> Self {
		let aead = XChaCha20Poly1305::new(&key.0.into());
		Decryptor(Some(DecryptorBE32::from_aead(aead, nonce.into())))
	}

	/// Decrypts a sealed chunk in place; fails on a wrong key or any change.
	pub fn open(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<(), Error> {
		if last {
			let dec = self.0.take().ok_or(Error::Decryption)?;
			dec.decrypt_last_in_place(&[], chunk).map_err(|_| Error::Decryption)
		} else {
			let dec = self.0.as_mut().ok_or(Error::Decryption)?;
			dec.decrypt_next_in_place(&[], chunk).map_err(|_| Error::Decryption)
		}
	}
}
