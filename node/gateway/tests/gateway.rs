//! The gateway on a real socket of 127.0.0.1, spoken to in plain HTTP/1.1 as a browser or
//! an attacker's page would.

use std::{net::SocketAddr, path::Path, time::Duration};

use cairn_gateway::{Config, FilesConfig, FilesSetting, Gateway};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
};

/// A built wallet: an index page and one asset.
fn wallet(dir: &Path) {
	std::fs::create_dir_all(dir.join("assets")).unwrap();
	std::fs::write(dir.join("index.html"), "<!doctype html><title>Cairn wallet</title>").unwrap();
	std::fs::write(dir.join("assets/index.js"), "console.log('cairn')").unwrap();
}

async fn start(config: Config) -> SocketAddr {
	let gateway = Gateway::bind(config).await.expect("bind");
	let addr = gateway.local_addr();
	tokio::spawn(gateway.serve());
	addr
}

/// Sends `request` (head lines without the final blank line) and reads the whole answer.
async fn send(addr: SocketAddr, request: &str) -> String {
	let mut stream = TcpStream::connect(addr).await.expect("connect");
	// A connection the gateway closed at once reads as an empty answer.
	if stream.write_all(format!("{request}\r\nConnection: close\r\n\r\n").as_bytes()).await.is_err() {
		return String::new();
	}
	let mut answer = Vec::new();
	let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
		.await
		.expect("an answer within 10 s");
	String::from_utf8_lossy(&answer).into_owned()
}

