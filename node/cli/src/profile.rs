//! `--profile small`: a storage node for a Raspberry Pi or a home router. Each setting
//! yields to the same flag given on the command line.

use polkadot_sdk::sc_cli::RunCmd;

/// How much of the machine the node may take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
	/// Substrate's defaults, sized for servers.
	#[default]
	Default,
	/// One allocator arena, one runtime instance, small caches, a small transaction pool
	/// and small RocksDB memtables for fragments.
	Small,
}

/// Whether `flag` was given on the command line (`--flag` or `--flag=...`).
fn given(flag: &str) -> bool {
	std::env::args().any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
}

/// Applies `profile` to the node's settings, before the node starts its threads.
pub fn apply(profile: Profile, run: &mut RunCmd) {
	if profile != Profile::Small {
		return;
	}
	// glibc gives each thread that allocates its own arena (up to 8 per core), which keep
	// their freed pages: most of an idle node's heap. One arena: measured below.
	#[cfg(target_env = "gnu")]
	// SAFETY: `mallopt` only sets a tunable of the allocator, before other threads exist.
	unsafe {
		libc::mallopt(libc::M_ARENA_MAX, 1);
	}
	if !given("--max-runtime-instances") {
		run.runtime_params.max_runtime_instances = 1;
	}
	if !given("--runtime-cache-size") {
		run.runtime_params.runtime_cache_size = 1;
	}
	if !given("--trie-cache-size") {
		run.import_params.trie_cache_size = 16 << 20;
	}
	if !given("--db-cache") {
		run.import_params.database_params.database_cache_size = Some(32);
	}
	if !given("--pool-limit") {
		run.pool_config.pool_limit = 1024;
	}
	if !given("--pool-kbytes") {
		run.pool_config.pool_kbytes = 4096;
	}
}

/// The fragment store's memory under `profile`.
pub fn store_memory(profile: Profile) -> cairn_store::Memory {
	match profile {
		Profile::Default => cairn_store::Memory::Default,
		Profile::Small => cairn_store::Memory::Small,
	}
}
