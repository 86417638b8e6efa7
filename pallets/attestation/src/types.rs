//! The records of the attestation pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// The most challengers a request can have.
pub const MAX_CHALLENGERS: u32 = 16;

/// Identifies an EK: `blake2_256` of its SubjectPublicKeyInfo DER.
pub type EkId = [u8; 32];
/// Identifies a trusted CA.
pub type CaId = u32;
/// Identifies a registration request.
pub type RequestId = u64;
/// A TPM name with the SHA-256 name algorithm.
pub type TpmName = [u8; 34];

/// An EK certificate, at most 2048 bytes of DER.
pub type CertBytes = BoundedVec<u8, ConstU32<2048>>;
/// An AK's TPM2B_PUBLIC.
pub type AkPublicBytes = BoundedVec<u8, ConstU32<512>>;
/// A quote (TPMS_ATTEST).
pub type AttestBytes = BoundedVec<u8, ConstU32<256>>;
/// A quote's signature (TPMT_SIGNATURE).
pub type SignatureBytes = BoundedVec<u8, ConstU32<300>>;
/// A credential's TPM2B_ID_OBJECT contents.
pub type IdObjectBytes = BoundedVec<u8, ConstU32<128>>;
/// A credential's TPM2B_ENCRYPTED_SECRET contents (RSA-2048 OAEP: 256 bytes).
pub type EncryptedSecretBytes = BoundedVec<u8, ConstU32<256>>;
/// A CA's DER name.
pub type NameBytes = BoundedVec<u8, ConstU32<512>>;
/// A CA's SubjectPublicKeyInfo DER (RSA-4096 fits).
pub type SpkiBytes = BoundedVec<u8, ConstU32<1024>>;
/// A human-readable CA label.
pub type LabelBytes = BoundedVec<u8, ConstU32<64>>;

/// A manufacturer CA whose certificates the chain trusts.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct TrustedCa {
	/// DER of the CA's subject name: EK certificates name it as their issuer.
	pub subject: NameBytes,
	/// DER of the CA's public key.
	pub spki: SpkiBytes,
	/// The CA that signed this one, if it is not a root.
	pub parent: Option<CaId>,
	pub label: LabelBytes,
	/// A revoked CA (or one under a revoked parent) vouches for nothing.
	pub revoked: bool,
}

/// A registered node.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Node<BlockNumber> {
	/// The node's EK; `None` for nodes registered in the genesis block.
	pub ek_id: Option<EkId>,
	/// The CA that issued the EK certificate; `None` for nodes registered in the genesis block.
	pub ca_id: Option<CaId>,
	/// The AK that signs the node's later TPM statements.
	pub ak_public: AkPublicBytes,
	pub registered_at: BlockNumber,
}

/// One challenger's part of a registration.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Challenge {
	pub id_object: IdObjectBytes,
	pub encrypted_secret: EncryptedSecretBytes,
	/// `blake2_256("TPMREG/commit/v1" || genesis || request id || challenger || secret)`.
	pub commitment: [u8; 32],
}

/// A challenger's seat in a request.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Seat<AccountId> {
	pub challenger: AccountId,
	pub challenge: Option<Challenge>,
}

/// Where a request stands, and until when.
#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum Phase<BlockNumber> {
	/// Waiting for randomness that was unknown when the request (or its last round) began;
	/// looked for again at this block.
	Drawing(BlockNumber),
	/// Challengers post their challenges until this block. If one is silent, the round
	/// fails: the request draws again with the next randomness, or ends after the last round.
	Challenging(BlockNumber),
	/// The node answers with `activate`; the request expires at this block.
	Answering(BlockNumber),
}

impl<BlockNumber: Copy> Phase<BlockNumber> {
	/// The block at which the phase ends.
	pub fn deadline(&self) -> BlockNumber {
		match self {
			Self::Drawing(b) | Self::Challenging(b) | Self::Answering(b) => *b,
		}
	}
}

/// A registration request (message M1) and the challenges posted for it (M2).
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Request<AccountId, Balance, BlockNumber> {
	pub who: AccountId,
	pub ek_id: EkId,
	/// The CA that issued the EK certificate: it must still be trusted at activation.
	pub ca_id: CaId,
	pub ek_modulus: [u8; 256],
	pub ak_public: AkPublicBytes,
	pub ak_name: TpmName,
	/// The AK's qualified name under this EK: the quote must name it as its signer.
	pub ak_qualified_name: TpmName,
	pub deposit: Balance,
	pub seats: BoundedVec<Seat<AccountId>, ConstU32<MAX_CHALLENGERS>>,
	pub phase: Phase<BlockNumber>,
	/// Rounds drawn so far.
	pub round: u32,
	/// The block that included the request, or at which its last round failed: the draw
	/// takes only the VRF outputs of blocks after it.
	pub draw_after: BlockNumber,
}

/// A challenger's part in an audit.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct AuditSeat<AccountId> {
	pub challenger: AccountId,
	pub challenge: Challenge,
	/// The challenger revealed the seed its challenge was made from, and it matched.
	pub revealed: bool,
}

/// A request that reached the answering phase and was not activated: each challenger
/// reveals the seed of its challenge, so that the runtime can check that the node was
/// given credentials its TPM could open.
#[derive(Clone, Encode, Decode, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Audit<AccountId, Balance, BlockNumber> {
	pub who: AccountId,
	pub ek_id: EkId,
	pub ek_modulus: [u8; 256],
	pub ak_name: TpmName,
	/// Held from the requester until the audit ends: returned if a challenger is found
	/// out, burnt otherwise.
	pub penalty: Balance,
	pub seats: BoundedVec<AuditSeat<AccountId>, ConstU32<MAX_CHALLENGERS>>,
	/// Whether a challenger lied in this audit (its seed did not make its challenge, or
	/// it did not reveal).
	pub cheated: bool,
	/// The block the audit opened at: reveals are taken only some blocks later, and the
	/// challengers' workers reveal only once it is final, so that a seed revealed on one
	/// fork cannot answer the same request on another.
	pub opened_at: BlockNumber,
	/// From this block on, anyone may close the audit: unrevealed seats are slashed.
	pub deadline: BlockNumber,
}

/// Why a challenger lost its bond.
#[derive(Clone, Copy, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum SlashReason {
	/// Its revealed seed does not make the challenge it posted.
	BadChallenge,
	/// It did not reveal its seed within the reveal window.
	NoReveal,
}
