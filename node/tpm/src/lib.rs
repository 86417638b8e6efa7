//! The node's TPM, through tss-esapi: the EK certificate, an attestation key (AK) made
//! under the TCG default RSA-2048 EK (template L-1) and kept as a blob, ActivateCredential
//! for the challenges of registration, and quotes.
//!
//! There may be no resource manager (swtpm): every operation creates the EK, loads what
//! it needs, and flushes every object and session before it returns.

use std::str::FromStr;

use tss_esapi::{
	abstraction::{ak, ek, nv},
	constants::{PropertyTag, SessionType},
	handles::{AuthHandle, KeyHandle, NvIndexTpmHandle},
	interface_types::{
		algorithm::{AsymmetricAlgorithm, HashingAlgorithm, SignatureSchemeAlgorithm},
		resource_handles::NvAuth,
		session_handles::{AuthSession, PolicySession},
	},
	structures::{
		Data, EncryptedSecret, IdObject, PcrSelectionListBuilder, PcrSlot, Private, Public, SignatureScheme,
		SymmetricDefinition,
	},
	tcti_ldr::TctiNameConf,
	traits::{Marshall, UnMarshall},
	Context,
};

/// NV index of the RSA-2048 EK certificate (TCG EK credential profile, template L-1).
pub const EK_CERT_NV_INDEX: u32 = 0x01c0_0002;
/// Used when neither `--tpm-tcti` nor `TPM2TOOLS_TCTI` is set: the kernel's resource manager.
pub const DEFAULT_TCTI: &str = "device:/dev/tpmrm0";

/// TPM errors, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	#[error("{tcti:?} is not a TCTI (examples: device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=2321): {source}")]
	Tcti { tcti: String, source: tss_esapi::Error },
	#[error("cannot reach the TPM at {tcti:?} ({source}); is it there and running? Choose it with --tpm-tcti or TPM2TOOLS_TCTI")]
	Open { tcti: String, source: tss_esapi::Error },
	#[error("the TPM has no RSA-2048 EK certificate at NV index 0x01c00002 ({0}); Cairn accepts only TPMs whose maker certified their EK")]
	NoEkCertificate(tss_esapi::Error),
	#[error("the TPM failed while {what}: {source}")]
	Tpm { what: &'static str, source: tss_esapi::Error },
	#[error("this TPM cannot activate the credential (it was made for another EK or AK): {0}")]
	CannotActivate(tss_esapi::Error),
	#[error("the saved attestation key is damaged; remove it to make a new one")]
	BadAkBlob,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn tpm(what: &'static str) -> impl FnOnce(tss_esapi::Error) -> Error {
	move |source| Error::Tpm { what, source }
}

/// Where the TPM is: `flag` (`--tpm-tcti`), else `TPM2TOOLS_TCTI`, else [`DEFAULT_TCTI`].
pub fn tcti(flag: Option<&str>) -> String {
	flag.map(str::to_owned)
		.or_else(|| std::env::var("TPM2TOOLS_TCTI").ok().filter(|s| !s.is_empty()))
		.unwrap_or_else(|| DEFAULT_TCTI.to_owned())
}

/// An attestation key as the node keeps it: its TPM2B_PUBLIC, and its private part
/// wrapped by the TPM (TPM2B_PRIVATE contents), which only this TPM can load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AkBlob {
	pub public: Vec<u8>,
	pub private: Vec<u8>,
}

impl AkBlob {
	/// `len(public) as u16 BE || public || private`.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(2 + self.public.len() + self.private.len());
		out.extend_from_slice(&(self.public.len() as u16).to_be_bytes());
		out.extend_from_slice(&self.public);
		out.extend_from_slice(&self.private);
		out
	}

	pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
		let len = u16::from_be_bytes(bytes.get(..2).ok_or(Error::BadAkBlob)?.try_into().expect("2 bytes")) as usize;
		let public = bytes.get(2..2 + len).ok_or(Error::BadAkBlob)?.to_vec();
		let private = bytes[2 + len..].to_vec();
		if public.len() < 2 || private.is_empty() {
			return Err(Error::BadAkBlob);
		}
		Ok(Self { public, private })
	}
}

