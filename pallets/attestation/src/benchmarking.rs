//! Benchmarks of the calls whose cost is cryptography: M1 (certificate and AK checks),
//! M2, M3 (the quote) and adding a CA, with an EK certificate, an AK and quotes made by a
//! real (software) TPM whose EK certificate comes from Cairn's test CA
//! (`benchmark-fixtures/`, written by `node/tpm/examples/bench_vectors.rs`).

use super::*;
use crate::pallet::{Audits, CaBySubject, CaCount, NextCaId, NextRequestId, Nodes, Requests, TrustedCas};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{fungible::Mutate, EnsureOrigin, Get},
		BoundedVec,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor, RawOrigin},
	sp_runtime::{RuntimeAppPublic, Saturating},
};

const ROOT: &[u8] = include_bytes!("../../../node/swtpm/ca/root.der");
const ISSUER: &[u8] = include_bytes!("../../../node/swtpm/ca/issuer.der");
const EK: &[u8] = include_bytes!("../benchmark-fixtures/ek.der");
const AK: &[u8] = include_bytes!("../benchmark-fixtures/ak.pub");
const QUOTES: &[u8] = include_bytes!("../benchmark-fixtures/quotes.scale");
/// The slowest CAs accepted (`scripts/ca-fixtures.sh`): self-signed, each with the
/// benchmark EK's key certified under it.
const CA_P384: &[u8] = include_bytes!("../benchmark-fixtures/ca_p384.der");
const EK_P384: &[u8] = include_bytes!("../benchmark-fixtures/ek_p384.der");
const CA_RSA4096: &[u8] = include_bytes!("../benchmark-fixtures/ca_rsa4096.der");
const EK_RSA4096: &[u8] = include_bytes!("../benchmark-fixtures/ek_rsa4096.der");
/// The genesis hash the fixture quotes were made for.
const GENESIS: [u8; 32] = [69; 32];

/// No CA is trusted.
fn trust_none<T: Config>() {
	let _ = TrustedCas::<T>::clear(u32::MAX, None);
	let _ = CaBySubject::<T>::clear(u32::MAX, None);
	CaCount::<T>::kill();
	NextCaId::<T>::kill();
}

/// Only the test CA is trusted: root (id 0) and issuer (id 1).
fn trust_test_ca<T: Config>() {
	trust_none::<T>();
	Pallet::<T>::do_add_ca(ROOT, None, Default::default()).expect("the test root is valid");
	Pallet::<T>::do_add_ca(ISSUER, Some(0), Default::default()).expect("the test issuer is valid");
}

/// The requester of the fixture quotes, funded, on a chain with the fixtures' genesis hash.
fn requester<T: Config>() -> T::AccountId {
	let genesis = T::Hash::decode(&mut &GENESIS[..]).expect("32-byte hashes");
	frame_system::BlockHash::<T>::insert(BlockNumberFor::<T>::from(0u32), genesis);
	let who: T::AccountId = account("node", 0, 0);
	T::Currency::set_balance(&who, T::RequestDeposit::get().saturating_mul(100u32.into()));
	who
}

/// The fixture quote for `who` over `k` secrets.
fn quote(who: &[u8], k: u32) -> (AttestBytes, SignatureBytes) {
	let quotes: Vec<(Vec<u8>, u32, Vec<u8>, Vec<u8>)> = Decode::decode(&mut &QUOTES[..]).expect("fixture decodes");
	let (_, _, attest, signature) =
		quotes.into_iter().find(|(w, n, _, _)| w == who && *n == k).expect("a fixture quote for this account and k");
	(attest.try_into().expect("fits"), signature.try_into().expect("fits"))
}

fn secret(i: u32) -> [u8; 32] {
	[i as u8 + 1; 32]
}

