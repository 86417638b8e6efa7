//! Round trips of the whole pipeline, fragment subsets, tampering and bad input.

use std::io::Cursor;

use cairn_erasure::{decode, encode, verify_fragment, CodecId, Error, FileKey, Manifest, Params, ReadCapability};
use proptest::prelude::*;

fn small_params(codec: CodecId, k: u16, n: u16) -> Params {
	// Small chunks and stripes so that many boundaries are crossed cheaply.
	Params { codec, k, n, chunk_size: 100, stripe_size: 512, segment_size: 1024 }
}

fn data(len: usize, seed: u64) -> Vec<u8> {
	let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
	(0..len)
		.map(|_| {
			x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			(x >> 33) as u8
		})
		.collect()
}

fn encode_to_vecs(input: &[u8], params: &Params) -> (cairn_erasure::Encoded, Vec<Vec<u8>>) {
	let mut sinks = vec![Vec::new(); params.n as usize];
	let encoded = encode(input, params, &mut sinks).expect("encodes");
	(encoded, sinks)
}

fn restore(manifest: &Manifest, key: &FileKey, fragments: &[Option<Vec<u8>>]) -> Result<Vec<u8>, Error> {
	let readers = fragments.iter().map(|f| f.as_ref().map(|f| Cursor::new(f.clone()))).collect();
	let mut out = Vec::new();
	decode(manifest, key, readers, &mut out)?;
	Ok(out)
}

fn roundtrip(len: usize, params: &Params) {
	let input = data(len, len as u64);
	let (encoded, fragments) = encode_to_vecs(&input, params);
	let m = &encoded.manifest;
	assert_eq!(m.plain_size, len as u64);
	for (i, f) in fragments.iter().enumerate() {
		assert_eq!(f.len() as u64, m.fragment_size);
		verify_fragment(m, i, &f[..]).expect("fragment matches its root");
	}
	let all: Vec<_> = fragments.into_iter().map(Some).collect();
	assert_eq!(restore(m, &encoded.key, &all).unwrap(), input);
}

#[test]
fn boundary_sizes_roundtrip_with_both_codecs() {
	for codec in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
		let params = small_params(codec, 3, 6);
		let sealed = 100 + 16;
		for len in [0, 1, 99, 100, 101, 199, 200, 201, 511, 512, 513, 1023, 1024, 1025, 5000] {
			roundtrip(len, &params);
		}
		// Ciphertext exactly one and two stripes, and one off either way.
		for stripes in [1usize, 2] {
			let cipher = stripes * 512;
			let plain = cipher - (cipher.div_ceil(sealed)) * 16;
			for len in [plain.saturating_sub(1), plain, plain + 1] {
				roundtrip(len, &params);
			}
		}
	}
}

#[test]
fn every_three_subset_of_six_reconstructs() {
	let params = small_params(CodecId::ReedSolomonSimd, 3, 6);
	let input = data(3000, 7);
	let (encoded, fragments) = encode_to_vecs(&input, &params);
	for a in 0..6 {
		for b in a + 1..6 {
			for c in b + 1..6 {
				let subset: Vec<_> = (0..6).map(|i| [a, b, c].contains(&i).then(|| fragments[i].clone())).collect();
				assert_eq!(restore(&encoded.manifest, &encoded.key, &subset).unwrap(), input, "{a},{b},{c}");
			}
		}
	}
}

#[test]
fn k_minus_one_fragments_fail_clearly() {
	let params = small_params(CodecId::ReedSolomonSimd, 3, 6);
	let (encoded, fragments) = encode_to_vecs(&data(2000, 1), &params);
	let two: Vec<_> = (0..6).map(|i| (i < 2).then(|| fragments[i].clone())).collect();
	let err = restore(&encoded.manifest, &encoded.key, &two).unwrap_err();
	assert!(matches!(err, Error::NotEnoughFragments { have: 2, need: 3 }), "{err}");
}

#[test]
fn tampered_fragment_is_detected_by_its_root() {
	let params = small_params(CodecId::ReedSolomonSimd, 3, 6);
	let (encoded, mut fragments) = encode_to_vecs(&data(2000, 2), &params);
	fragments[4][17] ^= 0x40;
	let err = verify_fragment(&encoded.manifest, 4, &fragments[4][..]).unwrap_err();
	assert!(matches!(err, Error::FragmentMismatch { index: 4 }));
	// A fragment of another file fails too.
	let (_, other) = encode_to_vecs(&data(2000, 3), &params);
	assert!(verify_fragment(&encoded.manifest, 0, &other[0][..]).is_err());
	// A truncated fragment fails on its length.
	let err = verify_fragment(&encoded.manifest, 1, &fragments[1][..10]).unwrap_err();
	assert!(matches!(err, Error::FragmentSize { index: 1, .. }));
}

