//! # Attestation pallet
//!
//! One TPM = one node. An account proves that it controls a TPM with an endorsement key
//! (EK) certified by a trusted manufacturer CA; the first account to do so owns that EK
//! for good and receives `ClaimGrant`. Other pallets ask [`NodeRegistry::is_attested`].
//!
//! The chain cannot challenge the TPM itself (everything on chain is public), so k
//! attested validators do it from their off-chain workers; one honest challenger among
//! the k is enough. The lifecycle of a request (`docs/attestation.md` has the threat model):
//!
//! 1. **M1 [`Pallet::request_registration`]** (the node): EK certificate and AK public
//!    area, checked at once; the deposit is held. One open request per account and per EK.
//! 2. **Draw.** The pallet folds every block's VRF output (BABE's, of the parent block)
//!    into a seed per `DrawPeriod`, and snapshots the pool of challengers when a period
//!    starts. A request is drawn with the seed of the first period that starts after the
//!    block that included it, and that period's pool, from the EK and the seed alone:
//!    every retry of an EK drawn with one seed meets the same seats. The pool: session
//!    validators that are candidates holding a full bond and not benched; at the draw,
//!    those still bonded with fewer than `MaxSeatsPerValidator` open seats.
//! 3. **M2 [`Pallet::post_challenge`]** (each challenger): a credential for the EK bound to
//!    the AK's name, and a commitment to its secret. Every seat must post within
//!    `ChallengeWindow`; otherwise the silent challengers sit out draws for `SilenceBench`
//!    and the request draws again with the next randomness, up to `MaxRounds` rounds, then
//!    ends refunded.
//! 4. **M3 [`Pallet::activate`]** (the node, within `ResponseWindow`): the secrets its TPM
//!    recovered and a quote by the AK over them. The commitments, the quote's signature,
//!    its qualified signer (which pins the AK under that EK) and its nonce are checked;
//!    then the EK is owned, the deposit returned and the grant paid.
//! 5. **Audit.** A request that was not activated once all challenges were in (it expired,
//!    or its requester cancelled) keeps `ExpiryPenalty` of its deposit on hold while each
//!    challenger reveals the seed its challenge was derived from
//!    ([`Pallet::reveal_challenge`], from `RevealDelay` blocks on, once the audit is final
//!    for the challenger's worker); the runtime makes the challenge again. A challenge
//!    that does not match, or no reveal within `RevealWindow` ([`Pallet::close_audit`],
//!    by anyone), slashes the challenger's bond (a share to the requester, whose penalty
//!    is then returned) and removes it from the validator candidates. Otherwise the
//!    penalty is burnt. A validator's bond is not freed while it holds open seats.
//!
//! Governance (`AdminOrigin`) keeps the trusted CAs, revokes CAs and EKs (their validators
//! leave) and removes validators. A validator reported for an offence (the runtime passes
//! pallet-offences' BABE and GRANDPA equivocations to [`Pallet::punish_offender`]) loses
//! part of its bond and leaves. A leaving validator's bond is released after
//! `UnbondingPeriod`, and can be slashed until then. Genesis trusts CAs and pre-registers
//! nodes (the genesis validators, and dev accounts).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod offchain;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

/// Domain separators of the registration protocol (ATTESTATION.md).
pub const COMMIT_DOMAIN: &[u8] = b"TPMREG/commit/v1";
pub const ACTIVATE_DOMAIN: &[u8] = b"TPMREG/activate/v1";
/// Domain separators of a challenge's secret and of the randomness of its credential.
pub const SECRET_DOMAIN: &[u8] = b"TPMREG/secret/v2";
pub const CREDENTIAL_DOMAIN: &[u8] = b"TPMREG/credential/v2";
const RANDOMNESS_SUBJECT: &[u8] = b"cairn/attestation/vrf";
/// Offence sessions remembered per validator (see `PunishedOffence`).
pub const PUNISHED_SESSIONS_KEPT: u32 = 8;
/// Domain separators of what a challenger key signs.
pub const CHALLENGE_SIGNING_DOMAIN: &[u8] = b"cairn/attestation/challenge/v1";
pub const REVEAL_SIGNING_DOMAIN: &[u8] = b"cairn/attestation/reveal/v1";

/// What a challenge is bound to: `blake2_256(genesis || request id || requester || EK id ||
/// AK name)`. The secret and the credential's randomness are derived from the
/// challenger's seed and this, so that the same seed yields unrelated secrets on another
/// chain, fork or request.
pub fn challenge_binding(
	genesis: &[u8],
	request_id: RequestId,
	who: &impl codec::Encode,
	ek_id: &EkId,
	ak_name: &TpmName,
) -> [u8; 32] {
	let mut data = genesis.to_vec();
	codec::Encode::encode_to(&(request_id, who, ek_id, ak_name), &mut data);
	polkadot_sdk::sp_io::hashing::blake2_256(&data)
}

/// The secret of a challenge made from `seed` for the request that `binding` names.
pub fn secret_from_seed(seed: &[u8; 32], binding: &[u8; 32]) -> [u8; 32] {
	polkadot_sdk::sp_io::hashing::blake2_256(&[SECRET_DOMAIN, seed, binding].concat())
}

