//! A command-line program for WASI: it runs once and exits, it handles no HTTP request.

fn main() {
	println!("hello from a command, not an app");
}
