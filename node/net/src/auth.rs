//! Who may upload to a provider that sells storage: only the client of a pending contract
//! that names this provider and this fragment, proven by the client account's sr25519
//! signature over [`upload_payload`](crate::upload_payload). Everyone else is refused with
//! `Unauthorized`, so nobody can hold the upload slot of someone else's contract (whose
//! roots and sizes are public on chain). Manifests are taken only when a live contract
//! with this provider names them.

use libp2p::PeerId;

use crate::{protocol::upload_payload, Admission, Refusal, UploadRequest};

/// What a provider's view of the chain says about one contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractTerms {
	/// The paying client's sr25519 public key (its account id).
	pub client: [u8; 32],
	pub root: [u8; 32],
	pub len: u64,
	pub segment_size: u32,
	/// The file's manifest id.
	pub manifest: [u8; 32],
	/// Waiting for this provider's fragment (else active).
	pub pending: bool,
}

/// A provider's view of its contracts, e.g. the best block of its node.
pub trait Contracts: Send + Sync {
	/// The chain's genesis hash, which upload signatures bind.
	fn genesis(&self) -> [u8; 32];
	/// Contract `id`, if it is live (pending or active) and names this provider.
	fn contract(&self, id: u64) -> Result<Option<ContractTerms>, String>;
}

/// Admits uploads signed by the contract's client, and manifests a live contract names.
pub struct ContractAdmission<C> {
	contracts: C,
	provider: PeerId,
}

impl<C: Contracts> ContractAdmission<C> {
	/// Admission for the provider whose service plane has peer id `provider`.
	pub fn new(contracts: C, provider: PeerId) -> Self {
		ContractAdmission { contracts, provider }
	}
}

/// Whether `signature` is `signer`'s sr25519 signature (Substrate's signing context) over
/// `message`, or over `<Bytes>message</Bytes>` as wallets' `signRaw` signs.
pub fn verify_sr25519(signer: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
	let (Ok(public), Ok(signature)) =
		(schnorrkel::PublicKey::from_bytes(signer), schnorrkel::Signature::from_bytes(signature))
	else {
		return false;
	};
	let wrapped = [b"<Bytes>".as_slice(), message, b"</Bytes>"].concat();
	[message, &wrapped[..]].iter().any(|m| public.verify_simple(b"substrate", m, &signature).is_ok())
}

impl<C: Contracts> Admission for ContractAdmission<C> {
	fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), Refusal> {
		let auth = upload.auth.ok_or_else(|| {
			Refusal::Unauthorized("this provider takes a fragment only with its contract client's signature".into())
		})?;
		let terms =
			self.contracts.contract(auth.contract).map_err(Refusal::Retry)?.filter(|t| t.pending).ok_or_else(|| {
				Refusal::Retry(format!("contract {} is not pending with this provider", auth.contract))
			})?;
		if terms.root != *upload.id || terms.len != upload.len || terms.segment_size != upload.segment_size {
			return Err(Refusal::Unauthorized(format!(
				"contract {} names another fragment (root, length or segment size differ)",
				auth.contract
			)));
		}
		let payload = upload_payload(
			&self.contracts.genesis(),
			auth.contract,
			upload.id,
			upload.len,
			upload.segment_size,
			&self.provider,
		);
		if !verify_sr25519(&terms.client, &payload, &auth.signature) {
			return Err(Refusal::Unauthorized(format!(
				"the upload is not signed by contract {}'s client for this provider",
				auth.contract
			)));
		}
		Ok(())
	}

	fn admit_manifest(&self, id: &[u8; 32], contract: Option<u64>) -> Result<(), Refusal> {
		let contract = contract.ok_or_else(|| {
			Refusal::Unauthorized("this provider keeps a manifest only for a contract that names it".into())
		})?;
		match self.contracts.contract(contract).map_err(Refusal::Retry)? {
			Some(terms) if terms.manifest == *id => Ok(()),
			Some(_) => Err(Refusal::Unauthorized(format!("contract {contract} names another file"))),
			None => Err(Refusal::Retry(format!("contract {contract} is not live with this provider"))),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::verify_sr25519;
	use schnorrkel::{ExpansionMode, Keypair, MiniSecretKey};

	fn keypair(seed: u8) -> Keypair {
		MiniSecretKey::from_bytes(&[seed; 32]).expect("32 bytes").expand_to_keypair(ExpansionMode::Ed25519)
	}

	fn sign(pair: &Keypair, message: &[u8]) -> [u8; 64] {
		pair.sign_simple(b"substrate", message).to_bytes()
	}

	#[test]
	fn the_message_or_a_wallets_wrapped_message_is_signed() {
		let client = keypair(1);
		let public = client.public.to_bytes();
		let message = b"upload payload";
		// As the page's own key and the command line sign.
		assert!(verify_sr25519(&public, message, &sign(&client, message)));
		// As an extension's `signRaw` signs: `<Bytes>` around the payload.
		assert!(verify_sr25519(&public, message, &sign(&client, b"<Bytes>upload payload</Bytes>")));
	}

	#[test]
	fn another_message_signer_or_wrapping_is_refused() {
		let client = keypair(1);
		let public = client.public.to_bytes();
		let message = b"upload payload";
		assert!(!verify_sr25519(&public, message, &sign(&client, b"upload payloae")));
		assert!(!verify_sr25519(&public, message, &sign(&client, b"<Bytes>upload payloae</Bytes>")));
		// Only the exact wrapping wallets use counts.
		assert!(!verify_sr25519(&public, message, &sign(&client, b"<bytes>upload payload</bytes>")));
		assert!(!verify_sr25519(&public, message, &sign(&client, b"<Bytes>upload payload")));
		// Another account's signature.
		assert!(!verify_sr25519(&public, message, &sign(&keypair(2), message)));
		// Another signing context than Substrate's.
		let other_context = client.sign_simple(b"polkadot", message).to_bytes();
		assert!(!verify_sr25519(&public, message, &other_context));
	}

	#[test]
	fn malformed_keys_and_signatures_are_refused_not_panicked_on() {
		let client = keypair(1);
		let public = client.public.to_bytes();
		let message = b"upload payload";
		let mut signature = sign(&client, message);
		// schnorrkel's marker bit cleared: not an sr25519 signature at all.
		signature[63] &= 0x7f;
		assert!(!verify_sr25519(&public, message, &signature));
		assert!(!verify_sr25519(&[0xff; 32], message, &sign(&client, message)));
		assert!(!verify_sr25519(&public, message, &[0u8; 64]));
	}
}