fn status(answer: &str) -> u16 {
	answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {answer:?}"))
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
	answer
		.split("\r\n\r\n")
		.next()?
		.lines()
		.find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

#[tokio::test]
async fn serves_the_wallet_and_the_rpc_port_with_security_headers() {
	let dir = tempfile::tempdir().unwrap();
	wallet(dir.path());
	let addr = start(Config { rpc_port: Some(9944), ..Config::loopback(0, Some(dir.path().into())) }).await;

	let index = send(addr, &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}", addr.port())).await;
	assert_eq!(status(&index), 200, "{index}");
	assert!(index.contains("<title>Cairn wallet</title>"));
	assert!(header(&index, "content-type").is_some_and(|t| t.starts_with("text/html")));
	let csp = header(&index, "content-security-policy").expect("a content security policy");
	assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"));
	assert_eq!(header(&index, "x-frame-options"), Some("DENY"));
	assert_eq!(header(&index, "x-content-type-options"), Some("nosniff"));

	let script = send(addr, "GET /assets/index.js HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&script), 200);
	assert!(header(&script, "content-type").is_some_and(|t| t.contains("javascript")));

	let config = send(addr, "GET /config.json HTTP/1.1\r\nHost: [::1]").await;
	assert_eq!(status(&config), 200);
	assert_eq!(json_body(&config), serde_json::json!({ "rpcPort": 9944, "appsPort": null }));

	let missing = send(addr, "GET /nothing-here.js HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&missing), 404);
}

#[tokio::test]
async fn another_host_is_refused_so_dns_rebinding_gets_nothing() {
	let dir = tempfile::tempdir().unwrap();
	wallet(dir.path());
	let addr = start(Config { hosts: vec!["cairn.mesh".into()], ..Config::loopback(0, Some(dir.path().into())) }).await;

	// An attacker's name resolving to 127.0.0.1: the browser sends that name as Host.
	let rebound = send(addr, &format!("GET /config.json HTTP/1.1\r\nHost: attacker.example:{}", addr.port())).await;
	assert_eq!(status(&rebound), 403, "{rebound}");
	assert!(rebound.contains("does not answer to the host \"attacker.example\"") && rebound.contains("--gateway-host"));
	assert!(!rebound.contains("rpcPort"));

	let no_host = send(addr, "GET / HTTP/1.1").await;
	assert_eq!(status(&no_host), 400);

	// A name the operator gave is answered.
	let named = send(addr, "GET / HTTP/1.1\r\nHost: CAIRN.mesh:8080").await;
	assert_eq!(status(&named), 200);
}

#[tokio::test]
async fn a_state_changing_request_from_another_origin_is_refused() {
	let addr = start(Config::loopback(0, None)).await;
	let host = format!("127.0.0.1:{}", addr.port());

	let cross = send(
		addr,
		&format!("POST /files HTTP/1.1\r\nHost: {host}\r\nOrigin: http://attacker.example\r\nContent-Length: 0"),
	)
	.await;
	assert_eq!(status(&cross), 403, "{cross}");
	assert!(cross.contains("must come from this gateway's own page"));
	let no_origin = send(addr, &format!("DELETE /files HTTP/1.1\r\nHost: {host}")).await;
	assert_eq!(status(&no_origin), 403);
	// From its own page it passes the check: this gateway has `/files` off, and says so.
	let same =
		send(addr, &format!("POST /files HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Length: 0"))
			.await;
	assert_eq!(status(&same), 403, "{same}");
	assert!(same.contains("does not store or read files"));
	let elsewhere = send(
		addr,
		&format!("POST /config.json HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Length: 0"),
	)
	.await;
	assert_eq!(status(&elsewhere), 405);
}

/// A gateway with `/files` on, staging in `staging`, whose node's RPC is nowhere.
async fn files_gateway(staging: &Path, max_uploads: usize) -> (SocketAddr, String) {
	let files = FilesConfig {
		max_file: 1 << 20,
		max_uploads,
		idle: Duration::from_secs(1),
		..FilesConfig::new("ws://127.0.0.1:1".into(), staging.into())
	};
	let addr = start(Config { files: FilesSetting::On(files), ..Config::loopback(0, None) }).await;
	(addr, format!("127.0.0.1:{}", addr.port()))
}

#[tokio::test]
async fn serving_other_machines_stores_files_only_when_the_operator_opted_in() {
	let staging = tempfile::tempdir().unwrap();
	let files = |port: u16| FilesConfig::new(format!("ws://127.0.0.1:{port}"), staging.path().join("staging"));
	let every_address: std::net::IpAddr = [0, 0, 0, 0].into();
	let gateway = |listen, opted_in, rpc_port| {
		let setting = FilesSetting::for_listen(listen, opted_in, rpc_port, files);
		start(Config { files: setting, listen: (listen, 0).into(), ..Config::loopback(0, None) })
	};
	// What the page's upload gets: the gateway's reason, or (with /files on) a request
	// that lacks its paying account.
	let upload = |addr: SocketAddr| async move {
		let host = format!("127.0.0.1:{}", addr.port());
		post(addr, &host, "/files/uploads", b"file").await
	};

	let open = upload(gateway(every_address, false, Some(9944)).await).await;
	assert_eq!(status(&open), 403, "{open}");
	assert!(open.contains("serves other machines") && open.contains("--gateway-files"), "{open}");

	let opted_in = upload(gateway(every_address, true, Some(9944)).await).await;
	assert_eq!(status(&opted_in), 400, "{opted_in}");
	assert!(opted_in.contains("give the paying account"), "{opted_in}");

	let loopback = upload(gateway([127, 0, 0, 1].into(), false, Some(9944)).await).await;
	assert_eq!(status(&loopback), 400, "{loopback}");

	let no_rpc = upload(gateway([127, 0, 0, 1].into(), true, None).await).await;
	assert_eq!(status(&no_rpc), 403, "{no_rpc}");
	assert!(no_rpc.contains("serves no RPC"), "{no_rpc}");
}

/// A POST from the gateway's own page.
async fn post(addr: SocketAddr, host: &str, target: &str, body: &[u8]) -> String {
	let mut stream = TcpStream::connect(addr).await.expect("connect");
	let head = format!(
		"POST {target} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).await.unwrap();
	let _ = stream.write_all(body).await;
	let mut answer = Vec::new();
	// A refusal may close the connection before the whole body is read: keep what came.
	let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await.expect("an answer");
	String::from_utf8_lossy(&answer).into_owned()
}

fn json_body(answer: &str) -> serde_json::Value {
	serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default())
		.unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

#[tokio::test]
async fn files_are_encoded_for_the_page_with_the_capability_before_any_payment() {
	let staging = tempfile::tempdir().unwrap();
	let (addr, host) = files_gateway(staging.path(), 1).await;
	let file: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();

	let answer = post(addr, &host, &format!("/files/uploads?client={ALICE}&k=2&n=3"), &file).await;
	assert_eq!(status(&answer), 200, "{answer}");
	let encoded = json_body(&answer);
	assert_eq!(encoded["plainSize"], 200_000);
	assert_eq!(encoded["roots"].as_array().map(Vec::len), Some(3));
	let cap: cairn_erasure::ReadCapability = encoded["capability"].as_str().unwrap().parse().unwrap();
	assert_eq!(hex::encode(cap.client.unwrap()), "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
	assert_eq!(format!("0x{}", hex::encode(cap.manifest_id)), encoded["manifest"].as_str().unwrap());
	let id = encoded["upload"].as_str().unwrap();

	let progress = send(addr, &format!("GET /files/uploads/{id} HTTP/1.1\r\nHost: {host}")).await;
	assert_eq!(json_body(&progress)["state"], "encoded");
	// The uploads the gateway may hold are all taken: the next one waits, in words.
	let full = post(addr, &host, &format!("/files/uploads?client={ALICE}"), b"more").await;
	assert_eq!(status(&full), 503, "{full}");
	assert!(json_body(&full)["error"].as_str().unwrap().contains("as many uploads as it may"));
	// Signing needs the chain: without a node, the gateway says which.
	let auths = send(addr, &format!("GET /files/uploads/{id}/authorisations HTTP/1.1\r\nHost: {host}")).await;
	assert_eq!(status(&auths), 502, "{auths}");
	assert!(json_body(&auths)["error"].as_str().unwrap().contains("cannot reach the node"));
	// Dropped by the page: its staging files go with it.
	assert!(std::fs::read_dir(staging.path()).unwrap().count() > 0);
	let removed =
		send(addr, &format!("DELETE /files/uploads/{id} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}")).await;
	assert_eq!(status(&removed), 200, "{removed}");
	// Removed off the async threads: shortly after.
	for _ in 0..50 {
		if std::fs::read_dir(staging.path()).unwrap().count() == 0 {
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0);
	// The slot is free again once the staging files are gone (the budget is given back just
	// after the last file is removed, on the same blocking thread).
	let mut again = String::new();
	for _ in 0..50 {
		again = post(addr, &host, &format!("/files/uploads?client={ALICE}&k=1&n=2"), b"again").await;
		if status(&again) != 503 {
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert_eq!(status(&again), 200, "{again}");
	let gone = send(addr, &format!("GET /files/uploads/{id} HTTP/1.1\r\nHost: {host}")).await;
	assert_eq!(status(&gone), 404);
}

#[tokio::test]
async fn bad_uploads_and_downloads_are_refused_in_words_and_stage_nothing() {
	let staging = tempfile::tempdir().unwrap();
	let (addr, host) = files_gateway(staging.path(), 4).await;
	let cases: [(String, &[u8], u16, &str); 7] = [
		("/files/uploads?k=1&n=2".into(), b"data", 400, "give the paying account"),
		("/files/uploads?client=bob".into(), b"data", 400, "not an SS58 account"),
		(format!("/files/uploads?client={ALICE}&k=x"), b"data", 400, "not a whole number"),
		(format!("/files/uploads?client={ALICE}&k=3&n=2"), b"data", 400, ""),
		(format!("/files/uploads?client={ALICE}"), b"", 400, "the file is empty"),
		(format!("/files/uploads?client={ALICE}&k=2&n=65"), b"data", 400, "at most 64 contracts"),
		(format!("/files/uploads?client={ALICE}"), &[0u8; (1 << 20) + 1], 413, "at most 1048576"),
	];
	for (target, body, code, words) in cases {
		let answer = post(addr, &host, &target, body).await;
		assert_eq!(status(&answer), code, "{target}: {answer}");
		assert!(json_body(&answer)["error"].as_str().unwrap().contains(words), "{target}: {answer}");
	}
	// A body sent without its length.
	let chunked = send(
		addr,
		&format!(
			"POST /files/uploads?client={ALICE} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n"
		),
	)
	.await;
	assert_eq!(status(&chunked), 411, "{chunked}");
	for (target, words) in [
		("/files/download", "give the file's read capability"),
		("/files/download?cap=cairn:v2:2222", "wrong length"),
		("/files/download?cap=cairn:v9:2222", "unknown version"),
	] {
		let answer = send(addr, &format!("GET {target} HTTP/1.1\r\nHost: {host}")).await;
		assert_eq!(status(&answer), 400, "{answer}");
		assert!(json_body(&answer)["error"].as_str().unwrap().contains(words), "{target}: {answer}");
	}
	// Another site's page cannot make the node fetch a file for it (an `<img>` of a link).
	let foreign = send(
		addr,
		&format!("GET /files/download?cap=cairn:v2:2222 HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site"),
	)
	.await;
	assert_eq!(status(&foreign), 403, "{foreign}");
	// A body that stops coming loses its upload, and its slot.
	let mut slow = TcpStream::connect(addr).await.unwrap();
	let head = format!(
		"POST /files/uploads?client={ALICE} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Length: 100\r\n\r\nfour"
	);
	slow.write_all(head.as_bytes()).await.unwrap();
	let mut answer = vec![0u8; 4096];
	let n =
		tokio::time::timeout(Duration::from_secs(10), slow.read(&mut answer)).await.expect("refused in time").unwrap();
	let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
	assert_eq!(status(&answer), 408, "{answer}");
	let unknown = send(addr, &format!("GET /files/uploads/0011 HTTP/1.1\r\nHost: {host}")).await;
	assert_eq!(status(&unknown), 404);
	assert_eq!(std::fs::read_dir(staging.path()).unwrap().count(), 0, "nothing left in staging");
}

#[tokio::test]
async fn paths_out_of_the_wallet_directory_are_not_served() {
	let root = tempfile::tempdir().unwrap();
	let dir = root.path().join("dist");
	wallet(&dir);
	std::fs::write(root.path().join("secret.txt"), "node key").unwrap();
	let addr = start(Config::loopback(0, Some(dir))).await;
	for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt", "/..%2fsecret.txt"] {
		let answer = send(addr, &format!("GET {path} HTTP/1.1\r\nHost: localhost")).await;
		assert!(!answer.contains("node key"), "{path} escaped the wallet's directory: {answer}");
		assert_ne!(status(&answer), 200, "{path}");
	}
}

#[tokio::test]
async fn without_a_built_wallet_the_page_says_how_to_build_it() {
	let empty = tempfile::tempdir().unwrap();
	let addr = start(Config::loopback(0, Some(empty.path().into()))).await;
	let answer = send(addr, "GET / HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&answer), 503);
	assert!(answer.contains("The wallet is not built") && answer.contains("make ui"));
}

#[tokio::test]
async fn connections_are_bounded_and_silent_ones_closed() {
	let dir = tempfile::tempdir().unwrap();
	wallet(dir.path());
	let config = Config {
		max_connections: 2,
		header_timeout: Duration::from_secs(1),
		..Config::loopback(0, Some(dir.path().into()))
	};
	let addr = start(config).await;

	// Two connections that say nothing hold both slots: a third is closed at once.
	let mut idle = [TcpStream::connect(addr).await.unwrap(), TcpStream::connect(addr).await.unwrap()];
	tokio::time::sleep(Duration::from_millis(200)).await;
	let mut third = TcpStream::connect(addr).await.unwrap();
	let mut buf = [0u8; 64];
	let read = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf)).await.expect("closed, not left open");
	assert!(matches!(read, Ok(0) | Err(_)), "the third connection was served: {read:?}");

	// The silent ones are closed after the header timeout, and the slots serve again.
	for stream in &mut idle {
		let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
			.await
			.expect("a silent connection is closed after the header timeout");
		assert!(!buf.starts_with(b"HTTP/1.1 200"), "a silent connection was served: {read:?}");
	}
	let mut served = false;
	for _ in 0..50 {
		let answer = send(addr, "GET / HTTP/1.1\r\nHost: localhost").await;
		if answer.starts_with("HTTP/1.1 200") {
			served = true;
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert!(served, "the gateway serves again once the silent connections are gone");
}

#[tokio::test]
async fn a_taken_port_is_one_line_that_says_what_to_do() {
	let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let port = taken.local_addr().unwrap().port();
	let error = Gateway::bind(Config::loopback(port, None)).await.err().expect("the port is taken");
	assert!(error.contains("already in use") && error.contains("--gateway-port") && error.contains("--no-gateway"));
	assert!(!error.contains('\n'));
}

#[path = "../../apps/tests/support/examples.rs"]
mod examples;

/// An app host in `dir` with the guestbook, signed by `//Alice`, installed.
async fn guestbook_host(dir: &Path) -> std::sync::Arc<cairn_apps::Apps> {
	use cairn_apps::{Apps, Grants, Limits, Package};
	use polkadot_sdk::sp_core::{sr25519, Pair};
	let apps = Apps::open(dir, Limits::default()).unwrap();
	let author = sr25519::Pair::from_string("//Alice", None).unwrap();
	let kv = Grants::parse("kv").unwrap();
	let package = Package::build("guestbook", "1.0.0", "", kv.clone(), &examples::component("guestbook"), &author);
	apps.install_package(&package.unwrap(), &kv, None, Default::default()).await.unwrap();
	std::sync::Arc::new(apps)
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_answer_on_their_own_origin_and_the_wallets_sends_them_there() {
	use cairn_gateway::{AppsConfig, AppsGateway};
	let dir = tempfile::tempdir().unwrap();
	let hosted = guestbook_host(dir.path()).await;
	let host = AppsGateway::bind(AppsConfig::loopback(0, hosted.clone())).await.unwrap();
	let apps = host.local_addr();
	tokio::spawn(host.serve());

	let listed = send(apps, "GET /apps/ HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&listed), 200, "{listed}");
	let listed = json_body(&listed);
	assert_eq!(listed["apps"][0]["name"], "guestbook");
	assert_eq!(listed["apps"][0]["path"], "/apps/guestbook/");
	assert_eq!(listed["apps"][0]["version"], "1.0.0");

	let bare = send(apps, "GET /apps/guestbook?x=1 HTTP/1.1\r\nHost: localhost").await;
	assert_eq!((status(&bare), header(&bare, "location")), (308, Some("/apps/guestbook/?x=1")), "{bare}");
	let signed = post(apps, "localhost", "/apps/guestbook/", b"name=Ann&message=through+the+gateway").await;
	assert_eq!((status(&signed), header(&signed, "location")), (303, Some("./")), "{signed}");
	let entries = send(apps, "GET /apps/guestbook/entries HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&entries), 200, "{entries}");
	assert!(entries.contains("Ann: through the gateway\n"), "{entries}");
	let page = send(apps, &format!("GET /apps/guestbook/ HTTP/1.1\r\nHost: {apps}")).await;
	assert!(page.contains("<b>Ann</b>: through the gateway"), "{page}");

	// A service worker of one app would answer for all of them.
	let worker = send(apps, "GET /apps/guestbook/ HTTP/1.1\r\nHost: localhost\r\nService-Worker: script").await;
	assert_eq!(status(&worker), 403, "{worker}");
	let missing = send(apps, "GET /apps/wiki/ HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&missing), 404, "{missing}");
	assert!(missing.contains("no app named `wiki`"), "{missing}");
	let rebound = send(apps, "GET /apps/guestbook/ HTTP/1.1\r\nHost: evil.example").await;
	assert_eq!(status(&rebound), 403, "{rebound}");
	assert!(rebound.contains("--apps-host evil.example"), "{rebound}");

	// The wallet's origin never answers for an app.
	let dir = tempfile::tempdir().unwrap();
	wallet(dir.path());
	let with_apps = start(Config {
		apps_port: Some(apps.port()),
		apps: Some(hosted),
		..Config::loopback(0, Some(dir.path().into()))
	})
	.await;
	// The wallet lists them for its Apps screen, with their port.
	let listed = json_body(&send(with_apps, "GET /apps.json HTTP/1.1\r\nHost: localhost").await);
	assert_eq!(listed["port"], apps.port());
	assert_eq!(listed["apps"][0]["name"], "guestbook");
	let sent = send(with_apps, "GET /apps/guestbook/entries?all HTTP/1.1\r\nHost: localhost").await;
	let expected = format!("http://localhost:{}/apps/guestbook/entries?all", apps.port());
	assert_eq!((status(&sent), header(&sent, "location")), (307, Some(expected.as_str())), "{sent}");
	let config = send(with_apps, "GET /config.json HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(json_body(&config)["appsPort"], apps.port());
	let without = start(Config::loopback(0, Some(dir.path().into()))).await;
	let listed = json_body(&send(without, "GET /apps.json HTTP/1.1\r\nHost: localhost").await);
	assert_eq!(listed, serde_json::json!({ "port": null, "apps": [] }));
	let none = send(without, "GET /apps/guestbook/ HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&none), 404, "{none}");
	assert!(none.contains("--no-apps"), "{none}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_bodies_hold_no_app_slots_and_other_sites_pages_cannot_post_to_apps() {
	use cairn_gateway::{AppsConfig, AppsGateway};
	let dir = tempfile::tempdir().unwrap();
	let host = AppsGateway::bind(AppsConfig::loopback(0, guestbook_host(dir.path()).await)).await.unwrap();
	let apps = host.local_addr();
	tokio::spawn(host.serve());

	// Four posts whose bodies never come (the guestbook's four slots, were they taken).
	let mut stalled = Vec::new();
	for _ in 0..4 {
		let mut stream = TcpStream::connect(apps).await.unwrap();
		let head = "POST /apps/guestbook/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4000\r\n\r\nname=";
		stream.write_all(head.as_bytes()).await.unwrap();
		stalled.push(stream);
	}
	tokio::time::sleep(Duration::from_millis(300)).await;
	let entries = send(apps, "GET /apps/guestbook/entries HTTP/1.1\r\nHost: localhost").await;
	assert_eq!(status(&entries), 200, "{entries}");
	// A fifth body from the same address waits for none of them: it is refused at once.
	let fifth = post(apps, "localhost", "/apps/guestbook/", b"name=Eve&message=more").await;
	assert_eq!(status(&fifth), 503, "{fifth}");
	drop(stalled);

	let huge = post(apps, "localhost", "/apps/guestbook/", &vec![b'a'; (1 << 20) + 1]).await;
	assert_eq!(status(&huge), 413, "{huge}");

	// Another site's page posting through a visitor's browser.
	let mut stream = TcpStream::connect(apps).await.unwrap();
	let body = "name=Mallory&message=spam";
	let forged = format!(
		"POST /apps/guestbook/ HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\nContent-Length: {}\r\n\
		 Connection: close\r\n\r\n{body}",
		body.len()
	);
	stream.write_all(forged.as_bytes()).await.unwrap();
	let mut answer = Vec::new();
	stream.read_to_end(&mut answer).await.unwrap();
	let answer = String::from_utf8_lossy(&answer);
	assert_eq!(status(&answer), 403, "{answer}");
	// Its own page, and a request from no page at all, are taken.
	let own = post(apps, "localhost", "/apps/guestbook/", b"name=Ann&message=mine").await;
	assert_eq!(status(&own), 303, "{own}");
	let entries = send(apps, "GET /apps/guestbook/entries HTTP/1.1\r\nHost: localhost").await;
	assert!(entries.contains("Ann: mine") && !entries.contains("Mallory"), "{entries}");
}
