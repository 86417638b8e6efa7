//! The erasure codes behind one small trait, so that a manifest can name its codec and
//! files outlive a change of default.

use codec::{Decode, Encode};
use reed_solomon_novelpoly::{CodeParams, WrappedShard};
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

use crate::Error;

/// Which code a file was encoded with. Stored in the manifest: never renumber.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum CodecId {
	/// `reed-solomon-simd` 3.x: Leopard-style GF(2^16) code, any k and n.
	ReedSolomonSimd = 0,
	/// `reed-solomon-novelpoly` 2.x: polkadot-sdk's code; k is rounded down to a power of two.
	NovelPoly = 1,
}

impl CodecId {
	/// The name used on the command line and in benchmarks.
	pub fn name(self) -> &'static str {
		match self {
			CodecId::ReedSolomonSimd => "simd",
			CodecId::NovelPoly => "novelpoly",
		}
	}
}

impl std::str::FromStr for CodecId {
	type Err = Error;
	fn from_str(s: &str) -> Result<Self, Error> {
		match s {
			"simd" | "reed-solomon-simd" => Ok(CodecId::ReedSolomonSimd),
			"novelpoly" | "reed-solomon-novelpoly" => Ok(CodecId::NovelPoly),
			other => Err(Error::UnknownCodec(other.to_string())),
		}
	}
}

/// A k-of-n erasure code over one stripe at a time.
pub trait Codec: Send {
	/// The length of each of the n shards of a stripe of `stripe_len` bytes.
	fn shard_len(&self, stripe_len: usize) -> usize;
	/// Splits a stripe into n shards, any k of which restore it.
	fn encode(&mut self, stripe: &[u8]) -> Result<Vec<Vec<u8>>, Error>;
	/// Restores a stripe of `stripe_len` bytes from at least k of its n shards.
	fn decode(&mut self, shards: Vec<Option<Vec<u8>>>, stripe_len: usize) -> Result<Vec<u8>, Error>;
}

/// Checks k and n for a codec and builds it.
pub fn new_codec(id: CodecId, k: u16, n: u16) -> Result<Box<dyn Codec>, Error> {
	let (k, n) = (k as usize, n as usize);
	if k == 0 || k >= n {
		return Err(Error::BadParameters { k, n, reason: "need 1 <= k < n" });
	}
	match id {
		CodecId::ReedSolomonSimd => {
			if !ReedSolomonEncoder::supports(k, n - k) {
				return Err(Error::BadParameters { k, n, reason: "above reed-solomon-simd's limits" });
			}
			Ok(Box::new(Simd { k, n, encoder: None, decoder: None }))
		},
		CodecId::NovelPoly => {
			let params = CodeParams::derive_parameters(n, k).map_err(|_| Error::BadParameters {
				k,
				n,
				reason: "above reed-solomon-novelpoly's limits",
			})?;
			Ok(Box::new(NovelPoly { params }))
		},
	}
}

/// reed-solomon-simd: the stripe is cut into k equal data shards (zero-padded to an even
/// length), followed by n - k recovery shards.
struct Simd {
	k: usize,
	n: usize,
	encoder: Option<ReedSolomonEncoder>,
	decoder: Option<ReedSolomonDecoder>,
}

impl Codec for Simd {
	fn shard_len(&self, stripe_len: usize) -> usize {
		let len = stripe_len.div_ceil(self.k).max(2);
		len + (len & 1)
	}

	fn encode(&mut self, stripe: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
		let shard_len = self.shard_len(stripe.len());
		let (k, recovery) = (self.k, self.n - self.k);
		let encoder = match &mut self.encoder {
			Some(e) => {
				e.reset(k, recovery, shard_len).map_err(Error::simd)?;
				e
			},
			slot => slot.insert(ReedSolomonEncoder::new(k, recovery, shard_len).map_err(Error::simd)?),
		};
		let mut shards = Vec::with_capacity(self.n);
		for i in 0..k {
			let start = (i * shard_len).min(stripe.len());
			let end = ((i + 1) * shard_len).min(stripe.len());
			let mut shard = vec![0u8; shard_len];
			shard[..end - start].copy_from_slice(&stripe[start..end]);
			encoder.add_original_shard(&shard).map_err(Error::simd)?;
			shards.push(shard);
		}
		let result = encoder.encode().map_err(Error::simd)?;
		shards.extend(result.recovery_iter().map(|s| s.to_vec()));
		Ok(shards)
	}

