//! Throughput of each stage and of the whole pipeline, on 1 MiB stripes.
//!
//! `cargo bench -p cairn-erasure`; the README's performance table records the figures.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use cairn_erasure::{decode, encode, new_codec, CodecId, Params};

const STRIPE: usize = 1024 * 1024;

fn stripe() -> Vec<u8> {
	(0..STRIPE).map(|i| (i as u32).wrapping_mul(2654435761) as u8).collect()
}

/// Each codec through `cairn-erasure`, and reed-solomon-simd on its own, driven the
/// leanest way its API allows (shards already cut, results only looked at), in the same
/// run: the codec's overhead is the difference.
fn codecs(c: &mut Criterion) {
	let data = stripe();
	let mut group = c.benchmark_group("codec");
	group.throughput(Throughput::Bytes(STRIPE as u64));
	group.sample_size(10);
	for (k, n) in [(3u16, 10u16), (16, 48)] {
		for id in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
			let mut codec = new_codec(id, k, n).unwrap();
			let label = format!("{}-{k}of{n}", id.name());
			group.bench_function(BenchmarkId::new("encode", &label), |b| {
				b.iter(|| codec.encode(&data, &mut |shards| Ok(assert_eq!(shards.len(), n as usize))).unwrap())
			});
			let mut shards = Vec::new();
			codec
				.encode(&data, &mut |out| {
					shards = out.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
					Ok(())
				})
				.unwrap();
			// Lose the first n-k shards: reconstruction must use parity.
			let lost = n as usize - k as usize;
			let received: Vec<_> = shards.iter().enumerate().map(|(i, s)| (i >= lost).then(|| s.clone())).collect();
			let mut restored = Vec::new();
			group.bench_function(BenchmarkId::new("reconstruct", &label), |b| {
				b.iter(|| codec.decode(&received, STRIPE, &mut restored).unwrap())
			});
		}
		library(&mut group, &data, k as usize, n as usize);
	}
	group.finish();
}

/// reed-solomon-simd alone on the same stripe: encode from k shards cut beforehand, and
/// restore the k originals from the last k shards.
fn library(group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>, data: &[u8], k: usize, n: usize) {
	use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};
	let shard_len = {
		let len = data.len().div_ceil(k);
		len + (len & 1)
	};
	let mut padded = data.to_vec();
	padded.resize(k * shard_len, 0);
	let originals: Vec<&[u8]> = padded.chunks_exact(shard_len).collect();
	let label = format!("library-{k}of{n}");
	let mut encoder = ReedSolomonEncoder::new(k, n - k, shard_len).unwrap();
	group.bench_function(BenchmarkId::new("encode", &label), |b| {
		b.iter(|| {
			encoder.reset(k, n - k, shard_len).unwrap();
			for shard in &originals {
				encoder.add_original_shard(shard).unwrap();
			}
			encoder.encode().unwrap().recovery_iter().count()
		})
	});
	let recovery: Vec<Vec<u8>> = reed_solomon_simd::encode(k, n - k, &originals).unwrap();
	let lost = n - k;
	let mut decoder = ReedSolomonDecoder::new(k, n - k, shard_len).unwrap();
	group.bench_function(BenchmarkId::new("reconstruct", &label), |b| {
		b.iter(|| {
			decoder.reset(k, n - k, shard_len).unwrap();
			for (i, shard) in originals.iter().enumerate().skip(lost) {
				decoder.add_original_shard(i, shard).unwrap();
			}
			for (i, shard) in recovery.iter().enumerate() {
				if k + i >= lost {
					decoder.add_recovery_shard(i, shard).unwrap();
				}
			}
			decoder.decode().unwrap().restored_original_iter().count()
		})
	});
}

fn aead(c: &mut Criterion) {
	use cairn_erasure::crypto::{random_nonce, Encryptor};
	let chunk = stripe()[..64 * 1024].to_vec();
	let key = cairn_erasure::FileKey::random();
	let nonce = random_nonce();
	let mut group = c.benchmark_group("aead");
	group.throughput(Throughput::Bytes(chunk.len() as u64));
	group.bench_function("xchacha20poly1305-stream-64KiB", |b| {
		let mut enc = Encryptor::new(&key, &nonce);
		b.iter(|| {
			let mut buf = chunk.clone();
			enc.seal(&mut buf, false).unwrap();
			buf
		})
	});
	group.finish();
}

fn hashing(c: &mut Criterion) {
	let data = stripe();
	let mut group = c.benchmark_group("hash");
	group.throughput(Throughput::Bytes(STRIPE as u64));
	// What the node and the client do: the fragment's BLAKE3 hash is its tree's root.
	group.bench_function("fragment-root-blake3", |b| b.iter(|| cairn_erasure::fragment_root(&data[..]).unwrap()));
	// One chaining value per 1 KiB segment (what a prover does for one 64 KiB block).
	group.bench_function("leaves-blake3-1KiB-segments", |b| {
		b.iter(|| {
			let leaves: Vec<_> = data
				.chunks(1024)
				.enumerate()
				.map(|(i, s)| cairn_primitives::merkle::leaf(s, i as u64, 1024).unwrap())
				.collect();
			cairn_primitives::merkle::root(&leaves)
		})
	});
	// The design BLAKE3 replaced: BLAKE2b-256 of each prefixed 1 KiB segment, then pairs.
	group.bench_function("tree-blake2b-1KiB-segments", |b| b.iter(|| blake2b_tree(&data)));
	group.finish();
}

fn blake2b_tree(data: &[u8]) -> [u8; 32] {
	let hash = |prefix: u8, parts: &[&[u8]]| -> [u8; 32] {
		let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
		state.update(&[prefix]);
		parts.iter().for_each(|p| {
			state.update(p);
		});
		state.finalize().as_bytes().try_into().unwrap()
	};
	let mut level: Vec<[u8; 32]> = data.chunks(1024).map(|s| hash(0, &[s])).collect();
	while level.len() > 1 {
		level = level.chunks(2).map(|p| if p.len() == 2 { hash(1, &[&p[0], &p[1]]) } else { p[0] }).collect();
	}
	level[0]
}

fn pipeline(c: &mut Criterion) {
	let size = 32 * STRIPE;
	let input: Vec<u8> = (0..size).map(|i| (i as u32).wrapping_mul(40503) as u8).collect();
	let mut group = c.benchmark_group("pipeline");
	group.throughput(Throughput::Bytes(size as u64));
	group.sample_size(10);
	for id in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
		let params = Params { codec: id, ..Params::default() };
		group.bench_function(BenchmarkId::new("encode-3of10", id.name()), |b| {
			b.iter(|| {
				let mut sinks = vec![std::io::sink(); 10];
				encode(&input[..], &params, &mut sinks).unwrap()
			})
		});
		let mut fragments = vec![Vec::new(); 10];
		let encoded = encode(&input[..], &params, &mut fragments).unwrap();
		group.bench_function(BenchmarkId::new("decode-3of10-parity", id.name()), |b| {
			b.iter(|| {
				let readers = fragments.iter().enumerate().map(|(i, f)| (i >= 7).then_some(&f[..])).collect();
				decode(&encoded.manifest, &encoded.key, readers, std::io::sink()).unwrap()
			})
		});
	}
	group.finish();
}

criterion_group!(benches, codecs, aead, hashing, pipeline);
criterion_main!(benches);
