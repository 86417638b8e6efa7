//! App packages: a component with its manifest, signed by its author.
//!
//! A package is one file, so that it can be stored as a Cairn file and fetched from
//! providers by its read capability:
//!
//! ```text
//! "CAIRNAPP" 0x01 | author: sr25519 public key (32) | signature (64)
//!                 | manifest length (u32, little-endian) | manifest (JSON) | component
//! ```
//!
//! The author signs [`SIGNING_CONTEXT`] followed by the manifest, and the manifest names
//! the component by its BLAKE3 hash and size: one signature covers both. The manifest
//! says what the app asks for ([`Grants`]); the operator grants it or installs nothing.

use polkadot_sdk::sp_core::{
	crypto::{Pair as _, Ss58Codec},
	sr25519,
};
use serde::{Deserialize, Serialize};

use crate::{Error, Grants};

const MAGIC: &[u8; 9] = b"CAIRNAPP\x01";
/// What an author's signature is over, before the manifest: a signature made for
/// anything else is no package signature.
pub const SIGNING_CONTEXT: &[u8] = b"cairn-app-package-v1:";
const HEADER: usize = MAGIC.len() + 32 + 64 + 4;
/// The longest manifest.
pub const MAX_MANIFEST: usize = 16 * 1024;

/// What an app is and asks for, as its author wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
	pub name: String,
	pub version: String,
	#[serde(default)]
	pub description: String,
	/// What the app asks the operator to grant.
	#[serde(default)]
	pub asks: Grants,
	/// BLAKE3 hash of the component, hex.
	pub component: String,
	/// Size of the component in bytes.
	pub size: u64,
}

/// A package whose signature and component were checked.
#[derive(Debug)]
pub struct Package {
	pub manifest: Manifest,
	/// The author's public key.
	pub author: sr25519::Public,
	pub component: Vec<u8>,
}

impl Package {
	/// Packs `component` as `name` `version`, asking for `asks`, signed by `author`.
	pub fn build(
		name: &str,
		version: &str,
		description: &str,
		asks: Grants,
		component: &[u8],
		author: &sr25519::Pair,
	) -> Result<Vec<u8>, Error> {
		crate::check_name(name)?;
		check_text(version, description)?;
		let asks = Grants::parse(&asks.to_text())?;
		let manifest = Manifest {
			name: name.to_owned(),
			version: version.to_owned(),
			description: description.to_owned(),
			asks,
			component: blake3::hash(component).to_hex().to_string(),
			size: component.len() as u64,
		};
		let manifest = serde_json::to_vec(&manifest).map_err(|e| Error::BadPackage(e.to_string()))?;
		if manifest.len() > MAX_MANIFEST {
			return Err(Error::BadPackage(format!("its manifest is longer than {MAX_MANIFEST} bytes")));
		}
		let signature = author.sign(&[SIGNING_CONTEXT, &manifest].concat());
		let mut package = Vec::with_capacity(HEADER + manifest.len() + component.len());
		package.extend_from_slice(MAGIC);
		package.extend_from_slice(&author.public().0);
		package.extend_from_slice(&signature.0);
		package.extend_from_slice(&(manifest.len() as u32).to_le_bytes());
		package.extend_from_slice(&manifest);
		package.extend_from_slice(component);
		Ok(package)
	}