/// The nonce of the quote in M3: `sha256(ACTIVATE_DOMAIN || genesis || request id || who ||
/// blake2_256(s_1 || ... || s_k))`, with the secrets in seat order. The node computes it
/// too, before it asks its TPM for the quote.
pub fn qualifying_data(
	genesis: &[u8],
	request_id: RequestId,
	who: &impl codec::Encode,
	secrets: &[[u8; 32]],
) -> [u8; 32] {
	use polkadot_sdk::sp_io::hashing::{blake2_256, sha2_256};
	let mut data = ACTIVATE_DOMAIN.to_vec();
	data.extend_from_slice(genesis);
	codec::Encode::encode_to(&request_id, &mut data);
	who.encode_to(&mut data);
	data.extend_from_slice(&blake2_256(&secrets.concat()));
	sha2_256(&data)
}

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use cairn_attestation::{cert, tpm};
	use cairn_primitives::traits::{ChallengerSet, GrantPayer, NodeRegistry};
	use polkadot_sdk::{
		frame_support::{
			self,
			pallet_prelude::*,
			traits::{
				fungible::{Inspect, Mutate, MutateHold},
				tokens::{Fortitude, Precision, Restriction},
				Contains, Randomness,
			},
		},
		frame_system::{self, offchain::CreateBare, pallet_prelude::*},
		sp_io::hashing::blake2_256,
		sp_runtime::{
			traits::{Convert, One, Zero},
			Perbill, RuntimeAppPublic, Saturating,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type RequestOf<T> = Request<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	pub type AuditOf<T> = Audit<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateBare<Call<Self>>
	{
		/// The challenger key: a session key of its own type, with which the challengers'
		/// off-chain workers sign `post_challenge` and `reveal_challenge` (unsigned
		/// transactions), so that the validator's funds account need not be on the node.
		type ChallengerId: Member
			+ Parameter
			+ RuntimeAppPublic<Signature = Self::ChallengerSignature>
			+ Ord
			+ MaxEncodedLen;
		/// The challenger key's signature.
		type ChallengerSignature: Member + Parameter;
		/// The challenger key a validator set with its session keys, if any.
		type ChallengerKeyOf: Convert<Self::AccountId, Option<Self::ChallengerId>>;
		/// The transaction pool priority of challenges and reveals.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
		/// Holds the request deposit.
		type Currency: Mutate<Self::AccountId> + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		type RuntimeHoldReason: From<HoldReason>;
		/// The VRF output of the parent block (BABE's `ParentBlockRandomness`), folded into
		/// the draw seed every block.
		type BlockRandomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
		/// Blocks whose VRF outputs make one draw seed.
		#[pallet::constant]
		type DrawPeriod: Get<BlockNumberFor<Self>>;
		/// Who may be drawn as a challenger: the session's validators. The pallet draws only
		/// those of them that are bonded candidates and not benched.
		type Challengers: ChallengerSet<Self::AccountId>;
		/// Pays `ClaimGrant` to the first owner of an EK.
		type Grant: GrantPayer<Self::AccountId, BalanceOf<Self>>;
		/// Accounts that have set session keys (BABE, GRANDPA): only they can validate.
		type SessionKeys: Contains<Self::AccountId>;
		/// Governance: trusted CAs and revocations.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Challengers per request (k), at most [`MAX_CHALLENGERS`].
		#[pallet::constant]
		type ChallengersPerRequest: Get<u32>;
		/// Blocks the challengers have to post their challenges.
		#[pallet::constant]
		type ChallengeWindow: Get<BlockNumberFor<Self>>;
		/// Draws per request: a round fails when a challenger is silent.
		#[pallet::constant]
		type MaxRounds: Get<u32>;
		/// Blocks a silent challenger is left out of draws.
		#[pallet::constant]
		type SilenceBench: Get<BlockNumberFor<Self>>;
		/// Blocks after an audit opens before reveals are taken: longer than finality
		/// usually takes, so that an audit on a fork that is then dropped sees no reveal.
		#[pallet::constant]
		type RevealDelay: Get<BlockNumberFor<Self>>;
		/// Blocks the challengers of an audited request have to reveal their seeds.
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;
		/// The most open seats (in requests and audits) a validator holds at once: one
		/// bond answers for at most this many challenges.
		#[pallet::constant]
		type MaxSeatsPerValidator: Get<u32>;
		/// The share of a slashed bond paid to the requester the challenger wronged; the
		/// rest is burnt.
		#[pallet::constant]
		type SlashReward: Get<Perbill>;
		/// The least share of its bond a validator loses for an offence reported by
		/// pallet-offences (a BABE or GRANDPA equivocation); the offence's own slash
		/// fraction applies when it is larger.
		#[pallet::constant]
		type OffenceSlash: Get<Perbill>;
		/// Blocks a leaving validator's bond stays held (and slashable) after it leaves.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;
		/// Blocks the node has to activate once all challenges are in.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;
		/// Held from the requester until the request ends.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;
		/// The part of the deposit a request loses when it is not activated once its
		/// challenges are in, or when its requester cancels it.
		#[pallet::constant]
		type ExpiryPenalty: Get<Perbill>;
		/// Paid once per EK to its first owner.
		#[pallet::constant]
		type ClaimGrant: Get<BalanceOf<Self>>;
		/// The most trusted CAs.
		#[pallet::constant]
		type MaxCas: Get<u32>;
		/// The most request deadlines that fall in one block; bounds `on_initialize`.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;
		/// Held from each validator that joined (genesis validators hold none).
		#[pallet::constant]
		type ValidatorBond: Get<BalanceOf<Self>>;
		/// The most validators.
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		type WeightInfo: WeightInfo;
		/// Gives benchmark accounts a challenger key.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::ChallengerId>;
	}

	/// Set-up the benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper<AccountId, ChallengerId> {
		/// Makes `key` the challenger key of `who`, as setting session keys would.
		fn set_challenger_key(who: &AccountId, key: ChallengerId);
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a registration request.
		RequestDeposit,
		/// The bond of a validator.
		ValidatorBond,
	}

	/// Trusted manufacturer CAs.
	#[pallet::storage]
	pub type TrustedCas<T: Config> = StorageMap<_, Twox64Concat, CaId, TrustedCa>;

	/// Trusted CAs by subject and key: `blake2_256(subject DER)`, then the key id
	/// (`blake2_256` of the CA's subject key identifier, or of its public key info if it
	/// has none) `-> id`. A CA that rolls its key is trusted again under its subject with
	/// the new key.
	#[pallet::storage]
	pub type CaBySubject<T: Config> = StorageDoubleMap<_, Identity, [u8; 32], Identity, [u8; 32], CaId>;

	#[pallet::storage]
	pub type NextCaId<T: Config> = StorageValue<_, CaId, ValueQuery>;

	#[pallet::storage]
	pub type CaCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// EKs that no longer count.
	#[pallet::storage]
	pub type RevokedEks<T: Config> = StorageMap<_, Identity, EkId, ()>;

	/// The account that first proved possession of an EK.
	#[pallet::storage]
	pub type EkOwner<T: Config> = StorageMap<_, Identity, EkId, T::AccountId>;

	/// Registered nodes.
	#[pallet::storage]
	pub type Nodes<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Node<BlockNumberFor<T>>>;

	/// Open registration requests.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, RequestId, RequestOf<T>>;

	/// The open request of an account: one at a time.
	#[pallet::storage]
	pub type RequestOfAccount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RequestId>;

	/// The open request for an EK: one at a time, so that parallel requests cannot draw
	/// their seats apart.
	#[pallet::storage]
	pub type RequestOfEk<T: Config> = StorageMap<_, Identity, EkId, RequestId>;

	/// Requests under audit: their challengers reveal their seeds.
	#[pallet::storage]
	pub type Audits<T: Config> = StorageMap<_, Twox64Concat, RequestId, AuditOf<T>>;

	/// The draw seed under construction: the VRF outputs folded so far and the block its
	/// period started at.
	#[pallet::storage]
	pub type DrawAccumulator<T: Config> = StorageValue<_, ([u8; 32], BlockNumberFor<T>), ValueQuery>;

	/// The pool of challengers as the period under construction started.
	#[pallet::storage]
	pub type NextDrawPool<T: Config> = StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// The seed of the last complete period, with its first and end blocks: made of the VRF
	/// outputs of the blocks from its first to the one before its end.
	#[pallet::storage]
	pub type DrawSeed<T: Config> = StorageValue<_, ([u8; 32], BlockNumberFor<T>, BlockNumberFor<T>)>;

	/// The pool of challengers as the last complete period started.
	#[pallet::storage]
	pub type DrawPool<T: Config> = StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Seats a validator holds in open requests and unresolved audit seats.
	#[pallet::storage]
	pub type OpenSeats<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Challengers left out of draws until a block, for having been silent.
	#[pallet::storage]
	pub type Benched<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, BlockNumberFor<T>), T::MaxValidators>, ValueQuery>;

	/// Bonds of validators that left or were removed: held, and slashable, until the block.
	#[pallet::storage]
	pub type Unbonding<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (BalanceOf<T>, BlockNumberFor<T>)>;

	/// The sessions of the last [`PUNISHED_SESSIONS_KEPT`] offences a validator was punished
	/// for: pallet-offences reports earlier offenders of a time slot again with each new
	/// one, and offences of two sessions may be reported in turns; each session's offence
	/// is punished once.
	#[pallet::storage]
	pub type PunishedOffence<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<u32, ConstU32<PUNISHED_SESSIONS_KEPT>>, ValueQuery>;

	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Attested nodes that bonded to validate, with their bonds: the validator set of the
	/// next session is those of them that are still attested and have session keys.
	#[pallet::storage]
	pub type ValidatorCandidates<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators>, ValueQuery>;

	/// Open requests whose phase ends at a block; `on_initialize` takes only its own
	/// block's. A request that ends early leaves its block's list.
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, BoundedVec<RequestId, T::MaxDeadlinesPerBlock>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Trusted CAs in order (their ids are 0, 1, ...): DER certificate, parent id, label.
		pub trusted_cas: Vec<(Vec<u8>, Option<CaId>, Vec<u8>)>,
		/// Accounts registered without a TPM: genesis validators, dev accounts.
		pub nodes: Vec<T::AccountId>,
		/// The genesis validators (they must be in `nodes`): each holds `ValidatorBond`.
		pub validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (der, parent, label) in &self.trusted_cas {
				let der = CertBytes::try_from(der.clone()).expect("genesis CA certificate is at most 2048 bytes");
				let label = LabelBytes::try_from(label.clone()).expect("genesis CA label is at most 64 bytes");
				Pallet::<T>::do_add_ca(&der, *parent, label).expect("genesis CA is valid");
			}
			for who in &self.nodes {
				Nodes::<T>::insert(
					who,
					Node { ek_id: None, ca_id: None, ak_public: Default::default(), registered_at: Zero::zero() },
				);
			}
			// Genesis validators bond like any other, from their genesis balance.
			let bond = T::ValidatorBond::get();
			for v in &self.validators {
				T::Currency::hold(&HoldReason::ValidatorBond.into(), v, bond)
					.expect("genesis validators hold the validator bond");
			}
			let validators: Vec<_> = self.validators.iter().map(|v| (v.clone(), bond)).collect();
			assert!(self.validators.iter().all(|v| self.nodes.contains(v)), "genesis validators are nodes");
			ValidatorCandidates::<T>::put(
				BoundedVec::try_from(validators).expect("at most MaxValidators genesis validators"),
			);
			NextDrawPool::<T>::put(Pallet::<T>::pool_snapshot(Zero::zero()));
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		CaAdded {
			ca_id: CaId,
			parent: Option<CaId>,
		},
		CaRevoked {
			ca_id: CaId,
		},
		/// An EK no longer counts; its owner, if any, is no longer a node.
		EkRevoked {
			ek_id: EkId,
			owner: Option<T::AccountId>,
		},
		/// M1 accepted: challengers are drawn once fresh randomness is known.
		RegistrationRequested {
			request_id: RequestId,
			who: T::AccountId,
			ek_id: EkId,
		},
		/// These accounts are to post challenges before `deadline`.
		ChallengersAssigned {
			request_id: RequestId,
			challengers: Vec<T::AccountId>,
			deadline: BlockNumberFor<T>,
			round: u32,
		},
		/// These challengers did not post in time: the round failed, and they sit out
		/// draws until `benched_until`.
		ChallengersSilent {
			request_id: RequestId,
			silent: Vec<T::AccountId>,
			benched_until: BlockNumberFor<T>,
		},
		ChallengePosted {
			request_id: RequestId,
			challenger: T::AccountId,
		},
		/// All challenges are in; the node must activate before `deadline`.
		ChallengesReady {
			request_id: RequestId,
			deadline: BlockNumberFor<T>,
		},
		/// M3 accepted: `who` owns the EK and is a node.
		NodeRegistered {
			who: T::AccountId,
			ek_id: EkId,
			request_id: RequestId,
		},
		/// The node did not answer in time; the rest of its deposit is returned and
		/// `penalty` stays held until the audit of the challenges ends.
		RegistrationExpired {
			request_id: RequestId,
			who: T::AccountId,
			penalty: BalanceOf<T>,
		},
		/// The request ended without a node: no challengers could be drawn, the last round
		/// failed, or (with a `penalty`) the requester cancelled.
		RegistrationCancelled {
			request_id: RequestId,
			who: T::AccountId,
			penalty: BalanceOf<T>,
		},
		/// A challenger's revealed seed makes the challenge it posted.
		ChallengeRevealed {
			request_id: RequestId,
			challenger: T::AccountId,
		},
		/// A challenger lost `slashed` of its bond (`reward` of it to the requester) and
		/// is no longer a validator candidate.
		ChallengerSlashed {
			request_id: RequestId,
			challenger: T::AccountId,
			reason: SlashReason,
			slashed: BalanceOf<T>,
			reward: BalanceOf<T>,
		},
		/// The audit ended: the held penalty was returned (a challenger lied) or burnt.
		AuditClosed {
			request_id: RequestId,
			who: T::AccountId,
			refunded: bool,
			penalty: BalanceOf<T>,
		},
		/// `who` bonded `bond` and validates from the next session on.
		ValidatorJoined {
			who: T::AccountId,
			bond: BalanceOf<T>,
		},
		/// `who` stops validating at the next session; its bond is released at `unbonds_at`.
		ValidatorLeft {
			who: T::AccountId,
			unbonds_at: BlockNumberFor<T>,
		},
		/// Governance or a revocation removed `who` from the validators from the next
		/// session on; its bond is released at `unbonds_at`.
		ValidatorRemoved {
			who: T::AccountId,
			unbonds_at: BlockNumberFor<T>,
		},
		/// A validator was reported for an offence in `session` (an equivocation): it lost
		/// `slashed` of its bond (`reward` of it to the reporter) and leaves the validators;
		/// the rest of its bond is released at `unbonds_at`.
		OffenderSlashed {
			who: T::AccountId,
			session: u32,
			slashed: BalanceOf<T>,
			reward: BalanceOf<T>,
			unbonds_at: BlockNumberFor<T>,
		},
		/// A left validator's bond is free again.
		BondWithdrawn {
			who: T::AccountId,
			bond: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The certificate is longer than 2048 bytes.
		CertTooLong,
		/// Not exactly one DER certificate.
		CertMalformed,
		/// The certificate's signature algorithm is not RSA PKCS#1 v1.5 or ECDSA, SHA-256/384.
		UnsupportedSignatureAlgorithm,
		/// The certificate's issuer is not a trusted CA.
		UntrustedIssuer,
		/// The issuing CA, or one above it, is revoked.
		CaRevoked,
		/// The certificate's signature does not verify with its issuer's key.
		BadCertSignature,
		/// A CA's key is not an RSA, P-256 or P-384 key.
		BadCaKey,
		/// The EK is not RSA-2048 with exponent 65537.
		WrongEkType,
		/// Not an EK certificate: its extended key usage lacks the TCG EK certificate
		/// purpose, it is a CA's, or its key usage lacks `keyEncipherment`.
		NotAnEkCertificate,
		/// The EK is revoked.
		EkRevoked,
		/// Another account already owns this EK.
		EkAlreadyOwned,
		/// The AK public area cannot be parsed.
		AkMalformed,
		/// The AK's attributes are not exactly those of a TPM-made restricted signing key.
		WrongAkAttributes,
		/// The AK is not ECDSA P-256 or RSASSA-2048 with SHA-256.
		WrongAkType,
		/// The account is already a node.
		AlreadyRegistered,
		/// The account has an open request.
		RequestPending,
		/// Another request for this EK is open; it ends within its rounds.
		EkRequestPending,
		/// The requester cannot pay the deposit.
		InsufficientDeposit,
		/// Too many requests reach a deadline in the same block; try in the next block.
		TooManyRequests,
		/// No such request (it never existed, or it ended).
		UnknownRequest,
		/// The caller is not a challenger of this request, or has posted already.
		NotAChallenger,
		/// The request is not waiting for challenges.
		NotChallenging,
		/// Only the requester may activate.
		NotRequester,
		/// Not all challenges are in yet.
		ChallengesNotReady,
		/// One secret per challenger, in seat order.
		WrongSecretCount,
		/// A secret does not match its challenger's commitment (a replayed or wrong secret).
		CommitmentMismatch,
		/// The quote or its signature cannot be parsed.
		QuoteMalformed,
		/// The quote's signature does not verify with the request's AK.
		BadQuoteSignature,
		/// The attestation was not made by a TPM, or is not a quote.
		NotAQuote,
		/// The quote's nonce is not this request's qualifying data.
		WrongNonce,
		/// The quote's signer is not the request's AK under the request's EK.
		WrongQualifiedSigner,
		/// No such CA.
		UnknownCa,
		/// The CA's issuer is not its given parent.
		IssuerMismatch,
		/// A CA with this subject is trusted already.
		DuplicateCa,
		/// The trusted CA list is full.
		TooManyCas,
		/// Only registered nodes validate.
		NotANode,
		/// Set session keys (`session.setKeys`) before joining.
		NoSessionKeys,
		/// The account is a validator already.
		AlreadyValidator,
		/// The account is not a validator.
		NotAValidator,
		/// The validator set is full.
		TooManyValidators,
		/// The account cannot pay the validator bond.
		InsufficientBond,
		/// The last validator cannot leave.
		LastValidator,
		/// The bond of an earlier membership is still unbonding; withdraw it first.
		StillUnbonding,
		/// No bond is unbonding for this account.
		NotUnbonding,
		/// The bond is still in its unbonding period.
		UnbondingNotOver,
		/// No audit of this request is open.
		UnknownAudit,
		/// The caller holds no unrevealed seat in this audit.
		NotAnAuditedChallenger,
		/// Reveals are taken from `RevealDelay` blocks after the audit opened.
		RevealTooEarly,
		/// The audit's reveal window is not over.
		AuditNotOver,
		/// The validator holds open seats; its bond is freed once they are resolved.
		SeatsOpen,
		/// The certificate's outer signature algorithm differs from the one it signs.
		SignatureAlgorithmMismatch,
		/// A CA certificate must have basic constraints `cA` and, if it has a key usage,
		/// `keyCertSign`.
		NotACaCertificate,
		/// The challenger has set no challenger key with its session keys.
		NoChallengerKey,
		/// The signature is not the challenger key's over this challenge or reveal.
		BadChallengerSignature,
		/// The issuer has several trusted keys and the certificate names none of them
		/// (authority key identifier).
		AmbiguousIssuer,
	}

	// `ValidateUnsigned` is deprecated for `#[pallet::authorize]`, which needs
	// `frame_system::AuthorizeCall` among the runtime's transaction extensions; BABE and
	// GRANDPA still report equivocations through it in stable2609, and the runtime moves
	// to authorized calls for all three at once.
	#[allow(deprecated)]
	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		/// Challenges and reveals enter the pool only while their seat is open and signed by
		/// its challenger key; each seat's is one transaction (`provides` the seat).
		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			let (tag, request_id, challenger, longevity) = match call {
				Call::post_challenge {
					request_id,
					id_object,
					encrypted_secret,
					commitment,
					challenger,
					signature,
				} => {
					let challenge = Challenge {
						id_object: id_object.clone(),
						encrypted_secret: encrypted_secret.clone(),
						commitment: *commitment,
					};
					Self::check_post(*request_id, challenger, &challenge, signature).map_err(invalid::<T>)?;
					(&b"cairn/challenge"[..], request_id, challenger, T::ChallengeWindow::get())
				},
				Call::reveal_challenge { request_id, seed, challenger, signature } => {
					Self::check_reveal(*request_id, challenger, seed, signature).map_err(invalid::<T>)?;
					(&b"cairn/reveal"[..], request_id, challenger, T::RevealWindow::get())
				},
				_ => return InvalidTransaction::Call.into(),
			};
			ValidTransaction::with_tag_prefix("CairnAttestation")
				.priority(T::UnsignedPriority::get())
				.and_provides((tag, request_id, challenger))
				.longevity(TryInto::<u64>::try_into(longevity).unwrap_or(u64::MAX).max(1))
				.propagate(true)
				.build()
		}
	}

	/// A pallet error as a transaction validity error: `Custom` with the error's index.
	fn invalid<T: Config>(error: Error<T>) -> TransactionValidityError {
		match DispatchError::from(error) {
			DispatchError::Module(module) => InvalidTransaction::Custom(module.error[0]).into(),
			_ => InvalidTransaction::Call.into(),
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let boundary = Self::fold_randomness(now);
			let due = Deadlines::<T>::take(now);
			let count = due.len() as u32;
			if count > 0 {
				let mut drawable = Self::drawable();
				for id in due {
					Self::on_deadline(id, now, &mut drawable);
				}
			}
			T::WeightInfo::on_initialize(count, T::ChallengersPerRequest::get())
				.saturating_add(T::WeightInfo::fold_randomness(boundary as u32))
		}

		/// Challengers: posts the challenges of this node's seats and reveals the seeds of
		/// its audited ones (see [`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_challenge(now);
			Self::offchain_reveal(now);
		}

		fn integrity_test() {
			let k = T::ChallengersPerRequest::get();
			assert!(k >= 1 && k <= MAX_CHALLENGERS, "ChallengersPerRequest must be within 1..={MAX_CHALLENGERS}");
			assert!(!T::ChallengeWindow::get().is_zero() && !T::ResponseWindow::get().is_zero());
			assert!(!T::DrawPeriod::get().is_zero() && !T::RevealWindow::get().is_zero());
			assert!(T::MaxRounds::get() >= 1 && T::MaxSeatsPerValidator::get() >= 1);
			assert!(T::RevealDelay::get() < T::RevealWindow::get());
			assert!(T::MaxDeadlinesPerBlock::get() >= 1);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// M1, signed by the node's account: asks to register the TPM whose EK certificate
		/// and AK public area (TPM2B_PUBLIC) are given. Holds `RequestDeposit`; emits
		/// `RegistrationRequested`, and `ChallengersAssigned` once fresh randomness is known.
		#[pallet::call_index(0)]
		pub fn request_registration(
			origin: OriginFor<T>,
			ek_cert: CertBytes,
			ak_public: AkPublicBytes,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request(who, &ek_cert, ak_public)
		}

		/// M2, unsigned, signed by the challenger key of an assigned challenger (its
		/// off-chain worker): a credential for the request's EK and AK, and the commitment
		/// to its secret. Emits `ChallengePosted`, and `ChallengesReady` with the last one.
		#[pallet::call_index(1)]
		pub fn post_challenge(
			origin: OriginFor<T>,
			request_id: RequestId,
			id_object: IdObjectBytes,
			encrypted_secret: EncryptedSecretBytes,
			commitment: [u8; 32],
			challenger: T::AccountId,
			signature: T::ChallengerSignature,
		) -> DispatchResult {
			ensure_none(origin)?;
			let challenge = Challenge { id_object, encrypted_secret, commitment };
			Self::check_post(request_id, &challenger, &challenge, &signature)?;
			Self::do_post_challenge(challenger, request_id, challenge)
		}

		/// M3, signed by the requester: the secrets its TPM recovered, in seat order, and a
		/// quote by the AK (TPMS_ATTEST and TPMT_SIGNATURE) whose nonce binds them to this
		/// request and account. Returns the deposit, pays `ClaimGrant`, emits `NodeRegistered`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::activate(secrets.len() as u32))]
		pub fn activate(
			origin: OriginFor<T>,
			request_id: RequestId,
			secrets: BoundedVec<[u8; 32], ConstU32<MAX_CHALLENGERS>>,
			attest: AttestBytes,
			signature: SignatureBytes,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_activate(who, request_id, &secrets, &attest, &signature)
		}

		/// Signed by a registered node with session keys: holds `ValidatorBond` and joins
		/// the validators at the next session. Emits `ValidatorJoined`.
		#[pallet::call_index(6)]
		pub fn join_validators(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Nodes::<T>::contains_key(&who), Error::<T>::NotANode);
			ensure!(T::SessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			ensure!(!Unbonding::<T>::contains_key(&who), Error::<T>::StillUnbonding);
			let mut candidates = ValidatorCandidates::<T>::get();
			ensure!(candidates.iter().all(|(v, _)| *v != who), Error::<T>::AlreadyValidator);
			let bond = T::ValidatorBond::get();
			candidates.try_push((who.clone(), bond)).map_err(|_| Error::<T>::TooManyValidators)?;
			T::Currency::hold(&HoldReason::ValidatorBond.into(), &who, bond)
				.map_err(|_| Error::<T>::InsufficientBond)?;
			ValidatorCandidates::<T>::put(candidates);
			Self::deposit_event(Event::ValidatorJoined { who, bond });
			Ok(())
		}

		/// Signed by a validator: leaves the validators at the next session. Its bond stays
		/// held, and slashable, for `UnbondingPeriod`; then `withdraw_bond` frees it.
		/// Emits `ValidatorLeft`.
		#[pallet::call_index(7)]
		pub fn leave_validators(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let candidates = ValidatorCandidates::<T>::get();
			ensure!(candidates.iter().any(|(v, _)| *v == who), Error::<T>::NotAValidator);
			ensure!(candidates.len() > 1, Error::<T>::LastValidator);
			let unbonds_at = Self::unbond(&who);
			Self::deposit_event(Event::ValidatorLeft { who, unbonds_at });
			Ok(())
		}

		/// Governance: trusts a CA given by its DER certificate, signed by `parent` (or by
		/// itself when `parent` is `None`). Emits `CaAdded`.
		#[pallet::call_index(3)]
		pub fn add_trusted_ca(
			origin: OriginFor<T>,
			cert: CertBytes,
			parent: Option<CaId>,
			label: LabelBytes,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_ca(&cert, parent, label).map(|_| ())
		}

		/// Governance: a CA and every CA under it stop vouching for new requests and
		/// activations; validators whose EK they issued leave at the next session.
		/// Emits `CaRevoked`, and `ValidatorRemoved` for each.
		#[pallet::call_index(4)]
		pub fn revoke_ca(origin: OriginFor<T>, ca_id: CaId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			TrustedCas::<T>::try_mutate(ca_id, |ca| {
				ca.as_mut().ok_or(Error::<T>::UnknownCa)?.revoked = true;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::CaRevoked { ca_id });
			let affected: Vec<_> = ValidatorCandidates::<T>::get()
				.into_iter()
				.map(|(v, _)| v)
				.filter(|v| {
					Nodes::<T>::get(v).and_then(|n| n.ca_id).is_some_and(|ca| Self::trusted_ca(ca).is_err())
				})
				.collect();
			for who in affected {
				let unbonds_at = Self::unbond(&who);
				Self::deposit_event(Event::ValidatorRemoved { who, unbonds_at });
			}
			Ok(())
		}

		/// Governance: an EK stops counting; its owner is no longer a node (nor a
		/// validator from the next session) and the EK can never register again.
		/// Emits `EkRevoked`.
		#[pallet::call_index(5)]
		pub fn revoke_ek(origin: OriginFor<T>, ek_id: EkId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			RevokedEks::<T>::insert(ek_id, ());
			let owner = EkOwner::<T>::get(ek_id);
			// A request for the EK can no longer succeed: it ends, refunded.
			if let Some(request_id) = RequestOfEk::<T>::get(ek_id) {
				if let Some(request) = Requests::<T>::get(request_id) {
					Self::end(request_id, request, Perbill::zero());
				}
			}
			if let Some(owner) = &owner {
				Nodes::<T>::remove(owner);
				if ValidatorCandidates::<T>::get().iter().any(|(v, _)| v == owner) {
					let unbonds_at = Self::unbond(owner);
					Self::deposit_event(Event::ValidatorRemoved { who: owner.clone(), unbonds_at });
				}
			}
			Self::deposit_event(Event::EkRevoked { ek_id, owner });
			Ok(())
		}

		/// Signed by the requester: ends its open request. Before all challenges are in, it
		/// loses `ExpiryPenalty` of its deposit (so that holding an EK's request slot, or
		/// redrawing, is never free); after, it ends as an expired request does, audited.
		/// Emits `RegistrationCancelled` or `RegistrationExpired`.
		#[pallet::call_index(8)]
		pub fn cancel_request(origin: OriginFor<T>, request_id: RequestId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(request.who == who, Error::<T>::NotRequester);
			if Self::trusted_ca(request.ca_id).is_err() {
				// Its CA was revoked: the request cannot succeed, through no fault of its own.
				Self::end(request_id, request, Perbill::zero());
				return Ok(());
			}
			match request.phase {
				Phase::Answering(_) =>
					Self::fail_answering(request_id, request, frame_system::Pallet::<T>::block_number()),
				Phase::Drawing(_) | Phase::Challenging(_) => Self::end(request_id, request, T::ExpiryPenalty::get()),
			}
			Ok(())
		}

		/// Unsigned, signed by the challenger key of a challenger of an audited request (its
		/// off-chain worker): the seed its challenge was made from. The runtime makes the challenge again from it; if it
		/// differs from the one posted, the challenger is slashed. Emits `ChallengeRevealed`
		/// or `ChallengerSlashed`, and `AuditClosed` with the last seat.
		#[pallet::call_index(9)]
		pub fn reveal_challenge(
			origin: OriginFor<T>,
			request_id: RequestId,
			seed: [u8; 32],
			challenger: T::AccountId,
			signature: T::ChallengerSignature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::check_reveal(request_id, &challenger, &seed, &signature)?;
			Self::do_reveal(challenger, request_id, &seed)
		}

		/// Governance: `who` leaves the validators at the next session; its bond unbonds as
		/// if it had left. Emits `ValidatorRemoved`.
		#[pallet::call_index(10)]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(ValidatorCandidates::<T>::get().iter().any(|(v, _)| *v == who), Error::<T>::NotAValidator);
			let unbonds_at = Self::unbond(&who);
			Self::deposit_event(Event::ValidatorRemoved { who, unbonds_at });
			Ok(())
		}

		/// Signed by a former validator whose unbonding period is over: frees its bond.
		/// Emits `BondWithdrawn`.
		#[pallet::call_index(11)]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (bond, at) = Unbonding::<T>::get(&who).ok_or(Error::<T>::NotUnbonding)?;
			ensure!(frame_system::Pallet::<T>::block_number() >= at, Error::<T>::UnbondingNotOver);
			ensure!(OpenSeats::<T>::get(&who) == 0, Error::<T>::SeatsOpen);
			Unbonding::<T>::remove(&who);
			PunishedOffence::<T>::remove(&who);
			T::Currency::release(&HoldReason::ValidatorBond.into(), &who, bond, Precision::BestEffort)?;
			Self::deposit_event(Event::BondWithdrawn { who, bond });
			Ok(())
		}

		/// Anyone, once an audit's reveal window is over: slashes the challengers that did
		/// not reveal and ends the audit (the requester has a reason to: a lie returns its
		/// penalty). Free when it succeeds. Emits `ChallengerSlashed` and `AuditClosed`.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::close_audit(T::ChallengersPerRequest::get()))]
		pub fn close_audit(origin: OriginFor<T>, request_id: RequestId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let mut audit = Audits::<T>::get(request_id).ok_or(Error::<T>::UnknownAudit)?;
			ensure!(frame_system::Pallet::<T>::block_number() >= audit.deadline, Error::<T>::AuditNotOver);
			let silent: Vec<_> = audit.seats.iter().filter(|s| !s.revealed).map(|s| s.challenger.clone()).collect();
			for challenger in &silent {
				Self::slash(request_id, challenger, &audit.who, SlashReason::NoReveal);
				Self::release_seat(challenger);
			}
			audit.cheated |= !silent.is_empty();
			Self::finish_audit(request_id, audit);
			Ok(Pays::No.into())
		}
	}

	/// A full deadline list spills into at most this many following blocks.
	const SCHEDULE_SPREAD: u32 = 4;

	impl<T: Config> Pallet<T> {
		/// The genesis hash, which binds every commitment and quote to this chain.
		pub fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// `blake2_256(COMMIT_DOMAIN || genesis || request id || challenger || secret)`.
		pub fn commitment(request_id: RequestId, challenger: &T::AccountId, secret: &[u8; 32]) -> [u8; 32] {
			let mut data = COMMIT_DOMAIN.to_vec();
			data.extend_from_slice(Self::genesis_hash().as_ref());
			request_id.encode_to(&mut data);
			challenger.encode_to(&mut data);
			data.extend_from_slice(secret);
			blake2_256(&data)
		}

		/// What a challenger key signs to post a challenge: bound to the chain, the request
		/// and what it names ([`Self::binding`]: on a fork where the request id names another
		/// EK, AK or requester the signature is void) and the seat.
		pub fn challenge_payload(
			request_id: RequestId,
			challenger: &T::AccountId,
			binding: &[u8; 32],
			challenge: &Challenge,
		) -> Vec<u8> {
			(CHALLENGE_SIGNING_DOMAIN, Self::genesis_hash(), request_id, challenger, binding, challenge).encode()
		}

		/// What a challenger key signs to reveal its seed, bound the same way.
		pub fn reveal_payload(
			request_id: RequestId,
			challenger: &T::AccountId,
			binding: &[u8; 32],
			seed: &[u8; 32],
		) -> Vec<u8> {
			(REVEAL_SIGNING_DOMAIN, Self::genesis_hash(), request_id, challenger, binding, seed).encode()
		}

		/// A challenge may be posted: the seat is open and the signature is its challenger
		/// key's.
		pub(crate) fn check_post(
			request_id: RequestId,
			challenger: &T::AccountId,
			challenge: &Challenge,
			signature: &T::ChallengerSignature,
		) -> Result<(), Error<T>> {
			let request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(matches!(request.phase, Phase::Challenging(_)), Error::<T>::NotChallenging);
			ensure!(
				request.seats.iter().any(|s| s.challenger == *challenger && s.challenge.is_none()),
				Error::<T>::NotAChallenger
			);
			let binding = Self::binding(request_id, &request.who, &request.ek_id, &request.ak_name);
			Self::check_signature(challenger, &Self::challenge_payload(request_id, challenger, &binding, challenge), signature)
		}

		/// A seed may be revealed: the audit seat is open and the signature is its
		/// challenger key's.
		pub(crate) fn check_reveal(
			request_id: RequestId,
			challenger: &T::AccountId,
			seed: &[u8; 32],
			signature: &T::ChallengerSignature,
		) -> Result<(), Error<T>> {
			let audit = Audits::<T>::get(request_id).ok_or(Error::<T>::UnknownAudit)?;
			ensure!(
				audit.seats.iter().any(|s| s.challenger == *challenger && !s.revealed),
				Error::<T>::NotAnAuditedChallenger
			);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= audit.opened_at.saturating_add(T::RevealDelay::get()), Error::<T>::RevealTooEarly);
			let binding = Self::binding(request_id, &audit.who, &audit.ek_id, &audit.ak_name);
			Self::check_signature(challenger, &Self::reveal_payload(request_id, challenger, &binding, seed), signature)
		}

		fn check_signature(
			challenger: &T::AccountId,
			payload: &[u8],
			signature: &T::ChallengerSignature,
		) -> Result<(), Error<T>> {
			let key = T::ChallengerKeyOf::convert(challenger.clone()).ok_or(Error::<T>::NoChallengerKey)?;
			ensure!(key.verify(&payload, signature), Error::<T>::BadChallengerSignature);
			Ok(())
		}

		/// The quote's qualifying data on this chain: see [`qualifying_data`].
		pub fn qualifying_data(request_id: RequestId, who: &T::AccountId, secrets: &[[u8; 32]]) -> [u8; 32] {
			crate::qualifying_data(Self::genesis_hash().as_ref(), request_id, who, secrets)
		}

		/// What the challenges of a request are bound to on this chain: see
		/// [`challenge_binding`].
		pub fn binding(request_id: RequestId, who: &T::AccountId, ek_id: &EkId, ak_name: &TpmName) -> [u8; 32] {
			crate::challenge_binding(Self::genesis_hash().as_ref(), request_id, who, ek_id, ak_name)
		}

		pub(crate) fn do_add_ca(der: &[u8], parent: Option<CaId>, label: LabelBytes) -> Result<CaId, DispatchError> {
			let cert = cert::parse(der).map_err(Error::<T>::from)?;
			let signer_spki = match parent {
				Some(parent_id) => {
					let parent = TrustedCas::<T>::get(parent_id).ok_or(Error::<T>::UnknownCa)?;
					ensure!(cert.issuer() == parent.subject.as_slice(), Error::<T>::IssuerMismatch);
					parent.spki.to_vec()
				},
				None => cert.spki(),
			};
			cert.verify_signed_by(&signer_spki).map_err(Error::<T>::from)?;
			cert.check_ca().map_err(Error::<T>::from)?;
			let subject = NameBytes::try_from(cert.subject()).map_err(|_| Error::<T>::CertMalformed)?;
			let spki = SpkiBytes::try_from(cert.spki()).map_err(|_| Error::<T>::BadCaKey)?;
			let subject_hash = blake2_256(&subject);
			let key_id = match cert.subject_key_id().map_err(Error::<T>::from)? {
				Some(key_id) => blake2_256(&key_id),
				None => blake2_256(&spki),
			};
			ensure!(!CaBySubject::<T>::contains_key(subject_hash, key_id), Error::<T>::DuplicateCa);
			let count = CaCount::<T>::get();
			ensure!(count < T::MaxCas::get(), Error::<T>::TooManyCas);

			let ca_id = NextCaId::<T>::get();
			NextCaId::<T>::put(ca_id.saturating_add(1));
			CaCount::<T>::put(count + 1);
			CaBySubject::<T>::insert(subject_hash, key_id, ca_id);
			TrustedCas::<T>::insert(ca_id, TrustedCa { subject, spki, parent, label, revoked: false });
			Self::deposit_event(Event::CaAdded { ca_id, parent });
			Ok(ca_id)
		}

		/// The nodes whose EK certificate was issued by CA `ca_id` or by a CA under it, with
		/// their EK ids: what governance sweeps after revoking a CA (revocation removes their
		/// validators; the nodes stay attested until their EKs are revoked). Reads every
		/// node: for runtime API calls, not for transactions.
		pub fn nodes_under_ca(ca_id: CaId) -> Vec<(T::AccountId, EkId)> {
			let under = |issuer: CaId| {
				let mut next = Some(issuer);
				for _ in 0..=T::MaxCas::get() {
					match next {
						Some(id) if id == ca_id => return true,
						Some(id) => next = TrustedCas::<T>::get(id).and_then(|ca| ca.parent),
						None => return false,
					}
				}
				false
			};
			Nodes::<T>::iter()
				.filter_map(|(who, node)| match (node.ca_id, node.ek_id) {
					(Some(issuer), Some(ek_id)) if under(issuer) => Some((who, ek_id)),
					_ => None,
				})
				.collect()
		}

		/// The trusted, unrevoked CA that issued `cert`, with all CAs above it unrevoked:
		/// the one with its issuer name and the key its authority key identifier names, or,
		/// if it names none that is trusted, the only CA with that name.
		fn issuing_ca(cert: &cert::ParsedCert) -> Result<(CaId, TrustedCa), Error<T>> {
			let subject = blake2_256(&cert.issuer());
			let named = cert
				.authority_key_id()
				.map_err(Error::<T>::from)?
				.and_then(|key_id| CaBySubject::<T>::get(subject, blake2_256(&key_id)));
			let id = match named {
				Some(id) => id,
				None => {
					let mut keys = CaBySubject::<T>::iter_prefix_values(subject);
					let id = keys.next().ok_or(Error::<T>::UntrustedIssuer)?;
					ensure!(keys.next().is_none(), Error::<T>::AmbiguousIssuer);
					id
				},
			};
			Ok((id, Self::trusted_ca(id)?))
		}

		/// CA `id`, if it and all CAs above it are trusted and unrevoked.
		fn trusted_ca(id: CaId) -> Result<TrustedCa, Error<T>> {
			let issuing = TrustedCas::<T>::get(id).ok_or(Error::<T>::UntrustedIssuer)?;
			ensure!(!issuing.revoked, Error::<T>::CaRevoked);
			// Walk up the parents; chains are short, and the bound only guards against a cycle.
			let mut next = issuing.parent;
			for _ in 0..T::MaxCas::get() {
				let Some(id) = next else { break };
				let ca = TrustedCas::<T>::get(id).ok_or(Error::<T>::UntrustedIssuer)?;
				ensure!(!ca.revoked, Error::<T>::CaRevoked);
				next = ca.parent;
			}
			Ok(issuing)
		}

		pub(crate) fn do_request(who: T::AccountId, ek_cert: &[u8], ak_public: AkPublicBytes) -> DispatchResult {
			ensure!(!Nodes::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			ensure!(!RequestOfAccount::<T>::contains_key(&who), Error::<T>::RequestPending);
			let cert = cert::parse(ek_cert).map_err(Error::<T>::from)?;
			let (ca_id, ca) = Self::issuing_ca(&cert)?;
			cert.verify_signed_by(&ca.spki).map_err(Error::<T>::from)?;
			let ek_modulus = cert.ek_modulus().map_err(Error::<T>::from)?;
			let ek_id = blake2_256(&cert.spki());
			ensure!(!RevokedEks::<T>::contains_key(ek_id), Error::<T>::EkRevoked);
			ensure!(!EkOwner::<T>::contains_key(ek_id), Error::<T>::EkAlreadyOwned);
			ensure!(!RequestOfEk::<T>::contains_key(ek_id), Error::<T>::EkRequestPending);
			let ak = tpm::AkPublic::parse(&ak_public).map_err(Error::<T>::from)?;
			let ak_name = ak.name();
			let ak_qualified_name = tpm::qualified_name(&tpm::ek_name(&ek_modulus), &ak_name);

			let request_id = NextRequestId::<T>::get();
			let now = frame_system::Pallet::<T>::block_number();
			let draw_at = Self::schedule(request_id, Self::draw_block(now)).ok_or(Error::<T>::TooManyRequests)?;
			let deposit = T::RequestDeposit::get();
			T::Currency::hold(&HoldReason::RequestDeposit.into(), &who, deposit)
				.map_err(|_| Error::<T>::InsufficientDeposit)?;

			NextRequestId::<T>::put(request_id.saturating_add(1));
			RequestOfAccount::<T>::insert(&who, request_id);
			RequestOfEk::<T>::insert(ek_id, request_id);
			Requests::<T>::insert(
				request_id,
				Request {
					who: who.clone(),
					ek_id,
					ca_id,
					ek_modulus,
					ak_public,
					ak_name,
					ak_qualified_name,
					deposit,
					seats: Default::default(),
					phase: Phase::Drawing(draw_at),
					round: 0,
					draw_after: now,
				},
			);
			Self::deposit_event(Event::RegistrationRequested { request_id, who, ek_id });
			Ok(())
		}

		pub(crate) fn do_post_challenge(
			challenger: T::AccountId,
			request_id: RequestId,
			challenge: Challenge,
		) -> DispatchResult {
			let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(matches!(request.phase, Phase::Challenging(_)), Error::<T>::NotChallenging);
			let seat = request
				.seats
				.iter_mut()
				.find(|s| s.challenger == challenger && s.challenge.is_none())
				.ok_or(Error::<T>::NotAChallenger)?;
			seat.challenge = Some(challenge);
			Self::deposit_event(Event::ChallengePosted { request_id, challenger });
			if request.seats.iter().all(|s| s.challenge.is_some()) {
				let now = frame_system::Pallet::<T>::block_number();
				let Some(deadline) = Self::schedule(request_id, now.saturating_add(T::ResponseWindow::get())) else {
					// No room for the answering deadline: nobody's fault, so the request ends
					// refunded and no challenger counts as silent.
					Self::end(request_id, request, Perbill::zero());
					return Ok(());
				};
				Self::unschedule(request_id, request.phase.deadline());
				request.phase = Phase::Answering(deadline);
				Self::deposit_event(Event::ChallengesReady { request_id, deadline });
			}
			Requests::<T>::insert(request_id, request);
			Ok(())
		}

		pub(crate) fn do_activate(
			who: T::AccountId,
			request_id: RequestId,
			secrets: &[[u8; 32]],
			attest: &[u8],
			signature: &[u8],
		) -> DispatchResult {
			let request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(request.who == who, Error::<T>::NotRequester);
			ensure!(matches!(request.phase, Phase::Answering(_)), Error::<T>::ChallengesNotReady);
			ensure!(!RevokedEks::<T>::contains_key(request.ek_id), Error::<T>::EkRevoked);
			ensure!(!EkOwner::<T>::contains_key(request.ek_id), Error::<T>::EkAlreadyOwned);
			// The CA may have been revoked since the request began.
			Self::trusted_ca(request.ca_id)?;
			ensure!(secrets.len() == request.seats.len(), Error::<T>::WrongSecretCount);
			for (seat, secret) in request.seats.iter().zip(secrets) {
				let committed = seat.challenge.as_ref().map(|c| c.commitment);
				ensure!(
					committed == Some(Self::commitment(request_id, &seat.challenger, secret)),
					Error::<T>::CommitmentMismatch
				);
			}
			let ak = tpm::AkPublic::parse(&request.ak_public).map_err(Error::<T>::from)?;
			let quote = ak.verify_quote(attest, signature).map_err(Error::<T>::from)?;
			ensure!(
				quote.extra_data == Self::qualifying_data(request_id, &who, secrets).as_slice(),
				Error::<T>::WrongNonce
			);
			ensure!(quote.qualified_signer == request.ak_qualified_name.as_slice(), Error::<T>::WrongQualifiedSigner);

			Self::close(request_id, &request);
			for seat in &request.seats {
				Self::release_seat(&seat.challenger);
			}
			T::Currency::release(&HoldReason::RequestDeposit.into(), &who, request.deposit, Precision::BestEffort)?;
			EkOwner::<T>::insert(request.ek_id, &who);
			Nodes::<T>::insert(
				&who,
				Node {
					ek_id: Some(request.ek_id),
					ca_id: Some(request.ca_id),
					ak_public: request.ak_public,
					registered_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			T::Grant::pay_grant(&who, T::ClaimGrant::get());
			Self::deposit_event(Event::NodeRegistered { who, ek_id: request.ek_id, request_id });
			Ok(())
		}

		pub(crate) fn do_reveal(challenger: T::AccountId, request_id: RequestId, seed: &[u8; 32]) -> DispatchResult {
			let mut audit = Audits::<T>::get(request_id).ok_or(Error::<T>::UnknownAudit)?;
			let at = audit
				.seats
				.iter()
				.position(|s| s.challenger == challenger && !s.revealed)
				.ok_or(Error::<T>::NotAnAuditedChallenger)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= audit.opened_at.saturating_add(T::RevealDelay::get()), Error::<T>::RevealTooEarly);
			Self::release_seat(&challenger);
			let made = Self::make_challenge(
				seed,
				request_id,
				&challenger,
				&audit.who,
				&audit.ek_id,
				&audit.ek_modulus,
				&audit.ak_name,
			);
			if made.is_ok_and(|made| made.challenge == audit.seats[at].challenge) {
				audit.seats[at].revealed = true;
				Self::deposit_event(Event::ChallengeRevealed { request_id, challenger });
			} else {
				audit.seats.remove(at);
				audit.cheated = true;
				Self::slash(request_id, &challenger, &audit.who, SlashReason::BadChallenge);
			}
			if audit.seats.iter().all(|s| s.revealed) {
				Self::finish_audit(request_id, audit);
			} else {
				Audits::<T>::insert(request_id, audit);
			}
			Ok(())
		}

		/// Puts `id` in the deadline list of block `at`, or of one of the next few blocks
		/// if that one is full; the block it went to.
		fn schedule(id: RequestId, at: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
			let mut at = at;
			for _ in 0..SCHEDULE_SPREAD {
				if Deadlines::<T>::try_mutate(at, |due| due.try_push(id)).is_ok() {
					return Some(at);
				}
				at = at.saturating_add(One::one());
			}
			None
		}

		/// Takes `id` out of the deadline list of block `at`.
		fn unschedule(id: RequestId, at: BlockNumberFor<T>) {
			Deadlines::<T>::mutate_exists(at, |due| {
				if let Some(list) = due {
					list.retain(|r| *r != id);
					if list.is_empty() {
						*due = None;
					}
				}
			});
		}

		/// Stores a request in `phase` at the first block from `at` with room in its
		/// deadline list; ends it, refunded, if there is none.
		fn reschedule(
			id: RequestId,
			mut request: RequestOf<T>,
			phase: fn(BlockNumberFor<T>) -> Phase<BlockNumberFor<T>>,
			at: BlockNumberFor<T>,
		) -> Option<BlockNumberFor<T>> {
			match Self::schedule(id, at) {
				Some(at) => {
					request.phase = phase(at);
					Requests::<T>::insert(id, request);
					Some(at)
				},
				None => {
					Self::end(id, request, Perbill::zero());
					None
				},
			}
		}

		/// Ends a request without a node, burning `penalty` of its deposit and returning
		/// the rest.
		fn end(request_id: RequestId, request: RequestOf<T>, penalty: Perbill) {
			Self::close(request_id, &request);
			for seat in &request.seats {
				Self::release_seat(&seat.challenger);
			}
			let reason = HoldReason::RequestDeposit.into();
			let burnt = if penalty.is_zero() {
				Zero::zero()
			} else {
				T::Currency::burn_held(&reason, &request.who, penalty * request.deposit, Precision::BestEffort, Fortitude::Force)
					.unwrap_or_default()
			};
			let _ = T::Currency::release(&reason, &request.who, request.deposit.saturating_sub(burnt), Precision::BestEffort);
			Self::deposit_event(Event::RegistrationCancelled { request_id, who: request.who, penalty: burnt });
		}

		/// Removes an ended request and its indexes.
		fn close(request_id: RequestId, request: &RequestOf<T>) {
			Requests::<T>::remove(request_id);
			RequestOfAccount::<T>::remove(&request.who);
			if RequestOfEk::<T>::get(request.ek_id) == Some(request_id) {
				RequestOfEk::<T>::remove(request.ek_id);
			}
			Self::unschedule(request_id, request.phase.deadline());
		}

		/// The pool of challengers a period starting now will draw from: session
		/// validators that are candidates holding a full bond, not benched.
		pub(crate) fn pool_snapshot(now: BlockNumberFor<T>) -> BoundedVec<T::AccountId, T::MaxValidators> {
			let candidates = ValidatorCandidates::<T>::get();
			let benched = Benched::<T>::get();
			let bond = T::ValidatorBond::get();
			let pool: Vec<_> = T::Challengers::challengers()
				.into_iter()
				.filter(|c| candidates.iter().any(|(v, held)| v == c && *held >= bond))
				.filter(|c| !benched.iter().any(|(b, until)| b == c && *until > now))
				.collect();
			BoundedVec::truncate_from(pool)
		}

		/// Folds the parent block's VRF output into the seed under construction; when a
		/// period ends, publishes its seed with the pool snapshotted as it started, and
		/// snapshots the next. Whether a period ended.
		fn fold_randomness(now: BlockNumberFor<T>) -> bool {
			let (mut acc, start) = DrawAccumulator::<T>::get();
			if let (Some(vrf), _) = T::BlockRandomness::random(RANDOMNESS_SUBJECT) {
				acc = blake2_256(&(acc, vrf).encode());
			}
			if now < start.saturating_add(T::DrawPeriod::get()) {
				DrawAccumulator::<T>::put((acc, start));
				return false;
			}
			DrawSeed::<T>::put((acc, start, now));
			DrawPool::<T>::put(NextDrawPool::<T>::get());
			NextDrawPool::<T>::put(Self::pool_snapshot(now));
			DrawAccumulator::<T>::put((blake2_256(&(RANDOMNESS_SUBJECT, now).encode()), now));
			true
		}

		/// The block at which a request drawing with the VRF outputs of blocks after
		/// `draw_after` draws: the end of the first period that starts after it.
		fn draw_block(draw_after: BlockNumberFor<T>) -> BlockNumberFor<T> {
			let (_, current) = DrawAccumulator::<T>::get();
			let period = T::DrawPeriod::get();
			let start = if current > draw_after {
				current
			} else {
				let periods = (draw_after - current) / period + One::one();
				current.saturating_add(periods.saturating_mul(period))
			};
			start.saturating_add(period)
		}

		/// The last period's pool as it may be drawn now: those still bonded (as
		/// candidates, or unbonding: leaving after the seed is known changes nothing) with
		/// room for another seat.
		fn drawable() -> Vec<T::AccountId> {
			let candidates = ValidatorCandidates::<T>::get();
			DrawPool::<T>::get()
				.into_iter()
				.filter(|c| candidates.iter().any(|(v, _)| v == c) || Unbonding::<T>::contains_key(c))
				.filter(|c| OpenSeats::<T>::get(c) < T::MaxSeatsPerValidator::get())
				.collect()
		}

		fn take_seat(who: &T::AccountId) {
			OpenSeats::<T>::mutate(who, |n| *n = n.saturating_add(1));
		}

		fn release_seat(who: &T::AccountId) {
			OpenSeats::<T>::mutate_exists(who, |n| {
				*n = n.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
			});
		}

		/// Draws `count` of `pool` in random order, from the randomness and the EK alone:
		/// every request for this EK drawn with this randomness meets the same seats.
		fn draw(random: &[u8; 32], ek_id: &EkId, count: usize, mut pool: Vec<T::AccountId>) -> Vec<T::AccountId> {
			let mut seed = blake2_256(&(random, ek_id).encode());
			let count = count.min(pool.len());
			for i in 0..count {
				let pick = i + (u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")) as usize % (pool.len() - i));
				pool.swap(i, pick);
				seed = blake2_256(&seed);
			}
			pool.truncate(count);
			pool
		}

		fn on_deadline(id: RequestId, now: BlockNumberFor<T>, drawable: &mut Vec<T::AccountId>) {
			if let Some(request) = Requests::<T>::get(id) {
				if request.phase.deadline() != now {
					return;
				}
				match request.phase {
					Phase::Drawing(_) => Self::draw_seats(id, request, now, drawable),
					Phase::Challenging(_) => Self::round_failed(id, request, now),
					Phase::Answering(_) => Self::fail_answering(id, request, now),
				}
			}
		}

		/// Draws the seats of a request with the last period's seed and pool, if that period
		/// started after `draw_after`; otherwise waits for the period that does.
		fn draw_seats(
			id: RequestId,
			mut request: RequestOf<T>,
			now: BlockNumberFor<T>,
			drawable: &mut Vec<T::AccountId>,
		) {
			let seed = DrawSeed::<T>::get().filter(|(_, start, _)| *start > request.draw_after);
			let Some((seed, _, _)) = seed else {
				let at = Self::draw_block(request.draw_after).max(now.saturating_add(One::one()));
				Self::reschedule(id, request, Phase::Drawing, at);
				return;
			};
			let k = T::ChallengersPerRequest::get() as usize;
			let pool: Vec<_> = drawable.iter().filter(|c| **c != request.who).cloned().collect();
			let drawn = Self::draw(&seed, &request.ek_id, k, pool);
			if drawn.len() < k {
				// Not enough challengers: nobody's fault, so the whole deposit returns.
				Self::end(id, request, Perbill::zero());
				return;
			}
			request.round = request.round.saturating_add(1);
			for challenger in &drawn {
				Self::take_seat(challenger);
				// Later draws in this block see the seat.
				if OpenSeats::<T>::get(challenger) >= T::MaxSeatsPerValidator::get() {
					drawable.retain(|c| c != challenger);
				}
			}
			// At most ChallengersPerRequest <= MAX_CHALLENGERS seats.
			request.seats = BoundedVec::truncate_from(
				drawn.iter().map(|c| Seat { challenger: c.clone(), challenge: None }).collect(),
			);
			let round = request.round;
			if let Some(deadline) =
				Self::reschedule(id, request, Phase::Challenging, now.saturating_add(T::ChallengeWindow::get()))
			{
				Self::deposit_event(Event::ChallengersAssigned { request_id: id, challengers: drawn, deadline, round });
			}
		}

		/// Not every seat posted: the silent sit out draws for a while, and the request
		/// draws again with the next randomness, or ends refunded after its last round.
		fn round_failed(id: RequestId, mut request: RequestOf<T>, now: BlockNumberFor<T>) {
			let silent: Vec<_> =
				request.seats.iter().filter(|s| s.challenge.is_none()).map(|s| s.challenger.clone()).collect();
			let benched_until = now.saturating_add(T::SilenceBench::get());
			Benched::<T>::mutate(|benched| {
				benched.retain(|(who, until)| *until > now && !silent.contains(who));
				for who in &silent {
					// Bounded by the validators; a full list only shortens a bench.
					let _ = benched.try_push((who.clone(), benched_until));
				}
			});
			Self::deposit_event(Event::ChallengersSilent { request_id: id, silent, benched_until });
			if request.round >= T::MaxRounds::get() {
				Self::end(id, request, Perbill::zero());
				return;
			}
			for seat in &request.seats {
				Self::release_seat(&seat.challenger);
			}
			request.seats.clear();
			// The silent chose to be silent knowing the VRF outputs so far: the next draw
			// takes only those of blocks after now.
			request.draw_after = now;
			Self::reschedule(id, request, Phase::Drawing, Self::draw_block(now));
		}

		/// All challenges were in and the node did not activate (it let the request expire,
		/// or cancelled it): the rest of the deposit returns, the penalty stays held while
		/// the challenges are audited.
		fn fail_answering(id: RequestId, request: RequestOf<T>, now: BlockNumberFor<T>) {
			if Self::trusted_ca(request.ca_id).is_err() {
				// Its CA was revoked: it could not have activated, through no fault of its own.
				Self::end(id, request, Perbill::zero());
				return;
			}
			Self::close(id, &request);
			let reason = HoldReason::RequestDeposit.into();
			let penalty = T::ExpiryPenalty::get() * request.deposit;
			let _ = T::Currency::release(&reason, &request.who, request.deposit.saturating_sub(penalty), Precision::BestEffort);
			let seats: Vec<_> = request
				.seats
				.iter()
				.filter_map(|s| {
					s.challenge.clone().map(|challenge| AuditSeat { challenger: s.challenger.clone(), challenge, revealed: false })
				})
				.collect();
			// The seats stay open (counted in `OpenSeats`) until each is revealed or slashed.
			Audits::<T>::insert(
				id,
				Audit {
					who: request.who.clone(),
					ek_id: request.ek_id,
					ek_modulus: request.ek_modulus,
					ak_name: request.ak_name,
					penalty,
					seats: BoundedVec::truncate_from(seats),
					cheated: false,
					opened_at: now,
					deadline: now.saturating_add(T::RevealWindow::get()),
				},
			);
			Self::deposit_event(Event::RegistrationExpired { request_id: id, who: request.who, penalty });
		}

		/// Ends an audit: the penalty returns to the requester if a challenger lied, and is
		/// burnt otherwise.
		fn finish_audit(id: RequestId, audit: AuditOf<T>) {
			Audits::<T>::remove(id);
			let reason = HoldReason::RequestDeposit.into();
			if audit.cheated {
				let _ = T::Currency::release(&reason, &audit.who, audit.penalty, Precision::BestEffort);
			} else {
				let _ = T::Currency::burn_held(&reason, &audit.who, audit.penalty, Precision::BestEffort, Fortitude::Force);
			}
			Self::deposit_event(Event::AuditClosed {
				request_id: id,
				who: audit.who,
				refunded: audit.cheated,
				penalty: audit.penalty,
			});
		}

		/// Takes a challenger's whole bond (as a candidate, or unbonding): `SlashReward` of
		/// it to `wronged`, the rest burnt. It is no longer a candidate.
		fn slash(request_id: RequestId, challenger: &T::AccountId, wronged: &T::AccountId, reason: SlashReason) {
			let bond = Self::take_bond(challenger).map(|(bond, _)| bond).unwrap_or_default();
			let (slashed, reward) = Self::slash_held(challenger, bond, Some(wronged));
			Self::deposit_event(Event::ChallengerSlashed {
				request_id,
				challenger: challenger.clone(),
				reason,
				slashed,
				reward,
			});
		}

		/// Punishes a validator reported for an offence in `session` (through
		/// pallet-offences: a BABE or GRANDPA equivocation): it loses `fraction` of its
		/// bond, at least `OffenceSlash`, `SlashReward` of it to the first reporter and the
		/// rest burnt, and leaves the candidates; the rest of its bond unbonds. A bond that
		/// is already unbonding is slashed the same way. Each offence is punished once.
		/// Returns the weight used.
		pub fn punish_offender(
			who: &T::AccountId,
			fraction: Perbill,
			session: u32,
			reporter: Option<&T::AccountId>,
		) -> Weight {
			let db = T::DbWeight::get();
			let mut punished = PunishedOffence::<T>::get(who);
			if punished.contains(&session) {
				return db.reads(1);
			}
			let Some((bond, unbonding_at)) = Self::take_bond(who) else {
				return db.reads(3);
			};
			let share = fraction.max(T::OffenceSlash::get()) * bond;
			let reporter = reporter.filter(|r| *r != who);
			let (slashed, reward) = Self::slash_held(who, share, reporter);
			let unbonds_at = frame_system::Pallet::<T>::block_number()
				.saturating_add(T::UnbondingPeriod::get())
				.max(unbonding_at.unwrap_or_default());
			let rest = bond.saturating_sub(slashed);
			if !rest.is_zero() {
				Unbonding::<T>::insert(who, (rest, unbonds_at));
			}
			if punished.is_full() {
				punished.remove(0);
			}
			let _ = punished.try_push(session);
			PunishedOffence::<T>::insert(who, punished);
			Self::deposit_event(Event::OffenderSlashed { who: who.clone(), session, slashed, reward, unbonds_at });
			db.reads_writes(4, 6)
		}

		/// Takes `who`'s bond out of the candidates or out of unbonding (with the block it
		/// was to be released at); the funds stay held.
		fn take_bond(who: &T::AccountId) -> Option<(BalanceOf<T>, Option<BlockNumberFor<T>>)> {
			let mut candidates = ValidatorCandidates::<T>::get();
			match candidates.iter().position(|(v, _)| v == who) {
				Some(at) => {
					let (_, bond) = candidates.remove(at);
					ValidatorCandidates::<T>::put(candidates);
					Some((bond, None))
				},
				None => Unbonding::<T>::take(who).map(|(bond, at)| (bond, Some(at))),
			}
		}

		/// Slashes `amount` of `who`'s held bond: `SlashReward` of it to `to`, the rest
		/// burnt. Returns what was slashed and the reward.
		fn slash_held(who: &T::AccountId, amount: BalanceOf<T>, to: Option<&T::AccountId>) -> (BalanceOf<T>, BalanceOf<T>) {
			let hold = HoldReason::ValidatorBond.into();
			let reward = to
				.and_then(|to| {
					T::Currency::transfer_on_hold(
						&hold,
						who,
						to,
						T::SlashReward::get() * amount,
						Precision::BestEffort,
						Restriction::Free,
						Fortitude::Force,
					)
					.ok()
				})
				.unwrap_or_default();
			let burnt =
				T::Currency::burn_held(&hold, who, amount.saturating_sub(reward), Precision::BestEffort, Fortitude::Force)
					.unwrap_or_default();
			(reward.saturating_add(burnt), reward)
		}

		/// Takes `who` out of the candidates; its bond stays held until the returned block.
		fn unbond(who: &T::AccountId) -> BlockNumberFor<T> {
			let unbonds_at = frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
			let mut candidates = ValidatorCandidates::<T>::get();
			if let Some(at) = candidates.iter().position(|(v, _)| v == who) {
				let (_, bond) = candidates.remove(at);
				ValidatorCandidates::<T>::put(candidates);
				if !bond.is_zero() {
					Unbonding::<T>::insert(who, (bond, unbonds_at));
				}
			}
			unbonds_at
		}
	}

	/// The validator set: the candidates that are still registered nodes and have session
	/// keys. An empty set is never proposed; the current one then stays.
	impl<T: Config> polkadot_sdk::pallet_session::SessionManager<T::AccountId> for Pallet<T> {
		fn new_session(_: u32) -> Option<Vec<T::AccountId>> {
			let validators: Vec<_> = ValidatorCandidates::<T>::get()
				.into_iter()
				.map(|(v, _)| v)
				.filter(|v| Nodes::<T>::contains_key(v) && T::SessionKeys::contains(v))
				.collect();
			(!validators.is_empty()).then_some(validators)
		}

		fn end_session(_: u32) {}

		fn start_session(_: u32) {}
	}

	/// The challenger key is one of the session keys.
	impl<T: Config> polkadot_sdk::sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
		type Public = T::ChallengerId;
	}

	/// Nothing to do when sessions change: challenger keys are read from pallet-session
	/// when a challenge or reveal is checked.
	impl<T: Config> frame_support::traits::OneSessionHandler<T::AccountId> for Pallet<T> {
		type Key = T::ChallengerId;

		fn on_genesis_session<'a, I: 'a>(_: I)
		where
			I: Iterator<Item = (&'a T::AccountId, T::ChallengerId)>,
		{
		}

		fn on_new_session<'a, I: 'a>(_: bool, _: I, _: I)
		where
			I: Iterator<Item = (&'a T::AccountId, T::ChallengerId)>,
		{
		}

		fn on_disabled(_: u32) {}
	}

	impl<T: Config> NodeRegistry<T::AccountId> for Pallet<T> {
		fn is_attested(who: &T::AccountId) -> bool {
			Nodes::<T>::contains_key(who)
		}
	}

	impl<T> From<cairn_attestation::Error> for Error<T> {
		fn from(e: cairn_attestation::Error) -> Self {
			use cairn_attestation::Error as E;
			match e {
				E::CertTooLong => Self::CertTooLong,
				E::CertMalformed => Self::CertMalformed,
				E::UnsupportedSignatureAlgorithm => Self::UnsupportedSignatureAlgorithm,
				E::CaKeyMalformed => Self::BadCaKey,
				E::CertSignature => Self::BadCertSignature,
				E::EkKeyType => Self::WrongEkType,
				E::EkUsage => Self::NotAnEkCertificate,
				E::SignatureAlgorithmMismatch => Self::SignatureAlgorithmMismatch,
				E::NotACa => Self::NotACaCertificate,
				E::AkMalformed => Self::AkMalformed,
				E::AkAttributes => Self::WrongAkAttributes,
				E::AkKeyType => Self::WrongAkType,
				E::QuoteMalformed => Self::QuoteMalformed,
				E::QuoteSignature => Self::BadQuoteSignature,
				E::NotAQuote => Self::NotAQuote,
				// Only MakeCredential fails these, which the pallet never runs.
				E::SecretTooLong | E::Encryption => Self::QuoteMalformed,
			}
		}
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Attestation queries for RPC and governance tools.
	pub trait AttestationApi<AccountId> where
		AccountId: codec::Codec,
	{
		/// The nodes certified under CA `ca_id` (by it or a CA below it), with their EK
		/// ids: the sweep after a CA is revoked.
		fn nodes_under_ca(ca_id: CaId) -> alloc::vec::Vec<(AccountId, EkId)>;
	}
}
