//! The app host with the real example apps (`examples/apps`, built here for
//! `wasm32-wasip2`), real wasmtime and a real RocksDB: each example answers, and each
//! hostile app is stopped without harm to the node or to the other apps.

use std::{
	path::Path,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use cairn_apps::{body_from, collect, Apps, Error, Grants, Limits, Package};

#[path = "support/examples.rs"]
mod examples;
use examples::component;

fn open(dir: &Path, limits: Limits) -> Apps {
	Apps::open(dir, limits).expect("open the app host")
}

/// `method path` with `body` to app `name`: the status and the body as text.
async fn call(apps: &Apps, name: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
	let request = hyper::Request::builder()
		.method(method)
		.uri(format!("http://localhost{path}"))
		.header("host", "localhost")
		.header("content-type", "application/x-www-form-urlencoded")
		.body(body_from(body.to_vec()))
		.unwrap();
	let response = apps.handle(name, request).await;
	let status = response.status().as_u16();
	let body = collect(response.into_body()).await.map(|b| String::from_utf8_lossy(&b).into_owned());
	(status, body.unwrap_or_else(|e| format!("<body failed: {e:?}>")))
}

fn kv() -> Grants {
	Grants { kv: true, ..Grants::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_answer_their_routes() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	apps.install("api", component("json_api"), Grants::default()).await.unwrap();
	apps.install("guestbook", component("guestbook"), kv()).await.unwrap();

	let (status, time) = call(&apps, "api", "GET", "/time", b"").await;
	assert_eq!(status, 200, "{time}");
	let seconds: u64 = time.split("\"seconds\":").nth(1).and_then(|s| s.split(',').next()).unwrap().parse().unwrap();
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
	assert!(seconds.abs_diff(now) < 5, "{time}");
	assert_eq!(
		call(&apps, "api", "POST", "/count", b"one two\nthree").await,
		(200, r#"{"bytes":13,"words":3,"lines":2}"#.into())
	);
	let (status, missing) = call(&apps, "api", "GET", "/nothing", b"").await;
	assert_eq!((status, missing.as_str()), (404, r#"{"error":"no route /nothing: GET /time, POST /count"}"#));

	let (status, _) = call(&apps, "guestbook", "POST", "/", b"name=Ann&message=hello+%3Cb%3Eworld%3C%2Fb%3E").await;
	assert_eq!(status, 303);
	call(&apps, "guestbook", "POST", "/", b"name=Bo&message=second").await;
	assert_eq!(
		call(&apps, "guestbook", "GET", "/entries", b"").await,
		(200, "Bo: second\nAnn: hello <b>world</b>\n".into())
	);
	let (status, page) = call(&apps, "guestbook", "GET", "/", b"").await;
	assert_eq!(status, 200);
	// What visitors wrote is shown, never run.
	assert!(page.contains("<b>Ann</b>: hello &lt;b&gt;world&lt;/b&gt;"), "{page}");
	let (status, refused) = call(&apps, "guestbook", "POST", "/", b"name=&message=").await;
	assert_eq!(status, 400, "{refused}");
	assert!(refused.contains("a name of 1 to 64 bytes"), "{refused}");

	let (status, unknown) = call(&apps, "wiki", "GET", "/", b"").await;
	assert_eq!((status, unknown.trim()), (404, "no app named `wiki` is installed on this node"));
	let listed: Vec<String> = apps.list().into_iter().map(|a| a.name).collect();
	assert_eq!(listed, ["api", "guestbook"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_the_apps_and_their_data_and_removing_one_drops_its_data() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let info = apps.install("guestbook", component("guestbook"), kv()).await.unwrap();
	assert_eq!(info.code_hash, blake3::hash(&component("guestbook")).to_hex().to_string());
	assert_eq!(call(&apps, "guestbook", "POST", "/", b"name=Ann&message=before+the+restart").await.0, 303);
	apps.close().await;
	let apps = open(dir.path(), Limits::default());
	assert_eq!(apps.list().len(), 1);
	assert_eq!(apps.list()[0].grants, kv());
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, "Ann: before the restart\n".into()));
	assert!(apps.data_used("guestbook").unwrap() > 0);

	apps.remove("guestbook").await.unwrap();
	assert!(matches!(apps.remove("guestbook").await, Err(Error::UnknownApp(_))));
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await.0, 404);
	// Installed again, it starts empty.
	apps.install("guestbook", component("guestbook"), kv()).await.unwrap();
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, String::new()));
	apps.close().await;
	assert_eq!(open(dir.path(), Limits::default()).list().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_loop_is_stopped_at_its_deadline_while_other_apps_answer() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { deadline: Duration::from_millis(500), ..Limits::default() };
	let apps = Arc::new(open(dir.path(), limits));
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	apps.install("api", component("json_api"), Grants::default()).await.unwrap();

	let spinning = {
		let apps = apps.clone();
		tokio::spawn(async move {
			let start = Instant::now();
			(call(&apps, "hostile", "GET", "/spin", b"").await, start.elapsed())
		})
	};
	// While it spins (it yields at every tick), another app answers, at once.
	tokio::time::sleep(Duration::from_millis(100)).await;
	let start = Instant::now();
	assert_eq!(call(&apps, "api", "POST", "/count", b"still here").await.0, 200);
	assert!(!spinning.is_finished(), "the other app answered only after the loop was stopped");
	assert!(start.elapsed() < Duration::from_millis(300), "the other app took {:?}", start.elapsed());
	let ((status, answer), took) =
		tokio::time::timeout(Duration::from_secs(30), spinning).await.expect("the loop is stopped").unwrap();
	assert_eq!(status, 503, "{answer}");
	assert!(answer.contains("app `hostile` was stopped: it ran past its deadline"), "{answer}");
	assert!(took < Duration::from_secs(3), "stopped after {took:?}");
	// The same app answers its next request, and its log says what happened.
	assert_eq!(call(&apps, "hostile", "GET", "/hello", b"").await, (200, "hello from an app\n".into()));
	assert!(apps.logs("hostile").unwrap().iter().any(|l| l.contains("deadline")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_memory_bomb_is_stopped_at_its_cap() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { memory: 16 << 20, ..Limits::default() };
	let apps = open(dir.path(), limits);
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	let (status, answer) = call(&apps, "hostile", "GET", "/bomb", b"").await;
	assert_eq!(status, 503, "{answer}");
	assert!(answer.contains("was stopped: it passed its memory cap"), "{answer}");
	assert_eq!(call(&apps, "hostile", "GET", "/hello", b"").await.0, 200);
}

/// A plain HTTP server on 127.0.0.1 that answers 200 and counts its connections.
async fn counting_server() -> (u16, Arc<AtomicUsize>) {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let port = listener.local_addr().unwrap().port();
	let count = Arc::new(AtomicUsize::new(0));
	let counted = count.clone();
	tokio::spawn(async move {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		while let Ok((mut socket, _)) = listener.accept().await {
			counted.fetch_add(1, Ordering::SeqCst);
			tokio::spawn(async move {
				let mut buf = [0u8; 4096];
				let _ = socket.read(&mut buf).await;
				let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
			});
		}
	});
	(port, count)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_reaches_only_the_hosts_it_was_granted() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let (port, connections) = counting_server().await;
	let (other_port, other_connections) = counting_server().await;
	let grants = Grants::parse(&format!("http:127.0.0.1:{port}")).unwrap();
	apps.install("hostile", component("hostile"), grants).await.unwrap();

	let (status, granted) = call(&apps, "hostile", "GET", &format!("/fetch?127.0.0.1:{port}"), b"").await;
	assert_eq!((status, granted.as_str()), (200, "status 200"));
	assert_eq!(connections.load(Ordering::SeqCst), 1);
	// Another port of the same host, and another host: refused before any connection.
	let (_, other) = call(&apps, "hostile", "GET", &format!("/fetch?127.0.0.1:{other_port}"), b"").await;
	assert!(other.starts_with("refused") && other.contains("HttpRequestDenied"), "{other}");
	let (_, named) = call(&apps, "hostile", "GET", "/fetch?example.org", b"").await;
	assert!(named.contains("HttpRequestDenied"), "{named}");
	// https to the granted host: this node sends plain HTTP only.
	let (_, tls) = call(&apps, "hostile", "GET", &format!("/fetchs?127.0.0.1:{port}"), b"").await;
	assert!(tls.contains("HttpRequestDenied"), "{tls}");
	assert_eq!(other_connections.load(Ordering::SeqCst), 0);
	assert_eq!(connections.load(Ordering::SeqCst), 1);
	let log = apps.logs("hostile").unwrap();
	assert!(log.iter().any(|l| l.contains("refused: a request to example.org")), "{log:?}");
	assert!(log.iter().any(|l| l.contains("refused: https to 127.0.0.1")), "{log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_name_does_not_lead_to_the_nodes_own_network_nor_a_bare_host_to_other_ports() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let (port, connections) = counting_server().await;
	// A name granted with the port (it resolves to loopback), and an address granted
	// without one (port 80 only).
	let grants = Grants::parse(&format!("http:localhost:{port},http:127.0.0.1")).unwrap();
	apps.install("hostile", component("hostile"), grants).await.unwrap();
	let (_, named) = call(&apps, "hostile", "GET", &format!("/fetch?localhost:{port}"), b"").await;
	assert_eq!(named, "failed: ErrorCode::DestinationIpProhibited");
	let (_, other_port) = call(&apps, "hostile", "GET", &format!("/fetch?127.0.0.1:{port}"), b"").await;
	assert!(other_port.contains("HttpRequestDenied"), "{other_port}");
	assert_eq!(connections.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_has_a_few_outbound_requests_in_flight_at_most() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits { outbound: 4, ..Limits::default() });
	let (port, connections) = counting_server().await;
	apps.install("hostile", component("hostile"), Grants::parse(&format!("http:127.0.0.1:{port}")).unwrap())
		.await
		.unwrap();
	let (status, flood) = call(&apps, "hostile", "GET", &format!("/flood?127.0.0.1:{port}"), b"").await;
	assert_eq!((status, flood.as_str()), (200, "started 4, refused 6"));
	assert!(connections.load(Ordering::SeqCst) <= 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_not_an_app_is_refused_at_install_and_changes_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits { max_component: 1 << 20, ..Limits::default() });
	apps.install("x", component("json_api"), Grants::default()).await.unwrap();

	// A WASI command: a component, but it runs once and handles no HTTP request.
	let command = apps.install("x", component("not-an-app"), Grants::default()).await.unwrap_err();
	assert!(matches!(command, Error::NotAProxy(_)), "{command}");
	assert!(command.to_string().contains("not a wasi:http/proxy component"), "{command}");
	assert!(command.to_string().contains("wasi:http/incoming-handler"), "{command}");
	// A component that asks only for the clock, and handles nothing.
	let idle = apps.install("x", component("no_handler"), Grants::default()).await.unwrap_err();
	assert!(matches!(idle, Error::NotAProxy(_)), "{idle}");
	assert!(idle.to_string().contains("wasi:http/incoming-handler"), "{idle}");
	// A core module, and bytes that are no WebAssembly.
	let core = apps.install("x", b"\0asm\x01\0\0\0".to_vec(), Grants::default()).await.unwrap_err();
	assert!(matches!(core, Error::NotAComponent(_)), "{core}");
	let junk = apps.install("x", b"<html>not wasm</html>".to_vec(), Grants::default()).await.unwrap_err();
	assert!(matches!(junk, Error::NotAComponent(_)), "{junk}");
	// An app that asks for its store without the grant.
	let ungranted = apps.install("y", component("guestbook"), Grants::default()).await.unwrap_err();
	assert_eq!(ungranted.to_string(), "the app asks for kv, which it was not granted: grant it with --grant kv");
	assert!(matches!(apps.install("x", vec![0; (1 << 20) + 1], Grants::default()).await, Err(Error::TooLarge(..))));
	for bad in ["", "Upper", "-dash", "a/b", "a..", &"a".repeat(33)] {
		assert!(
			matches!(apps.install(bad, component("json_api"), Grants::default()).await, Err(Error::BadName(_))),
			"{bad}"
		);
	}
	// The app installed first still answers, alone.
	assert_eq!(call(&apps, "x", "GET", "/time", b"").await.0, 200);
	assert_eq!(apps.list().len(), 1);
	apps.close().await;
	assert_eq!(open(dir.path(), Limits::default()).list().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_past_its_data_quota_is_refused_and_keeps_what_it_had() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits { kv_quota: 400, ..Limits::default() });
	apps.install("guestbook", component("guestbook"), kv()).await.unwrap();
	let mut full = None;
	for i in 0..20 {
		let (status, page) =
			call(&apps, "guestbook", "POST", "/", format!("name=n{i}&message={}", "m".repeat(40)).as_bytes()).await;
		if status != 303 {
			full = Some((i, status, page));
			break;
		}
	}
	let (signed, status, page) = full.expect("the quota stops the guestbook");
	assert_eq!(status, 507, "{page}");
	assert!(page.contains("the guestbook is full: it may keep 400 bytes on this node"), "{page}");
	assert!(apps.data_used("guestbook").unwrap() <= 400);
	let (status, entries) = call(&apps, "guestbook", "GET", "/entries", b"").await;
	assert_eq!(status, 200);
	assert_eq!(entries.lines().count(), signed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_app_answers_503_at_once_and_an_app_that_never_answers_500() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { per_app: 1, deadline: Duration::from_millis(800), ..Limits::default() };
	let apps = Arc::new(open(dir.path(), limits));
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	let spinning = {
		let apps = apps.clone();
		tokio::spawn(async move { call(&apps, "hostile", "GET", "/spin", b"").await })
	};
	tokio::time::sleep(Duration::from_millis(200)).await;
	let start = Instant::now();
	let (status, busy) = call(&apps, "hostile", "GET", "/hello", b"").await;
	assert_eq!(status, 503, "{busy}");
	assert!(busy.contains("app `hostile` is busy (1 requests at once)"), "{busy}");
	assert!(start.elapsed() < Duration::from_millis(200));
	assert_eq!(spinning.await.unwrap().0, 503);
	assert_eq!(call(&apps, "hostile", "GET", "/hello", b"").await.0, 200);
	// An instance holds its slot until it has returned, a little after its response.
	let silent_call = || call(&apps, "hostile", "GET", "/silent", b"");
	let (mut status, mut silent) = silent_call().await;
	for _ in 0..20 {
		if status != 503 {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
		(status, silent) = silent_call().await;
	}
	assert_eq!((status, silent.trim()), (500, "app `hostile` gave no response"));
}

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap();
	let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
	line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

#[tokio::test(flavor = "multi_thread")]
async fn what_an_app_keeps_in_the_hosts_memory_is_bounded() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	let before = rss_mib();
	// Header maps on the host: each holds 32 KiB at most, an instance 256 handles.
	let (status, headers) = call(&apps, "hostile", "GET", "/headers", b"").await;
	assert_eq!(status, 500, "{headers}");
	// A gibibyte of random bytes in one call: refused.
	let (status, random) = call(&apps, "hostile", "GET", "/random", b"").await;
	assert_eq!(status, 500, "{random}");
	let grown = rss_mib().saturating_sub(before);
	assert!(grown < 100, "the host grew by {grown} MiB");
	let log = apps.logs("hostile").unwrap().join("\n");
	assert!(log.contains("Field size limit 32768 exceeded"), "{log}");
	assert!(log.contains("requested len 1073741824 exceeds limit 65536"), "{log}");
	assert_eq!(call(&apps, "hostile", "GET", "/hello", b"").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_waiting_on_the_host_ends_at_its_deadline_and_grace() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { deadline: Duration::from_millis(300), grace: Duration::from_secs(1), ..Limits::default() };
	let apps = open(dir.path(), limits);
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	let start = Instant::now();
	let (status, answer) = call(&apps, "hostile", "GET", "/sleep", b"").await;
	assert_eq!((status, answer.trim()), (503, "app `hostile` was stopped: it waited past its deadline"));
	assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn all_apps_together_run_at_most_total_instances() {
	let dir = tempfile::tempdir().unwrap();
	let limits = Limits { total: 2, per_app: 4, deadline: Duration::from_millis(800), ..Limits::default() };
	let apps = Arc::new(open(dir.path(), limits));
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	apps.install("api", component("json_api"), Grants::default()).await.unwrap();
	let spins: Vec<_> = (0..2)
		.map(|_| {
			let apps = apps.clone();
			tokio::spawn(async move { call(&apps, "hostile", "GET", "/spin", b"").await })
		})
		.collect();
	tokio::time::sleep(Duration::from_millis(200)).await;
	let (status, full) = call(&apps, "api", "GET", "/time", b"").await;
	assert_eq!((status, full.trim()), (503, "this node runs as many app requests as it may; try again"));
	for spin in spins {
		assert_eq!(spin.await.unwrap().0, 503);
	}
	assert_eq!(call(&apps, "api", "GET", "/time", b"").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_an_app_waits_for_its_running_requests() {
	let dir = tempfile::tempdir().unwrap();
	let apps = Arc::new(open(dir.path(), Limits { deadline: Duration::from_millis(600), ..Limits::default() }));
	apps.install("hostile", component("hostile"), Grants::default()).await.unwrap();
	let spinning = {
		let apps = apps.clone();
		tokio::spawn(async move { call(&apps, "hostile", "GET", "/spin", b"").await })
	};
	tokio::time::sleep(Duration::from_millis(100)).await;
	let start = Instant::now();
	apps.remove("hostile").await.unwrap();
	// It waited for the loop to be stopped at its deadline (600 ms after it began).
	assert!(start.elapsed() >= Duration::from_millis(400), "removed after {:?}", start.elapsed());
	assert_eq!(spinning.await.unwrap().0, 503);
	assert!(apps.list().is_empty());
	assert!(!dir.path().join("apps/hostile").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_stores_files_only_when_granted_and_paid_for() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let ungranted = apps.install("paste", component("paste"), Grants::default()).await.unwrap_err();
	assert_eq!(
		ungranted.to_string(),
		"the app asks for files:write, which it was not granted: grant it with --grant files:write"
	);
	apps.install("api", component("json_api"), Grants::default()).await.unwrap();
	apps.install("paste", component("paste"), Grants { files_write: true, ..Grants::default() }).await.unwrap();
	let unpaid = apps.pay("api", "//Ferdie", 5).unwrap_err();
	assert_eq!(unpaid.to_string(), "bad payer: app `api` stores no files: it was not granted files:write");
	assert!(matches!(apps.pay("nobody", "//Ferdie", 5), Err(Error::UnknownApp(_))));
	assert!(matches!(apps.pay("paste", "//Ferdie//bad key", 5), Ok(_)), "a derived dev key is a key");
	assert!(matches!(apps.pay("paste", "no such words", 5), Err(Error::BadPayer(_))));
	apps.remove("paste").await.unwrap();
	apps.install("paste", component("paste"), Grants { files_write: true, ..Grants::default() }).await.unwrap();
	assert_eq!(apps.payment("paste"), None, "a removed app's payer is forgotten");

	// No payer yet: the app is told so, and tells its client.
	let (status, body) = call(&apps, "paste", "POST", "/", b"words").await;
	assert!(status == 503 && body.contains("`cairn apps pay paste`"), "{body}");
	let payment = apps.pay("paste", "//Ferdie", 5).unwrap();
	assert_eq!((payment.budget, payment.spent), (5, 0));
	// This host was given no client to store with: refused, nothing spent.
	let (status, body) = call(&apps, "paste", "POST", "/", b"words").await;
	assert!(status == 503 && body.contains("stores no files"), "{body}");
	let (status, body) = call(&apps, "paste", "GET", "/status/cairn:v2:nothing", b"").await;
	assert!(status == 404 && body.contains("no such file"), "{body}");

	// The payer is kept across a restart and a reinstall, and goes with the app.
	apps.close().await;
	let apps = open(dir.path(), Limits::default());
	assert_eq!(apps.payment("paste"), Some(payment));
	apps.install("paste", component("paste"), Grants { files_write: true, ..Grants::default() }).await.unwrap();
	assert!(apps.payment("paste").is_some());
	apps.remove("paste").await.unwrap();
	assert_eq!(apps.payment("paste"), None);
	assert!(!dir.path().join("payers/paste.json").exists());
}

#[test]
fn grants_are_parsed_or_refused_in_words() {
	assert_eq!(Grants::parse("").unwrap(), Grants::default());
	let grants = Grants::parse("kv, http:Example.org,http:10.0.0.2:8080,files:read,files:write").unwrap();
	let http = vec!["example.org".into(), "10.0.0.2:8080".into()];
	assert_eq!(grants, Grants { kv: true, http, files_read: true, files_write: true });
	assert_eq!(grants.to_text(), "kv,files:read,files:write,http:example.org,http:10.0.0.2:8080");
	for bad in ["files", "files:delete", "http:", "http:exa mple.org", "kv:yes", "https:example.org"] {
		let refused = Grants::parse(bad).unwrap_err();
		assert!(matches!(refused, Error::BadGrant(_)), "{bad}: {refused}");
	}
}

/// `component` packed as `name` 1.0.0 asking for `asks`, signed by the dev key `//suri`.
fn package(name: &str, component_name: &str, asks: &str, suri: &str) -> Vec<u8> {
	use polkadot_sdk::sp_core::{sr25519, Pair};
	let author = sr25519::Pair::from_string(suri, None).unwrap();
	let asks = Grants::parse(asks).unwrap();
	Package::build(name, "1.0.0", "an example", asks, &component(component_name), &author).unwrap()
}

fn ss58(suri: &str) -> String {
	use polkadot_sdk::sp_core::{crypto::Ss58Codec, sr25519, Pair};
	sr25519::Pair::from_string(suri, None).unwrap().public().to_ss58check()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_package_installs_with_what_it_asked_for_and_nothing_more() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let granted = Grants::parse("kv,http:example.org").unwrap();
	let info = apps
		.install_package(&package("guestbook", "guestbook", "kv", "//Alice"), &granted, None, Default::default())
		.await
		.unwrap();
	assert_eq!(info.grants, kv(), "more was granted than it asked for");
	assert_eq!(info.author.as_deref(), Some(ss58("//Alice").as_str()));
	assert_eq!(info.version.as_deref(), Some("1.0.0"));
	assert_eq!(info.code_hash, blake3::hash(&component("guestbook")).to_hex().to_string());
	assert_eq!(call(&apps, "guestbook", "POST", "/", b"name=Ann&message=signed").await.0, 303);
	// Its record (with the operator's settings) is the node user's alone.
	use std::os::unix::fs::PermissionsExt;
	let record = std::fs::metadata(dir.path().join("apps/guestbook/app.json")).unwrap();
	assert_eq!(record.permissions().mode() & 0o777, 0o600);
	// Its author's next version replaces it and keeps its data; the author may be pinned.
	let again = apps
		.install_package(
			&package("guestbook", "guestbook", "kv", "//Alice"),
			&kv(),
			Some(&ss58("//Alice")),
			Default::default(),
		)
		.await
		.unwrap();
	assert_eq!(again.author, info.author);
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, "Ann: signed\n".into()));
	apps.close().await;
	let apps = open(dir.path(), Limits::default());
	assert_eq!(apps.list()[0].author.as_deref(), Some(ss58("//Alice").as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_packages_and_packages_asking_more_than_granted_are_refused_and_change_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	apps.install_package(&package("guestbook", "guestbook", "kv", "//Alice"), &kv(), None, Default::default())
		.await
		.unwrap();
	call(&apps, "guestbook", "POST", "/", b"name=Ann&message=kept").await;

	let good = package("guestbook", "guestbook", "kv", "//Alice");
	// A changed component: the manifest names another.
	let mut component_changed = good.clone();
	*component_changed.last_mut().unwrap() ^= 1;
	let refused = apps.install_package(&component_changed, &kv(), None, Default::default()).await.unwrap_err();
	assert!(matches!(refused, Error::ManifestMismatch(_)), "{refused}");
	// A changed manifest (another version, a grant added after signing): the signature no
	// longer holds.
	let text = String::from_utf8_lossy(&good).into_owned();
	let mut version_changed = good.clone();
	let at = text.find("1.0.0").unwrap();
	version_changed[at] = b'9';
	let mut asks_more = package("api", "json_api", "", "//Alice");
	let at = String::from_utf8_lossy(&asks_more).find("\"kv\":false").unwrap();
	asks_more[at..at + 10].copy_from_slice(b"\"kv\": true");
	for changed in [&version_changed, &asks_more] {
		let refused = apps.install_package(changed, &kv(), None, Default::default()).await.unwrap_err();
		assert!(matches!(refused, Error::BadSignature(_)), "{refused}");
		assert!(refused.to_string().contains(&ss58("//Alice")), "{refused}");
	}
	// Not a package at all.
	let refused = apps.install_package(&component("guestbook"), &kv(), None, Default::default()).await.unwrap_err();
	assert!(refused.to_string().contains("not a Cairn app package"), "{refused}");
	// More asked than granted: nothing is installed, and the operator is told what to grant.
	let refused = apps
		.install_package(&package("api", "json_api", "http:example.org", "//Alice"), &kv(), None, Default::default())
		.await
		.unwrap_err();
	assert_eq!(
		refused.to_string(),
		"the app asks for http:example.org, which was not granted: install it with --grant http:example.org if you \
		 trust it with that"
	);
	// A component that uses its store though its manifest does not ask for it.
	let refused = apps
		.install_package(&package("sly", "guestbook", "", "//Alice"), &kv(), None, Default::default())
		.await
		.unwrap_err();
	assert!(matches!(refused, Error::ManifestMismatch(_)), "{refused}");
	// A signed package of what is no app.
	let refused = apps
		.install_package(&package("cmd", "not-an-app", "", "//Alice"), &Grants::default(), None, Default::default())
		.await
		.unwrap_err();
	assert!(matches!(refused, Error::NotAProxy(_)), "{refused}");
	// Another author's app of the same name, and a package by someone other than the
	// author asked for.
	let refused = apps
		.install_package(&package("guestbook", "guestbook", "kv", "//Bob"), &kv(), None, Default::default())
		.await
		.unwrap_err();
	assert!(matches!(refused, Error::OtherAuthor { .. }), "{refused}");
	let refused = apps
		.install_package(&package("api", "json_api", "", "//Bob"), &kv(), Some(&ss58("//Alice")), Default::default())
		.await
		.unwrap_err();
	assert!(matches!(refused, Error::NotTheAuthor { .. }), "{refused}");
	assert!(matches!(
		apps.install_package(&good, &kv(), Some("not-an-address"), Default::default()).await,
		Err(Error::BadAuthor(_))
	));

	let listed: Vec<_> = apps.list().into_iter().map(|a| (a.name, a.author)).collect();
	assert_eq!(listed, [("guestbook".to_owned(), Some(ss58("//Alice")))]);
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, "Ann: kept\n".into()));
}

/// A package as a hostile author would sign it: any manifest text at all.
fn raw_package(manifest: &str, component: &[u8]) -> Vec<u8> {
	use polkadot_sdk::sp_core::{sr25519, Pair};
	let author = sr25519::Pair::from_string("//Mallory", None).unwrap();
	let signature = author.sign(&[b"cairn-app-package-v1:", manifest.as_bytes()].concat());
	[
		&b"CAIRNAPP\x01"[..],
		&author.public().0,
		&signature.0,
		&(manifest.len() as u32).to_le_bytes(),
		manifest.as_bytes(),
		component,
	]
	.concat()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_cannot_write_to_the_operators_terminal_nor_ask_for_nonsense() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	let component = component("json_api");
	let manifest = |version: &str, description: &str, asks: &str| {
		let hash = blake3::hash(&component).to_hex().to_string();
		let fields = serde_json::json!({
			"name": "api", "version": version, "description": description, "component": hash, "size": component.len(),
		});
		let mut text = fields.to_string();
		text.insert_str(text.len() - 1, &format!(",\"asks\":{asks}"));
		raw_package(&text, &component)
	};
	let faked = "1.0 by 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\ngranted: nothing\x1b[8m";
	for package in [
		manifest(faked, "", "{}"),
		manifest("1.0\u{2003}by\u{2003}5Grwva", "", "{}"),
		manifest("1.0", "an app \u{202e}reversed", "{}"),
		manifest("1.0", "hidden\x1b[8m", "{}"),
		manifest(&"9".repeat(65), "", "{}"),
		manifest("1.0", "", r#"{"http":["a b"]}"#),
	] {
		let refused = apps.install_package(&package, &Grants::default(), None, Default::default()).await.unwrap_err();
		assert!(matches!(refused, Error::BadPackage(_)), "{refused}");
	}
	assert!(apps
		.install_package(&manifest("1.0", "fine", "{}"), &Grants::default(), None, Default::default())
		.await
		.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_that_did_not_load_is_not_taken_over_by_another_author_with_its_data() {
	let dir = tempfile::tempdir().unwrap();
	let apps = open(dir.path(), Limits::default());
	apps.install_package(&package("guestbook", "guestbook", "kv", "//Alice"), &kv(), None, Default::default())
		.await
		.unwrap();
	call(&apps, "guestbook", "POST", "/", b"name=Ann&message=private").await;
	apps.close().await;
	// Its component is damaged: the app does not load, its data stays.
	std::fs::write(dir.path().join("apps/guestbook/component.wasm"), b"damaged").unwrap();
	let apps = open(dir.path(), Limits::default());
	assert!(apps.list().is_empty());
	let refused = apps
		.install_package(&package("guestbook", "guestbook", "kv", "//Bob"), &kv(), None, Default::default())
		.await
		.unwrap_err();
	assert!(matches!(refused, Error::OtherAuthor { .. }), "{refused}");
	// Its author's package mends it, with its data.
	apps.install_package(&package("guestbook", "guestbook", "kv", "//Alice"), &kv(), None, Default::default())
		.await
		.unwrap();
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, "Ann: private\n".into()));

	// Damaged again: the operator removes it, loaded or not, and its data goes with it.
	apps.close().await;
	std::fs::write(dir.path().join("apps/guestbook/app.json"), b"{ damaged").unwrap();
	let apps = open(dir.path(), Limits::default());
	assert!(apps.list().is_empty());
	for bad in ["../kv", "", "Guestbook"] {
		assert!(matches!(apps.remove(bad).await, Err(Error::UnknownApp(_))), "{bad}");
	}
	apps.remove("guestbook").await.unwrap();
	assert!(!dir.path().join("apps/guestbook").exists());
	assert!(matches!(apps.remove("guestbook").await, Err(Error::UnknownApp(_))));
	apps.install_package(&package("guestbook", "guestbook", "kv", "//Bob"), &kv(), None, Default::default())
		.await
		.unwrap();
	assert_eq!(call(&apps, "guestbook", "GET", "/entries", b"").await, (200, "".into()), "its data went with it");
}
