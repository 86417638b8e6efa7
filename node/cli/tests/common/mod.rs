//! What the `cairn` binary's end-to-end tests share: running it, reading its answers, and
//! child processes that stop with the test.
#![allow(dead_code)]

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	process::{Child, Command, Output},
	time::{Duration, Instant},
};

/// A child process, stopped as Ctrl-C would when dropped (so that a `cairn join` stops its
/// node too), killed if it has not stopped after 40 s.
pub struct Process(pub Child);

impl Drop for Process {
	fn drop(&mut self) {
		let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
		let deadline = Instant::now() + Duration::from_secs(40);
		while Instant::now() < deadline {
			if let Ok(Some(_)) = self.0.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(200));
		}
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `cairn args...` to its end.
pub fn cairn(args: &[&str]) -> Output {
	Command::new(env!("CARGO_BIN_EXE_cairn")).args(args).output().expect("run cairn")
}

pub fn stdout(output: &Output) -> String {
	String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The one line a failed command printed; the command must have failed cleanly.
pub fn failure(output: &Output) -> String {
	let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
	assert_eq!(output.status.code(), Some(1), "expected a failure: {stderr}");
	assert!(!stderr.contains("panicked"), "{stderr}");
	assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
	stderr
}

/// The stdout of a command that must have succeeded.
pub fn succeeded(output: Output) -> String {
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	stdout(&output)
}

/// One JSON-RPC call over HTTP to the node's RPC port: the whole answer, once it answers.
pub fn rpc(port: u16, method: &str, params: serde_json::Value) -> Option<serde_json::Value> {
	let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
	stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: \
		 close\r\n\r\n{body}",
		body.len()
	)
	.ok()?;
	let mut answer = String::new();
	stream.read_to_string(&mut answer).ok()?;
	serde_json::from_str(answer.split_once("\r\n\r\n")?.1).ok()
}
