//! Software TPMs for tests: `swtpm` processes manufactured with an EK certificate from a
//! CA, killed and reaped on drop.
//!
//! [`TestCa::committed`] is Cairn's test CA (`ca/`), which the `dev` and `local` chain
//! presets trust; [`TestCa::fresh`] makes a CA no chain trusts. Needs the Debian packages
//! `swtpm swtpm-tools openssl`.

use std::{
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The test CA's root certificate, DER.
pub const ROOT_DER: &[u8] = include_bytes!("../ca/root.der");
/// The test CA's issuing certificate, DER: it signs the EK certificates.
pub const ISSUER_DER: &[u8] = include_bytes!("../ca/issuer.der");
const ISSUER_PEM: &str = include_str!("../ca/issuercert.pem");
const SIGNING_KEY_PEM: &str = include_str!("../ca/signkey.pem");

/// A manufacturer CA in a working directory of its own (swtpm_localca writes its serial
/// counter there).
pub struct TestCa {
	dir: PathBuf,
}

impl TestCa {
	/// Cairn's test CA, copied into `dir/ca`.
	pub fn committed(dir: &Path) -> std::io::Result<TestCa> {
		let ca = Self::configure(dir)?;
		std::fs::write(ca.dir.join("issuercert.pem"), ISSUER_PEM)?;
		std::fs::write(ca.dir.join("signkey.pem"), SIGNING_KEY_PEM)?;
		Ok(ca)
	}

	/// A new CA, made by swtpm_localca when the first TPM is manufactured.
	pub fn fresh(dir: &Path) -> std::io::Result<TestCa> {
		Self::configure(dir)
	}

	fn configure(dir: &Path) -> std::io::Result<TestCa> {
		let dir = dir.join("ca");
		std::fs::create_dir_all(&dir)?;
		let d = dir.display();
		std::fs::write(
			dir.join("localca.conf"),
			format!(
				"statedir = {d}\nsigningkey = {d}/signkey.pem\nissuercert = {d}/issuercert.pem\ncertserial = {d}/certserial\n"
			),
		)?;
		std::fs::write(
			dir.join("localca.options"),
			"--platform-manufacturer Cairn\n--platform-version 2.1\n--platform-model swtpm\n",
		)?;
		std::fs::write(
			dir.join("setup.conf"),
			format!(
				"create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {d}/localca.conf\ncreate_certs_tool_options = {d}/localca.options\nactive_pcr_banks = sha256\n"
			),
		)?;
		Ok(TestCa { dir })
	}

	/// The certificate that signs EK certificates, as DER (after a TPM was manufactured,
	/// for a fresh CA).
	pub fn issuer_der(&self) -> Vec<u8> {
		let out = Command::new("openssl")
			.args(["x509", "-outform", "DER", "-in"])
			.arg(self.dir.join("issuercert.pem"))
			.output()
			.expect("openssl runs (apt install openssl)");
		assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
		out.stdout
	}
}

/// A running swtpm with its state directory.
pub struct Swtpm {
	state: PathBuf,
	port: u16,
	child: Child,
}

/// Two consecutive free ports: swtpm's TCTI puts the control port at port + 1.
pub fn free_port_pair() -> u16 {
	loop {
		let a = TcpListener::bind("127.0.0.1:0").expect("a free port");
		let port = a.local_addr().expect("bound").port();
		if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
			return port;
		}
	}
}

impl Swtpm {
	/// Manufactures a TPM in `state` with an EK certificate from `ca`, and starts it.
	pub fn manufacture(ca: &TestCa, state: &Path) -> Swtpm {
		std::fs::create_dir_all(state).expect("the TPM's state directory");
		let status = Command::new("swtpm_setup")
			.args(["--tpm2", "--create-ek-cert", "--create-platform-cert", "--lock-nvram", "--pcr-banks", "sha256"])
			.args(["--overwrite", "--tpmstate"])
			.arg(state)
			.arg("--config")
			.arg(ca.dir.join("setup.conf"))
			.arg("--logfile")
			.arg(state.join("setup.log"))
			.stdout(Stdio::null())
			.status()
			.expect("swtpm_setup runs (apt install swtpm swtpm-tools)");
		assert!(status.success(), "swtpm_setup failed; see {}", state.join("setup.log").display());
		Self::start(state)
	}

	fn start(state: &Path) -> Swtpm {
		let port = free_port_pair();
		let child = Command::new("swtpm")
			.args(["socket", "--tpm2", "--flags", "not-need-init,startup-clear"])
			.arg("--tpmstate")
			.arg(format!("dir={}", state.display()))
			.arg("--server")
			.arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
			.arg("--ctrl")
			.arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
			.stdout(Stdio::null())
			.spawn()
			.expect("swtpm runs (apt install swtpm)");
		let swtpm = Swtpm { state: state.to_owned(), port, child };
		let deadline = Instant::now() + Duration::from_secs(10);
		while TcpStream::connect(("127.0.0.1", port)).is_err() {
			assert!(Instant::now() < deadline, "swtpm did not listen on {port}");
			std::thread::sleep(Duration::from_millis(20));
		}
		swtpm
	}

	/// The TCTI string that reaches this TPM.
	pub fn tcti(&self) -> String {
		format!("swtpm:host=127.0.0.1,port={}", self.port)
	}

	/// Stops the TPM and starts it again on the same state (objects loaded before are
	/// gone, as after a reboot).
	pub fn restart(mut self) -> Swtpm {
		let state = self.state.clone();
		let _ = self.child.kill();
		let _ = self.child.wait();
		Self::start(&state)
	}
}

impl Drop for Swtpm {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}
