//! TPM structures as M1 and M3 take them: an AK's TPM2B_PUBLIC, and a quote checked with a
//! real AK (the input's first two bytes, little-endian, are the TPMS_ATTEST's length; the
//! rest after it is the TPMT_SIGNATURE). Any input gives a value or an error, never a
//! panic, and no input but the real quote verifies.
#![no_main]

use cairn_attestation::tpm::AkPublic;
use libfuzzer_sys::fuzz_target;

const AK_A: &[u8] = include_bytes!("../../primitives/attestation/fixtures/ak_a.pub");
const QUOTE_A: (&[u8], &[u8]) = (
	include_bytes!("../../primitives/attestation/fixtures/quote_a.msg"),
	include_bytes!("../../primitives/attestation/fixtures/quote_a.sig"),
);

fuzz_target!(|data: &[u8]| {
	if let Ok(ak) = AkPublic::parse(data) {
		let _ = ak.name();
	}
	let Some((length, rest)) = data.split_first_chunk::<2>() else { return };
	let (attest, signature) = rest.split_at((u16::from_le_bytes(*length) as usize).min(rest.len()));
	let ak = AkPublic::parse(AK_A).expect("the fixture parses");
	if ak.verify_quote(attest, signature).is_ok() {
		assert!(attest == QUOTE_A.0 && signature == QUOTE_A.1, "a quote the AK never made verified");
	}
});
