//! `cairn join INVITATION --base-path DIR`: from one line of text to a running storage
//! node on the inviter's chain (the Tahoe-LAFS `create-node --join` of Cairn).
//!
//! 1. The chain specification comes from the inviter's fragment service (`cairn-net`),
//!    and is kept only if its genesis block hashes to the invitation's genesis hash.
//! 2. The node key (the account the node signs and is paid as) is made, or taken from
//!    `--suri`, and put in the node's keystore.
//! 3. The node starts (a child process, its log in `DIR/node.log`) with the invitation's
//!    bootnodes, and syncs.
//! 4. The voucher is redeemed for the node key: the starter balance that pays its fees and
//!    bond. A used, expired or revoked invitation stops here, in words.
//! 5. The node registers with its TPM when it has one (`cairn tpm register`), and offers
//!    its storage (`--capacity`, `--price`) once it is a registered node.
//!
//! Then `cairn join` stays in the foreground with the node; Ctrl-C stops both. The line it
//! prints starts the node again later.

use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use cairn_client::invite::{self, Invitation};
use cairn_runtime::{AccountId, Block, Runtime, RuntimeCall, RuntimeEvent};
use codec::Encode;
use polkadot_sdk::{
	sc_chain_spec, sc_executor, sc_service,
	sp_core::{sr25519, Pair},
	sp_keystore::Keystore,
	sp_runtime::traits::{Block as BlockT, Hash as HashT, HashingFor},
};

use crate::{
	chain::{pair_from_suri, Chain},
	market::{format_crn, parse_crn, parse_size},
};

/// `cairn join`.
#[derive(Debug, clap::Args)]
pub struct JoinCmd {
	/// The invitation, `cairn-invite:v2:...`, or `-` to read it from stdin (so that it stays
	/// out of the shell's history and the process list).
	pub invitation: String,

	/// Where the node keeps its chain, keys and fragments (made if missing).
	#[arg(long, value_name = "DIR")]
	pub base_path: PathBuf,

	/// The chain specification, instead of fetching it from the inviter (an invitation
	/// made without a fragment service names nowhere to fetch it from).
	#[arg(long, value_name = "PATH")]
	pub chain: Option<PathBuf>,

	/// The account the node signs and is paid as; by default a new key, whose secret
	/// phrase is printed once and kept in the node's keystore.
	#[arg(long, value_name = "SECRET_URI")]
	pub suri: Option<String>,

	/// Bytes offered to others: a number with an optional K, M, G or T.
	#[arg(long, value_name = "SIZE", default_value = "10G")]
	pub capacity: String,

	/// Price in CRN of a GiB for one proving window; by default the network's floor.
	#[arg(long, value_name = "CRN")]
	pub price: Option<String>,

	/// The TPM's TCTI for registration; by default `TPM2TOOLS_TCTI`, else
	/// `device:/dev/tpmrm0` when that device exists. Without a TPM the node is not
	/// registered and offers nothing (unless the chain registered it already).
	#[arg(long, value_name = "TCTI")]
	pub tpm_tcti: Option<String>,

	/// Give up waiting for the node to sync, or for registration, after this many seconds.
	#[arg(long, value_name = "SECONDS", default_value_t = 900)]
	pub timeout: u64,

	/// Flags for the node after `--`, e.g. `-- --port 30334 --rpc-port 9945 --fragment-port 30445`.
	#[arg(last = true, value_name = "NODE_FLAGS")]
	pub node_flags: Vec<String>,
}

/// The chain specification's file in the base path.
const SPEC_FILE: &str = "chain-spec.json";

/// The hash of the genesis block `spec` makes, as a node computes it: the state root of
/// its genesis storage (child tries folded in) under the state version of its runtime.
pub fn genesis_hash(spec: &dyn sc_service::ChainSpec) -> Result<<Block as BlockT>::Hash, String> {
	type Hashing = HashingFor<Block>;
	let storage = spec.as_storage_builder().build_storage()?;
	let executor = sc_executor::WasmExecutor::<crate::service::HostFunctions>::builder().build();
	let version = sc_chain_spec::resolve_state_version_from_wasm::<_, Hashing>(&storage, &executor)
		.map_err(|e| format!("the chain specification's runtime: {e}"))?;
	let mut top: Vec<_> = storage.top.into_iter().collect();
	for child in storage.children_default.into_values() {
		let root = Hashing::trie_root(child.data.into_iter().collect(), version);
		top.push((child.child_info.prefixed_storage_key().into_inner(), root.encode()));
	}
	let root = Hashing::trie_root(top, version);
	Ok(sc_chain_spec::construct_genesis_block::<Block>(root, version).hash())
}

