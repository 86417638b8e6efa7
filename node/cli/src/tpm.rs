//! `cairn tpm ...`: the node's TPM as attestation sees it, and the node's registration
//! (ATTESTATION.md: M1, wait for the challenges, M3).

use crate::chain::{Chain, SignerArgs};
use cairn_attestation::{cert, tpm as checks};
use cairn_runtime::{AccountId, Runtime, RuntimeCall, RuntimeEvent};
use pallet_attestation::{Node, Phase, RequestId, RequestOf};
use polkadot_sdk::{pallet_balances, sp_core::Pair};
use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

/// TPM commands.
#[derive(Debug, clap::Subcommand)]
pub enum TpmCmd {
	/// Shows the TPM's maker and firmware, its EK certificate and whether its EK is one
	/// Cairn accepts (RSA-2048, template L-1), with the EK id the chain will know it by.
	Info(TpmArgs),
	/// Registers the account as a node with this TPM: sends the EK certificate and a new
	/// attestation key (M1), waits for the validators' challenges, opens them with the TPM
	/// and answers with a quote (M3). Run it again to resume an open request.
	Register(RegisterArgs),
}

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
	#[clap(flatten)]
	pub tpm: TpmArgs,

	#[clap(flatten)]
	pub signer: SignerArgs,

	/// Where the attestation key is kept; made on first use. Keep it: it is the key the
	/// chain knows this node's TPM by.
	#[arg(long, value_name = "PATH", default_value = "cairn-ak.bin")]
	pub ak_file: PathBuf,

	/// Give up waiting after this many seconds (the request stays open; run again).
	#[arg(long, value_name = "SECONDS", default_value_t = 900)]
	pub timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct TpmArgs {
	/// The TPM's TCTI, e.g. `device:/dev/tpmrm0` or `swtpm:host=127.0.0.1,port=2321`;
	/// default: `TPM2TOOLS_TCTI`, else `device:/dev/tpmrm0`.
	#[arg(long, value_name = "TCTI")]
	pub tpm_tcti: Option<String>,
}

