//! The checks against vectors from two real software TPMs (swtpm) and a local test CA,
//! with the answers of an independent reference verifier recorded beside them
//! (`scripts/tpm-vectors.sh` regenerates them).

use cairn_attestation::{cert, credential, tpm, tpm::AkPublic, Error};
use rsa::{traits::PublicKeyParts, Oaep, RsaPrivateKey};

const ROOT: &[u8] = include_bytes!("../fixtures/root_ca.der");
const ISSUER: &[u8] = include_bytes!("../fixtures/issuer_ca.der");
const EK_A: &[u8] = include_bytes!("../fixtures/ek_a.der");
const EK_B: &[u8] = include_bytes!("../fixtures/ek_b.der");
const AK_A: &[u8] = include_bytes!("../fixtures/ak_a.pub");
const AK_B: &[u8] = include_bytes!("../fixtures/ak_b.pub");
const QUOTE_A: (&[u8], &[u8]) = (include_bytes!("../fixtures/quote_a.msg"), include_bytes!("../fixtures/quote_a.sig"));
const QUOTE_B: (&[u8], &[u8]) = (include_bytes!("../fixtures/quote_b.msg"), include_bytes!("../fixtures/quote_b.sig"));
const REFERENCE: &str = include_str!("../fixtures/reference.txt");

fn reference(key: &str) -> Vec<u8> {
	let line = REFERENCE.lines().find(|l| l.starts_with(&format!("{key} "))).expect("key in reference.txt");
	hex::decode(line.split_once(' ').unwrap().1.trim()).unwrap()
}

fn issuer_spki() -> Vec<u8> {
	cert::parse(ISSUER).unwrap().spki()
}

#[test]
fn ca_chain_verifies() {
	let root = cert::parse(ROOT).unwrap();
	let issuer = cert::parse(ISSUER).unwrap();
	root.verify_signed_by(&root.spki()).unwrap();
	issuer.verify_signed_by(&root.spki()).unwrap();
	assert_eq!(issuer.issuer(), root.subject());
	for ek in [EK_A, EK_B] {
		let ek = cert::parse(ek).unwrap();
		ek.verify_signed_by(&issuer.spki()).unwrap();
		assert_eq!(ek.issuer(), issuer.subject());
		// Signed by the intermediate, not by the root.
		assert_eq!(ek.verify_signed_by(&root.spki()), Err(Error::CertSignature));
	}
}

#[test]
fn ek_names_agree_with_the_reference() {
	for (der, name) in [(EK_A, "ek_name_a"), (EK_B, "ek_name_b")] {
		let modulus = cert::parse(der).unwrap().ek_modulus().unwrap();
		assert_eq!(tpm::ek_name(&modulus).to_vec(), reference(name));
	}
}

#[test]
fn ak_names_and_qualified_names_agree_with_the_reference() {
	for (ek, ak, name, qn) in [(EK_A, AK_A, "ak_name_a", "ak_qn_a"), (EK_B, AK_B, "ak_name_b", "ak_qn_b")] {
		let ak = AkPublic::parse(ak).unwrap();
		assert_eq!(ak.name().to_vec(), reference(name));
		let ek_name = tpm::ek_name(&cert::parse(ek).unwrap().ek_modulus().unwrap());
		assert_eq!(tpm::qualified_name(&ek_name, &ak.name()).to_vec(), reference(qn));
	}
}

#[test]
fn quote_verifies_and_carries_the_qualifying_data() {
	let ak = AkPublic::parse(AK_A).unwrap();
	let quote = ak.verify_quote(QUOTE_A.0, QUOTE_A.1).unwrap();
	assert_eq!(quote.extra_data, reference("qualifying_data"));
	assert_eq!(quote.qualified_signer, reference("ak_qn_a"));
}

