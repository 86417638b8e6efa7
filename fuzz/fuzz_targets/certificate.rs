//! An EK or CA certificate as M1 and `add_trusted_ca` take it (after `cairn tpm` trims NV
//! padding): parsed, checked and verified; any input gives a value or an error, never a
//! panic, and nothing but the issuer's own certificates verifies under its key.
#![no_main]

use cairn_attestation::cert;
use libfuzzer_sys::fuzz_target;

const ISSUER: &[u8] = include_bytes!("../../primitives/attestation/fixtures/issuer_ca.der");
const EK_A: &[u8] = include_bytes!("../../primitives/attestation/fixtures/ek_a.der");
const EK_B: &[u8] = include_bytes!("../../primitives/attestation/fixtures/ek_b.der");

fuzz_target!(|data: &[u8]| {
	let trimmed = cert::trim_nv_padding(data);
	assert!(data.starts_with(trimmed));
	let Ok(c) = cert::parse(trimmed) else { return };
	let _ = (c.subject(), c.issuer(), c.check_ca(), c.ek_modulus(), c.subject_key_id(), c.authority_key_id());
	let _ = c.verify_signed_by(&c.spki());
	let issuer = cert::parse(ISSUER).expect("the fixture parses").spki();
	if c.verify_signed_by(&issuer).is_ok() {
		assert!(trimmed == EK_A || trimmed == EK_B, "a certificate the issuer never signed verified");
	}
});
