//! `cairn_*` JSON-RPC methods against a real `cairn --dev` node over HTTP, and the wallet
//! its gateway serves.

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

struct Node(Child);

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One JSON-RPC call over HTTP/1.1; the parsed response body.
fn call(port: u16, method: &str, params: serde_json::Value) -> std::io::Result<serde_json::Value> {
	let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let mut stream = TcpStream::connect(("127.0.0.1", port))?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)?;
	let mut response = String::new();
	stream.read_to_string(&mut response)?;
	let json = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
	serde_json::from_str(json).map_err(std::io::Error::other)
}

/// A GET over HTTP/1.1 naming `host`; the whole response.
fn get(port: u16, path: &str, host: &str) -> std::io::Result<String> {
	let mut stream = TcpStream::connect(("127.0.0.1", port))?;
	write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
	let mut response = String::new();
	stream.read_to_string(&mut response)?;
	Ok(response)
}

#[test]
fn cairn_resolve_answers_null_for_nodes_without_endpoints_and_errors_for_bad_accounts() {
	let port = free_port();
	let gateway_port = free_port();
	let wallet = tempfile::tempdir().unwrap();
	std::fs::write(wallet.path().join("index.html"), "<!doctype html><title>Cairn wallet</title>").unwrap();
	let _node = Node(
		Command::new(env!("CARGO_BIN_EXE_cairn"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry", "--no-fragment-service"])
			.args(["--rpc-port", &port.to_string(), "--port", &free_port().to_string()])
			.args(["--gateway-port", &gateway_port.to_string(), "--ui-dir", wallet.path().to_str().unwrap()])
			.args(["--apps-port", "0"])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("start cairn"),
	);
	let deadline = Instant::now() + Duration::from_secs(60);
	let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
	let answer = loop {
		match call(port, "cairn_resolve", serde_json::json!([alice])) {
			Ok(answer) => break answer,
			Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
			Err(e) => panic!("RPC never answered: {e}"),
		}
	};
	// Alice is an attested dev node but has published no endpoint.
	assert_eq!(answer["result"], serde_json::Value::Null, "{answer}");
	assert!(answer.get("error").is_none(), "{answer}");

	// Not an SS58 account: invalid params, with a message.
	let bad = call(port, "cairn_resolve", serde_json::json!(["not-an-account"])).unwrap();
	assert_eq!(bad["error"]["code"], -32602, "{bad}");
	assert!(bad["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{bad}");
	// An unknown block hash: a runtime API error with its own code.
	let unknown = format!("0x{}", "ab".repeat(32));
	let at = call(port, "cairn_resolve", serde_json::json!([alice, unknown])).unwrap();
	assert_eq!(at["error"]["code"], 8000, "{at}");

	// A quote for 2^60 bytes answers at once with a parameter error (8002) (it used to walk 2^40
	// stripes and keep a core busy), and the node still answers afterwards.
	let started = Instant::now();
	let huge = call(port, "cairn_quote", serde_json::json!([1u64 << 60, 3, 10, 10])).unwrap();
	assert_eq!(huge["error"]["code"], 8002, "{huge}");
	assert!(huge["error"]["message"].as_str().unwrap().contains("not supported"), "{huge}");
	assert!(started.elapsed() < Duration::from_secs(5), "the quote took {:?}", started.elapsed());
	let max = call(port, "cairn_quote", serde_json::json!([u64::MAX, 3, 10, 10])).unwrap();
	assert_eq!(max["error"]["code"], 8002, "{max}");
	assert!(call(port, "cairn_resolve", serde_json::json!([alice])).unwrap().get("error").is_none());

	// The sweep of a CA's nodes: the dev chain's nodes came from genesis, without a TPM,
	// so none is under the test CA; a CA id that is not a number is invalid params.
	let swept = call(port, "cairn_nodesUnderCa", serde_json::json!([0])).unwrap();
	assert_eq!(swept["result"], serde_json::json!([]), "{swept}");
	let bad = call(port, "cairn_nodesUnderCa", serde_json::json!(["root"])).unwrap();
	assert_eq!(bad["error"]["code"], -32602, "{bad}");

	// The node's gateway serves the wallet, tells it where RPC listens, and refuses a host
	// that is not its own (DNS rebinding).
	let page = get(gateway_port, "/", &format!("127.0.0.1:{gateway_port}")).unwrap();
	assert!(page.starts_with("HTTP/1.1 200") && page.contains("<title>Cairn wallet</title>"), "{page}");
	let config = get(gateway_port, "/config.json", "localhost").unwrap();
	let config: serde_json::Value = serde_json::from_str(config.split_once("\r\n\r\n").unwrap().1).unwrap();
	assert_eq!(config["rpcPort"], port, "{config}");
	assert!(config["appsPort"].as_u64().is_some_and(|apps| apps != 0 && apps != u64::from(gateway_port)), "{config}");
	let rebound = get(gateway_port, "/config.json", "attacker.example").unwrap();
	assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
}

#[test]
fn a_taken_gateway_port_is_one_line_that_says_what_to_do() {
	let taken = TcpListener::bind("127.0.0.1:0").unwrap();
	let gateway_port = taken.local_addr().unwrap().port().to_string();
	let output = Command::new(env!("CARGO_BIN_EXE_cairn"))
		.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry", "--no-fragment-service"])
		.args(["--rpc-port", &free_port().to_string(), "--port", &free_port().to_string()])
		.args(["--gateway-port", &gateway_port, "--no-apps"])
		.output()
		.expect("run cairn");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	let line = stderr.lines().find(|l| l.contains("gateway")).unwrap_or_else(|| panic!("no gateway line: {stderr}"));
	assert!(
		line.contains("already in use") && line.contains("--gateway-port") && line.contains("--no-gateway"),
		"{line}"
	);
	assert!(!stderr.contains("panicked"), "{stderr}");
}
