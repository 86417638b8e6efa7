//! A paste bin: what it is sent is stored as a Cairn file through the node
//! (`cairn:app/store`), paid by the account the operator chose for the app, within the
//! budget the operator set (`cairn apps install ... --grant files:write`, then `cairn apps
//! pay paste --suri ... --budget 2`). The settings `DATA_FRAGMENTS`, `TOTAL_FRAGMENTS`
//! and `WINDOWS` (default 2, 3 and 30) say how each file is stored.
//!
//! - `POST /` with the text: 201 and the file's read capability (`cairn:v2:...`) at once,
//!   while the node places it; 402 past the budget, 413 too large, 503 if the node cannot
//!   store it now (each with the reason);
//! - `GET /status/CAPABILITY`: `placing`, `stored` or `failed: REASON`; 404 for a file
//!   this app did not store since the node started.

use cairn_app_kit::{body, method, path, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

wit_bindgen::generate!({ path: "../../../node/apps/wit", world: "store-user" });

use cairn::app::store;

/// The most bytes one paste takes.
const MAX_PASTE: usize = 1 << 20;
const TEXT: &str = "text/plain; charset=utf-8";

struct Paste;

wasip2::http::proxy::export!(Paste);

/// The operator's setting `name`, or `default`.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
	std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn options() -> store::Options {
	store::Options {
		data_fragments: setting("DATA_FRAGMENTS", 2),
		total_fragments: setting("TOTAL_FRAGMENTS", 3),
		windows: setting("WINDOWS", 30),
	}
}

impl wasip2::exports::http::incoming_handler::Guest for Paste {
	fn handle(request: IncomingRequest, out: ResponseOutparam) {
		let (route, _) = path(&request);
		match (method(&request).as_str(), route.as_str()) {
			("POST", "/") => {
				let text = match body(&request, MAX_PASTE) {
					Ok(text) if text.is_empty() => return respond(out, 400, TEXT, b"nothing to paste\n", &[]),
					Ok(text) => text,
					Err(why) => return respond(out, 413, TEXT, format!("{why}\n").as_bytes(), &[]),
				};
				let (status, answer) = match store::put(&text, options()) {
					Ok(capability) => (201, capability),
					Err(store::Error::OverBudget(why)) => (402, format!("over the budget: {why}")),
					Err(store::Error::TooLarge(max)) => (413, format!("the node stores at most {max} bytes per file")),
					Err(store::Error::BadOptions(why)) => (500, format!("the app's settings: {why}")),
					Err(store::Error::Unavailable(why)) => (503, format!("not stored now: {why}")),
				};
				respond(out, status, TEXT, format!("{answer}\n").as_bytes(), &[]);
			},
			("GET", route) if route.starts_with("/status/") => {
				let capability = &route["/status/".len()..];
				let (status, answer) = match store::status(capability) {
					Some(store::State::Placing) => (200, "placing".to_owned()),
					Some(store::State::Stored) => (200, "stored".to_owned()),
					Some(store::State::Failed(why)) => (200, format!("failed: {why}")),
					None => (404, "this app stored no such file since the node started".to_owned()),
				};
				respond(out, status, TEXT, format!("{answer}\n").as_bytes(), &[]);
			},
			_ => respond(out, 404, TEXT, b"POST / to paste, GET /status/CAPABILITY\n", &[]),
		}
	}
}