/// What `cairn tpm info` shows.
#[derive(Clone, Debug)]
pub struct Info {
	/// The vendor's code (e.g. "IBM" for swtpm, "INTC", "IFX").
	pub manufacturer: String,
	pub firmware: (u32, u32),
	/// The EK certificate's length, if the TPM has one.
	pub ek_certificate_len: Option<usize>,
}

/// An open TPM.
pub struct Tpm {
	ctx: Context,
}

impl Tpm {
	/// Opens the TPM at `tcti` (see [`tcti`]).
	pub fn open(tcti: &str) -> Result<Self> {
		let conf = TctiNameConf::from_str(tcti).map_err(|source| Error::Tcti { tcti: tcti.into(), source })?;
		let mut ctx = Context::new(conf).map_err(|source| Error::Open { tcti: tcti.into(), source })?;
		// Talk to it once, so that an absent TPM fails here and not halfway through.
		ctx.get_tpm_property(PropertyTag::Manufacturer).map_err(|source| Error::Open { tcti: tcti.into(), source })?;
		Ok(Self { ctx })
	}

	pub fn info(&mut self) -> Result<Info> {
		let property = |ctx: &mut Context, tag| ctx.get_tpm_property(tag).map_err(tpm("reading its properties"));
		let manufacturer = property(&mut self.ctx, PropertyTag::Manufacturer)?.unwrap_or(0);
		let firmware = (
			property(&mut self.ctx, PropertyTag::FirmwareVersion1)?.unwrap_or(0),
			property(&mut self.ctx, PropertyTag::FirmwareVersion2)?.unwrap_or(0),
		);
		let ek_certificate_len = self.ek_certificate().ok().map(|c| c.len());
		Ok(Info {
			manufacturer: String::from_utf8_lossy(&manufacturer.to_be_bytes()).trim_end_matches(['\0', ' ']).to_owned(),
			firmware,
			ek_certificate_len,
		})
	}

	/// The DER EK certificate from NV, without the padding that may follow it there.
	pub fn ek_certificate(&mut self) -> Result<Vec<u8>> {
		let index = NvIndexTpmHandle::new(EK_CERT_NV_INDEX).expect("a valid NV index");
		let stored = self
			.ctx
			.execute_with_session(Some(AuthSession::Password), |ctx| nv::read_full(ctx, NvAuth::Owner, index))
			.map_err(Error::NoEkCertificate)?;
		Ok(cairn_attestation::cert::trim_nv_padding(&stored).to_vec())
	}

	/// Runs `f` with the L-1 EK loaded, and flushes it.
	fn with_ek<R>(&mut self, f: impl FnOnce(&mut Context, KeyHandle) -> Result<R>) -> Result<R> {
		// The abstraction runs its own (null-auth) session.
		let ek = ek::create_ek_object(&mut self.ctx, AsymmetricAlgorithm::Rsa, None).map_err(tpm("creating the EK"))?;
		let result = f(&mut self.ctx, ek);
		if let Err(e) = self.ctx.flush_context(ek.into()) {
			log::warn!("flushing the EK: {e}");
		}
		result
	}

	/// Runs `f` with the AK of `blob` loaded under the EK, and flushes both.
	fn with_ak<R>(
		&mut self,
		blob: &AkBlob,
		f: impl FnOnce(&mut Context, KeyHandle, KeyHandle) -> Result<R>,
	) -> Result<R> {
		let public_area = blob.public.get(2..).ok_or(Error::BadAkBlob)?;
		let public = Public::unmarshall(public_area).map_err(|_| Error::BadAkBlob)?;
		let private = Private::try_from(blob.private.clone()).map_err(|_| Error::BadAkBlob)?;
		self.with_ek(|ctx, ek| {
			let ak = ak::load_ak(ctx, ek, None, private, public).map_err(tpm("loading the attestation key"))?;
			let result = f(ctx, ek, ak);
			if let Err(e) = ctx.flush_context(ak.into()) {
				log::warn!("flushing the AK: {e}");
			}
			result
		})
	}

