//! Four real `cairn` nodes on 127.0.0.1 store a 64 MiB file 2-of-4 through
//! `cairn client put`, and `cairn client get` restores it with two of them killed.

use std::{
	io::{BufRead, BufReader},
	net::TcpListener,
	path::Path,
	process::{Child, Command, Stdio},
	sync::mpsc,
	time::Duration,
};

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Node {
	child: Child,
	fragment_addr: String,
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn start_node() -> Node {
	let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
		.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry"])
		.args(["--rpc-port", &free_port().to_string()])
		.args(["--port", &free_port().to_string()])
		.args(["--fragment-port", &free_port().to_string(), "--fragment-listen-ip", "127.0.0.1"])
		.stdout(Stdio::null())
		.stderr(Stdio::piped())
		.spawn()
		.expect("start cairn");
	let stderr = child.stderr.take().unwrap();
	let (tx, rx) = mpsc::channel();
	std::thread::spawn(move || {
		for line in BufReader::new(stderr).lines().map_while(Result::ok) {
			if let Some(at) = line.find("Fragment service on ") {
				let _ = tx.send(line[at + "Fragment service on ".len()..].trim().to_string());
			}
		}
	});
	let fragment_addr = rx.recv_timeout(Duration::from_secs(60)).expect("fragment service started");
	Node { child, fragment_addr }
}

fn client(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_cairn")).arg("client").args(args).output().expect("run client")
}

fn write_test_file(path: &Path, len: usize) -> Vec<u8> {
	let mut x = 0x9e3779b97f4a7c15u64;
	let data: Vec<u8> = (0..len)
		.map(|_| {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			x as u8
		})
		.collect();
	std::fs::write(path, &data).unwrap();
	data
}

#[test]
fn four_nodes_store_and_restore_a_file_with_two_killed() {
	let dir = tempfile::tempdir().unwrap();
	let input = dir.path().join("input.bin");
	let data = write_test_file(&input, 64 * 1024 * 1024);
	let mut nodes: Vec<Node> = (0..4).map(|_| start_node()).collect();
	let providers = nodes.iter().map(|n| n.fragment_addr.clone()).collect::<Vec<_>>().join(",");

	let put = client(&["put", input.to_str().unwrap(), "--k", "2", "--n", "4", "--providers", &providers]);
	assert!(put.status.success(), "put failed: {}", String::from_utf8_lossy(&put.stderr));
	let cap = String::from_utf8(put.stdout).unwrap().trim().to_string();
	assert!(cap.starts_with("cairn:v1:"), "{cap}");

	let out = dir.path().join("restored.bin");
	let get = client(&["get", &cap, "-o", out.to_str().unwrap(), "--providers", &providers]);
	assert!(get.status.success(), "get failed: {}", String::from_utf8_lossy(&get.stderr));
	assert!(std::fs::read(&out).unwrap() == data, "restored file differs");

	// Kill n - k = 2 providers; the other two still hold enough.
	drop(nodes.drain(0..2));
	let out2 = dir.path().join("restored-again.bin");
	let get = client(&["get", &cap, "-o", out2.to_str().unwrap(), "--providers", &providers]);
	assert!(get.status.success(), "get with 2 killed failed: {}", String::from_utf8_lossy(&get.stderr));
	assert!(std::fs::read(&out2).unwrap() == data, "restored file differs");

	// Kill a third: fewer than k remain, and nothing is left half-written.
	drop(nodes.remove(0));
	let out3 = dir.path().join("too-few.bin");
	let get = client(&["get", &cap, "-o", out3.to_str().unwrap(), "--providers", &providers]);
	assert!(!get.status.success());
	let err = String::from_utf8_lossy(&get.stderr);
	assert!(err.contains("good fragments") || err.contains("manifest"), "{err}");
	assert!(!out3.exists() && !dir.path().join("too-few.bin.part").exists());
}

/// A well-formed provider address where nothing listens.
const NOBODY: &str = "/ip4/127.0.0.1/tcp/1/p2p/12D3KooW9tJMax94Lrqw7Y5Qw36viGQAS2gTEPQ5Wg1vTk7xPfQs";

#[test]
fn client_bad_input_is_a_clear_error() {
	let bad_cap = client(&["get", "cairn:v1:nonsense", "-o", "/tmp/x", "--providers", NOBODY]);
	assert!(!bad_cap.status.success());
	let err = String::from_utf8_lossy(&bad_cap.stderr);
	assert!(err.contains("malformed capability") && !err.contains("panicked"), "{err}");

	let dir = tempfile::tempdir().unwrap();
	let file = dir.path().join("f");
	std::fs::write(&file, b"hello").unwrap();
	let k_above_n = client(&["put", file.to_str().unwrap(), "--k", "5", "--n", "3", "--providers", NOBODY]);
	assert!(!k_above_n.status.success());
	assert!(String::from_utf8_lossy(&k_above_n.stderr).contains("bad erasure parameters"));

	let codec = client(&["put", file.to_str().unwrap(), "--codec", "zip", "--providers", NOBODY]);
	assert!(String::from_utf8_lossy(&codec.stderr).contains("unknown codec"));

	let unreachable = client(&["put", file.to_str().unwrap(), "--k", "1", "--n", "2", "--providers", NOBODY]);
	assert!(!unreachable.status.success());
	assert!(
		String::from_utf8_lossy(&unreachable.stderr).contains("failed"),
		"{}",
		String::from_utf8_lossy(&unreachable.stderr)
	);
}
