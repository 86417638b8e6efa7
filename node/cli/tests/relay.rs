//! The forwarding market on a real `cairn --dev` node: `cairn relay offer|list|contracts|
//! withdraw` and the `cairn_relays` / `cairn_forwarding` RPC methods.

mod common;

use std::{
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use common::{cairn, failure, free_port, rpc, succeeded, Process};

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

#[test]
fn a_relay_offers_is_listed_and_withdraws_on_a_dev_node() {
	let port = free_port();
	let _node = Process(
		Command::new(env!("CARGO_BIN_EXE_cairn"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry", "--no-fragment-service"])
			.args(["--no-gateway", "--rpc-port", &port.to_string(), "--port", &free_port().to_string()])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("start cairn"),
	);
	let url = format!("ws://127.0.0.1:{port}");
	let deadline = Instant::now() + Duration::from_secs(60);
	while rpc(port, "cairn_relays", serde_json::json!([])).is_none() {
		assert!(Instant::now() < deadline, "the node's RPC never answered");
		std::thread::sleep(Duration::from_millis(300));
	}
	assert_eq!(rpc(port, "cairn_relays", serde_json::json!([])).unwrap()["result"], serde_json::json!([]));

	// Bad input: one line each, nothing sent.
	let offer = |per_gib: &str, capacity: &str| {
		cairn(&[
			"relay",
			"offer",
			"--price-per-gib",
			per_gib,
			"--price-per-hour",
			"0.001",
			"--capacity",
			capacity,
			"--suri",
			"//Alice",
			"--node-url",
			&url,
		])
	};
	let bad = failure(&offer("cheap", "4"));
	assert!(bad.contains("`cheap` is not an amount of CRN"), "{bad}");
	// What the chain refuses, it names.
	let refused = failure(&offer("0.01", "0"));
	assert!(refused.contains("Forwarding::BadCapacity"), "{refused}");
	assert_eq!(rpc(port, "cairn_relays", serde_json::json!([])).unwrap()["result"], serde_json::json!([]));

	let offered = succeeded(offer("0.01", "4"));
	assert!(offered.starts_with(&format!("{ALICE} relays up to 4 contracts at 0.01 CRN per GiB")), "{offered}");
	let relays = rpc(port, "cairn_relays", serde_json::json!([])).unwrap()["result"].clone();
	assert_eq!(relays.as_array().map(Vec::len), Some(1), "{relays}");
	assert_eq!(relays[0]["account"], ALICE);
	assert_eq!(relays[0]["pricePerGib"], "10000000000");
	assert_eq!(relays[0]["pricePerHour"], "1000000000");
	assert_eq!((relays[0]["capacity"].clone(), relays[0]["open"].clone()), (4.into(), 0.into()));
	assert_eq!(relays[0]["endpoint"], serde_json::Value::Null, "no fragment service, no endpoint");
	let listed = succeeded(cairn(&["relay", "list", "--node-url", &url]));
	assert!(listed.lines().any(|line| line.starts_with(ALICE) && line.contains("0.01 CRN")), "{listed}");

	let contracts = succeeded(cairn(&["relay", "contracts", ALICE, "--node-url", &url]));
	assert_eq!(contracts.lines().count(), 1, "only the header: {contracts}");
	let bad = failure(&cairn(&["relay", "contracts", "nobody", "--node-url", &url]));
	assert!(bad.contains("`nobody` is not an account"), "{bad}");
	let wrong = rpc(port, "cairn_forwarding", serde_json::json!(["nobody"])).unwrap();
	assert_eq!(wrong["error"]["code"], -32602, "{wrong}");
	assert_eq!(rpc(port, "cairn_forwarding", serde_json::json!([ALICE])).unwrap()["result"], serde_json::json!([]));

	let withdrawn = succeeded(cairn(&["relay", "withdraw", "--suri", "//Alice", "--node-url", &url]));
	assert!(withdrawn.starts_with("offer withdrawn"), "{withdrawn}");
	assert_eq!(rpc(port, "cairn_relays", serde_json::json!([])).unwrap()["result"], serde_json::json!([]));
	let again = failure(&cairn(&["relay", "withdraw", "--suri", "//Alice", "--node-url", &url]));
	assert!(again.contains("NoOffer"), "{again}");
}
