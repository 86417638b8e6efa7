//! EK certificates and the CAs that sign them.

use alloc::vec::Vec;

use der::{asn1::ObjectIdentifier as Oid, Decode, Encode, Header, Reader, SliceReader};
use p256::pkcs8::DecodePublicKey;
use rsa::{traits::PublicKeyParts, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384};
use spki::SubjectPublicKeyInfoRef;
use x509_cert::{
	ext::pkix::{
		AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
	},
	Certificate,
};

use crate::Error;

/// The longest certificate accepted (ATTESTATION.md, M1).
pub const MAX_CERT_LEN: usize = 2048;
/// Length of the EK's RSA-2048 modulus.
pub const EK_MODULUS_LEN: usize = 256;

const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
const EXTENDED_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
const AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
/// tcg-kp-EKCertificate.
const TCG_EK_CERTIFICATE: Oid = Oid::new_unwrap("2.23.133.8.1");

/// A parsed certificate with the raw bytes of its to-be-signed part.
pub struct ParsedCert<'a> {
	tbs: &'a [u8],
	cert: Certificate,
}

/// The DER certificate at the start of `bytes`, without what follows it: TPM NV indices
/// are often larger than the certificate they hold, and read back with padding after it
/// (go-attestation trims it the same way). `bytes` whole if it does not start with a
/// DER header.
pub fn trim_nv_padding(bytes: &[u8]) -> &[u8] {
	let Ok(mut reader) = SliceReader::new(bytes) else { return bytes };
	match Header::decode(&mut reader) {
		Ok(header) => {
			let len = header.encoded_len().and_then(|h| h + header.length);
			match len.map(usize::try_from) {
				Ok(Ok(len)) if len <= bytes.len() => &bytes[..len],
				_ => bytes,
			}
		},
		Err(_) => bytes,
	}
}

/// Parses exactly one DER certificate, with nothing after it, whose outer signature
/// algorithm is the one its signed part names.
pub fn parse(der: &[u8]) -> Result<ParsedCert<'_>, Error> {
	if der.len() > MAX_CERT_LEN {
		return Err(Error::CertTooLong);
	}
	let cert = Certificate::from_der(der).map_err(|_| Error::CertMalformed)?;
	if cert.signature_algorithm != cert.tbs_certificate.signature {
		return Err(Error::SignatureAlgorithmMismatch);
	}
	// The signature covers the TBS bytes as given, not a re-encoding of them.
	let mut reader = SliceReader::new(der).map_err(|_| Error::CertMalformed)?;
	Header::decode(&mut reader).map_err(|_| Error::CertMalformed)?;
	let tbs = reader.tlv_bytes().map_err(|_| Error::CertMalformed)?;
	Ok(ParsedCert { tbs, cert })
}

