//! Real `cairn` nodes of one dev chain on 127.0.0.1 offer storage; `cairn client put`
//! buys it and stores a 64 MiB file 2-of-4 under contracts the nodes accept by themselves
//! (placing the fragment of a provider that is gone with another), `cairn client get`
//! restores it with two of them killed; fragments are deleted once their contracts end.

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
	rpc_url: String,
	fragment_addr: String,
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Alice's libp2p identity on the chain plane (`--node-key` 0x..01), so others find her.
const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

/// Starts a node of the dev chain: Alice authors (`--dev`), the others (`--bob`, ...) are
/// full nodes that find her at `alice_port`. Each is a storage provider with its dev key.
fn start_node(who: &str, p2p_port: u16, alice_port: u16) -> Node {
	start_node_at(who, p2p_port, alice_port, None)
}

/// [`start_node`], keeping the node's data in `base` (to restart it) instead of `--tmp`.
fn start_node_at(who: &str, p2p_port: u16, alice_port: u16, base: Option<&Path>) -> Node {
	let rpc_port = free_port();
	let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
	if who == "alice" {
		command.args(["--dev", "--node-key", ALICE_NODE_KEY]);
	} else {
		// `--bob` and the others run as authorities (without BABE slots): each needs a
		// network key of its own.
		let key = format!("{:064x}", 2 + who.as_bytes()[0] as usize);
		command
			.args(["--chain", "dev", &format!("--{who}"), "--node-key", &key])
			.args(["--bootnodes", &format!("/ip4/127.0.0.1/tcp/{alice_port}/p2p/{ALICE_PEER_ID}")]);
	}
	match base {
		Some(base) => command.args(["--base-path", base.to_str().unwrap()]),
		None => command.arg("--tmp"),
	};
	let mut child = command
		.args(["--no-prometheus", "--no-mdns", "--no-telemetry"])
		.args(["--rpc-port", &rpc_port.to_string()])
		.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
		.args(["--fragment-port", "0", "--fragment-listen-ip", "127.0.0.1", "--no-gateway"])
		.stdout(Stdio::null())
		.stderr(Stdio::piped())
		.spawn()
		.expect("start cairn");
	let stderr = child.stderr.take().unwrap();
	let (tx, rx) = mpsc::channel();
	std::thread::spawn(move || {
		for line in BufReader::new(stderr).lines().map_while(Result::ok) {
			let _ = tx.send(line);
		}
	});
	// The fragment service starts first, the RPC server last.
	let mut log = Vec::new();
	let mut fragment_addr = None;
	loop {
		match rx.recv_timeout(Duration::from_secs(60)) {
			Ok(line) => {
				if let Some(at) = line.find("Fragment service on ") {
					fragment_addr = Some(line[at + "Fragment service on ".len()..].trim().to_string());
				}
				if line.contains("Running JSON-RPC server") {
					break;
				}
				log.push(line);
			},
			Err(e) => panic!("{who} did not start ({e}):\n{}", log.join("\n")),
		}
	}
	let fragment_addr = fragment_addr.expect("the fragment service starts before the RPC server");
	// Keep draining the log, so that the node never blocks on a full pipe.
	std::thread::spawn(move || for _ in rx {});
	Node { child, rpc_url: format!("ws://127.0.0.1:{rpc_port}"), fragment_addr }
}