/// A chain specification from JSON, if it is one, its genesis is `genesis`, and it holds
/// nothing beyond the genesis that would change what the node runs or whom it tells.
fn checked_spec(json: Vec<u8>, genesis: &[u8; 32]) -> Result<crate::chain_spec::ChainSpec, String> {
	use polkadot_sdk::sc_service::ChainSpec as _;
	let spec =
		crate::chain_spec::ChainSpec::from_json_bytes(json).map_err(|e| format!("not a chain specification: {e}"))?;
	// The id names the node's directory under the base path.
	let id = spec.id();
	if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
		return Err(format!("its id `{}` is not a plain name", id.escape_debug()));
	}
	// The genesis hash does not cover these: a runtime that replaces the genesis one, and
	// servers that would learn the newcomer's address.
	if !spec.code_substitutes().is_empty() {
		return Err("it substitutes the runtime's code at some blocks; ask the inviter for a spec without".into());
	}
	if spec.telemetry_endpoints().is_some() {
		return Err("it names telemetry servers; ask the inviter for a spec without".into());
	}
	let made = genesis_hash(&spec)?;
	if made.0 != *genesis {
		return Err(format!(
			"its genesis is 0x{}, the invitation's 0x{}: it is another chain's",
			hex::encode(made.0),
			hex::encode(genesis)
		));
	}
	Ok(spec)
}

/// The chain specification of `invitation`: from `--chain`, else from the first of the
/// inviter's service-plane addresses that serves one of the invitation's chain.
async fn fetch_spec(invitation: &Invitation, chain: Option<&Path>) -> Result<(Vec<u8>, String), String> {
	if let Some(path) = chain {
		let json = std::fs::read(path).map_err(|e| format!("cannot read --chain {}: {e}", path.display()))?;
		let spec = checked_spec(json, &invitation.genesis).map_err(|e| format!("--chain {}: {e}", path.display()))?;
		return Ok((spec.as_json(true)?.into_bytes(), spec.name().to_string()));
	}
	if invitation.service.is_empty() {
		return Err("the invitation names no fragment service to fetch the chain specification from (it was \
		            made by a node without one): give the chain's specification with --chain PATH"
			.into());
	}
	let net = cairn_net::start(cairn_net::Config::client())
		.await
		.map_err(|e| format!("cannot start the service plane: {e}"))?;
	let genesis = invitation.genesis;
	let mut failures = Vec::new();
	for text in &invitation.service {
		let Ok(address) = text.parse::<cairn_net::Address>() else { continue };
		let text = text.escape_debug();
		let fetched = match net.chain_spec(&address).await {
			Ok(json) => tokio::task::spawn_blocking(move || {
				let spec = checked_spec(json, &genesis)?;
				Ok::<_, String>((spec.as_json(true)?.into_bytes(), spec.name().to_string()))
			})
			.await
			.map_err(|e| e.to_string())
			.and_then(|checked| checked),
			Err(e) => Err(e.to_string().escape_debug().to_string()),
		};
		match fetched {
			Ok(spec) => return Ok(spec),
			Err(e) => failures.push(format!("{text}: {e}")),
		}
	}
	Err(format!("no chain specification of the invitation's chain from the inviter ({})", failures.join("; ")))
}

