//! # Attestation pallet
//!
//! One TPM = one node. An account proves that it controls a TPM with an endorsement key
//! (EK) certified by a trusted manufacturer CA; the first account to do so owns that EK
//! for good and receives `ClaimGrant`. Other pallets ask [`NodeRegistry::is_attested`].
//!
//! The chain cannot challenge the TPM itself (everything on chain is public), so k
//! attested validators do it from their off-chain workers; one honest challenger is
//! enough. The lifecycle of a request:
//!
//! 1. **M1 [`Pallet::request_registration`]** (the node): EK certificate and AK public
//!    area, checked at once; the deposit is held. Challengers are drawn at the start of
//!    the next block, with randomness fixed after the request was included.
//! 2. **M2 [`Pallet::post_challenge`]** (each challenger): a credential for the EK bound
//!    to the AK's name, and a commitment to its secret. A challenger silent for
//!    `ChallengeWindow` blocks is replaced.
//! 3. **M3 [`Pallet::activate`]** (the node, within `ResponseWindow`): the secrets its TPM
//!    recovered and a quote by the AK over them. The commitments, the quote's signature,
//!    its qualified signer (which pins the AK under that EK) and its nonce are checked;
//!    then the EK is owned, the deposit returned and the grant paid. A request that is
//!    not answered in time expires and loses `ExpiryPenalty` of its deposit.
//!
//! Governance (`AdminOrigin`) keeps the trusted CAs and revokes CAs and EKs. Genesis
//! trusts CAs and pre-registers nodes (the genesis validators, and dev accounts).

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
const RANDOMNESS_SUBJECT: &[u8] = b"cairn/attestation/challengers";

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
				tokens::{Fortitude, Precision},
				Contains, Randomness,
			},
		},
		frame_system::{
			self,
			offchain::{AppCrypto, CreateSignedTransaction},
			pallet_prelude::*,
		},
		sp_io::hashing::blake2_256,
		sp_runtime::{
			traits::{One, Zero},
			Perbill, Saturating,
		},
	};

	pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type RequestOf<T> = Request<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// The node key that challengers' off-chain workers sign `post_challenge` with.
		type NodeKey: AppCrypto<Self::Public, Self::Signature>;
		/// Holds the request deposit.
		type Currency: Mutate<Self::AccountId> + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		type RuntimeHoldReason: From<HoldReason>;
		/// Randomness that is fixed only after the block that includes a request, such as
		/// BABE's `ParentBlockRandomness` read one block later.
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
		/// Who may be drawn as a challenger.
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
		/// Blocks a challenger has to post its challenge before it is replaced.
		#[pallet::constant]
		type ChallengeWindow: Get<BlockNumberFor<Self>>;
		/// Blocks the node has to activate once all challenges are in.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;
		/// Held from the requester until the request ends.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;
		/// The part of the deposit an expired request loses.
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

	/// The CA with a given subject: `blake2_256(subject DER) -> id`.
	#[pallet::storage]
	pub type CaBySubject<T: Config> = StorageMap<_, Identity, [u8; 32], CaId>;

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

	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Attested nodes that bonded to validate, with their bonds: the validator set of the
	/// next session is those of them that are still attested and have session keys.
	#[pallet::storage]
	pub type ValidatorCandidates<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxValidators>, ValueQuery>;

	/// Requests whose phase ends at a block; `on_initialize` takes only its own block's.
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
		/// Validators without a bond: the genesis validators (they must be in `nodes`).
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
					Node { ek_id: None, ak_public: Default::default(), registered_at: Zero::zero() },
				);
			}
			let validators: Vec<_> = self.validators.iter().map(|v| (v.clone(), Zero::zero())).collect();
			assert!(self.validators.iter().all(|v| self.nodes.contains(v)), "genesis validators are nodes");
			ValidatorCandidates::<T>::put(
				BoundedVec::try_from(validators).expect("at most MaxValidators genesis validators"),
			);
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
		/// M1 accepted: challengers are drawn next block.
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
		/// The node did not answer in time; `penalty` of its deposit is burnt.
		RegistrationExpired {
			request_id: RequestId,
			who: T::AccountId,
			penalty: BalanceOf<T>,
		},
		/// No challengers could be found; the deposit is returned.
		RegistrationCancelled {
			request_id: RequestId,
			who: T::AccountId,
		},
		/// `who` bonded `bond` and validates from the next session on.
		ValidatorJoined {
			who: T::AccountId,
			bond: BalanceOf<T>,
		},
		/// `who` stops validating at the next session; its bond is returned.
		ValidatorLeft {
			who: T::AccountId,
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
		/// The certificate's extended key usage lacks the TCG EK certificate purpose.
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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Deadlines::<T>::take(now);
			let count = due.len() as u32;
			if count > 0 {
				let candidates = T::Challengers::challengers();
				for request_id in due {
					Self::on_deadline(request_id, now, &candidates);
				}
			}
			T::WeightInfo::on_initialize(count)
		}

		/// Challengers: posts the challenges of this node's seats (see [`offchain`]).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_challenge(now);
		}

		fn integrity_test() {
			let k = T::ChallengersPerRequest::get();
			assert!(k >= 1 && k <= MAX_CHALLENGERS, "ChallengersPerRequest must be within 1..={MAX_CHALLENGERS}");
			assert!(!T::ChallengeWindow::get().is_zero() && !T::ResponseWindow::get().is_zero());
			assert!(T::MaxDeadlinesPerBlock::get() >= 1);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// M1, signed by the node's account: asks to register the TPM whose EK certificate
		/// and AK public area (TPM2B_PUBLIC) are given. Holds `RequestDeposit`; emits
		/// `RegistrationRequested`, and `ChallengersAssigned` at the next block.
		#[pallet::call_index(0)]
		pub fn request_registration(
			origin: OriginFor<T>,
			ek_cert: CertBytes,
			ak_public: AkPublicBytes,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request(who, &ek_cert, ak_public)
		}

		/// M2, signed by an assigned challenger (its off-chain worker): a credential for
		/// the request's EK and AK, and the commitment to its secret. Emits
		/// `ChallengePosted`, and `ChallengesReady` with the last one.
		#[pallet::call_index(1)]
		pub fn post_challenge(
			origin: OriginFor<T>,
			request_id: RequestId,
			id_object: IdObjectBytes,
			encrypted_secret: EncryptedSecretBytes,
			commitment: [u8; 32],
		) -> DispatchResult {
			let challenger = ensure_signed(origin)?;
			Self::do_post_challenge(challenger, request_id, Challenge { id_object, encrypted_secret, commitment })
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

		/// Signed by a validator: leaves the validators at the next session and gets its
		/// bond back. Emits `ValidatorLeft`.
		#[pallet::call_index(7)]
		pub fn leave_validators(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut candidates = ValidatorCandidates::<T>::get();
			let at = candidates.iter().position(|(v, _)| *v == who).ok_or(Error::<T>::NotAValidator)?;
			ensure!(candidates.len() > 1, Error::<T>::LastValidator);
			let (_, bond) = candidates.remove(at);
			T::Currency::release(&HoldReason::ValidatorBond.into(), &who, bond, Precision::BestEffort)?;
			ValidatorCandidates::<T>::put(candidates);
			Self::deposit_event(Event::ValidatorLeft { who });
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

		/// Governance: a CA and every CA under it stop vouching for new requests.
		/// Emits `CaRevoked`.
		#[pallet::call_index(4)]
		pub fn revoke_ca(origin: OriginFor<T>, ca_id: CaId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			TrustedCas::<T>::try_mutate(ca_id, |ca| {
				ca.as_mut().ok_or(Error::<T>::UnknownCa)?.revoked = true;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::CaRevoked { ca_id });
			Ok(())
		}

		/// Governance: an EK stops counting; its owner is no longer a node and the EK can
		/// never register again. Emits `EkRevoked`.
		#[pallet::call_index(5)]
		pub fn revoke_ek(origin: OriginFor<T>, ek_id: EkId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			RevokedEks::<T>::insert(ek_id, ());
			let owner = EkOwner::<T>::get(ek_id);
			if let Some(owner) = &owner {
				Nodes::<T>::remove(owner);
			}
			Self::deposit_event(Event::EkRevoked { ek_id, owner });
			Ok(())
		}
	}

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

		/// The quote's qualifying data on this chain: see [`qualifying_data`].
		pub fn qualifying_data(request_id: RequestId, who: &T::AccountId, secrets: &[[u8; 32]]) -> [u8; 32] {
			crate::qualifying_data(Self::genesis_hash().as_ref(), request_id, who, secrets)
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
			let subject = NameBytes::try_from(cert.subject()).map_err(|_| Error::<T>::CertMalformed)?;
			let spki = SpkiBytes::try_from(cert.spki()).map_err(|_| Error::<T>::BadCaKey)?;
			let subject_hash = blake2_256(&subject);
			ensure!(!CaBySubject::<T>::contains_key(subject_hash), Error::<T>::DuplicateCa);
			let count = CaCount::<T>::get();
			ensure!(count < T::MaxCas::get(), Error::<T>::TooManyCas);

			let ca_id = NextCaId::<T>::get();
			NextCaId::<T>::put(ca_id.saturating_add(1));
			CaCount::<T>::put(count + 1);
			CaBySubject::<T>::insert(subject_hash, ca_id);
			TrustedCas::<T>::insert(ca_id, TrustedCa { subject, spki, parent, label, revoked: false });
			Self::deposit_event(Event::CaAdded { ca_id, parent });
			Ok(ca_id)
		}

		/// The trusted, unrevoked CA named `issuer`, with all CAs above it unrevoked.
		fn issuing_ca(issuer: &[u8]) -> Result<TrustedCa, Error<T>> {
			let id = CaBySubject::<T>::get(blake2_256(issuer)).ok_or(Error::<T>::UntrustedIssuer)?;
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
			let ca = Self::issuing_ca(&cert.issuer())?;
			cert.verify_signed_by(&ca.spki).map_err(Error::<T>::from)?;
			let ek_modulus = cert.ek_modulus().map_err(Error::<T>::from)?;
			let ek_id = blake2_256(&cert.spki());
			ensure!(!RevokedEks::<T>::contains_key(ek_id), Error::<T>::EkRevoked);
			ensure!(!EkOwner::<T>::contains_key(ek_id), Error::<T>::EkAlreadyOwned);
			let ak = tpm::AkPublic::parse(&ak_public).map_err(Error::<T>::from)?;
			let ak_name = ak.name();
			let ak_qualified_name = tpm::qualified_name(&tpm::ek_name(&ek_modulus), &ak_name);

			let request_id = NextRequestId::<T>::get();
			let draw_at = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
			Deadlines::<T>::try_mutate(draw_at, |due| due.try_push(request_id))
				.map_err(|_| Error::<T>::TooManyRequests)?;
			let deposit = T::RequestDeposit::get();
			T::Currency::hold(&HoldReason::RequestDeposit.into(), &who, deposit)
				.map_err(|_| Error::<T>::InsufficientDeposit)?;

			NextRequestId::<T>::put(request_id.saturating_add(1));
			RequestOfAccount::<T>::insert(&who, request_id);
			Requests::<T>::insert(
				request_id,
				Request {
					who: who.clone(),
					ek_id,
					ek_modulus,
					ak_public,
					ak_name,
					ak_qualified_name,
					deposit,
					seats: Default::default(),
					phase: Phase::Drawing(draw_at),
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
				ensure!(Self::start_answering(request_id, &mut request, now), Error::<T>::TooManyRequests);
			} else {
				Requests::<T>::insert(request_id, request);
			}
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
			// First activation wins: the EK may have been claimed since this request began.
			ensure!(!RevokedEks::<T>::contains_key(request.ek_id), Error::<T>::EkRevoked);
			ensure!(!EkOwner::<T>::contains_key(request.ek_id), Error::<T>::EkAlreadyOwned);
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
			T::Currency::release(&HoldReason::RequestDeposit.into(), &who, request.deposit, Precision::BestEffort)?;
			EkOwner::<T>::insert(request.ek_id, &who);
			Nodes::<T>::insert(
				&who,
				Node {
					ek_id: Some(request.ek_id),
					ak_public: request.ak_public,
					registered_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			T::Grant::pay_grant(&who, T::ClaimGrant::get());
			Self::deposit_event(Event::NodeRegistered { who, ek_id: request.ek_id, request_id });
			Ok(())
		}

		/// Moves a request whose seats all hold challenges to answering, and stores it;
		/// `false` if its deadline block is full.
		fn start_answering(request_id: RequestId, request: &mut RequestOf<T>, now: BlockNumberFor<T>) -> bool {
			let deadline = now.saturating_add(T::ResponseWindow::get());
			if Deadlines::<T>::try_mutate(deadline, |due| due.try_push(request_id)).is_err() {
				return false;
			}
			request.phase = Phase::Answering(deadline);
			Requests::<T>::insert(request_id, &*request);
			Self::deposit_event(Event::ChallengesReady { request_id, deadline });
			true
		}

		/// Ends a request that cannot go on, returning the whole deposit.
		fn cancel(request_id: RequestId, request: RequestOf<T>) {
			Self::close(request_id, &request);
			let _ = T::Currency::release(
				&HoldReason::RequestDeposit.into(),
				&request.who,
				request.deposit,
				Precision::BestEffort,
			);
			Self::deposit_event(Event::RegistrationCancelled { request_id, who: request.who });
		}

		fn close(request_id: RequestId, request: &RequestOf<T>) {
			Requests::<T>::remove(request_id);
			RequestOfAccount::<T>::remove(&request.who);
		}

		/// Draws `count` challengers that are not `excluded`, in random order.
		fn draw(
			request_id: RequestId,
			count: usize,
			candidates: &[T::AccountId],
			excluded: &[T::AccountId],
		) -> Vec<T::AccountId> {
			let mut pool: Vec<_> = candidates.iter().filter(|c| !excluded.contains(c)).cloned().collect();
			let (random, _) = T::Randomness::random(RANDOMNESS_SUBJECT);
			let random = random.unwrap_or_else(frame_system::Pallet::<T>::parent_hash);
			let mut seed = blake2_256(&(random, request_id).encode());
			let count = count.min(pool.len());
			for i in 0..count {
				let pick = i + (u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")) as usize % (pool.len() - i));
				pool.swap(i, pick);
				seed = blake2_256(&seed);
			}
			pool.truncate(count);
			pool
		}

		fn on_deadline(request_id: RequestId, now: BlockNumberFor<T>, candidates: &[T::AccountId]) {
			let Some(mut request) = Requests::<T>::get(request_id) else { return };
			if request.phase.deadline() != now {
				return;
			}
			match request.phase {
				Phase::Drawing(_) | Phase::Challenging(_) => {
					// Keep the challengers who posted; replace the rest (all, when drawing).
					let silent: Vec<_> =
						request.seats.iter().filter(|s| s.challenge.is_none()).map(|s| s.challenger.clone()).collect();
					request.seats.retain(|s| s.challenge.is_some());
					let wanted = (T::ChallengersPerRequest::get() as usize).saturating_sub(request.seats.len());
					let mut excluded: Vec<_> = request.seats.iter().map(|s| s.challenger.clone()).collect();
					excluded.extend(silent);
					excluded.push(request.who.clone());
					let drawn = Self::draw(request_id, wanted, candidates, &excluded);
					if drawn.is_empty() {
						// Nobody left to replace the silent: one honest challenger is enough,
						// so go on with those who posted, if any.
						if request.seats.is_empty() || !Self::start_answering(request_id, &mut request, now) {
							Self::cancel(request_id, request);
						}
						return;
					}
					let deadline = now.saturating_add(T::ChallengeWindow::get());
					if Deadlines::<T>::try_mutate(deadline, |due| due.try_push(request_id)).is_err() {
						Self::cancel(request_id, request);
						return;
					}
					for challenger in &drawn {
						// Seats hold at most ChallengersPerRequest <= MAX_CHALLENGERS.
						let _ = request.seats.try_push(Seat { challenger: challenger.clone(), challenge: None });
					}
					request.phase = Phase::Challenging(deadline);
					Requests::<T>::insert(request_id, request);
					Self::deposit_event(Event::ChallengersAssigned { request_id, challengers: drawn, deadline });
				},
				Phase::Answering(_) => {
					Self::close(request_id, &request);
					let penalty = T::ExpiryPenalty::get() * request.deposit;
					let reason = HoldReason::RequestDeposit.into();
					let burnt =
						T::Currency::burn_held(&reason, &request.who, penalty, Precision::BestEffort, Fortitude::Force)
							.unwrap_or_default();
					let rest = request.deposit.saturating_sub(burnt);
					let _ = T::Currency::release(&reason, &request.who, rest, Precision::BestEffort);
					Self::deposit_event(Event::RegistrationExpired { request_id, who: request.who, penalty: burnt });
				},
			}
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
