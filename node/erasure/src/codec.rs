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

/// A k-of-n erasure code over one stripe at a time. Both directions borrow: a stripe's
/// shards are handed out as slices into the stripe and the codec's own buffers, reused
/// from stripe to stripe, so reed-solomon-simd codes a stripe without allocating and
/// copies only what the code itself must (novelpoly's API allocates its shards).
pub trait Codec: Send {
	/// The length of each of the n shards of a stripe of `stripe_len` bytes.
	fn shard_len(&self, stripe_len: usize) -> usize;
	/// Splits a stripe into n shards, any k of which restore it, and hands them to `out`
	/// in order.
	fn encode(&mut self, stripe: &[u8], out: &mut dyn FnMut(&[&[u8]]) -> Result<(), Error>) -> Result<(), Error>;
	/// Restores a stripe of `stripe_len` bytes into `stripe` (cleared first) from at least
	/// k of its n shards.
	fn decode(&mut self, shards: &[Option<Vec<u8>>], stripe_len: usize, stripe: &mut Vec<u8>) -> Result<(), Error>;
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
			Ok(Box::new(Simd { k, n, encoder: None, decoder: None, tail: Vec::new() }))
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

/// reed-solomon-simd: the stripe is cut into k equal data shards (the last zero-padded,
/// all of an even length), followed by n - k recovery shards.
struct Simd {
	k: usize,
	n: usize,
	encoder: Option<ReedSolomonEncoder>,
	decoder: Option<ReedSolomonDecoder>,
	/// The padded copies of data shards that run past the stripe's end.
	tail: Vec<u8>,
}

impl Codec for Simd {
	fn shard_len(&self, stripe_len: usize) -> usize {
		let len = stripe_len.div_ceil(self.k).max(2);
		len + (len & 1)
	}

	fn encode(&mut self, stripe: &[u8], out: &mut dyn FnMut(&[&[u8]]) -> Result<(), Error>) -> Result<(), Error> {
		let shard_len = self.shard_len(stripe.len());
		let (k, recovery) = (self.k, self.n - self.k);
		let encoder = match &mut self.encoder {
			Some(e) => {
				e.reset(k, recovery, shard_len).map_err(Error::simd)?;
				e
			},
			slot => slot.insert(ReedSolomonEncoder::new(k, recovery, shard_len).map_err(Error::simd)?),
		};
		// Whole shards are slices of the stripe; those past its end are padded copies.
		let whole = stripe.len() / shard_len;
		self.tail.clear();
		self.tail.resize((k - whole) * shard_len, 0);
		let rest = &stripe[whole * shard_len..];
		self.tail[..rest.len()].copy_from_slice(rest);
		let data = stripe[..whole * shard_len].chunks_exact(shard_len).chain(self.tail.chunks_exact(shard_len));
		let mut shards: Vec<&[u8]> = Vec::with_capacity(self.n);
		for shard in data {
			encoder.add_original_shard(shard).map_err(Error::simd)?;
			shards.push(shard);
		}
		let result = encoder.encode().map_err(Error::simd)?;
		shards.extend(result.recovery_iter());
		out(&shards)
	}

