//! The example apps (`examples/apps`), built for `wasm32-wasip2` once per test run: shared
//! by the app host's tests and the gateway's (`#[path]`).

use std::{
	path::{Path, PathBuf},
	sync::OnceLock,
};

/// The example apps' components, built once per test run.
pub fn component(name: &str) -> Vec<u8> {
	static BUILT: OnceLock<PathBuf> = OnceLock::new();
	let dir = BUILT.get_or_init(|| {
		let manifest = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/apps/Cargo.toml")).to_owned();
		let target = std::env::var_os("CARGO_TARGET_DIR")
			.map(PathBuf::from)
			.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
			.join("apps");
		let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
			.args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
			.arg(&manifest)
			.env("CARGO_TARGET_DIR", &target)
			.status()
			.expect("run cargo");
		assert!(
			status.success(),
			"building the example apps failed (is the wasm32-wasip2 target installed? `make setup`)"
		);
		target.join("wasm32-wasip2/release")
	});
	std::fs::read(dir.join(format!("{name}.wasm"))).unwrap_or_else(|e| panic!("{name}.wasm: {e}"))
}
