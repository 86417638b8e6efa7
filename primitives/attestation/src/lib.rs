//! The checks behind Cairn's TPM attestation (ATTESTATION.md), free of any chain type so
//! that the runtime, its off-chain workers and the node share them:
//!
//! - [`cert`]: an EK certificate, its signature by a trusted CA over the TBS bytes as
//!   given, and the EK rules (RSA-2048, e = 65537, the EK certificate EKU);
//! - [`tpm`]: TPM structures: the EK's name from the default L-1 template, the AK's
//!   public area and its exact attributes, qualified names, quotes;
//! - [`credential`]: TPM2_MakeCredential in software, as a challenger runs it.
//!
//! Only the TPM's SHA-256 name algorithm is accepted.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod cert;
pub mod credential;
pub mod tpm;

/// Why an attestation input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
	/// The certificate is longer than [`cert::MAX_CERT_LEN`].
	CertTooLong,
	/// Not exactly one DER certificate.
	CertMalformed,
	/// The certificate's signature algorithm is not RSA PKCS#1 v1.5 or ECDSA with SHA-256/384.
	UnsupportedSignatureAlgorithm,
	/// The issuer's key is not a well-formed RSA, P-256 or P-384 key.
	CaKeyMalformed,
	/// The signature does not verify with the issuer's key.
	CertSignature,
	/// The EK is not an RSA-2048 key with exponent 65537.
	EkKeyType,
	/// The certificate is not an EK certificate: an extended key usage without the TCG EK
	/// certificate purpose, a CA's basic constraints, or a key usage without
	/// `keyEncipherment`.
	EkUsage,
	/// The certificate's outer signature algorithm is not the one its signed part names.
	SignatureAlgorithmMismatch,
	/// A CA certificate without basic constraints `cA`, or with a key usage without
	/// `keyCertSign`.
	NotACa,
	/// The AK's public area cannot be parsed.
	AkMalformed,
	/// The AK's attributes are not exactly those of a restricted signing key made in the TPM.
	AkAttributes,
	/// The AK is not ECDSA P-256 or RSASSA-2048 with SHA-256.
	AkKeyType,
	/// The quote or its signature cannot be parsed.
	QuoteMalformed,
	/// The quote's signature does not verify with the AK.
	QuoteSignature,
	/// The attestation structure was not made by a TPM (magic) or is not a quote.
	NotAQuote,
	/// A credential's secret is longer than the name algorithm's digest.
	SecretTooLong,
	/// Encrypting the seed to the EK failed.
	Encryption,
}
