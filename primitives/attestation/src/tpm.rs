//! TPM 2.0 structures: public areas, names, qualified names, quotes and signatures.

use alloc::vec::Vec;

use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::{cert::EK_MODULUS_LEN, Error};

pub const TPM_ALG_RSA: u16 = 0x0001;
pub const TPM_ALG_SHA256: u16 = 0x000B;
pub const TPM_ALG_AES: u16 = 0x0006;
pub const TPM_ALG_NULL: u16 = 0x0010;
pub const TPM_ALG_RSASSA: u16 = 0x0014;
pub const TPM_ALG_ECDSA: u16 = 0x0018;
pub const TPM_ALG_ECC: u16 = 0x0023;
pub const TPM_ALG_CFB: u16 = 0x0043;
pub const TPM_ECC_NIST_P256: u16 = 0x0003;
pub const TPM_RH_ENDORSEMENT: u32 = 0x4000_000B;
pub const TPM_GENERATED_VALUE: u32 = 0xFF54_4347;
pub const TPM_ST_ATTEST_QUOTE: u16 = 0x8018;

/// fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign: the
/// exact attributes of an attestation key.
pub const AK_ATTRIBUTES: u32 = 0x0005_0072;
/// fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt:
/// the EK of the TCG default template L-1.
pub const EK_ATTRIBUTES: u32 = 0x0003_00B2;
/// The L-1 template's authorization policy (PolicySecret(TPM_RH_ENDORSEMENT)).
pub const EK_POLICY: [u8; 32] = [
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7,
	0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
];
/// The longest AK public area accepted (ATTESTATION.md, M1).
pub const MAX_AK_PUBLIC_LEN: usize = 512;
/// The longest quote accepted.
pub const MAX_ATTEST_LEN: usize = 256;
/// The longest quote signature accepted.
pub const MAX_SIGNATURE_LEN: usize = 300;

/// A TPM name with the SHA-256 name algorithm: `0x000B || sha256(public area)`.
pub type Name = [u8; 34];

fn name_of(public_area: &[u8]) -> Name {
	let mut name = [0u8; 34];
	name[..2].copy_from_slice(&TPM_ALG_SHA256.to_be_bytes());
	name[2..].copy_from_slice(&Sha256::digest(public_area));
	name
}

/// The public area (TPMT_PUBLIC) of the L-1 EK with this modulus.
pub fn ek_public_area(modulus: &[u8; EK_MODULUS_LEN]) -> Vec<u8> {
	let mut out = Vec::with_capacity(32 + 2 + 32 + 16 + 2 + EK_MODULUS_LEN);
	out.extend_from_slice(&TPM_ALG_RSA.to_be_bytes());
	out.extend_from_slice(&TPM_ALG_SHA256.to_be_bytes());
	out.extend_from_slice(&EK_ATTRIBUTES.to_be_bytes());
	out.extend_from_slice(&(EK_POLICY.len() as u16).to_be_bytes());
	out.extend_from_slice(&EK_POLICY);
	for word in [TPM_ALG_AES, 128, TPM_ALG_CFB, TPM_ALG_NULL, 2048] {
		out.extend_from_slice(&word.to_be_bytes());
	}
	out.extend_from_slice(&0u32.to_be_bytes()); // exponent 0 = 65537
	out.extend_from_slice(&(EK_MODULUS_LEN as u16).to_be_bytes());
	out.extend_from_slice(modulus);
	out
}

/// The name of the L-1 EK with this modulus.
pub fn ek_name(modulus: &[u8; EK_MODULUS_LEN]) -> Name {
	name_of(&ek_public_area(modulus))
}

/// The qualified name of a key created directly under the EK in the endorsement
/// hierarchy: `QN(AK) = 0x000B || sha256(QN(EK) || Name(AK))`, with
/// `QN(EK) = 0x000B || sha256(TPM_RH_ENDORSEMENT || Name(EK))`.
pub fn qualified_name(ek_name: &Name, ak_name: &Name) -> Name {
	let mut ek = Vec::with_capacity(4 + 34);
	ek.extend_from_slice(&TPM_RH_ENDORSEMENT.to_be_bytes());
	ek.extend_from_slice(ek_name);
	let ek_qn = name_of(&ek);
	let mut ak = Vec::with_capacity(68);
	ak.extend_from_slice(&ek_qn);
	ak.extend_from_slice(ak_name);
	name_of(&ak)
}

