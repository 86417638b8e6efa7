//! A small JSON API that needs no grant: what time the node has, and word counts of the
//! text it is sent.
//!
//! - `GET /time` `{"seconds": ..., "nanoseconds": ...}` of the node's clock;
//! - `POST /count` with any text: `{"bytes": ..., "words": ..., "lines": ...}`;
//! - anything else: `{"error": "..."}` with 404 or 405.

use cairn_app_kit::{body, method, path, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

const JSON: &str = "application/json";
/// The most text `/count` takes.
const MAX_TEXT: usize = 1 << 20;

struct Api;

wasip2::http::proxy::export!(Api);

/// A JSON string literal of `text`.
fn quoted(text: &str) -> String {
	let mut out = String::from('"');
	for c in text.chars() {
		match c {
			'"' => out.push_str("\\\""),
			'\\' => out.push_str("\\\\"),
			c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
			c => out.push(c),
		}
	}
	out.push('"');
	out
}

fn error(out: ResponseOutparam, status: u16, why: &str) {
	respond(out, status, JSON, format!("{{\"error\":{}}}", quoted(why)).as_bytes(), &[]);
}

impl wasip2::exports::http::incoming_handler::Guest for Api {
	fn handle(request: IncomingRequest, out: ResponseOutparam) {
		match (method(&request).as_str(), path(&request).0.as_str()) {
			("GET", "/time") => {
				let now = wasip2::clocks::wall_clock::now();
				let json = format!("{{\"seconds\":{},\"nanoseconds\":{}}}", now.seconds, now.nanoseconds);
				respond(out, 200, JSON, json.as_bytes(), &[]);
			},
			("POST", "/count") => match body(&request, MAX_TEXT) {
				Ok(bytes) => {
					let text = String::from_utf8_lossy(&bytes);
					let json = format!(
						"{{\"bytes\":{},\"words\":{},\"lines\":{}}}",
						bytes.len(),
						text.split_whitespace().count(),
						text.lines().count()
					);
					respond(out, 200, JSON, json.as_bytes(), &[]);
				},
				Err(why) => error(out, 413, &why),
			},
			(_, "/time" | "/count") => error(out, 405, "GET /time, POST /count"),
			(_, other) => error(out, 404, &format!("no route {other}: GET /time, POST /count")),
		}
	}
}