#[test]
fn tampered_data_that_skips_verification_fails_decryption_or_hash() {
	let params = small_params(CodecId::ReedSolomonSimd, 3, 6);
	let input = data(2000, 4);
	let (encoded, mut fragments) = encode_to_vecs(&input, &params);
	fragments[0][5] ^= 1;
	let subset: Vec<_> = fragments.into_iter().take(3).map(Some).collect();
	let err = restore(&encoded.manifest, &encoded.key, &subset).unwrap_err();
	assert!(matches!(err, Error::ContentHash | Error::Decryption), "{err}");
}

#[test]
fn wrong_key_is_detected() {
	let params = small_params(CodecId::NovelPoly, 3, 6);
	let (encoded, fragments) = encode_to_vecs(&data(700, 5), &params);
	let all: Vec<_> = fragments.into_iter().map(Some).collect();
	let err = restore(&encoded.manifest, &FileKey([9; 32]), &all).unwrap_err();
	assert!(matches!(err, Error::Decryption));
}

#[test]
fn bad_parameters_are_refused_before_any_output() {
	let mut sinks = vec![Vec::<u8>::new(); 3];
	let k_above_n = Params { k: 4, n: 3, ..Params::default() };
	assert!(matches!(encode(&b"x"[..], &k_above_n, &mut sinks), Err(Error::BadParameters { .. })));
	let mut many = vec![Vec::<u8>::new(); 2000];
	let n_too_big = Params { k: 3, n: 2000, ..Params::default() };
	assert!(matches!(encode(&b"x"[..], &n_too_big, &mut many), Err(Error::BadParameters { .. })));
	assert!(sinks.iter().all(Vec::is_empty));
}

#[test]
fn capability_roundtrips_and_rejects_damage() {
	let v1 = ReadCapability { client: None, manifest_id: [7; 32], key: FileKey([8; 32]) };
	let v1_text = v1.to_string();
	assert!(v1_text.starts_with("cairn:v1:"));
	assert_eq!(v1_text.parse::<ReadCapability>().unwrap(), v1, "v1 capabilities still parse");
	let cap = ReadCapability { client: Some([5; 32]), ..v1.clone() };
	let text = cap.to_string();
	assert!(text.starts_with("cairn:v2:"));
	assert_eq!(text.parse::<ReadCapability>().unwrap(), cap);
	// A v1 body under a v2 label (and the other way round) fails its length or checksum.
	let swapped = v1_text.replace("cairn:v1:", "cairn:v2:");
	assert!(swapped.parse::<ReadCapability>().is_err());
	for bad in [
		"",
		"cairn:",
		"cairn:v2:abc",
		"cairn:v3:abc",
		"http://x",
		"cairn:v1:0OIl",
		"cairn:v1:abc",
		&text[..text.len() - 1],
		&format!("{text}x"),
	] {
		assert!(matches!(bad.parse::<ReadCapability>(), Err(Error::Capability(_))), "{bad}");
	}
	// One changed character breaks the checksum.
	let mut chars: Vec<char> = text.chars().collect();
	let last = chars.len() - 3;
	chars[last] = if chars[last] == '2' { '3' } else { '2' };
	let changed: String = chars.into_iter().collect();
	assert!(changed.parse::<ReadCapability>().is_err());
}

#[test]
fn manifest_roundtrips_and_rejects_inconsistency() {
	let params = small_params(CodecId::ReedSolomonSimd, 3, 6);
	let (encoded, _) = encode_to_vecs(&data(1000, 6), &params);
	let bytes = encoded.manifest.to_bytes();
	assert_eq!(Manifest::from_bytes(&bytes).unwrap(), encoded.manifest);
	let mut wrong = encoded.manifest.clone();
	wrong.fragment_roots.pop();
	assert!(Manifest::from_bytes(&wrong.to_bytes()).is_err());
	let mut wrong = encoded.manifest.clone();
	wrong.plain_size += 1000;
	assert!(Manifest::from_bytes(&wrong.to_bytes()).is_err());
	assert!(Manifest::from_bytes(&bytes[..bytes.len() - 1]).is_err());
	let mut unknown_version = bytes.clone();
	unknown_version[0] = 9;
	assert!(Manifest::from_bytes(&unknown_version).is_err());
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(48))]

	#[test]
	fn random_sizes_roundtrip(len in 0usize..6000, simd in any::<bool>()) {
		let codec = if simd { CodecId::ReedSolomonSimd } else { CodecId::NovelPoly };
		roundtrip(len, &small_params(codec, 3, 7));
	}

	/// Fuzz: arbitrary bytes never panic the manifest decoder.
	#[test]
	fn manifest_decoder_survives_garbage(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
		let _ = Manifest::from_bytes(&bytes);
	}

	/// Fuzz: arbitrary text never panics the capability parser, and nothing random passes.
	#[test]
	fn capability_parser_survives_garbage(text in "(cairn:v[12]:)?[1-9A-HJ-NP-Za-km-z]{0,170}") {
		let _ = text.parse::<ReadCapability>();
	}
}
