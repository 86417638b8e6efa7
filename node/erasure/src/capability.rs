//! The read capability: the text a person shares so that another can fetch and decrypt a
//! file. `cairn:v2:` is base58 of the client account (whose contracts hold the file),
//! manifest id, key and a 4-byte checksum; the older `cairn:v1:` has no account, and
//! still parses (a reader then names the client itself).

use crate::{crypto::FileKey, manifest::blake2b_256, Error, ManifestId, KEY_LEN};

const PREFIX: &str = "cairn:";
const CHECKSUM_LEN: usize = 4;
const V1_PAYLOAD_LEN: usize = 32 + KEY_LEN;
const V2_PAYLOAD_LEN: usize = 32 + V1_PAYLOAD_LEN;

/// Everything needed to read a file: whose contracts hold it, which manifest, and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadCapability {
	/// The account (sr25519 public key) that made the file's contracts; `None` in a v1
	/// capability.
	pub client: Option<[u8; 32]>,
	pub manifest_id: ManifestId,
	pub key: FileKey,
}

fn checksum(version: &str, payload: &[u8]) -> [u8; CHECKSUM_LEN] {
	let mut data = format!("cairn-read-capability-{version}").into_bytes();
	data.extend_from_slice(payload);
	blake2b_256(&data)[..CHECKSUM_LEN].try_into().expect("4 bytes")
}

impl std::fmt::Display for ReadCapability {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let mut bytes = Vec::with_capacity(V2_PAYLOAD_LEN + CHECKSUM_LEN);
		if let Some(client) = &self.client {
			bytes.extend_from_slice(client);
		}
		bytes.extend_from_slice(&self.manifest_id);
		bytes.extend_from_slice(&self.key.0);
		let version = if self.client.is_some() { "v2" } else { "v1" };
		let sum = checksum(version, &bytes);
		bytes.extend_from_slice(&sum);
		write!(f, "{PREFIX}{version}:{}", bs58::encode(bytes).into_string())
	}
}

impl std::str::FromStr for ReadCapability {
	type Err = Error;

	fn from_str(text: &str) -> Result<Self, Error> {
		let rest = text.trim().strip_prefix(PREFIX).ok_or(Error::Capability("does not start with `cairn:`"))?;
		let (version, body) = rest.split_once(':').ok_or(Error::Capability("no version"))?;
		let payload_len = match version {
			"v1" => V1_PAYLOAD_LEN,
			"v2" => V2_PAYLOAD_LEN,
			_ => return Err(Error::Capability("unknown version (this build reads v1 and v2)")),
		};
		// Base58 of 100 bytes is at most 137 characters; refuse anything much longer unread.
		if body.len() > 160 {
			return Err(Error::Capability("too long"));
		}
		let bytes = bs58::decode(body).into_vec().map_err(|_| Error::Capability("not base58"))?;
		if bytes.len() != payload_len + CHECKSUM_LEN {
			return Err(Error::Capability("wrong length"));
		}
		let (payload, sum) = bytes.split_at(payload_len);
		if checksum(version, payload) != sum {
			return Err(Error::Capability("checksum mismatch (mistyped or truncated?)"));
		}
		let (client, rest) = match version {
			"v2" => (Some(payload[..32].try_into().expect("32 bytes")), &payload[32..]),
			_ => (None, payload),
		};
		let manifest_id: ManifestId = rest[..32].try_into().expect("32 bytes");
		let key: [u8; KEY_LEN] = rest[32..].try_into().expect("key length");
		Ok(ReadCapability { client, manifest_id, key: FileKey(key) })
	}
}
