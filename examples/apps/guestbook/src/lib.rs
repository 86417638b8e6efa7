//! A guestbook: visitors leave a name and a message, everyone reads them. Entries live in
//! the app's key-value store on the node (`cairn:app/kv`, granted with `--grant kv`).
//!
//! - `GET /` the page: the entries, newest first, and a form;
//! - `POST /` (a form: `name`, `message`) adds an entry and goes back to the page;
//! - `GET /entries` the entries as lines of `name: message`.

use cairn_app_kit::{body, escape_html, form, method, path, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

wit_bindgen::generate!({ path: "../../../node/apps/wit", world: "kv-user" });

use cairn::app::kv;

/// Entries shown on the page.
const SHOWN: u32 = 50;
/// The longest name and message taken.
const MAX_NAME: usize = 64;
const MAX_MESSAGE: usize = 1000;

struct Guestbook;

wasip2::http::proxy::export!(Guestbook);

/// The key of a new entry: the time, so that keys sort oldest first, and a count
/// against two entries in the same nanosecond.
fn new_key() -> String {
	let now = wasip2::clocks::wall_clock::now();
	let count = kv::get("count").ok().flatten().and_then(|c| c.try_into().ok()).map_or(0, u64::from_le_bytes);
	let _ = kv::set("count", &(count + 1).to_le_bytes());
	format!("entry/{:012}.{:09}-{count}", now.seconds, now.nanoseconds)
}

/// The newest entries, newest first: (name, message).
fn entries(limit: u32) -> Result<Vec<(String, String)>, kv::Error> {
	// Keys come oldest first: walk them all in pages, keep the last `limit`.
	let mut keys = Vec::new();
	let mut after = None;
	loop {
		let page = kv::keys("entry/", after.as_deref(), 1000)?;
		let Some(last) = page.last().cloned() else { break };
		keys.extend(page);
		after = Some(last);
	}
	let mut shown = Vec::new();
	for key in keys.iter().rev().take(limit as usize) {
		if let Some(entry) = kv::get(key)? {
			let text = String::from_utf8_lossy(&entry).into_owned();
			let (name, message) = text.split_once('\n').unwrap_or(("", &text));
			shown.push((name.to_owned(), message.to_owned()));
		}
	}
	Ok(shown)
}

fn page(entries: &[(String, String)], note: &str) -> String {
	let mut html = String::from(
		"<!doctype html><meta charset=utf-8><title>Guestbook</title><h1>Guestbook</h1>\
		 <form method=post><label>Name <input name=name maxlength=64></label> \
		 <label>Message <input name=message maxlength=1000></label> <button>Sign</button></form>",
	);
	if !note.is_empty() {
		html.push_str(&format!("<p role=alert>{}</p>", escape_html(note)));
	}
	html.push_str("<ul>");
	for (name, message) in entries {
		html.push_str(&format!("<li><b>{}</b>: {}</li>", escape_html(name), escape_html(message)));
	}
	html.push_str("</ul>");
	html
}

fn sign(request: &IncomingRequest) -> Result<(), (u16, String)> {
	let fields = form(&body(request, 4096).map_err(|e| (400, e))?);
	let field = |wanted: &str| fields.iter().find(|(name, _)| name == wanted).map(|(_, v)| v.trim().to_owned());
	let (Some(name), Some(message)) = (field("name"), field("message")) else {
		return Err((400, "a signature needs a name and a message".into()));
	};
	if name.is_empty() || message.is_empty() || name.len() > MAX_NAME || message.len() > MAX_MESSAGE {
		return Err((400, format!("a name of 1 to {MAX_NAME} bytes and a message of 1 to {MAX_MESSAGE}, please")));
	}
	match kv::set(&new_key(), format!("{name}\n{message}").as_bytes()) {
		Ok(()) => Ok(()),
		Err(kv::Error::QuotaExceeded(quota)) => {
			Err((507, format!("the guestbook is full: it may keep {quota} bytes on this node")))
		},
		Err(e) => Err((503, format!("the guestbook cannot write now: {e:?}"))),
	}
}

impl wasip2::exports::http::incoming_handler::Guest for Guestbook {
	fn handle(request: IncomingRequest, out: ResponseOutparam) {
		let html = "text/html; charset=utf-8";
		match (method(&request).as_str(), path(&request).0.as_str()) {
			("GET", "/") => match entries(SHOWN) {
				Ok(entries) => respond(out, 200, html, page(&entries, "").as_bytes(), &[]),
				Err(e) => respond(out, 503, "text/plain", format!("cannot read the guestbook: {e:?}").as_bytes(), &[]),
			},
			("GET", "/entries") => match entries(u32::MAX) {
				Ok(entries) => {
					let lines: String = entries.iter().map(|(name, message)| format!("{name}: {message}\n")).collect();
					respond(out, 200, "text/plain; charset=utf-8", lines.as_bytes(), &[])
				},
				Err(e) => respond(out, 503, "text/plain", format!("cannot read the guestbook: {e:?}").as_bytes(), &[]),
			},
			("POST", "/") => match sign(&request) {
				// Back to the page, which now shows the entry.
				Ok(()) => respond(out, 303, "text/plain", b"signed\n", &[("location", "./")]),
				Err((status, why)) => {
					let shown = entries(SHOWN).unwrap_or_default();
					respond(out, status, html, page(&shown, &why).as_bytes(), &[])
				},
			},
			(_, "/" | "/entries") => respond(out, 405, "text/plain", b"GET or POST, please\n", &[]),
			_ => respond(out, 404, "text/plain", b"the guestbook has / and /entries\n", &[]),
		}
	}
}
