//! TPM2_MakeCredential in software: what a challenger sends so that only the TPM holding
//! the EK, and only for the AK of the given name, recovers the secret.

use alloc::vec::Vec;

use aes::cipher::{AsyncStreamCipher, KeyIvInit};
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use rsa::{BigUint, Oaep, RsaPublicKey};
use sha2::Sha256;

use crate::{cert::EK_MODULUS_LEN, tpm::Name, Error};

/// A credential for ActivateCredential: TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET
/// contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
	pub id_object: Vec<u8>,
	pub encrypted_secret: Vec<u8>,
}

/// KDFa (TPM 2.0 part 1, 11.4.10.2) with HMAC-SHA256.
pub fn kdfa(key: &[u8], label: &[u8], context_u: &[u8], context_v: &[u8], bits: u32) -> Vec<u8> {
	let bytes = bits.div_ceil(8) as usize;
	let mut out = Vec::with_capacity(bytes + 32);
	let mut counter = 1u32;
	while out.len() < bytes {
		let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
		mac.update(&counter.to_be_bytes());
		mac.update(label);
		mac.update(&[0]);
		mac.update(context_u);
		mac.update(context_v);
		mac.update(&bits.to_be_bytes());
		out.extend_from_slice(&mac.finalize().into_bytes());
		counter += 1;
	}
	out.truncate(bytes);
	out
}

/// The ID object for `secret` bound to `ak_name`, protected with `seed`.
pub fn id_object(seed: &[u8; 32], ak_name: &Name, secret: &[u8]) -> Result<Vec<u8>, Error> {
	if secret.len() > 32 {
		return Err(Error::SecretTooLong);
	}
	let key = kdfa(seed, b"STORAGE", ak_name, &[], 128);
	let mut identity = Vec::with_capacity(2 + secret.len());
	identity.extend_from_slice(&(secret.len() as u16).to_be_bytes());
	identity.extend_from_slice(secret);
	cfb_mode::Encryptor::<aes::Aes128>::new_from_slices(&key, &[0u8; 16])
		.map_err(|_| Error::Encryption)?
		.encrypt(&mut identity);
	let integrity = kdfa(seed, b"INTEGRITY", &[], &[], 256);
	let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&integrity).expect("HMAC takes any key length");
	mac.update(&identity);
	mac.update(ak_name);
	let outer = mac.finalize().into_bytes();
	let mut out = Vec::with_capacity(2 + 32 + identity.len());
	out.extend_from_slice(&32u16.to_be_bytes());
	out.extend_from_slice(&outer);
	out.extend_from_slice(&identity);
	Ok(out)
}

/// MakeCredential to the RSA EK with `ek_modulus`: the seed is encrypted with RSA-OAEP
/// (SHA-256, label "IDENTITY"), its padding randomness drawn from `rng`.
pub fn make_credential(
	ek_modulus: &[u8; EK_MODULUS_LEN],
	ak_name: &Name,
	secret: &[u8],
	seed: &[u8; 32],
	rng: &mut impl CryptoRngCore,
) -> Result<Credential, Error> {
	let id_object = id_object(seed, ak_name, secret)?;
	let ek = RsaPublicKey::new(BigUint::from_bytes_be(ek_modulus), BigUint::from(65_537u32))
		.map_err(|_| Error::EkKeyType)?;
	let encrypted_secret =
		ek.encrypt(rng, Oaep::new_with_label::<Sha256, _>("IDENTITY\0"), seed).map_err(|_| Error::Encryption)?;
	Ok(Credential { id_object, encrypted_secret })
}
