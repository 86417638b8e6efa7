//! The node's TPM code against real software TPMs (swtpm), and the chain-side checks of
//! `cairn-attestation` against what those TPMs produce: an EK certificate from a local CA,
//! an AK that passes the AK rules, a software MakeCredential that the TPM activates, and
//! quotes that verify and pin the AK under the EK.

use cairn_attestation::{cert, credential, tpm as tpm_checks, tpm::AkPublic};
use cairn_swtpm::{free_port_pair, Swtpm, TestCa};
use cairn_tpm::{AkBlob, Error, Tpm};

fn open(swtpm: &Swtpm) -> Tpm {
	Tpm::open(&swtpm.tcti()).expect("swtpm opens")
}

struct Fixture {
	_dir: tempfile::TempDir,
	ca: TestCa,
	a: Swtpm,
	b: Swtpm,
}

fn fixture() -> Fixture {
	let dir = tempfile::tempdir().unwrap();
	let ca = TestCa::committed(dir.path()).unwrap();
	let a = Swtpm::manufacture(&ca, &dir.path().join("a"));
	let b = Swtpm::manufacture(&ca, &dir.path().join("b"));
	Fixture { _dir: dir, ca, a, b }
}

fn ek_modulus(tpm: &mut Tpm) -> [u8; 256] {
	cert::parse(&tpm.ek_certificate().unwrap()).unwrap().ek_modulus().unwrap()
}

#[test]
fn the_whole_registration_against_real_tpms() {
	let f = fixture();
	let issuer = cert::parse(&f.ca.issuer_der()).unwrap().spki();
	let mut a = open(&f.a);
	let mut b = open(&f.b);

	// EK certificates from the CA, with EKs that pass the EK rules.
	let ek_cert = a.ek_certificate().unwrap();
	let parsed = cert::parse(&ek_cert).unwrap();
	parsed.verify_signed_by(&issuer).unwrap();
	let modulus = parsed.ek_modulus().unwrap();
	let info = a.info().unwrap();
	assert_eq!(info.ek_certificate_len, Some(ek_cert.len()));
	assert_eq!(info.manufacturer, "IBM");

	// An AK that passes the AK rules.
	let ak_blob = a.create_ak().unwrap();
	let ak = AkPublic::parse(&ak_blob.public).unwrap();
	assert_eq!(AkBlob::from_bytes(&ak_blob.to_bytes()).unwrap(), ak_blob);

	// A challenger's software MakeCredential: the TPM recovers the secret.
	let mut rng = rand_core::OsRng;
	let seed = [42u8; 32];
	let secret = [7u8; 32];
	let cred = credential::make_credential(&modulus, &ak.name(), &secret, &seed, &mut rng).unwrap();
	assert_eq!(a.activate_credential(&ak_blob, &cred.id_object, &cred.encrypted_secret).unwrap(), secret);

	// A quote with the qualifying data as nonce, which pins the AK under this EK.
	let nonce = [9u8; 32];
	let (attest, signature) = a.quote(&ak_blob, &nonce).unwrap();
	let quote = ak.verify_quote(&attest, &signature).unwrap();
	assert_eq!(quote.extra_data, nonce);
	assert_eq!(quote.qualified_signer, tpm_checks::qualified_name(&tpm_checks::ek_name(&modulus), &ak.name()));

	// TPM b cannot activate a credential made for a's EK, even with its own AK's name.
	let b_blob = b.create_ak().unwrap();
	let b_ak = AkPublic::parse(&b_blob.public).unwrap();
	let for_a = credential::make_credential(&modulus, &b_ak.name(), &secret, &seed, &mut rng).unwrap();
	assert!(matches!(
		b.activate_credential(&b_blob, &for_a.id_object, &for_a.encrypted_secret),
		Err(Error::CannotActivate(_))
	));
	// TPM a refuses a credential bound to another AK's name.
	assert!(matches!(
		a.activate_credential(&ak_blob, &for_a.id_object, &for_a.encrypted_secret),
		Err(Error::CannotActivate(_))
	));
	// b's quote does not verify as a's AK, and names b's EK.
	let (b_attest, b_signature) = b.quote(&b_blob, &nonce).unwrap();
	assert_eq!(ak.verify_quote(&b_attest, &b_signature).unwrap_err(), cairn_attestation::Error::QuoteSignature);
	let b_modulus = ek_modulus(&mut b);
	assert_ne!(b_modulus, modulus);
	// And both TPMs are still usable after the refused activations.
	assert_eq!(a.activate_credential(&ak_blob, &cred.id_object, &cred.encrypted_secret).unwrap(), secret);
}

#[test]
fn the_ak_survives_a_tpm_restart() {
	let f = fixture();
	let blob = open(&f.a).create_ak().unwrap();
	let saved = blob.to_bytes();
	let a = f.a.restart();
	let blob = AkBlob::from_bytes(&saved).unwrap();
	let (attest, signature) = open(&a).quote(&blob, b"after restart").unwrap();
	AkPublic::parse(&blob.public).unwrap().verify_quote(&attest, &signature).unwrap();
	drop(f.b);
}

#[test]
fn bad_tcti_and_damaged_blobs_are_clear_errors() {
	let port = free_port_pair();
	let err = Tpm::open(&format!("swtpm:host=127.0.0.1,port={port}")).err().expect("nothing listens there");
	assert!(matches!(err, Error::Open { .. }), "{err}");
	assert!(err.to_string().contains("--tpm-tcti"), "{err}");
	assert!(matches!(Tpm::open("nonsense:!!").err(), Some(Error::Tcti { .. } | Error::Open { .. })));
	assert!(matches!(AkBlob::from_bytes(&[0]), Err(Error::BadAkBlob)));
	assert!(matches!(AkBlob::from_bytes(&[0, 200, 1, 2]), Err(Error::BadAkBlob)));

	let f = fixture();
	let mut a = open(&f.a);
	let blob = a.create_ak().unwrap();
	let mut damaged = blob.clone();
	let last = damaged.private.len() - 1;
	damaged.private[last] ^= 1;
	assert!(a.quote(&damaged, b"x").is_err());
	assert!(matches!(a.activate_credential(&blob, &[1, 2, 3], &[4, 5, 6]), Err(Error::CannotActivate(_))));
}

#[test]
fn tcti_comes_from_the_flag_then_the_environment_then_the_device() {
	assert_eq!(cairn_tpm::tcti(Some("swtpm:port=1")), "swtpm:port=1");
	// One test reads the environment, so there is no race with another setting it.
	std::env::set_var("TPM2TOOLS_TCTI", "mssim:port=2");
	assert_eq!(cairn_tpm::tcti(None), "mssim:port=2");
	std::env::remove_var("TPM2TOOLS_TCTI");
	assert_eq!(cairn_tpm::tcti(None), cairn_tpm::DEFAULT_TCTI);
}