pub fn run(cmd: &TpmCmd) -> Result<(), String> {
	// tpm2-tss logs its own errors to stderr; ours say what to do. `TSS2_LOG` set by the
	// user still wins.
	if std::env::var_os("TSS2_LOG").is_none() {
		std::env::set_var("TSS2_LOG", "all+NONE");
	}
	match cmd {
		TpmCmd::Info(args) => info(args),
		TpmCmd::Register(args) => tokio::runtime::Builder::new_current_thread()
			.enable_all()
			.build()
			.map_err(|e| format!("cannot start the async runtime: {e}"))?
			.block_on(register(args)),
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn info(args: &TpmArgs) -> Result<(), String> {
	let tcti = cairn_tpm::tcti(args.tpm_tcti.as_deref());
	let mut tpm = cairn_tpm::Tpm::open(&tcti).map_err(|e| e.to_string())?;
	let info = tpm.info().map_err(|e| e.to_string())?;
	println!("TPM:             {tcti}");
	println!("manufacturer:    {}", info.manufacturer);
	println!("firmware:        {:08x}.{:08x}", info.firmware.0, info.firmware.1);
	let der = match tpm.ek_certificate() {
		Ok(der) => der,
		Err(e) => {
			println!("EK certificate:  none ({e})");
			return Ok(());
		},
	};
	println!("EK certificate:  {} bytes at NV 0x{:08x}", der.len(), cairn_tpm::EK_CERT_NV_INDEX);
	match cert::parse(&der).and_then(|c| Ok((c.ek_modulus()?, c))) {
		Ok((modulus, c)) => {
			println!("EK:              RSA-2048, accepted by Cairn's EK rules");
			println!("EK id:           0x{}", hex(&cairn_primitives::blake2_256(&c.spki())));
			println!("EK name:         0x{}", hex(&checks::ek_name(&modulus)));
		},
		Err(e) => println!("EK:              not accepted ({e:?})"),
	}
	Ok(())
}

/// The attestation key at `path`, or a new one made by the TPM and saved there.
fn load_or_create_ak(tpm: &mut cairn_tpm::Tpm, path: &Path) -> Result<cairn_tpm::AkBlob, String> {
	match std::fs::read(path) {
		Ok(bytes) => cairn_tpm::AkBlob::from_bytes(&bytes)
			.map_err(|e| format!("{} is not an attestation key ({e}); move it away to make a new one", path.display())),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
			let ak = tpm.create_ak().map_err(|e| e.to_string())?;
			std::fs::write(path, ak.to_bytes())
				.map_err(|e| format!("cannot save the attestation key to {}: {e}", path.display()))?;
			println!("attestation key: new, saved to {}", path.display());
			Ok(ak)
		},
		Err(e) => Err(format!("cannot read {}: {e}", path.display())),
	}
}

async fn register(args: &RegisterArgs) -> Result<(), String> {
	register_as(&args.signer.pair()?, args).await
}

/// Registers `pair`'s account (`args.signer`'s secret is not read).
pub(crate) async fn register_as(
	pair: &polkadot_sdk::sp_core::sr25519::Pair,
	args: &RegisterArgs,
) -> Result<(), String> {
	let who = AccountId::from(pair.public());
	let chain = Chain::connect(&args.signer.node_url).await?;
	let is_node = || chain.storage::<Node<u32>>(pallet_attestation::Nodes::<Runtime>::hashed_key_for(&who));
	if is_node().await?.is_some() {
		println!("{who} is a registered node already");
		return Ok(());
	}

	let tcti = cairn_tpm::tcti(args.tpm.tpm_tcti.as_deref());
	let mut tpm = cairn_tpm::Tpm::open(&tcti).map_err(|e| e.to_string())?;
	let ek_cert = tpm.ek_certificate().map_err(|e| e.to_string())?;
	let ak = load_or_create_ak(&mut tpm, &args.ak_file)?;

	let open =
		chain.storage::<RequestId>(pallet_attestation::RequestOfAccount::<Runtime>::hashed_key_for(&who)).await?;
	let request_id = match open {
		Some(id) => {
			println!("[1/3] resuming request {id} of {who}");
			id
		},
		None => {
			let call = RuntimeCall::Attestation(pallet_attestation::Call::request_registration {
				ek_cert: ek_cert.try_into().map_err(|_| "the EK certificate is longer than 2048 bytes".to_string())?,
				ak_public: ak.public.clone().try_into().map_err(|_| "the AK is longer than 512 bytes".to_string())?,
			});
			let included =
				chain.submit(pair, call).await.map_err(|e| format!("M1 (request_registration) failed: {e}"))?;
			let id = included
				.events
				.iter()
				.find_map(|e| match e {
					RuntimeEvent::Attestation(pallet_attestation::Event::RegistrationRequested {
						request_id, ..
					}) => Some(*request_id),
					_ => None,
				})
				.ok_or("M1 was included without a RegistrationRequested event")?;
			println!(
				"[1/3] request {id} in block #{}: EK certificate and AK accepted, deposit held",
				included.block_number
			);
			id
		},
	};

	let give_up = Instant::now() + Duration::from_secs(args.timeout);
	let mut shown = String::new();
	let request = loop {
		let key = pallet_attestation::Requests::<Runtime>::hashed_key_for(request_id);
		let Some(request) = chain.storage::<RequestOf<Runtime>>(key).await? else {
			if is_node().await?.is_some() {
				println!("{who} is a registered node");
				return Ok(());
			}
			return Err(format!(
				"request {request_id} ended without a node (it expired, too few challengers posted in every \
				 round, or too few validators could be drawn); run again"
			));
		};
		let status = match request.phase {
			Phase::Drawing(at) => format!(
				"waiting for a seed of later blocks to draw challengers (round {}, drawn at block #{at})",
				request.round + 1
			),
			Phase::Challenging(until) => format!(
				"round {}: {} of {} challenges posted (a round with a silent challenger is drawn again after block #{until})",
				request.round,
				request.seats.iter().filter(|s| s.challenge.is_some()).count(),
				request.seats.len()
			),
			Phase::Answering(_) => break request,
		};
		if status != shown {
			println!("[2/3] {status}");
			shown = status;
		}
		if Instant::now() > give_up {
			return Err(format!(
				"no complete set of challenges after {} s; request {request_id} stays open: run again to resume",
				args.timeout
			));
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	};
	let Phase::Answering(until) = request.phase else { unreachable!("the loop breaks only when answering") };
	println!("[2/3] all {} challenges posted; answering before block #{until}", request.seats.len());

	let mut secrets = Vec::with_capacity(request.seats.len());
	for (seat, entry) in request.seats.iter().enumerate() {
		let challenge = entry.challenge.as_ref().ok_or("a seat lost its challenge")?;
		let secret = tpm
			.activate_credential(&ak, &challenge.id_object, &challenge.encrypted_secret)
			.map_err(|e| format!("the TPM cannot open the challenge of {} (seat {seat}): {e}", entry.challenger))?;
		let secret: [u8; 32] = secret.as_slice().try_into().map_err(|_| {
			format!("the challenge of {} holds a {}-byte secret, not 32", entry.challenger, secret.len())
		})?;
		secrets.push(secret);
	}
	let nonce = pallet_attestation::qualifying_data(chain.genesis().as_ref(), request_id, &who, &secrets);
	let (attest, signature) = tpm.quote(&ak, &nonce).map_err(|e| e.to_string())?;
	let call = RuntimeCall::Attestation(pallet_attestation::Call::activate {
		request_id,
		secrets: secrets.try_into().map_err(|_| "more secrets than challengers".to_string())?,
		attest: attest.try_into().map_err(|_| "the quote is longer than 256 bytes".to_string())?,
		signature: signature.try_into().map_err(|_| "the quote's signature is longer than 300 bytes".to_string())?,
	});
	let included = chain.submit(pair, call).await.map_err(|e| format!("M3 (activate) failed: {e}"))?;
	let grant = included.events.iter().find_map(|e| match e {
		RuntimeEvent::Balances(pallet_balances::Event::Minted { who: to, amount }) if *to == who => Some(*amount),
		_ => None,
	});
	println!("[3/3] registered in block #{}: {who} is a node", included.block_number);
	if let Some(amount) = grant {
		println!("claim grant: {} CRN", amount as f64 / cairn_runtime::UNIT as f64);
	}
	Ok(())
}
