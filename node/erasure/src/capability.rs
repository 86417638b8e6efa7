//! The read capability: the text a person shares so that another can fetch and decrypt a
//! file, `cairn:v1:` followed by base58 of manifest id, key and a 4-byte checksum.

use crate::{crypto::FileKey, manifest::blake2b_256, Error, ManifestId, KEY_LEN};

const PREFIX: &str = "cairn:";
const VERSION: &str = "v1";
const CHECKSUM_LEN: usize = 4;
const PAYLOAD_LEN: usize = 32 + KEY_LEN;

/// Everything needed to read a file: which manifest, and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadCapability {
	pub manifest_id: ManifestId,
	pub key: FileKey,
}

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
	let mut data = b"cairn-read-capability-v1".to_vec();
	data.extend_from_slice(payload);
	blake2b_256(&data)[..CHECKSUM_LEN].try_into().expect("4 bytes")
}

impl std::fmt::Display for ReadCapability {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let mut bytes = Vec::with_capacity(PAYLOAD_LEN + CHECKSUM_LEN);
		bytes.extend_from_slice(&self.manifest_id);
		bytes.extend_from_slice(&self.key.0);
		let sum = checksum(&bytes);
		bytes.extend_from_slice(&sum);
		write!(f, "{PREFIX}{VERSION}:{}", bs58::encode(bytes).into_string())
	}
}

impl std::str::FromStr for ReadCapability {
	type Err = Error;

	fn from_str(text: &str) -> Result<Self, Error> {
		let rest = text.trim().strip_prefix(PREFIX).ok_or(Error::Capability("does not start with `cairn:`"))?;
		let (version, body) = rest.split_once(':').ok_or(Error::Capability("no version"))?;
		if version != VERSION {
			return Err(Error::Capability("unknown version (this build reads v1)"));
		}
		// Base58 of 68 bytes is at most 93 characters; refuse anything much longer unread.
		if body.len() > 128 {
			return Err(Error::Capability("too long"));
		}
		let bytes = bs58::decode(body).into_vec().map_err(|_| Error::Capability("not base58"))?;
		if bytes.len() != PAYLOAD_LEN + CHECKSUM_LEN {
			return Err(Error::Capability("wrong length"));
		}
		let (payload, sum) = bytes.split_at(PAYLOAD_LEN);
		if checksum(payload) != sum {
			return Err(Error::Capability("checksum mismatch (mistyped or truncated?)"));
		}
		let mut manifest_id = [0u8; 32];
		manifest_id.copy_from_slice(&payload[..32]);
		let mut key = [0u8; KEY_LEN];
		key.copy_from_slice(&payload[32..]);
		Ok(ReadCapability { manifest_id, key: FileKey(key) })
	}
}