#[test]
fn quote_by_another_ak_is_refused() {
	let ak = AkPublic::parse(AK_A).unwrap();
	assert_eq!(ak.verify_quote(QUOTE_B.0, QUOTE_B.1), Err(Error::QuoteSignature));
	assert_eq!(ak.verify_quote(QUOTE_A.0, QUOTE_B.1), Err(Error::QuoteSignature));
}

#[test]
fn tampered_quote_is_refused() {
	let ak = AkPublic::parse(AK_A).unwrap();
	for i in [0, 10, 40, QUOTE_A.0.len() - 1] {
		let mut attest = QUOTE_A.0.to_vec();
		attest[i] ^= 1;
		assert_eq!(ak.verify_quote(&attest, QUOTE_A.1), Err(Error::QuoteSignature), "byte {i}");
	}
	let mut sig = QUOTE_A.1.to_vec();
	sig[10] ^= 1;
	assert_eq!(ak.verify_quote(QUOTE_A.0, &sig), Err(Error::QuoteSignature));
	assert_eq!(ak.verify_quote(QUOTE_A.0, &QUOTE_A.1[..20]), Err(Error::QuoteMalformed));
	assert_eq!(ak.verify_quote(QUOTE_A.0, &[QUOTE_A.1, &[0]].concat()), Err(Error::QuoteMalformed));
	assert_eq!(ak.verify_quote(&[0u8; 257], QUOTE_A.1), Err(Error::QuoteMalformed));
}

#[test]
fn tampered_or_malformed_certificates_are_refused() {
	let spki = issuer_spki();
	// A byte of the TBS (the serial number) and of the signature.
	for i in [15, EK_A.len() - 5] {
		let mut der = EK_A.to_vec();
		der[i] ^= 1;
		assert_eq!(cert::parse(&der).map(|c| c.verify_signed_by(&spki)).and_then(|r| r), Err(Error::CertSignature));
	}
	assert_eq!(cert::parse(&[EK_A, &[0]].concat()).err(), Some(Error::CertMalformed));
	assert_eq!(cert::parse(&EK_A[..EK_A.len() - 1]).err(), Some(Error::CertMalformed));
	assert_eq!(cert::parse(b"not a certificate").err(), Some(Error::CertMalformed));
	assert_eq!(cert::parse(&[]).err(), Some(Error::CertMalformed));
	assert_eq!(cert::parse(&vec![0x30; 2049]).err(), Some(Error::CertTooLong));
	// Two certificates back to back are not one.
	assert_eq!(cert::parse(&[EK_A, EK_B].concat()).err(), Some(Error::CertMalformed));
	assert_eq!(cert::parse(&[&EK_A[..600], &EK_B[..600]].concat()).err(), Some(Error::CertMalformed));
	// A CA key that is not a key.
	let ek = cert::parse(EK_A).unwrap();
	assert_eq!(ek.verify_signed_by(b"garbage"), Err(Error::CaKeyMalformed));
}

#[test]
fn a_ca_certificate_is_not_an_ek() {
	// The issuer CA has an RSA key, but not of 2048 bits with the EK purpose; the root
	// likewise. Neither passes the EK rules.
	for der in [ROOT, ISSUER] {
		let c = cert::parse(der).unwrap();
		assert!(matches!(c.ek_modulus(), Err(Error::EkKeyType) | Err(Error::EkUsage)));
	}
}

/// The offset of `needle` in `haystack`, which must hold it once.
fn find_once(haystack: &[u8], needle: &[u8]) -> usize {
	let at: Vec<usize> = haystack.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
	assert_eq!(at.len(), 1, "{needle:02x?} occurs {} times", at.len());
	at[0]
}

