//! A Cairn network spawned by zombienet-sdk from `network/local.toml`: three genesis
//! validators, and Dave and Ferdie, who join the validators on chain as any operator would
//! (session keys from their own nodes, a bond), so that one validator can be lost without
//! stopping finality.

mod common;

use std::{path::Path, process::Command, time::Duration};

use anyhow::{ensure, Context, Result};
use cairn_swtpm::{Swtpm, TestCa};
use common::{cairn_bin, heights, put_cairn_on_path, rpc, wait_for};
use subxt::{
	backend::rpc::RpcClient,
	dynamic::Value,
	ext::subxt_rpcs::rpc_params,
	tx::Payload,
	utils::AccountId32,
	Metadata, OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};
use zombienet_sdk::{NetworkConfig, NetworkConfigExt, NetworkNode};

/// Sessions last a minute on the local chain: a validator set change takes two.
const SET_CHANGE: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn validators_join_register_tpm_nodes_with_one_lost_and_a_revoked_one_leaves() -> Result<()> {
	put_cairn_on_path()?;
	// Read at run time: a test binary built from another checkout sharing the target dir
	// must not point at that checkout.
	let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let toml = format!("{dir}/network/local.toml");
	let network = NetworkConfig::load_from_toml(&toml)?.spawn_native().await?;

	let names = ["alice", "bob", "charlie", "dave", "ferdie"];
	let mut clients = Vec::new();
	for name in names {
		clients.push((name, rpc(network.get_node(name)?.ws_uri()).await?));
	}
	// Every node sees the four others, and all finalize past block 2.
	for (name, client) in &clients {
		wait_for(&format!("{name} to see 4 peers"), Duration::from_secs(120), || async {
			let health = client.system_health().await?;
			Ok((health.peers >= 4).then_some(()))
		})
		.await?;
		wait_for(&format!("{name} to finalize block 2"), Duration::from_secs(180), || async {
			let (_, finalized) = heights(client).await?;
			Ok((finalized >= 2).then_some(()))
		})
		.await?;
	}
	let alice_node = network.get_node("alice")?;
	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(alice_node.ws_uri()).await?;
	let chain = Chain { api, raw: RpcClient::from_insecure_url(alice_node.ws_uri()).await? };

	// Dave (a node from genesis) becomes a validator with keys his node makes.
	chain.join_validators(network.get_node("dave")?, &dev::dave()).await?;

	// Ferdie registers his software TPM with the three genesis validators up, and joins.
	let tpms = tempfile::tempdir()?;
	let ca = TestCa::committed(tpms.path())?;
	let ferdie_tpm = Swtpm::manufacture(&ca, &tpms.path().join("ferdie"));
	let text = register(alice_node.ws_uri(), &ferdie_tpm, "//Ferdie", tpms.path())?;
	ensure!(text.contains("all 3 challenges posted"), "the validators challenged Ferdie's TPM");
	ensure!(text.contains("is a node") && text.contains("claim grant: 100 CRN"), "Ferdie is registered");
	let text = register(alice_node.ws_uri(), &ferdie_tpm, "//Ferdie", tpms.path())?;
	ensure!(text.contains("registered node already"), "the chain knows Ferdie as a node");
	// One TPM, one node: another account's request with the same EK is refused by name.
	let refused = register(alice_node.ws_uri(), &ferdie_tpm, "//Two", tpms.path());
	ensure!(
		refused.as_ref().is_err_and(|e| e.to_string().contains("Attestation::EkAlreadyOwned")),
		"a second account cannot claim the TPM: {refused:?}"
	);
	chain.join_validators(network.get_node("ferdie")?, &dev::ferdie()).await?;

	let [alice, bob, charlie, dave, ferdie] =
		[dev::alice(), dev::bob(), dev::charlie(), dev::dave(), dev::ferdie()].map(|k| k.public_key().to_account_id());
	chain.wait_for_validators("Dave to validate", |set| set.contains(&dave)).await?;

	// Lose Charlie: of the four validators, three still finalize...
	network.get_node("charlie")?.pause().await?;
	let alice_rpc = &clients[0].1;
	let (_, finalized_at_loss) = heights(alice_rpc).await?;
	// ...and a TPM registers while he is down: if he is drawn, his silent seat fails the
	// round and the next draw leaves him out (meanwhile Ferdie enters the set).
	let one_tpm = Swtpm::manufacture(&ca, &tpms.path().join("one"));
	let (url, path) = (alice_node.ws_uri().to_owned(), tpms.path().to_owned());
	let one = tokio::task::spawn_blocking(move || register(&url, &one_tpm, "//One", &path));
	wait_for("finality to go on without charlie", Duration::from_secs(120), || async {
		let (_, finalized) = heights(alice_rpc).await?;
		Ok((finalized >= finalized_at_loss + 3).then_some(()))
	})
	.await?;
	chain.wait_for_validators("Ferdie to validate", |set| set.contains(&ferdie)).await?;
	let text = match one.await? {
		Ok(text) => text,
		Err(e) => {
			print_attestation_logs(&network, &names).await;
			return Err(e);
		},
	};
	ensure!(text.contains("is a node"), "One registered with a validator down");

	// The sweep after a CA revocation lists both under the test CA's root (CA 0), and
	// revoking Ferdie's EK takes him out of the validator set.
	let swept: serde_json::Value = chain.raw.request("cairn_nodesUnderCa", rpc_params![0]).await?;
	let ferdie_ss58 = ferdie.to_string();
	let ferdie_ek = swept
		.as_array()
		.and_then(|nodes| nodes.iter().find(|n| n["account"] == ferdie_ss58.as_str()))
		.and_then(|n| n["ekId"].as_str())
		.with_context(|| format!("Ferdie is listed under the test CA: {swept}"))?;
	ensure!(swept.as_array().is_some_and(|nodes| nodes.len() == 2), "Ferdie and One are listed: {swept}");
	let ek = decode_hex(ferdie_ek)?;
	let revoke = subxt::dynamic::tx(
		"Sudo",
		"sudo",
		vec![Value::unnamed_variant("Attestation", [Value::named_variant("revoke_ek", [("ek_id", Value::from_bytes(ek))])])],
	);
	chain.submit(&revoke, &dev::alice(), "revoke Ferdie's EK").await?;
	chain.wait_for_validators("Ferdie to leave the validators", |set| !set.contains(&ferdie)).await?;
	let set = chain.validators().await?;
	for v in [&alice, &bob, &charlie, &dave] {
		ensure!(set.contains(v), "{v} still validates: {set:?}");
	}

	// Charlie returns and finalizes everything authored meanwhile (a new connection: the
	// old one died while he was stopped).
	network.get_node("charlie")?.resume().await?;
	let target = heights(alice_rpc).await?.0;
	let charlie_rpc = rpc(network.get_node("charlie")?.ws_uri()).await?;
	wait_for("finality to catch up after charlie returns", Duration::from_secs(180), || async {
		let (_, finalized) = heights(&charlie_rpc).await?;
		Ok((finalized >= target).then_some(()))
	})
	.await?;

	network.destroy().await?;
	Ok(())
}