/// Reads TPM wire structures (big-endian, size-prefixed buffers).
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
	fn take(&mut self, n: usize) -> Option<&'a [u8]> {
		if self.0.len() < n {
			return None;
		}
		let (head, rest) = self.0.split_at(n);
		self.0 = rest;
		Some(head)
	}
	fn u8(&mut self) -> Option<u8> {
		self.take(1).map(|b| b[0])
	}
	fn u16(&mut self) -> Option<u16> {
		self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
	}
	fn u32(&mut self) -> Option<u32> {
		self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
	}
	fn tpm2b(&mut self) -> Option<&'a [u8]> {
		let len = self.u16()? as usize;
		self.take(len)
	}
	fn is_empty(&self) -> bool {
		self.0.is_empty()
	}
}

/// An attestation key's verifying key.
#[derive(Clone, Debug)]
pub enum AkKey {
	P256(p256::ecdsa::VerifyingKey),
	Rsa(RsaPublicKey),
}

/// An attestation key: its public area and its key.
#[derive(Clone, Debug)]
pub struct AkPublic {
	public_area: Vec<u8>,
	key: AkKey,
}

/// Left-pads a big-endian integer to `N` bytes.
fn pad<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
	if bytes.len() > N {
		return None;
	}
	let mut out = [0u8; N];
	out[N - bytes.len()..].copy_from_slice(bytes);
	Some(out)
}

impl AkPublic {
	/// Parses a TPM2B_PUBLIC of an AK: an ECDSA P-256 or RSASSA-2048 key with SHA-256,
	/// name algorithm SHA-256 and exactly [`AK_ATTRIBUTES`], with nothing after it.
	pub fn parse(tpm2b_public: &[u8]) -> Result<Self, Error> {
		if tpm2b_public.len() > MAX_AK_PUBLIC_LEN {
			return Err(Error::AkMalformed);
		}
		let mut outer = Cursor(tpm2b_public);
		let public_area = outer.tpm2b().ok_or(Error::AkMalformed)?;
		if !outer.is_empty() {
			return Err(Error::AkMalformed);
		}
		let mut c = Cursor(public_area);
		let kind = c.u16().ok_or(Error::AkMalformed)?;
		let name_alg = c.u16().ok_or(Error::AkMalformed)?;
		let attributes = c.u32().ok_or(Error::AkMalformed)?;
		c.tpm2b().ok_or(Error::AkMalformed)?; // authPolicy
		if attributes != AK_ATTRIBUTES {
			return Err(Error::AkAttributes);
		}
		if name_alg != TPM_ALG_SHA256 {
			return Err(Error::AkKeyType);
		}
		let symmetric = c.u16().ok_or(Error::AkMalformed)?;
		let scheme = c.u16().ok_or(Error::AkMalformed)?;
		let scheme_hash = c.u16().ok_or(Error::AkMalformed)?;
		if symmetric != TPM_ALG_NULL || scheme_hash != TPM_ALG_SHA256 {
			return Err(Error::AkKeyType);
		}
		let key = match (kind, scheme) {
			(TPM_ALG_ECC, TPM_ALG_ECDSA) => {
				let curve = c.u16().ok_or(Error::AkMalformed)?;
				let kdf = c.u16().ok_or(Error::AkMalformed)?;
				if curve != TPM_ECC_NIST_P256 || kdf != TPM_ALG_NULL {
					return Err(Error::AkKeyType);
				}
				let x = pad::<32>(c.tpm2b().ok_or(Error::AkMalformed)?).ok_or(Error::AkKeyType)?;
				let y = pad::<32>(c.tpm2b().ok_or(Error::AkMalformed)?).ok_or(Error::AkKeyType)?;
				let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
				AkKey::P256(p256::ecdsa::VerifyingKey::from_encoded_point(&point).map_err(|_| Error::AkKeyType)?)
			},
			(TPM_ALG_RSA, TPM_ALG_RSASSA) => {
				let bits = c.u16().ok_or(Error::AkMalformed)?;
				let exponent = c.u32().ok_or(Error::AkMalformed)?;
				let modulus = c.tpm2b().ok_or(Error::AkMalformed)?;
				if bits != 2048 || modulus.len() != 256 || !(exponent == 0 || exponent == 65_537) {
					return Err(Error::AkKeyType);
				}
				let key = RsaPublicKey::new(BigUint::from_bytes_be(modulus), BigUint::from(65_537u32))
					.map_err(|_| Error::AkKeyType)?;
				AkKey::Rsa(key)
			},
			_ => return Err(Error::AkKeyType),
		};
		if !c.is_empty() {
			return Err(Error::AkMalformed);
		}
		Ok(Self { public_area: public_area.to_vec(), key })
	}

