//! The example apps (`examples/apps`), built for `wasm32-wasip2` once per test run: shared
//! by the app host's tests and the gateway's (`#[path]`).

use std::{path::PathBuf, sync::OnceLock};

/// The example apps' components, built once per test run.
pub fn component(name: &str) -> Vec<u8> {
	static BUILT: OnceLock<PathBuf> = OnceLock::new();
	let dir = BUILT.get_or_init(|| {
		// The crate's directory as `cargo test` gives it when it runs the test: a test
		// binary reused from a clone at another path (one target dir for all) still finds
		// this checkout's examples.
		let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
			.map(PathBuf::from)
			.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
		let manifest = crate_dir.join("../../examples/apps/Cargo.toml");
		let target = std::env::var_os("CARGO_TARGET_DIR")
			.map(PathBuf::from)
			.unwrap_or_else(|| crate_dir.join("../../target"))
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
