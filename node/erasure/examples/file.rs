//! Encodes a file into fragment files and decodes it back, for measuring throughput and
//! memory on real files (see `scripts/bench-memory.sh`).
//!
//! ```text
//! file encode INPUT DIR [simd|novelpoly]   writes DIR/fragment-<i> and DIR/manifest, prints the key
//! file decode DIR KEY_HEX OUTPUT           restores from the last k fragments (parity first)
//! ```

use std::{
	fs::File,
	io::{BufReader, BufWriter},
	path::PathBuf,
};

use cairn_erasure::{decode, encode, verify_fragment, CodecId, FileKey, Manifest, Params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args: Vec<String> = std::env::args().skip(1).collect();
	match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
		["encode", input, dir, rest @ ..] => {
			let codec: CodecId = rest.first().copied().unwrap_or("simd").parse()?;
			let params = Params { codec, ..Params::default() };
			let dir = PathBuf::from(dir);
			std::fs::create_dir_all(&dir)?;
			let mut sinks = (0..params.n)
				.map(|i| File::create(dir.join(format!("fragment-{i}"))).map(BufWriter::new))
				.collect::<Result<Vec<_>, _>>()?;
			let encoded = encode(BufReader::new(File::open(input)?), &params, &mut sinks)?;
			std::fs::write(dir.join("manifest"), encoded.manifest.to_bytes())?;
			let hex: String = encoded.key.0.iter().map(|b| format!("{b:02x}")).collect();
			println!("{hex}");
		},
		["decode", dir, key, output] => {
			let dir = PathBuf::from(dir);
			let manifest = Manifest::from_bytes(&std::fs::read(dir.join("manifest"))?)?;
			let mut key_bytes = [0u8; 32];
			for (i, b) in key_bytes.iter_mut().enumerate() {
				*b = u8::from_str_radix(key.get(2 * i..2 * i + 2).ok_or("key too short")?, 16)?;
			}
			let n = manifest.n as usize;
			let need = cairn_erasure::codec::fragments_needed(manifest.codec, manifest.k, manifest.n);
			let mut fragments = Vec::new();
			for i in 0..n {
				if i < n - need {
					fragments.push(None);
					continue;
				}
				let path = dir.join(format!("fragment-{i}"));
				verify_fragment(&manifest, i, BufReader::new(File::open(&path)?))?;
				fragments.push(Some(BufReader::new(File::open(&path)?)));
			}
			let out = BufWriter::new(File::create(output)?);
			decode(&manifest, &FileKey(key_bytes), fragments, out)?;
		},
		_ => return Err("usage: file encode INPUT DIR [codec] | file decode DIR KEY_HEX OUTPUT".into()),
	}
	Ok(())
}
