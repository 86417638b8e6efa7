//! The `cairn` binary's command line: committed chain specs match the binary, and bad
//! input ends in one clear line and a non-zero exit, never a panic.

use std::{
	net::TcpListener,
	path::Path,
	process::{Command, Output},
};

fn cairn(args: &[&str]) -> Output {
	Command::new(env!("CARGO_BIN_EXE_cairn")).args(args).output().expect("run cairn")
}

fn stderr(output: &Output) -> String {
	String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The line of stderr that reports the error (the rest is the node's start-up log).
fn error_line(output: &Output) -> String {
	let err = stderr(output);
	let mut errors = err.lines().filter(|l| l.starts_with("Error:"));
	let line = errors.next().unwrap_or_default().to_string();
	assert!(errors.next().is_none(), "more than one error line: {err}");
	line
}

fn assert_clean_failure(output: &Output, expected: &str) {
	let err = stderr(output);
	assert!(!output.status.success(), "expected failure, got success; stderr: {err}");
	assert!(!err.contains("panicked"), "panicked: {err}");
	assert!(!err.contains("stack backtrace"), "backtrace: {err}");
	assert!(err.contains(expected), "expected {expected:?} in stderr: {err}");
}

fn committed_spec_matches(chain: &str, file: &str, raw: bool) {
	let mut args = vec!["export-chain-spec", "--chain", chain];
	if raw {
		args.push("--raw");
	}
	let output = cairn(&args);
	assert!(output.status.success(), "export failed: {}", stderr(&output));
	let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../chain-specs").join(file);
	let committed: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(&path).expect("committed chain spec exists"))
			.expect("committed chain spec is JSON");
	let generated: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
	// The wasm is not byte-reproducible across checkout paths (cargo hashes path
	// dependencies' locations into symbol names), so the runtime code is left out;
	// everything else (genesis, properties, ids) must match exactly.
	assert!(
		without_code(committed) == without_code(generated),
		"{} differs from what the binary generates: run `make chain-specs` and commit",
		path.display()
	);
}

/// A chain spec without its runtime code (plain `code` field or raw `:code` key).
fn without_code(mut spec: serde_json::Value) -> serde_json::Value {
	if let Some(genesis) = spec.get_mut("genesis") {
		if let Some(rg) = genesis.get_mut("runtimeGenesis").and_then(|g| g.as_object_mut()) {
			rg.remove("code");
		}
		if let Some(top) = genesis.pointer_mut("/raw/top").and_then(|t| t.as_object_mut()) {
			top.remove("0x3a636f6465");
		}
	}
	spec
}

#[test]
fn committed_dev_spec_matches_binary() {
	committed_spec_matches("dev", "dev.json", false);
}

#[test]
fn committed_local_spec_matches_binary() {
	committed_spec_matches("local", "local.json", false);
}

#[test]
fn committed_raw_local_spec_matches_binary() {
	committed_spec_matches("local", "local.raw.json", true);
}

#[test]
fn dev_spec_carries_token_properties() {
	let output = cairn(&["export-chain-spec", "--chain", "dev"]);
	let spec: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(spec["properties"]["tokenSymbol"], "CRN");
	assert_eq!(spec["properties"]["tokenDecimals"], 12);
	assert_eq!(spec["chainType"], "Development");
}

#[test]
fn unknown_flag_is_a_clear_error() {
	let output = cairn(&["--no-such-flag"]);
	assert_clean_failure(&output, "unexpected argument '--no-such-flag'");
}

#[test]
fn an_apps_public_url_that_is_not_an_origin_is_a_clear_error() {
	for bad in ["javascript:alert(1)", "http://mesh.example.org/apps", "http://Mesh.org", "http://10.0.0.7:99999"] {
		let output = cairn(&["--dev", "--tmp", "--apps-public-url", bad]);
		assert_clean_failure(&output, &format!("`{bad}` is not `http://HOST[:PORT]` or `https://HOST[:PORT]`"));
	}
	let output = cairn(&["--dev", "--tmp", "--no-apps", "--apps-public-url", "http://10.0.0.7"]);
	assert_clean_failure(&output, "cannot be used with");
}

#[test]
fn malformed_chain_spec_is_a_clear_error() {
	let dir = std::env::temp_dir().join(format!("cairn-cli-test-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let spec = dir.join("broken.json");
	std::fs::write(&spec, "{ this is not a chain spec").unwrap();
	let output = cairn(&["--chain", spec.to_str().unwrap(), "--tmp"]);
	assert_clean_failure(&output, "cannot load chain spec");
	assert!(error_line(&output).contains("export-chain-spec"), "{}", error_line(&output));
	std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_chain_spec_file_is_a_clear_error() {
	let output = cairn(&["--chain", "/nonexistent/cairn.json", "--tmp"]);
	assert_clean_failure(&output, "cannot load chain spec");
}

#[test]
fn rpc_port_in_use_is_a_clear_error() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port().to_string();
	let p2p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
	let output = cairn(&["--dev", "--tmp", "--no-prometheus", "--rpc-port", &port, "--port", &p2p, "--no-gateway"]);
	assert_clean_failure(&output, &port);
	assert!(error_line(&output).contains("in use"), "{}", error_line(&output));
}

#[test]
fn litep2p_backend_is_refused_with_a_hint() {
	let output = cairn(&["--dev", "--tmp", "--no-prometheus", "--network-backend", "litep2p", "--no-gateway"]);
	assert_clean_failure(&output, "libp2p");
}

#[test]
fn missing_wasm_target_is_named_with_the_fix() {
	// A rustup that reports no installed targets, as on a fresh machine.
	let dir = tempfile::tempdir().unwrap();
	let stub = dir.path().join("rustup");
	std::fs::write(&stub, "#!/bin/sh\nexit 0\n").unwrap();
	std::fs::set_permissions(&stub, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
	let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
	let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/setup.sh");
	let output = Command::new(script).arg("--check").env("PATH", path).output().unwrap();
	assert!(!output.status.success());
	let err = stderr(&output);
	assert_eq!(err.lines().count(), 1, "one line: {err}");
	assert!(err.contains("wasm32v1-none") && err.contains("rustup target add"), "{err}");
}

#[test]
fn unreachable_tpm_is_a_clear_error() {
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let out = cairn(&["tpm", "info", "--tpm-tcti", &format!("swtpm:host=127.0.0.1,port={port}")]);
	assert!(!out.status.success());
	let line = error_line(&out);
	assert!(line.contains("cannot reach the TPM") && line.contains("--tpm-tcti"), "{line}");
	// Only our line: tpm2-tss's own log is off.
	assert!(!stderr(&out).contains("ERROR:tcti"), "{}", stderr(&out));
}

#[test]
fn register_without_a_node_or_with_a_bad_key_is_a_clear_error() {
	let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let url = format!("ws://127.0.0.1:{port}");
	let out = cairn(&["tpm", "register", "--node-url", &url, "--suri", "//Dave"]);
	assert_clean_failure(&out, "cannot reach the node");
	let line = error_line(&out);
	assert!(line.contains("--node-url") && line.contains(&url), "{line}");

	let out = cairn(&["tpm", "register", "--node-url", &url, "--suri", "not a key"]);
	assert_clean_failure(&out, "--suri is not a secret URI");

	let out = cairn(&["tpm", "register"]);
	assert_clean_failure(&out, "--suri");
}
