//! Bounded fuzzing of the parsers that take untrusted bytes on chain: DER certificates,
//! TPM2B_PUBLIC areas and quotes (TPMS_ATTEST + TPMT_SIGNATURE). Random inputs and
//! mutations of real swtpm vectors must give an `Err` or a value, never a panic, and a
//! mutated certificate or quote body must never verify. A fixed number of cases per target,
//! so that CI runs them in seconds.

use cairn_attestation::{cert, tpm::AkPublic};
use proptest::prelude::*;

const ISSUER: &[u8] = include_bytes!("../fixtures/issuer_ca.der");
const EK_A: &[u8] = include_bytes!("../fixtures/ek_a.der");
const AK_A: &[u8] = include_bytes!("../fixtures/ak_a.pub");
const QUOTE_A: (&[u8], &[u8]) = (include_bytes!("../fixtures/quote_a.msg"), include_bytes!("../fixtures/quote_a.sig"));

/// An edit of a byte string: flip bits at a position, cut it, or insert bytes.
#[derive(Debug, Clone)]
enum Edit {
	Flip(usize, u8),
	Truncate(usize),
	Insert(usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
	prop_oneof![
		6 => (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip(at, mask)),
		1 => any::<usize>().prop_map(Edit::Truncate),
		1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(at, b)| Edit::Insert(at, b)),
	]
}

fn apply(original: &[u8], edits: &[Edit]) -> Vec<u8> {
	let mut bytes = original.to_vec();
	for edit in edits {
		if bytes.is_empty() {
			break;
		}
		match edit {
			Edit::Flip(at, mask) => {
				let at = at % bytes.len();
				bytes[at] ^= mask;
			},
			Edit::Truncate(at) => bytes.truncate(at % bytes.len()),
			Edit::Insert(at, inserted) => {
				let at = at % bytes.len();
				bytes.splice(at..at, inserted.iter().copied());
			},
		}
	}
	bytes
}

/// Everything the chain does with a certificate, as the pallet does it.
fn use_certificate(der: &[u8], issuer_spki: &[u8]) -> bool {
	let Ok(c) = cert::parse(der) else { return false };
	let _ = (c.subject(), c.issuer(), c.spki(), c.check_ca(), c.ek_modulus());
	c.verify_signed_by(issuer_spki).is_ok()
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

	#[test]
	fn random_bytes_are_never_a_certificate_an_ak_or_a_quote(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
		let issuer = cert::parse(ISSUER).unwrap().spki();
		prop_assert!(!use_certificate(&bytes, &issuer));
		let _ = cert::trim_nv_padding(&bytes);
		if let Ok(ak) = AkPublic::parse(&bytes) {
			let _ = ak.name();
		}
		let ak = AkPublic::parse(AK_A).unwrap();
		prop_assert!(ak.verify_quote(&bytes, QUOTE_A.1).is_err());
		prop_assert!(ak.verify_quote(QUOTE_A.0, &bytes).is_err());
	}

	#[test]
	fn a_mutated_ek_certificate_never_verifies(edits in proptest::collection::vec(edit(), 1..4)) {
		let issuer = cert::parse(ISSUER).unwrap().spki();
		let der = apply(EK_A, &edits);
		prop_assume!(der != EK_A);
		prop_assert!(!use_certificate(&der, &issuer));
		let trimmed = cert::trim_nv_padding(&der);
		prop_assert!(der.starts_with(trimmed));
	}

	#[test]
	fn a_mutated_quote_never_verifies(
		ak_edits in proptest::collection::vec(edit(), 0..3),
		attest_edits in proptest::collection::vec(edit(), 0..3),
		signature_edits in proptest::collection::vec(edit(), 0..3),
	) {
		let ak_bytes = apply(AK_A, &ak_edits);
		let attest = apply(QUOTE_A.0, &attest_edits);
		let signature = apply(QUOTE_A.1, &signature_edits);
		let Ok(ak) = AkPublic::parse(&ak_bytes) else { return Ok(()) };
		let verified = ak.verify_quote(&attest, &signature);
		// A changed quote body never verifies (a changed AK area may still hold the same
		// key, and is not asserted on).
		if attest != QUOTE_A.0 {
			prop_assert!(verified.is_err());
		}
	}
}