#[test]
fn certificates_as_the_field_meets_them() {
	// CAs have basic constraints cA and keyCertSign; an EK certificate is not a CA's.
	for der in [ROOT, ISSUER] {
		assert_eq!(cert::parse(der).unwrap().check_ca(), Ok(()));
	}
	assert_eq!(cert::parse(EK_A).unwrap().check_ca(), Err(Error::NotACa));

	// An EK certificate whose key usage is digitalSignature, not keyEncipherment (the key
	// usage extension: OID 2.5.29.15, critical, BIT STRING 05 20).
	let usage = [0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x05, 0x20];
	let mut der = EK_A.to_vec();
	let at = find_once(&der, &usage) + usage.len() - 1;
	der[at] = 0x80;
	assert_eq!(cert::parse(&der).unwrap().ek_modulus().err(), Some(Error::EkUsage));

	// The outer signature algorithm changed to SHA-384 while the signed part says SHA-256.
	let sha256_with_rsa = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
	let mut der = EK_A.to_vec();
	let outer = der.windows(sha256_with_rsa.len()).rposition(|w| w == sha256_with_rsa).unwrap();
	der[outer + sha256_with_rsa.len() - 1] = 0x0c;
	assert_eq!(cert::parse(&der).err(), Some(Error::SignatureAlgorithmMismatch));

	// NV padding after the certificate is trimmed; the certificate itself is untouched.
	for padding in [&[0u8; 0][..], &[0; 1], &[0xff; 300]] {
		let stored = [EK_A, padding].concat();
		assert_eq!(cert::trim_nv_padding(&stored), EK_A);
	}
	assert_eq!(cert::trim_nv_padding(&EK_A[..100]), &EK_A[..100], "truncated: left as it is");
	assert_eq!(cert::trim_nv_padding(b"xyz"), b"xyz");
	assert_eq!(cert::trim_nv_padding(&[]), &[] as &[u8]);
}

#[test]
fn ak_with_other_attributes_or_types_is_refused() {
	// Attributes live at bytes 2 + 4 .. 2 + 8 of the TPM2B_PUBLIC.
	let mut ak = AK_A.to_vec();
	ak[9] |= 0x80; // adminWithPolicy
	assert_eq!(AkPublic::parse(&ak).err(), Some(Error::AkAttributes));
	let mut ak = AK_A.to_vec();
	ak[7] |= 0x02; // decrypt
	assert_eq!(AkPublic::parse(&ak).err(), Some(Error::AkAttributes));
	let mut ak = AK_A.to_vec();
	ak[5] = 0x0C; // name algorithm SHA-384
	assert_eq!(AkPublic::parse(&ak).err(), Some(Error::AkKeyType));
	let mut ak = AK_A.to_vec();
	ak[3] = 0x25; // an unknown key type
	assert_eq!(AkPublic::parse(&ak).err(), Some(Error::AkKeyType));
	assert_eq!(AkPublic::parse(&AK_A[..40]).err(), Some(Error::AkMalformed));
	assert_eq!(AkPublic::parse(&[AK_A, &[0]].concat()).err(), Some(Error::AkMalformed));
	assert_eq!(AkPublic::parse(&[]).err(), Some(Error::AkMalformed));
	assert_eq!(AkPublic::parse(&vec![0; 513]).err(), Some(Error::AkMalformed));
	// A point that is not on the curve.
	let mut ak = AK_A.to_vec();
	let last = ak.len() - 1;
	ak[last] ^= 1;
	assert_eq!(AkPublic::parse(&ak).err(), Some(Error::AkKeyType));
}

#[test]
fn id_object_agrees_with_the_reference() {
	let ak = AkPublic::parse(AK_A).unwrap();
	let id = credential::id_object(&[7; 32], &ak.name(), &[9; 32]).unwrap();
	assert_eq!(id, reference("credential_id_object_seed7_secret9"));
	assert_eq!(credential::id_object(&[7; 32], &ak.name(), &[9; 33]), Err(Error::SecretTooLong));
}

