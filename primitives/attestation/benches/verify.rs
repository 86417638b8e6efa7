//! Native cost of the chain-side checks, the basis of the attestation pallet's weights
//! until they come from FRAME benchmarks in wasm.
//!
//! `cargo bench --workspace --bench verify`

use cairn_attestation::{cert, credential, tpm, tpm::AkPublic};
use criterion::{criterion_group, criterion_main, Criterion};

const ISSUER: &[u8] = include_bytes!("../fixtures/issuer_ca.der");
const EK: &[u8] = include_bytes!("../fixtures/ek_a.der");
const AK: &[u8] = include_bytes!("../fixtures/ak_a.pub");
const QUOTE: &[u8] = include_bytes!("../fixtures/quote_a.msg");
const SIGNATURE: &[u8] = include_bytes!("../fixtures/quote_a.sig");

fn checks(c: &mut Criterion) {
	let issuer_spki = cert::parse(ISSUER).unwrap().spki();
	c.bench_function("M1: EK certificate (parse, RSA-2048 signature, EK rules, names)", |b| {
		b.iter(|| {
			let ek = cert::parse(EK).unwrap();
			ek.verify_signed_by(&issuer_spki).unwrap();
			let modulus = ek.ek_modulus().unwrap();
			let ak = AkPublic::parse(AK).unwrap();
			tpm::qualified_name(&tpm::ek_name(&modulus), &ak.name())
		})
	});
	let ak = AkPublic::parse(AK).unwrap();
	c.bench_function("M3: quote (ECDSA P-256 signature, parse)", |b| {
		b.iter(|| ak.verify_quote(QUOTE, SIGNATURE).unwrap())
	});
	let modulus = cert::parse(EK).unwrap().ek_modulus().unwrap();
	let mut rng = rand_core::OsRng;
	c.bench_function("M2: MakeCredential (RSA-OAEP, KDFa, AES-CFB, HMAC)", |b| {
		b.iter(|| credential::make_credential(&modulus, &ak.name(), &[9; 32], &[7; 32], &mut rng).unwrap())
	});
}

criterion_group!(benches, checks);
criterion_main!(benches);
