//! A static site served from one Cairn file: a tar archive of the site (`tar -cf site.tar
//! -C site .`), stored with `cairn client put` and named to the app by its read
//! capability, the operator's setting `SITE` (`cairn apps install ... --grant files:read
//! --config SITE=cairn:v2:...`). The node fetches the file through its own client
//! (`cairn:app/files`) and keeps it, so the site is fetched once, not per request.
//!
//! - `GET /PATH` the archive's file `PATH` (`index.html` for `/` and for a directory),
//!   with a media type by its extension; 404 if the archive has no such file;
//! - 503 with the reason if the file cannot be read now.

use cairn_app_kit::{method, path, respond};
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

wit_bindgen::generate!({ path: "../../../node/apps/wit", world: "files-user" });

use cairn::app::files;

struct Site;

wasip2::http::proxy::export!(Site);

/// The files of a tar archive: (path without a leading `./`, contents).
fn entries(archive: &[u8]) -> Vec<(String, &[u8])> {
	let mut found = Vec::new();
	let mut at = 0;
	while at + 512 <= archive.len() {
		let header = &archive[at..at + 512];
		if header.iter().all(|&b| b == 0) {
			break;
		}
		let text = |range: std::ops::Range<usize>| {
			let field = &header[range];
			let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
			String::from_utf8_lossy(&field[..end]).into_owned()
		};
		let size = usize::from_str_radix(text(124..136).trim(), 8).unwrap_or(0);
		let (prefix, name) = (text(345..500), text(0..100));
		let name = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
		let start = at + 512;
		let Some(contents) = archive.get(start..start + size) else { break };
		// Regular files only ('0' or, in old archives, NUL).
		if matches!(header[156], b'0' | 0) {
			found.push((name.trim_start_matches("./").to_owned(), contents));
		}
		at = start + size.div_ceil(512) * 512;
	}
	found
}

fn media_type(path: &str) -> &'static str {
	match path.rsplit_once('.').map(|(_, ext)| ext) {
		Some("html" | "htm") => "text/html; charset=utf-8",
		Some("css") => "text/css; charset=utf-8",
		Some("js") => "text/javascript; charset=utf-8",
		Some("json") => "application/json",
		Some("svg") => "image/svg+xml",
		Some("png") => "image/png",
		Some("jpg" | "jpeg") => "image/jpeg",
		Some("txt" | "md") => "text/plain; charset=utf-8",
		_ => "application/octet-stream",
	}
}

impl wasip2::exports::http::incoming_handler::Guest for Site {
	fn handle(request: IncomingRequest, out: ResponseOutparam) {
		if !matches!(method(&request).as_str(), "GET" | "HEAD") {
			return respond(out, 405, "text/plain", b"a static site: GET only\n", &[]);
		}
		let Ok(capability) = std::env::var("SITE") else {
			return respond(out, 503, "text/plain", b"no site set: install with --config SITE=cairn:v2:...\n", &[]);
		};
		let archive = match files::read(&capability) {
			Ok(archive) => archive,
			Err(e) => {
				let why = match e {
					files::Error::BadCapability(why) => format!("SITE is not a read capability: {why}"),
					files::Error::TooLarge(size) => format!("the site's file has {size} bytes, more than apps read"),
					files::Error::Unavailable(why) => format!("the site cannot be read now: {why}"),
				};
				return respond(out, 503, "text/plain", format!("{why}\n").as_bytes(), &[]);
			},
		};
		let wanted = path(&request).0;
		let wanted = wanted.trim_start_matches('/');
		let wanted =
			if wanted.is_empty() || wanted.ends_with('/') { format!("{wanted}index.html") } else { wanted.to_owned() };
		match entries(&archive).into_iter().find(|(name, _)| *name == wanted) {
			Some((name, contents)) => respond(out, 200, media_type(&name), contents, &[]),
			None => respond(out, 404, "text/plain", format!("no {wanted} in this site\n").as_bytes(), &[]),
		}
	}
}