fn cairn(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_cairn")).args(args).output().expect("run cairn")
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
fn four_providers_store_a_file_under_contracts_and_restore_it_with_two_killed() {
	let dir = tempfile::tempdir().unwrap();
	let input = dir.path().join("input.bin");
	let data = write_test_file(&input, 64 * 1024 * 1024);
	let alice_port = free_port();
	let mut nodes: Vec<Node> = ["alice", "bob", "charlie", "dave"]
		.into_iter()
		.map(|who| start_node(who, if who == "alice" { alice_port } else { free_port() }, alice_port))
		.collect();
	let url = nodes[0].rpc_url.clone();

	// Eve offers the cheapest storage, so the quote picks her, and is gone before the put.
	let eve = start_node("eve", free_port(), alice_port);

	// Each node offers its storage through its own RPC.
	let offers: Vec<_> =
		[("//Alice", "0.02"), ("//Bob", "0.02"), ("//Charlie", "0.02"), ("//Dave", "0.02"), ("//Eve", "0.01")]
			.into_iter()
			.zip(nodes.iter().chain([&eve]))
			.map(|((suri, price), node)| {
				let url = node.rpc_url.clone();
				std::thread::spawn(move || {
					cairn(&[
						"provider",
						"offer",
						"--price",
						price,
						"--capacity",
						"1G",
						"--suri",
						suri,
						"--node-url",
						&url,
					])
				})
			})
			.collect();
	for offer in offers {
		let out = offer.join().unwrap();
		assert!(out.status.success(), "offer failed: {}", String::from_utf8_lossy(&out.stderr));
	}
	// Eve's endpoint reaches the chain before she goes: a quote for five fragments holds
	// once all five providers are reachable (`--max-price 0` then refuses it: nothing paid).
	wait_for(Duration::from_secs(120), "Eve's endpoint", || {
		let out = client(&[
			"put",
			input.to_str().unwrap(),
			"--k",
			"2",
			"--n",
			"5",
			"--duration",
			"30",
			"--max-price",
			"0",
			"--suri",
			"//Ferdie",
			"--node-url",
			&url,
		]);
		String::from_utf8_lossy(&out.stderr).contains("above --max-price")
	});
	drop(eve);

	let put = client(&[
		"put",
		input.to_str().unwrap(),
		"--k",
		"2",
		"--n",
		"4",
		"--duration",
		"30",
		"--suri",
		"//Ferdie",
		"--node-url",
		&url,
	]);
	let stderr = String::from_utf8_lossy(&put.stderr);
	assert!(put.status.success(), "put failed: {stderr}");
	assert!(stderr.contains("all accepted") && stderr.contains("cost"), "{stderr}");
	// Eve's fragment went to the fourth of the others, and the put said so.
	assert!(stderr.contains("failed") && stderr.contains("placing it elsewhere"), "{stderr}");
	let cap = String::from_utf8(put.stdout).unwrap().trim().to_string();
	assert!(cap.starts_with("cairn:v2:"), "{cap}");

	let status = client(&["status", &cap, "--node-url", &url]);
	let table = String::from_utf8_lossy(&status.stdout);
	assert!(status.status.success() && table.matches(" active ").count() == 4, "{table}");

	// The providers come from the chain: no addresses needed.
	let out = dir.path().join("restored.bin");
	let get = client(&["get", &cap, "-o", out.to_str().unwrap(), "--node-url", &url]);
	assert!(get.status.success(), "get failed: {}", String::from_utf8_lossy(&get.stderr));
	assert!(std::fs::read(&out).unwrap() == data, "restored file differs");
	// An existing file is not overwritten without --force.
	std::fs::write(&out, b"mine").unwrap();
	let again = client(&["get", &cap, "-o", out.to_str().unwrap(), "--node-url", &url]);
	assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"));
	assert_eq!(std::fs::read(&out).unwrap(), b"mine");
	let forced = client(&["get", &cap, "-o", out.to_str().unwrap(), "--force", "--node-url", &url]);
	assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
	assert!(std::fs::read(&out).unwrap() == data, "restored file differs");
	let staged = std::fs::read_dir(dir.path()).unwrap().map_while(Result::ok);
	assert!(!staged.into_iter().any(|e| e.file_name().to_string_lossy().starts_with(".cairn-get-")), "staging removed");

	// Kill n - k = 2 providers; Alice and Dave still hold enough.
	drop(nodes.drain(1..3));
	let out2 = dir.path().join("restored-again.bin");
	let get = client(&["get", &cap, "-o", out2.to_str().unwrap(), "--node-url", &url]);
	assert!(get.status.success(), "get with 2 killed failed: {}", String::from_utf8_lossy(&get.stderr));
	assert!(std::fs::read(&out2).unwrap() == data, "restored file differs");

	// Kill a third: fewer than k remain, and nothing is left half-written.
	drop(nodes.remove(1));
	let out3 = dir.path().join("too-few.bin");
	let get = client(&["get", &cap, "-o", out3.to_str().unwrap(), "--node-url", &url]);
	assert!(!get.status.success());
	let err = String::from_utf8_lossy(&get.stderr);
	assert!(err.contains("good fragments") || err.contains("manifest"), "{err}");
	assert!(!out3.exists() && !dir.path().join("too-few.bin.part").exists());
}

/// Bytes of the files under `dir`.
fn dir_size(dir: &Path) -> u64 {
	std::fs::read_dir(dir)
		.map(|entries| {
			entries
				.map_while(Result::ok)
				.map(|e| match e.metadata() {
					Ok(m) if m.is_dir() => dir_size(&e.path()),
					Ok(m) => m.len(),
					Err(_) => 0,
				})
				.sum()
		})
		.unwrap_or(0)
}

/// Polls `check` every two seconds until it holds; panics with `what` after `limit`.
fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
	let deadline = std::time::Instant::now() + limit;
	while !check() {
		assert!(std::time::Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
		std::thread::sleep(Duration::from_secs(2));
	}
}

/// Bytes under live contracts of each provider, from `cairn provider list`.
fn used_on_chain(url: &str) -> Vec<u64> {
	let out = cairn(&["provider", "list", "--node-url", url]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	String::from_utf8_lossy(&out.stdout)
		.lines()
		.skip(1)
		.map(|line| line.split_whitespace().nth(1).unwrap().parse().unwrap())
		.collect()
}

/// A provider's fragments live exactly as long as a contract names them: once the file's
/// contracts end and that is finalized, both providers' stores shrink back on disk and
/// `used` on chain returns to zero, including on a node that was down when its contract
/// ended (it catches up after restart).
#[test]
fn fragments_are_deleted_once_their_contracts_end_and_finalize() {
	let dir = tempfile::tempdir().unwrap();
	let input = dir.path().join("input.bin");
	write_test_file(&input, 4 * 1024 * 1024);
	let (alice_port, bob_port) = (free_port(), free_port());
	let (alice_base, bob_base) = (dir.path().join("alice"), dir.path().join("bob"));
	let alice = start_node_at("alice", alice_port, alice_port, Some(&alice_base));
	let bob = start_node_at("bob", bob_port, alice_port, Some(&bob_base));
	for (suri, node) in [("//Alice", &alice), ("//Bob", &bob)] {
		let out = cairn(&[
			"provider",
			"offer",
			"--price",
			"0.01",
			"--capacity",
			"1G",
			"--suri",
			suri,
			"--node-url",
			&node.rpc_url,
		]);
		assert!(out.status.success(), "offer failed: {}", String::from_utf8_lossy(&out.stderr));
	}
	let url = alice.rpc_url.clone();
	// Both endpoints reach the chain first (a quote for both then holds, and `--max-price
	// 0` refuses it: nothing paid); on a busy machine Bob's may take a few blocks.
	wait_for(Duration::from_secs(120), "both providers' endpoints", || {
		let out = client(&[
			"put",
			input.to_str().unwrap(),
			"--k",
			"1",
			"--n",
			"2",
			"--duration",
			"1",
			"--max-price",
			"0",
			"--suri",
			"//Ferdie",
			"--node-url",
			&url,
		]);
		String::from_utf8_lossy(&out.stderr).contains("above --max-price")
	});
	let put = client(&[
		"put",
		input.to_str().unwrap(),
		"--k",
		"1",
		"--n",
		"2",
		"--duration",
		"1",
		"--suri",
		"//Ferdie",
		"--node-url",
		&url,
	]);
	let stderr = String::from_utf8_lossy(&put.stderr);
	assert!(put.status.success(), "put failed: {stderr}");
	assert!(stderr.contains("read capability (keep it"), "the capability comes before payment: {stderr}");
	let cap = String::from_utf8(put.stdout).unwrap().trim().to_string();
	let fragments = |base: &Path| base.join("chains").join("cairn_dev").join("fragments");
	for base in [&alice_base, &bob_base] {
		assert!(dir_size(&fragments(base)) > 4 * 1024 * 1024, "{} holds its fragment", base.display());
	}
	assert!(used_on_chain(&url).iter().all(|used| *used > 4 * 1024 * 1024));

	// Bob is down when his contract ends.
	drop(bob);
	wait_for(Duration::from_secs(300), "the file's contracts to end", || {
		let status = client(&["status", &cap, "--node-url", &url]);
		String::from_utf8_lossy(&status.stdout).contains(": 0 live contracts")
	});
	assert_eq!(used_on_chain(&url), vec![0, 0]);
	wait_for(Duration::from_secs(180), "Alice to delete her fragment", || {
		dir_size(&fragments(&alice_base)) < 1024 * 1024
	});
	let bob = start_node_at("bob", bob_port, alice_port, Some(&bob_base));
	wait_for(Duration::from_secs(180), "Bob to delete his fragment after restart", || {
		dir_size(&fragments(&bob_base)) < 1024 * 1024
	});
	drop(bob);
}

/// A node refuses a fragment that no contract names, and says why.
#[test]
fn a_provider_refuses_fragments_without_a_contract() {
	let dir = tempfile::tempdir().unwrap();
	let file = dir.path().join("f");
	write_test_file(&file, 10_000);
	let alice = start_node("alice", free_port(), 0);
	// Until the chain client runs, the node asks to try again; then it says why not.
	let mut err = String::new();
	for _ in 0..30 {
		let put = client(&["put", file.to_str().unwrap(), "--k", "1", "--n", "2", "--providers", &alice.fragment_addr]);
		assert!(!put.status.success());
		err = String::from_utf8_lossy(&put.stderr).into_owned();
		if !err.contains("is starting") {
			break;
		}
		std::thread::sleep(Duration::from_secs(1));
	}
	assert!(err.contains("client's signature"), "{err}");
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

	let no_payer = client(&["put", file.to_str().unwrap()]);
	assert!(String::from_utf8_lossy(&no_payer.stderr).contains("give --suri"));
	let no_node = client(&["put", file.to_str().unwrap(), "--suri", "//Ferdie", "--node-url", "ws://127.0.0.1:1"]);
	assert!(String::from_utf8_lossy(&no_node.stderr).contains("cannot reach the node"));
	let status = client(&["status", "cairn:v1:nonsense"]);
	assert!(String::from_utf8_lossy(&status.stderr).contains("malformed capability"));
}

#[test]
fn provider_and_store_bad_input_is_a_clear_error() {
	let offer = |price: &str, capacity: &str| {
		let out = cairn(&[
			"provider",
			"offer",
			"--price",
			price,
			"--capacity",
			capacity,
			"--suri",
			"//Bob",
			"--node-url",
			"ws://127.0.0.1:1",
		]);
		assert!(!out.status.success());
		String::from_utf8_lossy(&out.stderr).into_owned()
	};
	assert!(offer("abc", "1G").contains("not an amount of CRN"));
	assert!(offer("0.0000000000001", "1G").contains("not an amount of CRN"));
	assert!(offer("1", "lots").contains("not a size"));
	assert!(offer("1", "99999999999T").contains("not a size"));
	assert!(offer("0.5", "512MiB").contains("cannot reach the node"));

	let short = cairn(&["store", "delete", "0x1234", "--base-path", "/nonexistent"]);
	assert!(String::from_utf8_lossy(&short.stderr).contains("not 32 bytes"));
	let root = format!("0x{}", "ab".repeat(32));
	let missing = cairn(&["store", "delete", &root, "--base-path", "/nonexistent"]);
	assert!(String::from_utf8_lossy(&missing.stderr).contains("no fragment store"));
}