/// Request 0 of `who`, with `k` challengers whose challenges are all in but `open` of them.
fn request_with_seats<T: Config>(who: &T::AccountId, k: u32, open: u32) -> Vec<T::AccountId> {
	assert_eq!(NextRequestId::<T>::get(), 0, "the fixture quotes are for request 0");
	Pallet::<T>::do_request(who.clone(), EK, AK.to_vec().try_into().expect("fits")).expect("M1 passes");
	let challengers: Vec<T::AccountId> = (0..k).map(|i| account("challenger", i, 0)).collect();
	let mut request = Requests::<T>::get(0).expect("just made");
	request.seats = challengers
		.iter()
		.enumerate()
		.map(|(i, c)| Seat {
			challenger: c.clone(),
			challenge: (i as u32 >= open).then(|| Challenge {
				id_object: BoundedVec::truncate_from(alloc::vec![1; 68]),
				encrypted_secret: BoundedVec::truncate_from(alloc::vec![2; 256]),
				commitment: Pallet::<T>::commitment(0, c, &secret(i as u32)),
			}),
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("k <= MAX_CHALLENGERS");
	let now = frame_system::Pallet::<T>::block_number();
	request.phase = if open == 0 {
		Phase::Answering(now.saturating_add(T::ResponseWindow::get()))
	} else {
		Phase::Challenging(now.saturating_add(T::ChallengeWindow::get()))
	};
	Requests::<T>::insert(0, request);
	challengers
}

/// Gives `challenger` a fresh challenger key (in the benchmark's keystore) and signs
/// `payload` with it; the call checks the signature.
fn challenger_signature<T: Config>(challenger: &T::AccountId, payload: &[u8]) -> T::ChallengerSignature {
	let key = T::ChallengerId::generate_pair(None);
	T::BenchmarkHelper::set_challenger_key(challenger, key.clone());
	key.sign(&payload).expect("the benchmark keystore holds the key")
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// An RSA-2048 EK certificate signed by an RSA-2048 CA, and an ECDSA P-256 AK.
	#[benchmark]
	fn request_registration() {
		trust_test_ca::<T>();
		let who = requester::<T>();
		let ek: CertBytes = EK.to_vec().try_into().expect("fits");
		let ak: AkPublicBytes = AK.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ek, ak);

		assert!(RequestOfAccount::<T>::contains_key(&who));
	}

	/// M1 with the EK certificate signed by a P-384 CA (ECDSA-SHA384).
	#[benchmark]
	fn request_registration_p384() {
		trust_none::<T>();
		Pallet::<T>::do_add_ca(CA_P384, None, Default::default()).expect("the P-384 CA is valid");
		let who = requester::<T>();
		let ek: CertBytes = EK_P384.to_vec().try_into().expect("fits");
		let ak: AkPublicBytes = AK.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		request_registration(RawOrigin::Signed(who.clone()), ek, ak);

		assert!(RequestOfAccount::<T>::contains_key(&who));
	}

	/// M1 with the EK certificate signed by an RSA-4096 CA (SHA384-RSA).
	#[benchmark]
	fn request_registration_rsa4096() {
		trust_none::<T>();
		Pallet::<T>::do_add_ca(CA_RSA4096, None, Default::default()).expect("the RSA-4096 CA is valid");
		let who = requester::<T>();
		let ek: CertBytes = EK_RSA4096.to_vec().try_into().expect("fits");
		let ak: AkPublicBytes = AK.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		request_registration(RawOrigin::Signed(who.clone()), ek, ak);

		assert!(RequestOfAccount::<T>::contains_key(&who));
	}

	/// A self-signed P-384 root: its own ECDSA-SHA384 signature checked.
	#[benchmark]
	fn add_trusted_ca_p384() -> Result<(), BenchmarkError> {
		trust_none::<T>();
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let cert: CertBytes = CA_P384.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		add_trusted_ca(origin as T::RuntimeOrigin, cert, None, LabelBytes::truncate_from(b"p384".to_vec()));

		assert_eq!(CaCount::<T>::get(), 1);
		Ok(())
	}

	/// A self-signed RSA-4096 root: its own signature checked with its 4096-bit key.
	#[benchmark]
	fn add_trusted_ca_rsa4096() -> Result<(), BenchmarkError> {
		trust_none::<T>();
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let cert: CertBytes = CA_RSA4096.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		add_trusted_ca(origin as T::RuntimeOrigin, cert, None, LabelBytes::truncate_from(b"rsa4096".to_vec()));

		assert_eq!(CaCount::<T>::get(), 1);
		Ok(())
	}

	/// The last challenge of a request, which moves it to answering.
	#[benchmark]
	fn post_challenge() {
		trust_test_ca::<T>();
		let who = requester::<T>();
		let k = T::ChallengersPerRequest::get();
		let challengers = request_with_seats::<T>(&who, k, 1);
		let challenger = challengers[0].clone();
		let id_object = BoundedVec::truncate_from(alloc::vec![1; 68]);
		let encrypted_secret = BoundedVec::truncate_from(alloc::vec![2; 256]);
		let commitment = Pallet::<T>::commitment(0, &challenger, &secret(0));
		let challenge = Challenge { id_object: id_object.clone(), encrypted_secret: encrypted_secret.clone(), commitment };
		let request = Requests::<T>::get(0).expect("just made");
		let binding = Pallet::<T>::binding(0, &request.who, &request.ek_id, &request.ak_name);
		let payload = Pallet::<T>::challenge_payload(0, &challenger, &binding, &challenge);
		let signature = challenger_signature::<T>(&challenger, &payload);

		#[extrinsic_call]
		_(RawOrigin::None, 0, id_object, encrypted_secret, commitment, challenger, signature);

		assert!(matches!(Requests::<T>::get(0).expect("open").phase, Phase::Answering(_)));
	}

	/// M3 with `k` secrets: k commitments and an ECDSA P-256 quote.
	#[benchmark]
	fn activate(k: Linear<1, MAX_CHALLENGERS>) {
		trust_test_ca::<T>();
		let who = requester::<T>();
		request_with_seats::<T>(&who, k, 0);
		let secrets: BoundedVec<[u8; 32], _> = (0..k).map(secret).collect::<Vec<_>>().try_into().expect("fits");
		let (attest, signature) = quote(&who.encode(), k);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 0, secrets, attest, signature);

		assert!(Nodes::<T>::contains_key(&who));
	}

	/// A CA under a trusted root: its RSA-2048 signature checked with the root's key.
	#[benchmark]
	fn add_trusted_ca() -> Result<(), BenchmarkError> {
		// Trust only the root, so that the issuer can be added.
		trust_none::<T>();
		Pallet::<T>::do_add_ca(ROOT, None, Default::default()).expect("the test root is valid");
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let cert: CertBytes = ISSUER.to_vec().try_into().expect("fits");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, cert, Some(0), LabelBytes::truncate_from(b"issuer".to_vec()));

		assert_eq!(CaCount::<T>::get(), 2);
		Ok(())
	}

	/// The last reveal of an audit: MakeCredential made again from the seed (one RSA-2048
	/// OAEP encryption with the EK, KDFa, AES-128-CFB, an HMAC), then the penalty burnt.
	#[benchmark]
	fn reveal_challenge() {
		trust_test_ca::<T>();
		let who = requester::<T>();
		let k = T::ChallengersPerRequest::get();
		Pallet::<T>::do_request(who.clone(), EK, AK.to_vec().try_into().expect("fits")).expect("M1 passes");
		let request = Requests::<T>::get(0).expect("just made");
		let challengers: Vec<T::AccountId> = (0..k).map(|i| account("challenger", i, 0)).collect();
		let seed = [7u8; 32];
		let seats: Vec<_> = challengers
			.iter()
			.enumerate()
			.map(|(i, c)| {
				let made = Pallet::<T>::make_challenge(
					&seed,
					0,
					c,
					&who,
					&request.ek_id,
					&request.ek_modulus,
					&request.ak_name,
				)
				.expect("the fixture EK takes credentials");
				AuditSeat { challenger: c.clone(), challenge: made.challenge, revealed: i > 0 }
			})
			.collect();
		let deadline = frame_system::Pallet::<T>::block_number().saturating_add(T::RevealWindow::get());
		Audits::<T>::insert(
			0,
			Audit {
				who: who.clone(),
				ek_id: request.ek_id,
				ek_modulus: request.ek_modulus,
				ak_name: request.ak_name,
				penalty: request.deposit,
				seats: BoundedVec::truncate_from(seats),
				cheated: false,
				opened_at: frame_system::Pallet::<T>::block_number(),
				deadline,
			},
		);
		Requests::<T>::remove(0);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::RevealDelay::get()),
		);

		let challenger = challengers[0].clone();
		let audit = Audits::<T>::get(0).expect("just made");
		let binding = Pallet::<T>::binding(0, &audit.who, &audit.ek_id, &audit.ak_name);
		let signature =
			challenger_signature::<T>(&challenger, &Pallet::<T>::reveal_payload(0, &challenger, &binding, &seed));

		#[extrinsic_call]
		_(RawOrigin::None, 0, seed, challenger, signature);

		assert!(!Audits::<T>::contains_key(0));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
