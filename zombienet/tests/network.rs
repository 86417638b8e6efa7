//! A three-validator Cairn network spawned by zombienet-sdk from `network/local.toml`.

mod common;

use std::{process::Command, time::Duration};

use anyhow::{ensure, Result};
use cairn_swtpm::{Swtpm, TestCa};
use common::{cairn_bin, heights, put_cairn_on_path, rpc, wait_for};
use subxt::{backend::rpc::RpcClient, ext::subxt_rpcs::rpc_params};
use subxt_signer::sr25519::dev;
use zombienet_sdk::{NetworkConfig, NetworkConfigExt};

#[tokio::test(flavor = "multi_thread")]
async fn three_validators_peer_finalize_register_a_tpm_node_and_survive_a_lost_validator() -> Result<()> {
	put_cairn_on_path()?;
	// Read at run time: a test binary built from another checkout sharing the target dir
	// must not point at that checkout.
	let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let toml = format!("{dir}/network/local.toml");
	let network = NetworkConfig::load_from_toml(&toml)?.spawn_native().await?;

	let names = ["alice", "bob", "charlie"];
	let mut clients = Vec::new();
	for name in names {
		let node = network.get_node(name)?;
		clients.push((name, rpc(node.ws_uri()).await?));
	}

	// Every node sees both others, and all finalize past block 2.
	for (name, client) in &clients {
		wait_for(&format!("{name} to see 2 peers"), Duration::from_secs(120), || async {
			let health = client.system_health().await?;
			Ok((health.peers >= 2).then_some(()))
		})
		.await?;
		wait_for(&format!("{name} to finalize block 2"), Duration::from_secs(180), || async {
			let (_, finalized) = heights(client).await?;
			Ok((finalized >= 2).then_some(()))
		})
		.await?;
	}

	register_a_node_with_a_software_tpm(&network.get_node("alice")?.ws_uri().to_owned())?;
	// The sweep governance makes after revoking a CA lists Ferdie under the test CA's
	// root (CA 0 of the local chain), with his EK id.
	let raw = RpcClient::from_insecure_url(network.get_node("alice")?.ws_uri()).await?;
	let swept: serde_json::Value = raw.request("cairn_nodesUnderCa", rpc_params![0]).await?;
	let ferdie = dev::ferdie().public_key().to_account_id().to_string();
	ensure!(
		swept.as_array().is_some_and(|nodes| nodes.iter().any(|n| n["account"] == ferdie.as_str())),
		"Ferdie is listed under the test CA: {swept}"
	);

	// Lose Charlie. BABE goes on with the two others' slots. GRANDPA needs more than two
	// thirds of the voters, which for three voters is all three: finality pauses...
	network.get_node("charlie")?.pause().await?;
	let (alice, bob) = (&clients[0].1, &clients[1].1);
	let (best_at_loss, finalized_at_loss) = heights(alice).await?;
	wait_for("blocks to go on without charlie", Duration::from_secs(120), || async {
		let (best, _) = heights(bob).await?;
		Ok((best >= best_at_loss + 3).then_some(()))
	})
	.await?;

	// ...and catches up with everything authored meanwhile once Charlie is back.
	network.get_node("charlie")?.resume().await?;
	let target = heights(alice).await?.0;
	wait_for("finality to catch up after charlie returns", Duration::from_secs(180), || async {
		let (_, finalized) = heights(alice).await?;
		Ok((finalized >= target && finalized > finalized_at_loss).then_some(()))
	})
	.await?;

	network.destroy().await?;
	Ok(())
}

/// `cairn tpm register` with a software TPM whose EK certificate comes from the test CA
/// that the local chain trusts: the three validators' off-chain workers challenge it, the
/// TPM opens the challenges and quotes, and Ferdie becomes a node. Then another account
/// cannot claim the same TPM.
fn register_a_node_with_a_software_tpm(node_url: &str) -> Result<()> {
	let dir = tempfile::tempdir()?;
	let ca = TestCa::committed(dir.path())?;
	let tpm = Swtpm::manufacture(&ca, &dir.path().join("tpm"));
	let register = |suri: &str| -> Result<(bool, String)> {
		let out = Command::new(cairn_bin()?)
			.args(["tpm", "register", "--node-url", node_url, "--suri", suri, "--timeout", "300"])
			.args(["--tpm-tcti", &tpm.tcti()])
			.arg("--ak-file")
			.arg(dir.path().join(format!("ak-{}.bin", suri.trim_start_matches("//"))))
			.output()?;
		let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
		println!("cairn tpm register --suri {suri}:\n{text}");
		Ok((out.status.success(), text))
	};

	let (ok, text) = register("//Ferdie")?;
	ensure!(ok, "Ferdie's registration failed");
	ensure!(text.contains("all 3 challenges posted"), "the three validators challenged");
	ensure!(text.contains("is a node"), "Ferdie is registered");
	ensure!(text.contains("claim grant: 100 CRN"), "the claim grant was paid");

	let (ok, text) = register("//Ferdie")?;
	ensure!(ok && text.contains("registered node already"), "the chain knows Ferdie as a node");

	// One TPM, one node: another account's request with the same EK is refused by name.
	let (ok, text) = register("//One")?;
	ensure!(!ok && text.contains("Attestation::EkAlreadyOwned"), "a second account cannot claim the TPM");
	Ok(())
}
