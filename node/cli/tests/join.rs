//! `cairn join` end to end: Alice's `cairn --dev` node invites, a second node joins with
//! only the invitation (its chain specification comes over the service plane), takes the
//! starter balance and offers storage; the same text, another chain's text and bad flags
//! are each one clear line.

mod common;

use common::{cairn, failure, free_port, stdout, Process};
use std::{
	io::{BufRead, BufReader},
	path::Path,
	process::{Command, Output, Stdio},
	sync::mpsc,
	time::{Duration, Instant},
};

/// The flags of a node on this machine next to others: its own ports, nothing else.
fn local_node_flags(rpc_port: u16) -> Vec<String> {
	["--port", &free_port().to_string(), "--rpc-port", &rpc_port.to_string()]
		.into_iter()
		.chain(["--fragment-port", "0", "--fragment-listen-ip", "127.0.0.1", "--no-gateway"])
		.chain(["--no-prometheus", "--no-mdns", "--no-telemetry"])
		.map(String::from)
		.collect()
}

/// `cairn join` with `args`: running, with its stdout lines up to one containing `until`,
/// or ended, with its stdout lines and output.
fn join(
	args: &[&str],
	base: &Path,
	node_flags: &[String],
	until: &str,
) -> Result<(Process, Vec<String>), (Vec<String>, Output)> {
	let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
		.arg("join")
		.args(args)
		.arg("--base-path")
		.arg(base)
		.args(["--timeout", "120", "--"])
		.args(node_flags)
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.expect("run cairn join");
	let out = child.stdout.take().unwrap();
	let (tx, rx) = mpsc::channel();
	std::thread::spawn(move || {
		for line in BufReader::new(out).lines().map_while(Result::ok) {
			let _ = tx.send(line);
		}
	});
	let mut lines = Vec::new();
	loop {
		match rx.recv_timeout(Duration::from_secs(180)) {
			Ok(line) => {
				let done = line.contains(until);
				lines.push(line);
				if done {
					std::thread::spawn(move || for _ in rx {});
					return Ok((Process(child), lines));
				}
			},
			Err(mpsc::RecvTimeoutError::Disconnected) => {
				return Err((lines, child.wait_with_output().unwrap()));
			},
			Err(e) => panic!("cairn join said nothing for 180 s ({e}): {lines:?}"),
		}
	}
}

