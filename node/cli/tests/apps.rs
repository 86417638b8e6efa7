//! Apps on a real `cairn --dev` node: packed and signed with `cairn apps pack`, installed
//! with `cairn apps install` over the node's RPC, called over HTTP on the apps' own port,
//! and kept across a restart; a hostile app stopped while the node goes on.

mod common;

#[path = "../../apps/tests/support/examples.rs"]
mod examples;

use std::{
	io::{Read, Write},
	net::TcpStream,
	path::Path,
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use common::{cairn, failure, free_port, rpc, succeeded, Process};

struct Ports {
	rpc: u16,
	p2p: u16,
	gateway: u16,
	apps: u16,
}

fn start(base: &Path, ports: &Ports, extra: &[&str]) -> Process {
	let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
		.args(["--dev", "--no-prometheus", "--no-mdns", "--no-telemetry"])
		.arg("--base-path")
		.arg(base)
		.args(["--rpc-port", &ports.rpc.to_string(), "--port", &ports.p2p.to_string()])
		.args(["--gateway-port", &ports.gateway.to_string(), "--apps-port", &ports.apps.to_string()])
		.args(extra)
		.stdout(Stdio::null())
		.stderr(log_to(base))
		.spawn()
		.expect("start cairn");
	let node = Process(child);
	let deadline = Instant::now() + Duration::from_secs(90);
	while best_block(ports.rpc).is_none() {
		assert!(Instant::now() < deadline, "the node's RPC never answered");
		std::thread::sleep(Duration::from_millis(300));
	}
	node
}

/// Where a node of `base` logs: `$CAIRN_TEST_LOGS/<base's name>.log` when that is set (to
/// see what a node did in a failed run), else nowhere.
fn log_to(base: &Path) -> Stdio {
	let Some(dir) = std::env::var_os("CAIRN_TEST_LOGS") else { return Stdio::null() };
	let name = base.file_name().unwrap_or_default().to_string_lossy();
	let file = std::fs::OpenOptions::new()
		.create(true)
		.append(true)
		.open(Path::new(&dir).join(format!("{name}.log")))
		.expect("the log file");
	Stdio::from(file)
}

/// One HTTP/1.1 exchange with 127.0.0.1:`port`; the status and the whole answer.
fn http(port: u16, method: &str, target: &str, headers: &str, body: &str) -> (u16, String) {
	let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
	stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
	write!(
		stream,
		"{method} {target} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.unwrap();
	let mut answer = String::new();
	stream.read_to_string(&mut answer).expect("an answer");
	let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	(status, answer)
}

/// The best block's number, once the node answers.
fn best_block(port: u16) -> Option<u64> {
	let json = rpc(port, "chain_getHeader", serde_json::json!([]))?;
	u64::from_str_radix(json["result"]["number"].as_str()?.trim_start_matches("0x"), 16).ok()
}

/// `cairn apps pack` of example `component` as `name`, asking for `ask`, signed by Alice.
fn pack(dir: &Path, component: &str, name: &str, ask: &str) -> String {
	let wasm = dir.join(format!("{component}.wasm"));
	std::fs::write(&wasm, examples::component(component)).unwrap();
	let package = dir.join(format!("{name}.cairnapp"));
	succeeded(cairn(&[
		"apps",
		"pack",
		wasm.to_str().unwrap(),
		"--name",
		name,
		"--version",
		"1.2.0",
		"--ask",
		ask,
		"--suri",
		"//Alice",
		"-o",
		package.to_str().unwrap(),
	]));
	package.to_str().unwrap().to_owned()
}

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
/// Alice's network key on the dev chain, so that Bob finds her by her peer id.
const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

#[test]
fn apps_are_installed_by_the_operator_served_on_their_own_port_and_kept_across_a_restart() {
	let base = tempfile::tempdir().unwrap();
	let work = tempfile::tempdir().unwrap();
	let ports = Ports { rpc: free_port(), p2p: free_port(), gateway: free_port(), apps: free_port() };
	let url = format!("ws://127.0.0.1:{}", ports.rpc);
	let base_arg = base.path().to_str().unwrap();
	let guestbook = pack(work.path(), "guestbook", "guestbook", "kv");
	let hostile = pack(work.path(), "hostile", "hostile", "");
	let api = pack(work.path(), "json_api", "api", "");

	let node = start(base.path(), &ports, &["--no-fragment-service"]);
	// What it asks for must be granted, in words that say how.
	let refused = failure(&cairn(&["apps", "install", &guestbook, "--node-url", &url, "--base-path", base_arg]));
	assert!(refused.contains("the app asks for kv") && refused.contains("--grant kv"), "{refused}");
	let installed = succeeded(cairn(&[
		"apps",
		"install",
		&guestbook,
		"--grant",
		"kv",
		"--node-url",
		&url,
		"--base-path",
		base_arg,
	]));
	assert_eq!(installed, format!("installed guestbook 1.2.0 by {ALICE}\ngranted: kv"));
	succeeded(cairn(&["apps", "install", &hostile, "--author", ALICE, "--node-url", &url, "--base-path", base_arg]));
	let listed = succeeded(cairn(&["apps", "list", "--node-url", &url, "--base-path", base_arg]));
	assert!(listed.contains("guestbook\t1.2.0\t") && listed.contains("\tkv\t"), "{listed}");
	assert!(listed.contains("hostile\t1.2.0\t") && listed.contains("\tnothing\t"), "{listed}");
	let missing =
		failure(&cairn(&["apps", "install", "/nonexistent.cairnapp", "--node-url", &url, "--base-path", base_arg]));
	assert!(missing.contains("/nonexistent.cairnapp"), "{missing}");

	// The operator's methods want the token only the node's user can read: a page that
	// reaches the RPC port (an app's own page) cannot use them.
	let token_file = base.path().join("chains/cairn_dev/apps/operator.token");
	use std::os::unix::fs::PermissionsExt;
	assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
	let token = std::fs::read_to_string(&token_file).unwrap();
	let forged = rpc(ports.rpc, "apps_remove", serde_json::json!(["0".repeat(64), "guestbook"])).unwrap();
	assert_eq!(forged["error"]["code"], 7103, "{forged}");
	let remote = failure(&cairn(&["apps", "list", "--node-url", "ws://10.9.9.9:9944", "--base-path", base_arg]));
	assert!(remote.contains("gives the operator's token only to a node on loopback"), "{remote}");
	let nobody = failure(&cairn(&["apps", "list", "--node-url", &url, "--base-path", "/nonexistent"]));
	assert!(nobody.contains("no node's token under /nonexistent") && nobody.contains("--token-file"), "{nobody}");
	// A FIFO would block the reader: refused before it is opened for reading.
	let fifo = work.path().join("fifo");
	assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
	let started = Instant::now();
	let refused = rpc(ports.rpc, "apps_install", serde_json::json!([token, fifo, "", null, null])).unwrap();
	assert_eq!(refused["error"]["code"], 7102, "{refused}");
	assert!(refused["error"]["message"].as_str().unwrap().contains("is not a regular file"), "{refused}");
	assert!(started.elapsed() < Duration::from_secs(10));

	// Called over HTTP on the apps' port; the wallet's origin sends apps there.
	let form = "Content-Type: application/x-www-form-urlencoded\r\n";
	let (status, _) = http(ports.apps, "POST", "/apps/guestbook/", form, "name=Ann&message=on+a+node");
	assert_eq!(status, 303);
	let (status, entries) = http(ports.apps, "GET", "/apps/guestbook/entries", "", "");
	assert_eq!(status, 200, "{entries}");
	assert!(entries.contains("Ann: on a node"), "{entries}");
	succeeded(cairn(&["apps", "install", &api, "--node-url", &url, "--base-path", base_arg]));
	let (status, time) = http(ports.apps, "GET", "/apps/api/time", "", "");
	assert!(status == 200 && time.contains("\"seconds\":"), "{time}");
	let (status, counted) = http(ports.apps, "POST", "/apps/api/count", "", "one two\nthree");
	assert!(status == 200 && counted.contains(r#"{"bytes":13,"words":3,"lines":2}"#), "{counted}");
	let (status, sent) = http(ports.gateway, "GET", "/apps/guestbook/", "", "");
	assert_eq!(status, 307, "{sent}");
	assert!(sent.contains(&format!("location: http://localhost:{}/apps/guestbook/", ports.apps)), "{sent}");

	// An endless loop is stopped at its deadline; the other app and the chain go on.
	let before = best_block(ports.rpc).unwrap();
	let (status, stopped) = http(ports.apps, "GET", "/apps/hostile/spin", "", "");
	assert_eq!(status, 503, "{stopped}");
	assert!(stopped.contains("app `hostile` was stopped: it ran past its deadline"), "{stopped}");
	let logs = succeeded(cairn(&["apps", "logs", "hostile", "--node-url", &url, "--base-path", base_arg]));
	assert!(logs.contains("ran past its deadline"), "{logs}");
	assert_eq!(http(ports.apps, "GET", "/apps/guestbook/entries", "", "").0, 200);
	let deadline = Instant::now() + Duration::from_secs(30);
	while best_block(ports.rpc).unwrap() <= before {
		assert!(Instant::now() < deadline, "no block after the hostile app ran");
		std::thread::sleep(Duration::from_millis(500));
	}
	assert_eq!(
		succeeded(cairn(&["apps", "remove", "hostile", "--node-url", &url, "--base-path", base_arg])),
		"removed hostile and its data"
	);
	let unknown = failure(&cairn(&["apps", "logs", "hostile", "--node-url", &url, "--base-path", base_arg]));
	assert!(unknown.contains("no app named `hostile` is installed"), "{unknown}");
	drop(node);

	// After a restart the guestbook is there with its entries; an RPC address that does not
	// allow unsafe methods refuses the operator's commands.
	let _node = start(base.path(), &ports, &["--no-fragment-service", "--rpc-methods", "safe"]);
	let (status, entries) = http(ports.apps, "GET", "/apps/guestbook/entries", "", "");
	assert_eq!(status, 200, "{entries}");
	assert!(entries.contains("Ann: on a node"), "{entries}");
	assert_eq!(http(ports.apps, "GET", "/apps/hostile/hello", "", "").0, 404);
	let refused = failure(&cairn(&["apps", "list", "--node-url", &url, "--base-path", base_arg]));
	assert!(refused.contains("unsafe") && refused.contains("on the node's machine"), "{refused}");
}

/// Runs `check` every second until it holds, for at most `limit`.
fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
	let deadline = Instant::now() + limit;
	while !check() {
		assert!(Instant::now() < deadline, "gave up waiting for {what}");
		std::thread::sleep(Duration::from_secs(1));
	}
}

#[test]
fn a_static_site_is_served_from_a_cairn_file_read_by_its_capability() {
	let base = tempfile::tempdir().unwrap();
	let work = tempfile::tempdir().unwrap();
	let ports = Ports { rpc: free_port(), p2p: free_port(), gateway: free_port(), apps: free_port() };
	let url = format!("ws://127.0.0.1:{}", ports.rpc);
	let base_arg = base.path().to_str().unwrap();
	let service = ["--fragment-port", "0", "--fragment-listen-ip", "127.0.0.1"];
	let public_url = format!("http://127.0.0.1:{}", ports.apps);
	let listing = ["--node-key", ALICE_NODE_KEY, "--apps-public-url", &public_url];
	let _alice = start(base.path(), &ports, &[&service[..], &listing[..]].concat());
	// Two providers: a file is stored as at least two fragments, each with another.
	let bob_rpc = free_port();
	let bob_url = format!("ws://127.0.0.1:{bob_rpc}");
	let _bob = Process(
		Command::new(env!("CARGO_BIN_EXE_cairn"))
			.args(["--chain", "dev", "--bob", "--tmp", "--node-key", &format!("{:064x}", 2)])
			.args(["--bootnodes", &format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", ports.p2p)])
			.args(["--no-prometheus", "--no-mdns", "--no-telemetry", "--no-gateway"])
			.args(["--rpc-port", &bob_rpc.to_string(), "--port", &free_port().to_string()])
			.args(service)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("start Bob's node"),
	);

	// The site: a tar archive of three files, stored under a contract with the dev node.
	let site = work.path().join("site");
	std::fs::create_dir_all(site.join("notes")).unwrap();
	std::fs::write(site.join("index.html"), "<h1>Our mesh</h1>").unwrap();
	std::fs::write(site.join("style.css"), "h1 { color: teal }").unwrap();
	std::fs::write(site.join("notes/index.html"), "<p>meeting on Friday</p>").unwrap();
	let archive = work.path().join("site.tar");
	let tar = Command::new("tar").arg("-cf").arg(&archive).arg("-C").arg(&site).arg(".").status().unwrap();
	assert!(tar.success());
	for (suri, node) in [("//Alice", &url), ("//Bob", &bob_url)] {
		wait_for(Duration::from_secs(90), "the providers' offers", || {
			let offer =
				["provider", "offer", "--price", "0.01", "--capacity", "1G", "--suri", suri, "--node-url", node];
			cairn(&offer).status.success()
		});
	}
	let put_file = |file: &str, max_price: &[&str]| {
		let args = [&["client", "put", file, "--k", "1", "--n", "2"][..], max_price];
		cairn(&[&args.concat()[..], &["--duration", "30", "--suri", "//Ferdie", "--node-url", &url]].concat())
	};
	let put = |max_price: &[&str]| put_file(archive.to_str().unwrap(), max_price);
	// Once Alice's endpoint is on chain a quote holds (and `--max-price 0` refuses it).
	wait_for(Duration::from_secs(120), "Alice's endpoint", || {
		String::from_utf8_lossy(&put(&["--max-price", "0"]).stderr).contains("above --max-price")
	});
	let capability = succeeded(put(&[]));
	assert!(capability.starts_with("cairn:v2:"), "{capability}");

	let app = pack(work.path(), "static_site", "site", "files:read");
	let refused = failure(&cairn(&["apps", "install", &app, "--node-url", &url, "--base-path", base_arg]));
	assert!(refused.contains("--grant files:read"), "{refused}");
	// The package itself is a Cairn file: installed by its capability, fetched from the
	// providers.
	let package = succeeded(put_file(&app, &[]));
	assert!(package.starts_with("cairn:v2:"), "{package}");
	let install = |setting: &str| {
		let node = ["--node-url", url.as_str(), "--base-path", base_arg];
		cairn(
			&[&["apps", "install", package.as_str(), "--grant", "files:read", "--config", setting][..], &node[..]]
				.concat(),
		)
	};
	succeeded(install(&format!("SITE={capability}")));

	let (status, index) = http(ports.apps, "GET", "/apps/site/", "", "");
	assert_eq!(status, 200, "{index}");
	assert!(index.contains("<h1>Our mesh</h1>") && index.contains("content-type: text/html"), "{index}");
	let (status, css) = http(ports.apps, "GET", "/apps/site/style.css", "", "");
	assert!(status == 200 && css.contains("content-type: text/css") && css.contains("color: teal"), "{css}");
	let (status, notes) = http(ports.apps, "GET", "/apps/site/notes/", "", "");
	assert!(status == 200 && notes.contains("meeting on Friday"), "{notes}");
	let (status, missing) = http(ports.apps, "GET", "/apps/site/secret.txt", "", "");
	assert!(status == 404 && missing.contains("no secret.txt in this site"), "{missing}");

	// A setting that names no file: the app says why, the node goes on.
	succeeded(install("SITE=cairn:v2:nothing"));
	let (status, broken) = http(ports.apps, "GET", "/apps/site/", "", "");
	assert_eq!(status, 503, "{broken}");
	assert!(broken.contains("SITE is not a read capability"), "{broken}");
	let bad = failure(&install("lower=x"));
	assert!(bad.contains("`lower` is not a setting name"), "{bad}");

	// Alice's node lists the site on chain, where wallets find it; removed, it is unlisted.
	let listed = || rpc(ports.rpc, "cairn_apps", serde_json::json!([])).expect("cairn_apps answers")["result"].clone();
	let site_url = format!("{public_url}/apps/site/");
	wait_for(Duration::from_secs(90), "the site's listing on chain", || {
		listed()
			== serde_json::json!([{
				"account": ALICE,
				"origin": public_url,
				"apps": [{ "name": "site", "url": site_url }],
				"expiresAt": listed()[0]["expiresAt"],
			}])
	});
	assert!(listed()[0]["expiresAt"].as_u64().unwrap() > best_block(ports.rpc).unwrap());
	succeeded(cairn(&["apps", "remove", "site", "--node-url", &url, "--base-path", base_arg]));
	wait_for(Duration::from_secs(90), "the listing withdrawn", || listed() == serde_json::json!([]));

	// An app that stores files, paid by the account the operator chose, within its budget.
	let paste = pack(work.path(), "paste", "paste", "files:write");
	let node = ["--node-url", url.as_str(), "--base-path", base_arg];
	let settings = ["--config", "DATA_FRAGMENTS=1", "--config", "TOTAL_FRAGMENTS=2"];
	let refused = failure(&cairn(&[&["apps", "install", &paste][..], &settings, &node].concat()));
	assert!(refused.contains("--grant files:write"), "{refused}");
	succeeded(cairn(&[&["apps", "install", &paste, "--grant", "files:write"][..], &settings, &node].concat()));
	let paste_text = |text: &str| {
		let (status, answer) = http(ports.apps, "POST", "/apps/paste/", "", text);
		let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
		(status, body)
	};
	let (status, unpaid) = paste_text("first words");
	assert!(status == 503 && unpaid.contains("`cairn apps pay paste`"), "{unpaid}");
	let pay = |suri: &str, budget: &str| {
		cairn(&[&["apps", "pay", "paste", "--suri", suri, "--budget", budget][..], &node].concat())
	};
	let bad = failure(&pay("not a key", "1"));
	assert!(bad.contains("not a secret URI"), "{bad}");
	let bad = failure(&pay("//Ferdie", "lots"));
	assert!(bad.contains("`lots` is not an amount of CRN"), "{bad}");
	let ferdie = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";
	let paid = succeeded(pay("//Ferdie", "0.000000000001"));
	assert_eq!(paid, format!("paste's files are paid by {ferdie}, up to 0.000000000001 CRN (0 CRN spent)"));
	let (status, over) = paste_text("first words");
	assert!(status == 402 && over.contains("over the budget: storing it costs"), "{over}");
	succeeded(pay("//Ferdie", "5"));
	let (status, body) = paste_text("first words");
	assert_eq!(status, 201, "{body}");
	let capability =
		body.split_whitespace().find(|word| word.starts_with("cairn:v2:")).expect("a capability").to_owned();
	wait_for(Duration::from_secs(120), "the paste stored", || {
		let (status, state) = http(ports.apps, "GET", &format!("/apps/paste/status/{capability}"), "", "");
		assert!(status == 200 && !state.contains("failed"), "{state}");
		state.contains("\r\n\r\nstored") || state.contains("\nstored\n")
	});
	// Anyone reads it with its capability; what it cost counts against the budget.
	let out = work.path().join("paste.txt");
	succeeded(cairn(&["client", "get", &capability, "--output", out.to_str().unwrap(), "--node-url", &url]));
	assert_eq!(std::fs::read_to_string(&out).unwrap(), "first words");
	let spent = succeeded(pay("//Ferdie", "5"));
	assert!(spent.starts_with("paste's files are paid by") && !spent.contains("(0 CRN spent)"), "{spent}");
	let (status, missing) = http(ports.apps, "GET", "/apps/paste/status/cairn:v2:nothing", "", "");
	assert!(status == 404 && missing.contains("no such file"), "{missing}");
}
