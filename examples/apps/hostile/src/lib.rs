//! An app that misbehaves when asked, for the host's tests: every route is an attack the
//! node must stop without harm to itself or to other apps.
//!
//! - `/hello` answers, to show the app works;
//! - `/spin` loops forever;
//! - `/bomb` allocates memory until it is stopped;
//! - `/fetch?HOST` sends a request to `http://HOST/` and says what came of it;
//!   `/fetchs?HOST` the same over https;
//! - `/flood?HOST` starts ten requests to `http://HOST/` at once;
//! - `/headers` fills header maps on the host, as many as it can;
//! - `/random` asks the host for a gibibyte of random bytes;
//! - `/sleep` waits a minute on the host's clock;
//! - `/silent` returns without giving a response.

use std::hint::black_box;

use cairn_app_kit::{path, respond};
use wasip2::http::{
	outgoing_handler,
	types::{Fields, IncomingRequest, OutgoingRequest, ResponseOutparam, Scheme},
};

struct Hostile;

wasip2::http::proxy::export!(Hostile);

fn request(host: &str, scheme: Scheme) -> Result<OutgoingRequest, String> {
	let request = OutgoingRequest::new(Fields::new());
	let _ = request.set_scheme(Some(&scheme));
	request.set_authority(Some(host)).map_err(|()| format!("bad authority {host}"))?;
	let _ = request.set_path_with_query(Some("/"));
	Ok(request)
}

fn fetch(host: &str, scheme: Scheme) -> String {
	let request = match request(host, scheme) {
		Ok(request) => request,
		Err(why) => return why,
	};
	match outgoing_handler::handle(request, None) {
		Err(code) => format!("refused: {code:?}"),
		Ok(future) => {
			future.subscribe().block();
			match future.get() {
				Some(Ok(Ok(response))) => format!("status {}", response.status()),
				Some(Ok(Err(code))) => format!("failed: {code:?}"),
				other => format!("no response: {other:?}"),
			}
		},
	}
}

/// Starts ten requests without waiting for any: how many the host took.
fn flood(host: &str) -> String {
	let mut started = Vec::new();
	let mut refused = 0;
	for _ in 0..10 {
		match request(host, Scheme::Http).map(|r| outgoing_handler::handle(r, None)) {
			Ok(Ok(future)) => started.push(future),
			_ => refused += 1,
		}
	}
	let answer = format!("started {}, refused {refused}", started.len());
	for future in &started {
		future.subscribe().block();
	}
	answer
}

/// Header maps of 16 KiB values, as many as the host keeps: the bytes it took.
fn headers() -> String {
	let value = vec![b'a'; 16 * 1024];
	let mut kept = Vec::new();
	let mut bytes = 0usize;
	for _ in 0..100_000 {
		let fields = Fields::new();
		for _ in 0..64 {
			if fields.append("x-fill", &value).is_err() {
				break;
			}
			bytes += value.len();
		}
		kept.push(fields);
	}
	format!("kept {bytes} bytes in {} header maps", kept.len())
}

impl wasip2::exports::http::incoming_handler::Guest for Hostile {
	fn handle(request: IncomingRequest, out: ResponseOutparam) {
		let (path, query) = path(&request);
		match path.as_str() {
			"/hello" => respond(out, 200, "text/plain", b"hello from an app\n", &[]),
			"/spin" => {
				let mut n: u64 = 0;
				loop {
					n = black_box(n.wrapping_add(1));
				}
			},
			"/bomb" => {
				let mut hoard: Vec<Vec<u8>> = Vec::new();
				loop {
					hoard.push(black_box(vec![7u8; 1 << 20]));
				}
			},
			"/fetch" => {
				respond(out, 200, "text/plain", fetch(&query.unwrap_or_default(), Scheme::Http).as_bytes(), &[])
			},
			"/fetchs" => {
				respond(out, 200, "text/plain", fetch(&query.unwrap_or_default(), Scheme::Https).as_bytes(), &[])
			},
			"/flood" => respond(out, 200, "text/plain", flood(&query.unwrap_or_default()).as_bytes(), &[]),
			"/headers" => respond(out, 200, "text/plain", headers().as_bytes(), &[]),
			"/random" => {
				let bytes = wasip2::random::random::get_random_bytes(1 << 30);
				respond(out, 200, "text/plain", format!("got {} random bytes", bytes.len()).as_bytes(), &[]);
			},
			"/sleep" => {
				wasip2::clocks::monotonic_clock::subscribe_duration(60_000_000_000).block();
				respond(out, 200, "text/plain", b"slept\n", &[]);
			},
			"/silent" => drop(out),
			_ => respond(out, 404, "text/plain", b"no such attack\n", &[]),
		}
	}
}