#[test]
fn a_friend_joins_with_one_line_and_the_line_works_once() {
	let (alice_rpc, alice_p2p) = (free_port(), free_port());
	let _alice = Process(
		Command::new(env!("CARGO_BIN_EXE_cairn"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry", "--no-gateway"])
			.args(["--rpc-port", &alice_rpc.to_string(), "--listen-addr", &format!("/ip4/127.0.0.1/tcp/{alice_p2p}")])
			.args(["--fragment-port", "0", "--fragment-listen-ip", "127.0.0.1"])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("start cairn"),
	);
	let alice = format!("ws://127.0.0.1:{alice_rpc}");
	let deadline = Instant::now() + Duration::from_secs(60);
	let invitation = loop {
		let output = cairn(&["invite", "create", "--grant", "500", "--suri", "//Alice", "--node-url", &alice]);
		if output.status.success() {
			break stdout(&output);
		}
		assert!(Instant::now() < deadline, "no invitation: {}", String::from_utf8_lossy(&output.stderr));
		std::thread::sleep(Duration::from_secs(1));
	};
	let parsed: cairn_client::invite::Invitation = invitation.parse().unwrap();
	assert!(!parsed.service.is_empty() && parsed.service.iter().all(|a| a.contains("/p2p/")), "{parsed:?}");

	// Bad flags and another chain's invitation stop before anything starts.
	let dir = tempfile::tempdir().unwrap();
	let other = dir.path().join("other");
	let ended = |outcome: Result<(Process, Vec<String>), (Vec<String>, Output)>| match outcome {
		Ok((_, lines)) => panic!("joined: {lines:?}"),
		Err((_, output)) => failure(&output),
	};
	assert!(ended(join(&[&invitation, "--capacity", "lots"], &other, &[], "joined")).contains("--capacity"));
	let own = ended(join(&[&invitation], &other, &["--chain".into(), "dev".into()], "joined"));
	assert!(own.contains("sets --chain itself"), "{own}");
	let other_chain = cairn_client::invite::Invitation { genesis: [1; 32], ..parsed.clone() }.to_string();
	let refused = ended(join(&[&other_chain], &other, &[], "joined"));
	assert!(refused.contains("another chain's"), "{refused}");
	assert!(!other.join("chain-spec.json").exists(), "nothing of another chain is kept");

	// Ferdie, a node of the dev chain's genesis, joins with the invitation alone.
	let ferdie_base = dir.path().join("ferdie");
	let ferdie_rpc = free_port();
	let flags = local_node_flags(ferdie_rpc);
	let (ferdie, lines) =
		join(&[&invitation, "--suri", "//Ferdie", "--capacity", "1G"], &ferdie_base, &flags, "joined")
			.unwrap_or_else(|(lines, output)| panic!("{lines:?} {}", String::from_utf8_lossy(&output.stderr)));
	let said = lines.join("\n");
	assert!(said.contains("[1/5] chain `Cairn Development`"), "{said}");
	assert!(said.contains("the invitation's 500 CRN is the node's"), "{said}");
	assert!(said.contains("[5/5] offering 1073741824 bytes"), "{said}");
	assert!(ferdie_base.join("chain-spec.json").exists());
	// The market sees Ferdie's offer, at the floor price, from Alice's node.
	let providers = stdout(&cairn(&["provider", "list", "--node-url", &alice]));
	let ferdie_account = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";
	assert!(providers.lines().any(|l| l.starts_with(ferdie_account) && l.contains("1073741824")), "{providers}");

	// Ferdie's node takes a fragment under a contract (k = 1 of n = 2: Alice offers too),
	// once its endpoint is on chain (the quote then passes `--max-price 0`'s check of
	// reachable providers).
	let offer =
		cairn(&["provider", "offer", "--price", "0.02", "--capacity", "1G", "--suri", "//Alice", "--node-url", &alice]);
	assert!(offer.status.success(), "{}", String::from_utf8_lossy(&offer.stderr));
	let file = dir.path().join("file.bin");
	std::fs::write(&file, (0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>()).unwrap();
	let put = |max_price: Option<&str>| {
		let mut args = vec!["client", "put", file.to_str().unwrap(), "--k", "1", "--n", "2", "--duration", "20"];
		args.extend(["--suri", "//Bob", "--node-url", &alice]);
		if let Some(max) = max_price {
			args.extend(["--max-price", max]);
		}
		cairn(&args)
	};
	let deadline = Instant::now() + Duration::from_secs(120);
	loop {
		let probe = String::from_utf8_lossy(&put(Some("0")).stderr).to_string();
		if probe.contains("above --max-price") {
			break;
		}
		let log = std::fs::read_to_string(ferdie_base.join("node.log")).unwrap_or_default();
		let tail: Vec<&str> = log.lines().rev().take(30).collect();
		assert!(Instant::now() < deadline, "Ferdie's endpoint never reached the chain: {probe}\n{}", tail.join("\n"));
		std::thread::sleep(Duration::from_secs(2));
	}
	let stored = put(None);
	assert!(stored.status.success(), "put failed: {}", String::from_utf8_lossy(&stored.stderr));
	let cap = stdout(&stored);
	let status = stdout(&cairn(&["client", "status", &cap, "--node-url", &alice]));
	assert!(status.contains(ferdie_account) && status.contains(" active "), "{status}");

	// The same line again, for a new node: its voucher is gone.
	let again = ended(join(&[&invitation], &dir.path().join("again"), &local_node_flags(free_port()), "joined"));
	assert!(again.contains("not open: it was used"), "{again}");
	drop(ferdie);
}