	fn decode(&mut self, shards: &[Option<Vec<u8>>], stripe_len: usize, stripe: &mut Vec<u8>) -> Result<(), Error> {
		let shard_len = self.shard_len(stripe_len);
		let (k, recovery) = (self.k, self.n - self.k);
		let have = shards.iter().flatten().count();
		if have < k {
			return Err(Error::NotEnoughFragments { have, need: k });
		}
		for (index, shard) in shards.iter().enumerate() {
			if let Some(shard) = shard.as_ref().filter(|s| s.len() != shard_len) {
				return Err(Error::ShardLength { index, len: shard.len(), expected: shard_len });
			}
		}
		stripe.clear();
		stripe.reserve(k * shard_len);
		if shards.iter().take(k).all(Option::is_some) {
			for shard in shards.iter().take(k).flatten() {
				stripe.extend_from_slice(shard);
			}
		} else {
			let decoder = match &mut self.decoder {
				Some(d) => {
					d.reset(k, recovery, shard_len).map_err(Error::simd)?;
					d
				},
				slot => slot.insert(ReedSolomonDecoder::new(k, recovery, shard_len).map_err(Error::simd)?),
			};
			for (i, shard) in shards.iter().enumerate() {
				let Some(shard) = shard else { continue };
				if i < k {
					decoder.add_original_shard(i, shard).map_err(Error::simd)?;
				} else {
					decoder.add_recovery_shard(i - k, shard).map_err(Error::simd)?;
				}
			}
			let result = decoder.decode().map_err(Error::simd)?;
			for (i, shard) in shards.iter().take(k).enumerate() {
				let shard = match shard {
					Some(shard) => &shard[..],
					None => result.restored_original(i).ok_or(Error::NotEnoughFragments { have, need: k })?,
				};
				stripe.extend_from_slice(shard);
			}
		}
		stripe.truncate(stripe_len);
		Ok(())
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

	fn encode(&mut self, stripe: &[u8], out: &mut dyn FnMut(&[&[u8]]) -> Result<(), Error>) -> Result<(), Error> {
		let shards: Vec<WrappedShard> = self.params.make_encoder().encode(stripe).map_err(Error::novelpoly)?;
		let shards: Vec<&[u8]> = shards.iter().map(AsRef::<[u8]>::as_ref).collect();
		out(&shards)
	}

	fn decode(&mut self, shards: &[Option<Vec<u8>>], stripe_len: usize, stripe: &mut Vec<u8>) -> Result<(), Error> {
		let have = shards.iter().flatten().count();
		let need = self.params.k();
		if have < need {
			return Err(Error::NotEnoughFragments { have, need });
		}
		let shard_len = self.shard_len(stripe_len);
		for (index, shard) in shards.iter().enumerate() {
			if let Some(shard) = shard.as_ref().filter(|s| s.len() != shard_len) {
				return Err(Error::ShardLength { index, len: shard.len(), expected: shard_len });
			}
		}
		let shards = shards.iter().map(|s| s.clone().map(WrappedShard::new)).collect();
		*stripe = self.params.make_encoder().reconstruct(shards).map_err(Error::novelpoly)?;
		if stripe.len() < stripe_len {
			return Err(Error::Corrupt("novelpoly restored a short stripe"));
		}
		stripe.truncate(stripe_len);
		Ok(())
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
		let mut shards = Vec::new();
		codec
			.encode(&stripe, &mut |out| {
				shards = out.iter().map(|s| s.to_vec()).collect();
				Ok(())
			})
			.unwrap();
		assert_eq!(shards.len(), n as usize);
		assert!(shards.iter().all(|s| s.len() == codec.shard_len(len)));
		let need = fragments_needed(id, k, n);
		// The last `need` shards only: the hardest case, all parity where possible.
		let mut received: Vec<Option<Vec<u8>>> = shards.iter().cloned().map(Some).collect();
		for s in received.iter_mut().take(n as usize - need) {
			*s = None;
		}
		let mut restored = vec![1, 2, 3];
		codec.decode(&received, len, &mut restored).unwrap();
		assert_eq!(restored, stripe);
		// And from the data shards alone, into the same buffer.
		if id == CodecId::ReedSolomonSimd {
			let data: Vec<_> = shards.iter().enumerate().map(|(i, s)| (i < k as usize).then(|| s.clone())).collect();
			codec.decode(&data, len, &mut restored).unwrap();
			assert_eq!(restored, stripe);
		}
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
	fn a_shard_of_the_wrong_length_is_an_error() {
		let mut codec = new_codec(CodecId::ReedSolomonSimd, 3, 10).unwrap();
		let mut shards: Vec<Option<Vec<u8>>> = vec![None; 10];
		for s in shards.iter_mut().skip(7) {
			*s = Some(vec![0; 12]);
		}
		shards[9] = Some(vec![0; 10]);
		let mut out = Vec::new();
		assert!(matches!(codec.decode(&shards, 36, &mut out), Err(Error::ShardLength { index: 9, len: 10, expected: 12 })));
		shards[9] = None;
		assert!(matches!(codec.decode(&shards, 36, &mut out), Err(Error::NotEnoughFragments { have: 2, need: 3 })));
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