	/// Reads `bytes` as a package: refused unless its author's signature holds over its
	/// manifest and the manifest names this very component.
	pub fn open(bytes: &[u8]) -> Result<Package, Error> {
		if bytes.len() < HEADER || !bytes.starts_with(MAGIC) {
			return Err(Error::BadPackage(
				"not a Cairn app package (`cairn apps pack` makes one from a component)".into(),
			));
		}
		let mut at = MAGIC.len();
		let mut take = |n: usize| {
			let taken = &bytes[at..at + n];
			at += n;
			taken
		};
		let author = sr25519::Public::from_raw(take(32).try_into().expect("32 bytes"));
		let signature = sr25519::Signature::from_raw(take(64).try_into().expect("64 bytes"));
		let length = u32::from_le_bytes(take(4).try_into().expect("4 bytes")) as usize;
		if length > MAX_MANIFEST || bytes.len() < HEADER + length {
			return Err(Error::BadPackage("its manifest is cut short or too long".into()));
		}
		let manifest_bytes = &bytes[HEADER..HEADER + length];
		if !sr25519::Pair::verify(&signature, [SIGNING_CONTEXT, manifest_bytes].concat(), &author) {
			return Err(Error::BadSignature(author.to_ss58check()));
		}
		let mut manifest: Manifest =
			serde_json::from_slice(manifest_bytes).map_err(|e| Error::BadPackage(format!("its manifest: {e}")))?;
		crate::check_name(&manifest.name)?;
		check_text(&manifest.version, &manifest.description)?;
		// Asks as the operator would write them: checked, hosts in lowercase.
		manifest.asks = Grants::parse(&manifest.asks.to_text())
			.map_err(|e| Error::BadPackage(format!("its manifest asks for what no node grants: {e}")))?;
		let component = &bytes[HEADER + length..];
		if component.len() as u64 != manifest.size || blake3::hash(component).to_hex().as_str() != manifest.component {
			return Err(Error::ManifestMismatch(
				"the component is not the one its manifest names (hash or size differ)".into(),
			));
		}
		Ok(Package { manifest, author, component: component.to_vec() })
	}

	/// What the app asks for that `granted` does not give it, as grants are written.
	pub fn missing(&self, granted: &Grants) -> Vec<String> {
		let asks = &self.manifest.asks;
		let mut missing = Vec::new();
		if asks.kv && !granted.kv {
			missing.push("kv".to_owned());
		}
		if asks.files_read && !granted.files_read {
			missing.push("files:read".to_owned());
		}
		if asks.files_write && !granted.files_write {
			missing.push("files:write".to_owned());
		}
		missing.extend(asks.http.iter().filter(|host| !granted.http.contains(host)).map(|host| format!("http:{host}")));
		missing
	}
}

/// The longest version and description.
pub const MAX_VERSION: usize = 64;
pub const MAX_DESCRIPTION: usize = 1024;

/// A version and a description that show as they are on an operator's terminal: bounded,
/// without control characters (which could hide or fake what the terminal shows).
fn check_text(version: &str, description: &str) -> Result<(), Error> {
	if version.is_empty() || version.len() > MAX_VERSION || !version.bytes().all(|b| b.is_ascii_graphic()) {
		return Err(Error::BadPackage(format!(
			"its version must be 1 to {MAX_VERSION} printable ASCII characters without spaces"
		)));
	}
	// Control and format characters (bidirectional overrides, zero-width ones) and spaces
	// other than the plain one could make a terminal show what is not there.
	let hidden = |c: char| {
		c.is_control()
			|| (c.is_whitespace() && c != ' ')
			|| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
	};
	if description.len() > MAX_DESCRIPTION || description.chars().any(hidden) {
		return Err(Error::BadPackage(format!(
			"its description must be at most {MAX_DESCRIPTION} bytes without control or invisible characters"
		)));
	}
	Ok(())
}

/// An author as the operator names one: SS58 or `0x` and 64 hex digits.
pub fn parse_author(text: &str) -> Result<sr25519::Public, Error> {
	if let Some(hex_key) = text.strip_prefix("0x") {
		let raw: [u8; 32] = hex::decode(hex_key)
			.ok()
			.and_then(|bytes| bytes.try_into().ok())
			.ok_or_else(|| Error::BadAuthor(text.to_owned()))?;
		return Ok(sr25519::Public::from_raw(raw));
	}
	sr25519::Public::from_ss58check(text).map_err(|_| Error::BadAuthor(text.to_owned()))
}

impl Grants {
	/// The grants as the operator writes them: `kv,http:example.org`.
	pub fn to_text(&self) -> String {
		let mut items: Vec<String> = Vec::new();
		if self.kv {
			items.push("kv".into());
		}
		if self.files_read {
			items.push("files:read".into());
		}
		if self.files_write {
			items.push("files:write".into());
		}
		items.extend(self.http.iter().map(|host| format!("http:{host}")));
		items.join(",")
	}
}