/// The node account: `--suri`, else the key already in the keystore (a join that stopped
/// half-way), else a new one; in the keystore either way, and the only node key there (the
/// node proves and is paid as the one it finds).
fn node_key(keystore_path: &Path, suri: Option<&str>) -> Result<(sr25519::Pair, Option<String>), String> {
	use cairn_primitives::NODE_KEY_TYPE;
	let keystore = polkadot_sdk::sc_keystore::LocalKeystore::open(keystore_path, None)
		.map_err(|e| format!("cannot open the keystore in {}: {e}", keystore_path.display()))?;
	let insert = |suri: &str, pair: &sr25519::Pair| {
		keystore
			.insert(NODE_KEY_TYPE, suri, &pair.public().0)
			.map_err(|()| format!("cannot write the node key to {}", keystore_path.display()))
	};
	let kept = keystore.sr25519_public_keys(NODE_KEY_TYPE);
	if let Some(suri) = suri {
		let pair = pair_from_suri(suri)?;
		if kept.iter().any(|public| *public != pair.public()) {
			return Err(format!(
				"the keystore in {} holds another node key: join with another --base-path, or without --suri",
				keystore_path.display()
			));
		}
		insert(suri, &pair)?;
		return Ok((pair, None));
	}
	if let Some(public) = kept.first() {
		let pair = keystore
			.key_pair::<cairn_primitives::node_key::Pair>(&(*public).into())
			.map_err(|e| format!("cannot read the node key in {}: {e}", keystore_path.display()))?
			.ok_or_else(|| format!("the node key in {} has no secret", keystore_path.display()))?;
		return Ok((pair.into_inner(), None));
	}
	let (pair, phrase, _) = sr25519::Pair::generate_with_phrase(None);
	insert(&phrase, &pair)?;
	Ok((pair, Some(phrase)))
}

/// The value of the last `--flag N` or `--flag=N` among the node's flags (the one the
/// node takes).
fn flag_value<'a>(flags: &'a [String], flag: &str) -> Option<&'a str> {
	flags.iter().enumerate().rev().find_map(|(i, f)| {
		f.strip_prefix(flag).and_then(|rest| match rest.strip_prefix('=') {
			Some(value) => Some(value),
			None if rest.is_empty() => flags.get(i + 1).map(String::as_str),
			None => None,
		})
	})
}

/// Node flags that `cairn join` sets itself: the checked spec, the base path and a chain
/// of its own must not be replaced after `--`.
const OWN_FLAGS: [&str; 5] = ["--chain", "--base-path", "-d", "--dev", "--tmp"];