/// The chain, through Alice's node.
struct Chain {
	api: OnlineClient<PolkadotConfig>,
	raw: RpcClient,
}

impl Chain {
	/// Signs, submits and waits for `tx` to be finalized successfully. The account is also
	/// its node's key, whose off-chain workers sign transactions of their own (endpoints)
	/// with the nonce of the best block: a transaction that meets one of theirs with the
	/// same nonce, in the pool or in a block, is signed again with the next.
	async fn submit(&self, tx: &impl Payload, signer: &Keypair, what: &str) -> Result<()> {
		let mut attempt = 0;
		loop {
			attempt += 1;
			let result = match self.api.tx().sign_and_submit_then_watch_default(tx, signer).await {
				Ok(progress) => progress.wait_for_finalized_success().await.map(|_| ()),
				Err(e) => Err(e),
			};
			match result {
				Ok(()) => return Ok(()),
				Err(e) if attempt < 6 && e.to_string().to_lowercase().contains("invalid") => {
					println!("{what}: {e}; signing again");
					tokio::time::sleep(Duration::from_secs(6)).await;
				},
				Err(e) => return Err(e).with_context(|| what.to_owned()),
			}
		}
	}

	/// As an operator does: the node makes session keys and proves them owned by the
	/// account, which sets them and bonds.
	async fn join_validators(&self, node: &NetworkNode, account: &Keypair) -> Result<()> {
		let owner = account.public_key().to_account_id();
		let node_rpc = RpcClient::from_insecure_url(node.ws_uri()).await?;
		let generated: serde_json::Value = node_rpc
			.request("author_rotateKeysWithOwner", rpc_params![format!("0x{}", hex(owner.0.as_ref()))])
			.await?;
		let keys = decode_hex(generated["keys"].as_str().context("session keys")?)?;
		let proof = decode_hex(generated["proof"].as_str().context("an ownership proof")?)?;
		self.submit(&SetKeys { keys, proof }, account, "session.set_keys").await?;
		let join = subxt::dynamic::tx("Attestation", "join_validators", Vec::<Value>::new());
		self.submit(&join, account, "attestation.join_validators").await
	}

