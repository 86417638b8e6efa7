//! `cairn`: a Cairn chain node and its command line.

mod apps;
mod chain;
mod chain_spec;
mod cli;
mod command;
mod fragments;
mod gateway;
mod invite;
mod join;
mod market;
mod profile;
mod provider;
mod relay;
mod service;
mod tpm;

fn main() {
	let code = match command::run() {
		Ok(()) => 0,
		Err(error) => {
			// One line that says what went wrong, no backtrace.
			eprintln!("Error: {error}");
			1
		},
	};
	use std::io::Write;
	let _ = std::io::stdout().flush();
	let _ = std::io::stderr().flush();
	// The node has shut down and closed its databases. Ending here skips C++'s static
	// destructors: a RocksDB background thread still winding down would otherwise lock a
	// destroyed mutex and abort the process ("pthread lock: Invalid argument", seen once
	// after a clean SIGINT shutdown of a dev node).
	// SAFETY: `_exit` ends the process at once; every buffer Rust keeps was flushed above.
	unsafe { libc::_exit(code) }
}
