//! Small helpers over `wasi:http` for the example apps: the request's method, path and
//! body, and a whole response in one call.

use std::io::{Read as _, Write as _};

pub use wasip2;
use wasip2::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};

/// The request's method as text (`GET`, `POST`, ...).
pub fn method(request: &IncomingRequest) -> String {
	match request.method() {
		Method::Get => "GET".into(),
		Method::Head => "HEAD".into(),
		Method::Post => "POST".into(),
		Method::Put => "PUT".into(),
		Method::Delete => "DELETE".into(),
		Method::Patch => "PATCH".into(),
		Method::Options => "OPTIONS".into(),
		Method::Connect => "CONNECT".into(),
		Method::Trace => "TRACE".into(),
		Method::Other(other) => other,
	}
}

/// The request's path and query, split: (`/entries`, `Some("page=2")`).
pub fn path(request: &IncomingRequest) -> (String, Option<String>) {
	let whole = request.path_with_query().unwrap_or_else(|| "/".into());
	match whole.split_once('?') {
		Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
		None => (whole, None),
	}
}

/// The request's body, if it has at most `max` bytes.
pub fn body(request: &IncomingRequest, max: usize) -> Result<Vec<u8>, String> {
	let incoming = request.consume().map_err(|()| "the body was already read".to_string())?;
	let mut bytes = Vec::new();
	{
		let mut stream = incoming.stream().map_err(|()| "the body has no stream".to_string())?;
		let read = (&mut stream).take(max as u64 + 1).read_to_end(&mut bytes);
		read.map_err(|e| format!("reading the body: {e}"))?;
	}
	if bytes.len() > max {
		return Err(format!("the body is longer than {max} bytes"));
	}
	Ok(bytes)
}

/// Answers with `status`, `content_type` and `body`, plus `headers`.
pub fn respond(out: ResponseOutparam, status: u16, content_type: &str, body: &[u8], headers: &[(&str, &str)]) {
	let mut fields = vec![("content-type".to_string(), content_type.as_bytes().to_vec())];
	fields.extend(headers.iter().map(|(name, value)| (name.to_string(), value.as_bytes().to_vec())));
	let response = OutgoingResponse::new(Fields::from_list(&fields).expect("valid headers"));
	response.set_status_code(status).expect("a valid status");
	let outgoing = response.body().expect("a body, once");
	ResponseOutparam::set(out, Ok(response));
	{
		let mut stream = outgoing.write().expect("a stream, once");
		// Writes go in pieces of at most 4 KiB, as the stream takes them.
		for piece in body.chunks(4096) {
			if stream.write_all(piece).and_then(|()| std::io::Write::flush(&mut stream)).is_err() {
				return;
			}
		}
	}
	let _ = OutgoingBody::finish(outgoing, None);
}

/// Text with `&`, `<`, `>`, `"` and `'` escaped for HTML.
pub fn escape_html(text: &str) -> String {
	let mut escaped = String::with_capacity(text.len());
	for c in text.chars() {
		match c {
			'&' => escaped.push_str("&amp;"),
			'<' => escaped.push_str("&lt;"),
			'>' => escaped.push_str("&gt;"),
			'"' => escaped.push_str("&quot;"),
			'\'' => escaped.push_str("&#39;"),
			c => escaped.push(c),
		}
	}
	escaped
}

/// Decodes an `application/x-www-form-urlencoded` body into its fields.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
	let text = String::from_utf8_lossy(body);
	text.split('&')
		.filter(|pair| !pair.is_empty())
		.map(|pair| {
			let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
			(percent_decode(name), percent_decode(value))
		})
		.collect()
}

fn percent_decode(text: &str) -> String {
	let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
	let bytes = text.as_bytes();
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0;
	while i < bytes.len() {
		match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
			(b'%', Some(high), Some(low)) => {
				out.push(high << 4 | low);
				i += 3;
			},
			(b'+', ..) => {
				out.push(b' ');
				i += 1;
			},
			(byte, ..) => {
				out.push(byte);
				i += 1;
			},
		}
	}
	String::from_utf8_lossy(&out).into_owned()
}