	async fn validators(&self) -> Result<Vec<AccountId32>> {
		let query = subxt::dynamic::storage("Session", "Validators", ());
		let set = self.api.storage().at_latest().await?.fetch(&query).await?.context("the validator set")?;
		Ok(set.as_type::<Vec<AccountId32>>()?)
	}

	async fn wait_for_validators(&self, what: &str, done: impl Fn(&[AccountId32]) -> bool) -> Result<()> {
		wait_for(what, SET_CHANGE, || async {
			let set = self.validators().await?;
			Ok(done(&set).then_some(()))
		})
		.await
	}
}

/// What each node's off-chain worker and pool said about registration challenges: the
/// story of a round that failed.
async fn print_attestation_logs(network: &zombienet_sdk::Network<zombienet_sdk::LocalFileSystem>, names: &[&str]) {
	for name in names {
		let Ok(node) = network.get_node(*name) else { continue };
		match node.logs().await {
			Ok(logs) => {
				println!("--- {name}: attestation and session lines ---");
				logs.lines()
					.filter(|l| l.contains("attestation") || l.contains("challenge") || l.contains("session"))
					.for_each(|l| println!("{l}"));
			},
			Err(e) => println!("--- {name}: no logs: {e}"),
		}
	}
}

/// `session.set_keys` with the keys and proof a node made, already SCALE-encoded.
struct SetKeys {
	keys: Vec<u8>,
	proof: Vec<u8>,
}

impl Payload for SetKeys {
	fn encode_call_data_to(&self, metadata: &Metadata, out: &mut Vec<u8>) -> Result<(), subxt::ext::subxt_core::Error> {
		use subxt::ext::codec::Encode;
		let pallet = metadata.pallet_by_name("Session").expect("the runtime has pallet-session");
		let call = pallet.call_variant_by_name("set_keys").expect("pallet-session has set_keys");
		out.extend([pallet.index(), call.index]);
		out.extend(&self.keys);
		self.proof.encode_to(out);
		Ok(())
	}
}

/// `cairn tpm register` with a software TPM whose EK certificate comes from the test CA
/// that the local chain trusts: the validators' off-chain workers challenge it, the TPM
/// opens the challenges and quotes. Its output, or an error holding it.
fn register(node_url: &str, tpm: &Swtpm, suri: &str, dir: &Path) -> Result<String> {
	let out = Command::new(cairn_bin()?)
		.args(["tpm", "register", "--node-url", node_url, "--suri", suri, "--timeout", "600"])
		.args(["--tpm-tcti", &tpm.tcti()])
		.arg("--ak-file")
		.arg(dir.join(format!("ak-{}.bin", suri.trim_start_matches("//"))))
		.output()?;
	let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
	println!("cairn tpm register --suri {suri}:\n{text}");
	ensure!(out.status.success(), "registration of {suri} failed:\n{text}");
	Ok(text)
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Result<Vec<u8>> {
	let digits = text.trim_start_matches("0x");
	ensure!(digits.len() % 2 == 0, "odd hex: {text}");
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).with_context(|| format!("not hex: {text}")))
		.collect()
}