	/// The AK's name.
	pub fn name(&self) -> Name {
		name_of(&self.public_area)
	}

	/// The AK's key.
	pub fn key(&self) -> &AkKey {
		&self.key
	}

	/// Verifies a quote: the signature (a TPMT_SIGNATURE) over `attest` by this AK, then
	/// that `attest` is a TPM-generated quote. Returns its qualified signer and extra data.
	pub fn verify_quote(&self, attest: &[u8], signature: &[u8]) -> Result<Quote, Error> {
		if attest.len() > MAX_ATTEST_LEN || signature.len() > MAX_SIGNATURE_LEN {
			return Err(Error::QuoteMalformed);
		}
		let mut s = Cursor(signature);
		let alg = s.u16().ok_or(Error::QuoteMalformed)?;
		let hash = s.u16().ok_or(Error::QuoteMalformed)?;
		if hash != TPM_ALG_SHA256 {
			return Err(Error::QuoteSignature);
		}
		let verified = match (&self.key, alg) {
			(AkKey::P256(key), TPM_ALG_ECDSA) => {
				use p256::ecdsa::signature::Verifier;
				let r = pad::<32>(s.tpm2b().ok_or(Error::QuoteMalformed)?).ok_or(Error::QuoteMalformed)?;
				let sv = pad::<32>(s.tpm2b().ok_or(Error::QuoteMalformed)?).ok_or(Error::QuoteMalformed)?;
				let sig = p256::ecdsa::Signature::from_scalars(r, sv).map_err(|_| Error::QuoteSignature)?;
				key.verify(attest, &sig).is_ok()
			},
			(AkKey::Rsa(key), TPM_ALG_RSASSA) => {
				let sig = s.tpm2b().ok_or(Error::QuoteMalformed)?;
				key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(attest), sig).is_ok()
			},
			_ => false,
		};
		if !s.is_empty() {
			return Err(Error::QuoteMalformed);
		}
		if !verified {
			return Err(Error::QuoteSignature);
		}
		Quote::parse(attest)
	}
}

/// The parts of a TPMS_ATTEST quote that attestation checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
	pub qualified_signer: Vec<u8>,
	pub extra_data: Vec<u8>,
}

impl Quote {
	fn parse(attest: &[u8]) -> Result<Self, Error> {
		let mut c = Cursor(attest);
		let magic = c.u32().ok_or(Error::QuoteMalformed)?;
		let kind = c.u16().ok_or(Error::QuoteMalformed)?;
		if magic != TPM_GENERATED_VALUE || kind != TPM_ST_ATTEST_QUOTE {
			return Err(Error::NotAQuote);
		}
		let qualified_signer = c.tpm2b().ok_or(Error::QuoteMalformed)?.to_vec();
		let extra_data = c.tpm2b().ok_or(Error::QuoteMalformed)?.to_vec();
		// clockInfo (clock, resetCount, restartCount, safe) and firmwareVersion.
		c.take(8 + 4 + 4 + 1 + 8).ok_or(Error::QuoteMalformed)?;
		// TPMS_QUOTE_INFO: the PCR selection and its digest.
		let selections = c.u32().ok_or(Error::QuoteMalformed)?;
		for _ in 0..selections.min(16) {
			c.u16().ok_or(Error::QuoteMalformed)?;
			let size = c.u8().ok_or(Error::QuoteMalformed)?;
			c.take(size as usize).ok_or(Error::QuoteMalformed)?;
		}
		c.tpm2b().ok_or(Error::QuoteMalformed)?;
		if selections > 16 || !c.is_empty() {
			return Err(Error::QuoteMalformed);
		}
		Ok(Self { qualified_signer, extra_data })
	}
}