/// The last lines of the node's log, for an error.
fn log_tail(log: &Path) -> String {
	let text = std::fs::read_to_string(log).unwrap_or_default();
	let lines: Vec<&str> = text.lines().rev().take(5).collect();
	lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Waits until the node answers RPC and has caught up with its peers.
async fn synced(url: &str, node: &mut tokio::process::Child, log: &Path, timeout: Duration) -> Result<Chain, String> {
	let give_up = Instant::now() + timeout;
	let exited = |node: &mut tokio::process::Child| match node.try_wait() {
		Ok(Some(status)) => Some(format!("the node stopped ({status}): {}", log_tail(log))),
		_ => None,
	};
	let chain = loop {
		if let Some(e) = exited(node) {
			return Err(e);
		}
		match Chain::connect(url).await {
			Ok(chain) => break chain,
			Err(e) if Instant::now() > give_up => return Err(e),
			Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
		}
	};
	let mut shown = 0;
	loop {
		if let Some(e) = exited(node) {
			return Err(e);
		}
		let health: serde_json::Value = chain.call("system_health", jsonrpsee::rpc_params![]).await?;
		let state: serde_json::Value = chain.call("system_syncState", jsonrpsee::rpc_params![]).await?;
		let (current, highest) = (state["currentBlock"].as_u64().unwrap_or(0), state["highestBlock"].as_u64());
		let peers = health["peers"].as_u64().unwrap_or(0);
		if peers > 0 && health["isSyncing"] == false && highest.is_none_or(|h| current >= h) {
			return Ok(chain);
		}
		if Instant::now() > give_up {
			return Err(format!(
				"the node did not sync within {} s ({peers} peers, block #{current}): are the invitation's \
				 bootnodes reachable? ({})",
				timeout.as_secs(),
				log_tail(log)
			));
		}
		if current >= shown + 100 || (shown == 0 && current > 0) {
			println!("      ... block #{current} of #{}", highest.unwrap_or(current));
			shown = current;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}

/// The TCTI to register with, if the node has a TPM.
fn tpm_tcti(given: Option<&str>) -> Option<String> {
	given
		.map(str::to_string)
		.or_else(|| std::env::var("TPM2TOOLS_TCTI").ok())
		.or_else(|| Path::new("/dev/tpmrm0").exists().then(|| "device:/dev/tpmrm0".into()))
}

/// Runs `cairn join`.
pub fn run(cmd: &JoinCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(join(cmd))
}

async fn join(cmd: &JoinCmd) -> Result<(), String> {
	let own = |f: &&String| OWN_FLAGS.iter().any(|own| *f == own || f.starts_with(&format!("{own}=")));
	if let Some(flag) = cmd.node_flags.iter().find(own) {
		return Err(format!("`cairn join` sets {flag} itself: give it before `--`, or leave it out"));
	}
	let rpc_port = match flag_value(&cmd.node_flags, "--rpc-port") {
		Some(port) => port.parse::<u16>().map_err(|_| format!("--rpc-port `{port}` is not a port"))?,
		// A port of its own: whatever else listens on 9944 is not the new node.
		None => std::net::TcpListener::bind("127.0.0.1:0")
			.and_then(|listener| listener.local_addr())
			.map(|addr| addr.port())
			.map_err(|e| format!("cannot find a free port for the node's RPC: {e}"))?,
	};
	let invitation = crate::invite::read_invitation(&cmd.invitation)?;
	let capacity = parse_size(&cmd.capacity).map_err(|e| format!("--capacity: {e}"))?;
	let price = cmd.price.as_deref().map(parse_crn).transpose().map_err(|e| format!("--price: {e}"))?;
	let base = &cmd.base_path;
	std::fs::create_dir_all(base).map_err(|e| format!("cannot make --base-path {}: {e}", base.display()))?;

	// 1. The chain: the one kept by a join that stopped half-way, else the inviter's.
	let spec_path = base.join(SPEC_FILE);
	let kept = match std::fs::read(&spec_path) {
		Ok(json) => {
			let spec = checked_spec(json.clone(), &invitation.genesis).map_err(|e| {
				format!("{} is not the invitation's chain ({e}): join with another --base-path", spec_path.display())
			})?;
			Some((json, spec.name().to_string()))
		},
		Err(_) => None,
	};
	let (spec, name) = match kept {
		Some(kept) => kept,
		None => {
			let (spec, name) = fetch_spec(&invitation, cmd.chain.as_deref()).await?;
			let partial = base.join(format!("{SPEC_FILE}.part"));
			std::fs::write(&partial, &spec)
				.and_then(|()| std::fs::rename(&partial, &spec_path))
				.map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
			(spec, name)
		},
	};
	let name = name.escape_debug().to_string();
	let chain_id = crate::chain_spec::ChainSpec::from_json_bytes(spec).map_err(|e| e.to_string())?.id().to_string();
	println!(
		"[1/5] chain `{name}` (genesis 0x{}), specification in {}",
		hex::encode(invitation.genesis),
		spec_path.display()
	);

	// 2. The node key.
	let keystore = base.join("chains").join(&chain_id).join("keystore");
	let (pair, phrase) = node_key(&keystore, cmd.suri.as_deref())?;
	let account = AccountId::from(pair.public());
	match &phrase {
		Some(phrase) => println!(
			"[2/5] node account {account}, new; its secret phrase (write it down, it is the node's money):\n      {phrase}"
		),
		None => println!("[2/5] node account {account}"),
	}

	// 3. The node.
	let exe = std::env::current_exe().map_err(|e| format!("cannot find the cairn binary: {e}"))?;
	let mut args: Vec<String> =
		vec!["--chain".into(), spec_path.display().to_string(), "--base-path".into(), base.display().to_string()];
	if !invitation.bootnodes.is_empty() {
		args.push("--bootnodes".into());
		args.extend(invitation.bootnodes.iter().cloned());
	}
	args.extend(cmd.node_flags.iter().cloned());
	if flag_value(&cmd.node_flags, "--rpc-port").is_none() {
		args.extend(["--rpc-port".to_string(), rpc_port.to_string()]);
	}
	// Installed before the node starts: a SIGTERM while joining stops it too.
	let mut terminate =
		tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
	let log_path = base.join("node.log");
	let log = std::fs::File::create(&log_path).map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
	let log_err = log.try_clone().map_err(|e| e.to_string())?;
	let mut node = tokio::process::Command::new(&exe)
		.args(&args)
		.stdin(std::process::Stdio::null())
		.stdout(log)
		.stderr(log_err)
		.kill_on_drop(true)
		.spawn()
		.map_err(|e| format!("cannot start the node: {e}"))?;
	let url = format!("ws://127.0.0.1:{rpc_port}");
	println!("[3/5] node started (log: {}); syncing with the inviter's network", log_path.display());
	let steps = async {
		let chain = synced(&url, &mut node, &log_path, Duration::from_secs(cmd.timeout)).await?;

		// 4. The starter balance.
		let (grant, block) = invite::redeem(&chain, &invitation, &account).await?;
		println!("[4/5] the invitation's {} is the node's, block #{block}", format_crn(grant));

		// 5. Registration and the offer.
		let registered = || async {
			let key = pallet_attestation::Nodes::<Runtime>::hashed_key_for(&account);
			Ok::<_, String>(chain.storage::<pallet_attestation::Node<u32>>(key).await?.is_some())
		};
		if !registered().await? {
			let Some(tcti) = tpm_tcti(cmd.tpm_tcti.as_deref()) else {
				println!(
					"[5/5] no TPM: the node is not registered, so it offers no storage. With a TPM: `cairn tpm \
					 register --node-url {url} --suri ...`, then `cairn provider offer`"
				);
				return Ok(chain);
			};
			// The node key signs; the signer's secret is not read.
			let args = crate::tpm::RegisterArgs {
				tpm: crate::tpm::TpmArgs { tpm_tcti: Some(tcti) },
				signer: crate::chain::SignerArgs { node_url: url.clone(), suri: String::new() },
				ak_file: base.join("cairn-ak.bin"),
				timeout: cmd.timeout,
			};
			crate::tpm::register_as(&pair, &args)
				.await
				.map_err(|e| format!("registration: {e} (run `cairn tpm register` to resume)"))?;
		}
		let price = match price {
			Some(price) => price,
			None => {
				chain
					.storage::<pallet_storage::ParamsOf<Runtime>>(
						pallet_storage::Params::<Runtime>::hashed_key().to_vec(),
					)
					.await?
					.unwrap_or_else(pallet_storage::Pallet::<Runtime>::default_params)
					.min_price_per_gib
			},
		};
		let call = RuntimeCall::Storage(pallet_storage::Call::set_offer {
			price_per_gib: price,
			capacity,
			min_duration: 1,
			max_duration: 365,
		});
		let included = chain
			.submit(&pair, call)
			.await
			.map_err(|e| format!("the storage offer: {e} (`cairn provider offer` tries again)"))?;
		let bond = included.events.iter().find_map(|e| match e {
			RuntimeEvent::Storage(pallet_storage::Event::OfferSet { bond, .. }) => Some(*bond),
			_ => None,
		});
		println!(
			"[5/5] offering {capacity} bytes at {} per GiB per window (bond {}), block #{}",
			format_crn(price),
			format_crn(bond.unwrap_or_default()),
			included.block_number
		);
		Ok::<_, String>(chain)
	};
	let outcome = tokio::select! {
		outcome = steps => outcome,
		_ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
		_ = terminate.recv() => Err("terminated".to_string()),
	};
	if let Err(e) = outcome {
		stop(&mut node).await;
		return Err(e);
	}
	println!(
		"joined: the node runs until Ctrl-C; start it again with\n      {} {}",
		exe.display(),
		args.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" ")
	);
	tokio::select! {
		status = node.wait() => return Err(format!("the node stopped ({}): {}", status.map(|s| s.to_string()).unwrap_or_default(), log_tail(&log_path))),
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate.recv() => {},
	}
	stop(&mut node).await;
	Ok(())
}

/// Stops the node as Ctrl-C would, and waits for it (killed after 30 s).
async fn stop(node: &mut tokio::process::Child) {
	if let Some(pid) = node.id() {
		let _ = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status();
	}
	if tokio::time::timeout(Duration::from_secs(30), node.wait()).await.is_err() {
		let _ = node.kill().await;
	}
}

/// `text` as one word for a POSIX shell.
fn shell_word(text: &str) -> String {
	if text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:,".contains(c)) {
		text.to_string()
	} else {
		format!("'{}'", text.replace('\'', r"'\''"))
	}
}