#[test]
fn encrypted_seed_opens_with_the_ek_private_key_and_label() {
	// The EK's private key lives in the TPM; an RSA key made here stands in for it.
	let mut rng = rand_core::OsRng;
	let key = RsaPrivateKey::new(&mut rng, 2048).unwrap();
	let modulus: [u8; 256] = key.n().to_bytes_be().try_into().unwrap();
	let ak = AkPublic::parse(AK_A).unwrap();
	let c = credential::make_credential(&modulus, &ak.name(), &[9; 32], &[7; 32], &mut rng).unwrap();
	assert_eq!(c.encrypted_secret.len(), 256);
	assert_eq!(
		key.decrypt(Oaep::new_with_label::<sha2::Sha256, _>("IDENTITY\0"), &c.encrypted_secret).unwrap(),
		[7; 32]
	);
	assert!(key.decrypt(Oaep::new_with_label::<sha2::Sha256, _>("OTHER\0"), &c.encrypted_secret).is_err());
	assert_eq!(c.id_object, reference("credential_id_object_seed7_secret9"));
}

/// A CA that rolled its key: two certificates with one subject name and different keys
/// (`scripts/ca-fixtures.sh`); the EK certificate names the new key by its key id.
#[test]
fn key_ids_tell_a_rolled_cas_keys_apart() {
	let old = cert::parse(include_bytes!("../fixtures/rollover_ca_old.der")).unwrap();
	let new = cert::parse(include_bytes!("../fixtures/rollover_ca_new.der")).unwrap();
	assert_eq!(old.subject(), new.subject());
	let (old_id, new_id) = (old.subject_key_id().unwrap().unwrap(), new.subject_key_id().unwrap().unwrap());
	assert_ne!(old_id, new_id);
	for ca in [&old, &new] {
		ca.check_ca().unwrap();
		ca.verify_signed_by(&ca.spki()).unwrap();
	}
	let ek = cert::parse(include_bytes!("../fixtures/ek_a_rolled.der")).unwrap();
	assert_eq!(ek.issuer(), new.subject());
	assert_eq!(ek.authority_key_id().unwrap(), Some(new_id));
	ek.verify_signed_by(&new.spki()).unwrap();
	assert_eq!(ek.verify_signed_by(&old.spki()), Err(Error::CertSignature));
	// The same EK key as the swtpm's certificate says.
	assert_eq!(ek.ek_modulus().unwrap(), cert::parse(EK_A).unwrap().ek_modulus().unwrap());
	let bare = cert::parse(include_bytes!("../fixtures/ek_a_rolled_no_aki.der")).unwrap();
	assert_eq!(bare.authority_key_id().unwrap(), None);
	// The swtpm CA's certificates: the issuer has a key id, which its EKs name.
	let issuer = cert::parse(ISSUER).unwrap();
	assert!(issuer.subject_key_id().unwrap().is_some());
	assert_eq!(cert::parse(EK_A).unwrap().authority_key_id().unwrap(), issuer.subject_key_id().unwrap());
}

/// EK certificates under the slowest CAs accepted: P-384 (ECDSA-SHA384) and RSA-4096.
#[test]
fn p384_and_rsa4096_cas_sign_ek_certificates() {
	let pairs: [(&[u8], &[u8]); 2] = [
		(
			include_bytes!("../../../pallets/attestation/benchmark-fixtures/ca_p384.der"),
			include_bytes!("../../../pallets/attestation/benchmark-fixtures/ek_p384.der"),
		),
		(
			include_bytes!("../../../pallets/attestation/benchmark-fixtures/ca_rsa4096.der"),
			include_bytes!("../../../pallets/attestation/benchmark-fixtures/ek_rsa4096.der"),
		),
	];
	for (ca, ek) in pairs {
		let ca = cert::parse(ca).unwrap();
		let ek = cert::parse(ek).unwrap();
		ca.check_ca().unwrap();
		ca.verify_signed_by(&ca.spki()).unwrap();
		ek.verify_signed_by(&ca.spki()).unwrap();
		ek.ek_modulus().unwrap();
		assert!(ek.verify_signed_by(&issuer_spki()).is_err());
	}
}
