//! Hello world: every request is answered `hello from an app`. The benchmark's app
//! (`scripts/bench-apps.sh`): what a request costs the host, with next to nothing of the
//! app's own.

use cairn_app_kit::respond;
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

struct Hello;

wasip2::http::proxy::export!(Hello);

impl wasip2::exports::http::incoming_handler::Guest for Hello {
	fn handle(_request: IncomingRequest, out: ResponseOutparam) {
		respond(out, 200, "text/plain", b"hello from an app\n", &[]);
	}
}