	/// Makes an ECDSA P-256 / SHA-256 attestation key under the EK.
	pub fn create_ak(&mut self) -> Result<AkBlob> {
		self.with_ek(|ctx, ek| {
			let created = ak::create_ak(ctx, ek, HashingAlgorithm::Sha256, SignatureSchemeAlgorithm::EcDsa, None, None)
				.map_err(tpm("creating the attestation key"))?;
			let area = created.out_public.marshall().map_err(tpm("encoding the attestation key"))?;
			let mut public = (area.len() as u16).to_be_bytes().to_vec();
			public.extend_from_slice(&area);
			Ok(AkBlob { public, private: created.out_private.value().to_vec() })
		})
	}

	/// ActivateCredential: the secret of a credential made for this TPM's EK and the AK.
	pub fn activate_credential(&mut self, blob: &AkBlob, id_object: &[u8], encrypted_secret: &[u8]) -> Result<Vec<u8>> {
		let id_object = IdObject::try_from(id_object.to_vec()).map_err(Error::CannotActivate)?;
		let encrypted_secret = EncryptedSecret::try_from(encrypted_secret.to_vec()).map_err(Error::CannotActivate)?;
		self.with_ak(blob, |ctx, ek, ak| {
			// The EK's policy: PolicySecret(TPM_RH_ENDORSEMENT).
			let session = ctx
				.start_auth_session(
					None,
					None,
					None,
					SessionType::Policy,
					SymmetricDefinition::AES_128_CFB,
					HashingAlgorithm::Sha256,
				)
				.map_err(tpm("starting a policy session"))?
				.ok_or(Error::Tpm {
					what: "starting a policy session",
					source: tss_esapi::Error::WrapperError(tss_esapi::WrapperErrorKind::WrongValueFromTpm),
				})?;
			let policy = PolicySession::try_from(session).map_err(tpm("starting a policy session"))?;
			let result = ctx
				.execute_with_session(Some(AuthSession::Password), |ctx| {
					ctx.policy_secret(
						policy,
						AuthHandle::Endorsement,
						Default::default(),
						Default::default(),
						Default::default(),
						None,
					)
				})
				.map_err(tpm("satisfying the EK policy"))
				.and_then(|_| {
					ctx.execute_with_sessions((Some(AuthSession::Password), Some(session), None), |ctx| {
						ctx.activate_credential(ak, ek, id_object, encrypted_secret)
					})
					.map_err(Error::CannotActivate)
				});
			// The session ends with the command unless it failed before; flush to be sure.
			let _ = ctx.flush_context(tss_esapi::handles::SessionHandle::from(session).into());
			result.map(|secret| secret.value().to_vec())
		})
	}

	/// A quote by the AK over PCR 0 with `qualifying_data` as its nonce: the TPMS_ATTEST
	/// and the TPMT_SIGNATURE bytes.
	pub fn quote(&mut self, blob: &AkBlob, qualifying_data: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
		let data = Data::try_from(qualifying_data.to_vec()).map_err(tpm("taking the nonce"))?;
		let pcrs = PcrSelectionListBuilder::new()
			.with_selection(HashingAlgorithm::Sha256, &[PcrSlot::Slot0])
			.build()
			.map_err(tpm("selecting PCRs"))?;
		self.with_ak(blob, |ctx, _ek, ak| {
			let (attest, signature) = ctx
				.execute_with_session(Some(AuthSession::Password), |ctx| {
					ctx.quote(ak, data, SignatureScheme::Null, pcrs)
				})
				.map_err(tpm("quoting"))?;
			Ok((
				attest.marshall().map_err(tpm("encoding the quote"))?,
				signature.marshall().map_err(tpm("encoding the signature"))?,
			))
		})
	}
}
