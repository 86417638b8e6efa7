//! Writes the fixtures of pallet-attestation's benchmarks into the directory given as
//! the first argument: an EK certificate and an AK from a software TPM manufactured with
//! Cairn's test CA, and quotes by that AK over the qualifying data of request 0 on a chain
//! whose genesis hash is `[69; 32]`, by the benchmark's requester, with k = 1..=16 secrets
//! `[1; 32], [2; 32], ...`. The requester is `frame_benchmarking::account("node", 0, 0)`,
//! both as a 32-byte account (the runtime) and as a `u64` (the pallet's mock).
//!
//! `cargo run --release --example bench_vectors -- pallets/attestation/benchmark-fixtures`
//! (needs swtpm, swtpm-tools and openssl).

use codec::Encode;
use std::path::PathBuf;

fn main() {
	let out = PathBuf::from(std::env::args().nth(1).expect("usage: bench_vectors OUTPUT_DIR"));
	std::fs::create_dir_all(&out).expect("output directory");
	let dir = tempfile::tempdir().expect("a temporary directory");
	let ca = cairn_swtpm::TestCa::committed(dir.path()).expect("the test CA");
	let swtpm = cairn_swtpm::Swtpm::manufacture(&ca, &dir.path().join("tpm"));
	let mut tpm = cairn_tpm::Tpm::open(&swtpm.tcti()).expect("swtpm opens");
	let ak = tpm.create_ak().expect("an AK");
	std::fs::write(out.join("ek.der"), tpm.ek_certificate().expect("an EK certificate")).unwrap();
	std::fs::write(out.join("ak.pub"), &ak.public).unwrap();

	let genesis = [69u8; 32];
	let entropy = sp_crypto_hashing::blake2_256(&("node", 0u32, 0u32).encode());
	let mut short = [0u8; 8];
	short.copy_from_slice(&entropy[..8]);
	let mut quotes: Vec<(Vec<u8>, u32, Vec<u8>, Vec<u8>)> = Vec::new();
	for k in 1..=16u32 {
		let secrets: Vec<[u8; 32]> = (1..=k).map(|i| [i as u8; 32]).collect();
		for who in [&entropy[..], &short[..]] {
			let nonce = match who.len() {
				32 => pallet_attestation::qualifying_data(&genesis, 0, &entropy, &secrets),
				_ => pallet_attestation::qualifying_data(&genesis, 0, &short, &secrets),
			};
			let (attest, signature) = tpm.quote(&ak, &nonce).expect("a quote");
			quotes.push((who.to_vec(), k, attest, signature));
		}
	}
	std::fs::write(out.join("quotes.scale"), quotes.encode()).unwrap();
	println!("wrote {} quotes to {}", quotes.len(), out.display());
}
