//! `cairn tpm ...`: the node's TPM as attestation sees it.

use cairn_attestation::{cert, tpm as checks};

/// TPM commands.
#[derive(Debug, clap::Subcommand)]
pub enum TpmCmd {
	/// Shows the TPM's maker and firmware, its EK certificate and whether its EK is one
	/// Cairn accepts (RSA-2048, template L-1), with the EK id the chain will know it by.
	Info(TpmArgs),
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