impl ParsedCert<'_> {
	/// The DER of the subject name.
	pub fn subject(&self) -> Vec<u8> {
		self.cert.tbs_certificate.subject.to_der().unwrap_or_default()
	}

	/// The DER of the issuer name.
	pub fn issuer(&self) -> Vec<u8> {
		self.cert.tbs_certificate.issuer.to_der().unwrap_or_default()
	}

	/// The DER of the subject's public key info.
	pub fn spki(&self) -> Vec<u8> {
		self.cert.tbs_certificate.subject_public_key_info.to_der().unwrap_or_default()
	}

	/// The subject key identifier, if the certificate has one: how the certificates a CA
	/// signs name its key.
	pub fn subject_key_id(&self) -> Result<Option<Vec<u8>>, Error> {
		let ski: Option<SubjectKeyIdentifier> = self.extension(SUBJECT_KEY_ID)?;
		Ok(ski.map(|ski| ski.0.as_bytes().to_vec()))
	}

	/// The key identifier of the issuer's key, if the certificate names it (authority key
	/// identifier): which key of a CA that rolled its key signed it.
	pub fn authority_key_id(&self) -> Result<Option<Vec<u8>>, Error> {
		let aki: Option<AuthorityKeyIdentifier> = self.extension(AUTHORITY_KEY_ID)?;
		Ok(aki.and_then(|aki| aki.key_identifier).map(|id| id.as_bytes().to_vec()))
	}

	/// Checks that the certificate is a CA's: basic constraints with `cA`, and, if it has a
	/// key usage, `keyCertSign`.
	pub fn check_ca(&self) -> Result<(), Error> {
		let constraints: Option<BasicConstraints> = self.extension(BASIC_CONSTRAINTS)?;
		if !constraints.is_some_and(|c| c.ca) {
			return Err(Error::NotACa);
		}
		let usage: Option<KeyUsage> = self.extension(KEY_USAGE)?;
		if usage.is_some_and(|u| !u.0.contains(KeyUsages::KeyCertSign)) {
			return Err(Error::NotACa);
		}
		Ok(())
	}

	/// The extension `oid`, decoded, if the certificate has it.
	fn extension<'a, E: der::Decode<'a>>(&'a self, oid: Oid) -> Result<Option<E>, Error> {
		match self.cert.tbs_certificate.extensions.iter().flatten().find(|ext| ext.extn_id == oid) {
			Some(ext) => E::from_der(ext.extn_value.as_bytes()).map(Some).map_err(|_| Error::CertMalformed),
			None => Ok(None),
		}
	}

	/// Checks the signature with the issuer's public key info (DER).
	pub fn verify_signed_by(&self, issuer_spki: &[u8]) -> Result<(), Error> {
		let signature = self.cert.signature.as_bytes().ok_or(Error::CertMalformed)?;
		verify(issuer_spki, self.cert.signature_algorithm.oid, self.tbs, signature)
	}

	/// Checks the EK rules and returns the EK's modulus: an RSA-2048 key with e = 65537;
	/// if the certificate has an extended key usage, the TCG EK certificate purpose; not a
	/// CA (basic constraints); if it has a key usage, `keyEncipherment` (the EK decrypts
	/// credentials). Validity dates are not checked, deliberately: EK certificates are
	/// made with the TPM and often outlive their `notAfter`, and revocation is the chain's
	/// governance, not a date.
	pub fn ek_modulus(&self) -> Result<[u8; EK_MODULUS_LEN], Error> {
		let spki = &self.cert.tbs_certificate.subject_public_key_info;
		if spki.algorithm.oid != RSA_ENCRYPTION {
			return Err(Error::EkKeyType);
		}
		let der = spki.to_der().map_err(|_| Error::CertMalformed)?;
		let spki = SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| Error::CertMalformed)?;
		let key = RsaPublicKey::try_from(spki).map_err(|_| Error::EkKeyType)?;
		if key.n().bits() != 2048 || key.e() != &rsa::BigUint::from(65_537u32) {
			return Err(Error::EkKeyType);
		}
		let purposes: Option<ExtendedKeyUsage> = self.extension(EXTENDED_KEY_USAGE)?;
		if purposes.is_some_and(|p| !p.0.contains(&TCG_EK_CERTIFICATE)) {
			return Err(Error::EkUsage);
		}
		let constraints: Option<BasicConstraints> = self.extension(BASIC_CONSTRAINTS)?;
		if constraints.is_some_and(|c| c.ca) {
			return Err(Error::EkUsage);
		}
		let usage: Option<KeyUsage> = self.extension(KEY_USAGE)?;
		if usage.is_some_and(|u| !u.0.contains(KeyUsages::KeyEncipherment)) {
			return Err(Error::EkUsage);
		}
		key.n().to_bytes_be().try_into().map_err(|_| Error::EkKeyType)
	}
}

/// Verifies `signature` over `message` with the key `spki` (DER) by algorithm `alg`.
fn verify(spki: &[u8], alg: Oid, message: &[u8], signature: &[u8]) -> Result<(), Error> {
	let key = SubjectPublicKeyInfoRef::from_der(spki).map_err(|_| Error::CaKeyMalformed)?;
	match alg {
		SHA256_WITH_RSA | SHA384_WITH_RSA => {
			let rsa = RsaPublicKey::try_from(key).map_err(|_| Error::CaKeyMalformed)?;
			let verified = if alg == SHA256_WITH_RSA {
				rsa.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), signature)
			} else {
				rsa.verify(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message), signature)
			};
			verified.map_err(|_| Error::CertSignature)
		},
		ECDSA_WITH_SHA256 | ECDSA_WITH_SHA384 => {
			use p256::ecdsa::signature::hazmat::PrehashVerifier;
			let digest: Vec<u8> = if alg == ECDSA_WITH_SHA256 {
				Sha256::digest(message).to_vec()
			} else {
				Sha384::digest(message).to_vec()
			};
			let curve = key.algorithm.parameters_oid().map_err(|_| Error::CaKeyMalformed)?;
			if curve == SECP256R1 {
				let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki).map_err(|_| Error::CaKeyMalformed)?;
				let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| Error::CertSignature)?;
				key.verify_prehash(&digest, &sig).map_err(|_| Error::CertSignature)
			} else if curve == SECP384R1 {
				let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki).map_err(|_| Error::CaKeyMalformed)?;
				let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| Error::CertSignature)?;
				key.verify_prehash(&digest, &sig).map_err(|_| Error::CertSignature)
			} else {
				Err(Error::CaKeyMalformed)
			}
		},
		_ => Err(Error::UnsupportedSignatureAlgorithm),
	}
}
