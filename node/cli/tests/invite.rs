//! Invitations against a real `cairn --dev` node: Alice invites, a newcomer with no
//! balance redeems, and every misuse of the text is one clear line.

mod common;

use common::{cairn, failure, free_port, stdout, succeeded, Process};
use std::{
	process::{Command, Stdio},
	time::{Duration, Instant},
};

#[test]
fn a_newcomer_with_nothing_redeems_an_invitation_once() {
	let port = free_port();
	let _node = Process(
		Command::new(env!("CARGO_BIN_EXE_cairn"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-mdns", "--no-telemetry", "--no-fragment-service"])
			.args(["--rpc-port", &port.to_string(), "--port", &free_port().to_string(), "--no-gateway"])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("start cairn"),
	);
	let url = format!("ws://127.0.0.1:{port}");
	let deadline = Instant::now() + Duration::from_secs(60);
	let create = |grant: &str, expires_in: &str, suri: &str| {
		cairn(&["invite", "create", "--grant", grant, "--expires-in", expires_in, "--suri", suri, "--node-url", &url])
	};
	let invitation = loop {
		let output = create("10CRN", "100", "//Alice");
		if output.status.success() {
			break stdout(&output);
		}
		assert!(Instant::now() < deadline, "no invitation: {}", String::from_utf8_lossy(&output.stderr));
		std::thread::sleep(Duration::from_secs(1));
	};
	assert!(invitation.starts_with("cairn-invite:v2:"), "{invitation}");
	let parsed: cairn_client::invite::Invitation = invitation.parse().unwrap();
	assert!(parsed.bootnodes.iter().all(|b| b.contains("/p2p/")), "{:?}", parsed.bootnodes);

	let key: serde_json::Value =
		serde_json::from_str(&succeeded(cairn(&["key", "generate", "--output-type", "json"]))).unwrap();
	let newcomer = key["ss58Address"].as_str().unwrap();
	let phrase = key["secretPhrase"].as_str().unwrap();
	let redeem = |text: &str| cairn(&["invite", "redeem", text, "--to", newcomer, "--node-url", &url]);

	// Before: the newcomer cannot pay for anything.
	let broke = failure(&create("1", "100", phrase));
	assert!(broke.contains("Inability to pay") || broke.contains("balance"), "{broke}");

	let received = succeeded(redeem(&invitation));
	assert!(received.contains(&format!("{newcomer} received 10 CRN")), "{received}");
	// Once only.
	let again = failure(&redeem(&invitation));
	assert!(again.contains("not open: it was used"), "{again}");
	// The newcomer can now pay fees: it invites someone in turn, then changes its mind.
	let theirs = succeeded(create("1", "100", phrase));
	let revoked = succeeded(cairn(&["invite", "revoke", &theirs, "--suri", phrase, "--node-url", &url]));
	assert!(revoked.contains("1 CRN is free again"), "{revoked}");
	assert!(failure(&redeem(&theirs)).contains("not open"));

	// Cut, forged and other-chain texts.
	let cut = failure(&redeem(&invitation[..invitation.len() - 4]));
	assert!(cut.contains("checksum") || cut.contains("short"), "{cut}");
	let other_chain = cairn_client::invite::Invitation { genesis: [1; 32], ..parsed.clone() }.to_string();
	assert!(failure(&redeem(&other_chain)).contains("another chain"));
	let forged = cairn_client::invite::Invitation { seed: [3; 32], ..parsed.clone() }.to_string();
	assert!(failure(&redeem(&forged)).contains("not open"));
	assert!(failure(&redeem("cairn:v2:xyz")).contains("starts with `cairn-invite:v2:`"));
	let bad_account = failure(&cairn(&["invite", "redeem", &invitation, "--to", "bob", "--node-url", &url]));
	assert!(bad_account.contains("SS58"), "{bad_account}");

	// An invitation that lives one block has expired by the time it is redeemed.
	let short = succeeded(create("1", "1", "//Alice"));
	std::thread::sleep(Duration::from_secs(13));
	let expired = failure(&redeem(&short));
	assert!(expired.contains("expired"), "{expired}");
	// Its inviter takes the grant back, given the text on stdin.
	let mut revoke = Command::new(env!("CARGO_BIN_EXE_cairn"))
		.args(["invite", "revoke", "-", "--suri", "//Alice", "--node-url", &url])
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	std::io::Write::write_all(&mut revoke.stdin.take().unwrap(), format!("{short}\n").as_bytes()).unwrap();
	let revoked = succeeded(revoke.wait_with_output().unwrap());
	assert!(revoked.contains("1 CRN is free again"), "{revoked}");
	// Nonsense lifetimes and grants are refused before anything is signed.
	assert!(failure(&create("1", "7w", "//Alice")).contains("not a duration"));
	assert!(failure(&create("ten", "1d", "//Alice")).contains("not an amount"));
	assert!(failure(&create("0.0001", "1d", "//Alice")).contains("Invites::GrantTooSmall"));
}