	fn decode(&mut self, shards: Vec<Option<Vec<u8>>>, stripe_len: usize) -> Result<Vec<u8>, Error> {
		let shard_len = self.shard_len(stripe_len);
		let (k, recovery) = (self.k, self.n - self.k);
		let have = shards.iter().flatten().count();
		if have < k {
			return Err(Error::NotEnoughFragments { have, need: k });
		}
		let mut originals: Vec<Option<Vec<u8>>> = shards.iter().take(k).cloned().collect();
		if originals.iter().any(Option::is_none) {
			let decoder = match &mut self.decoder {
				Some(d) => {
					d.reset(k, recovery, shard_len).map_err(Error::simd)?;
					d
				},
				slot => slot.insert(ReedSolomonDecoder::new(k, recovery, shard_len).map_err(Error::simd)?),
			};
			for (i, shard) in shards.iter().enumerate() {
				let Some(shard) = shard else { continue };
				if shard.len() != shard_len {
					return Err(Error::ShardLength { index: i, len: shard.len(), expected: shard_len });
				}
				if i < k {
					decoder.add_original_shard(i, shard).map_err(Error::simd)?;
				} else {
					decoder.add_recovery_shard(i - k, shard).map_err(Error::simd)?;
				}
			}
			let result = decoder.decode().map_err(Error::simd)?;
			for (i, restored) in result.restored_original_iter() {
				originals[i] = Some(restored.to_vec());
			}
		}
		let mut stripe = Vec::with_capacity(k * shard_len);
		for shard in originals {
			stripe.extend_from_slice(&shard.ok_or(Error::NotEnoughFragments { have, need: k })?);
		}
		stripe.truncate(stripe_len);
		Ok(stripe)
	}
}

/// reed-solomon-novelpoly: encodes the whole stripe, interleaving two-byte symbols.
struct NovelPoly {
	params: CodeParams,
}

impl Codec for NovelPoly {
	fn shard_len(&self, stripe_len: usize) -> usize {
		self.params.make_encoder().shard_len(stripe_len.max(1))
	}

	fn encode(&mut self, stripe: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
		let shards: Vec<WrappedShard> = self.params.make_encoder().encode(stripe).map_err(Error::novelpoly)?;
		Ok(shards.into_iter().map(WrappedShard::into_inner).collect())
	}

	fn decode(&mut self, shards: Vec<Option<Vec<u8>>>, stripe_len: usize) -> Result<Vec<u8>, Error> {
		let have = shards.iter().flatten().count();
		let need = self.params.k();
		if have < need {
			return Err(Error::NotEnoughFragments { have, need });
		}
		let shards = shards.into_iter().map(|s| s.map(WrappedShard::new)).collect();
		let mut stripe = self.params.make_encoder().reconstruct(shards).map_err(Error::novelpoly)?;
		if stripe.len() < stripe_len {
			return Err(Error::Corrupt("novelpoly restored a short stripe"));
		}
		stripe.truncate(stripe_len);
		Ok(stripe)
	}
}

/// How many fragments a codec needs to restore a file (novelpoly rounds k down to a power
/// of two, so it may need more than k... never fewer).
pub fn fragments_needed(id: CodecId, k: u16, n: u16) -> usize {
	match id {
		CodecId::ReedSolomonSimd => k as usize,
		CodecId::NovelPoly => {
			CodeParams::derive_parameters(n as usize, k as usize).map(|p| p.k()).unwrap_or(k as usize)
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn roundtrip(id: CodecId, k: u16, n: u16, len: usize) {
		let mut codec = new_codec(id, k, n).unwrap();
		let stripe: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
		let shards = codec.encode(&stripe).unwrap();
		assert_eq!(shards.len(), n as usize);
		let need = fragments_needed(id, k, n);
		// The last `need` shards only: the hardest case, all parity where possible.
		let mut received: Vec<Option<Vec<u8>>> = shards.into_iter().map(Some).collect();
		for s in received.iter_mut().take(n as usize - need) {
			*s = None;
		}
		assert_eq!(codec.decode(received, len).unwrap(), stripe);
	}

	#[test]
	fn both_codecs_roundtrip_from_the_last_fragments() {
		for id in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
			for len in [1, 2, 3, 1000, 4096, 65_537] {
				roundtrip(id, 3, 10, len);
				roundtrip(id, 16, 48, len);
			}
		}
	}

	#[test]
	fn bad_parameters_are_refused() {
		for id in [CodecId::ReedSolomonSimd, CodecId::NovelPoly] {
			assert!(matches!(new_codec(id, 0, 3), Err(Error::BadParameters { .. })));
			assert!(matches!(new_codec(id, 4, 3), Err(Error::BadParameters { .. })));
			assert!(matches!(new_codec(id, 3, 3), Err(Error::BadParameters { .. })));
		}
		assert!(matches!(new_codec(CodecId::ReedSolomonSimd, 40_000, 65_535), Err(Error::BadParameters { .. })));
	}

	#[test]
	fn unknown_codec_name_is_an_error() {
		assert!(matches!("zstd".parse::<CodecId>(), Err(Error::UnknownCodec(_))));
		assert_eq!("simd".parse::<CodecId>().unwrap(), CodecId::ReedSolomonSimd);
	}
}
