//! The storage market on five real provider nodes (`network/market.toml`): each offers
//! storage with `cairn provider offer`; `cairn client put` stores a file 3-of-5 with the
//! five, whose nodes accept the contracts (putting up collateral) and prove their fragments
//! in every proving window by themselves and are paid; a fragment deleted from Dave's disk
//! makes Dave miss windows, each costing a fault fee from its collateral, until the
//! contract ends with `FragmentLost`; the file is still restored from the other four.

mod common;

use std::{process::Command, time::Duration};

use anyhow::{bail, ensure, Context, Result};
use common::{cairn_bin, heights, put_cairn_on_path, rpc, wait_for};
use serde_json::Value;
use subxt::{backend::rpc::RpcClient, ext::subxt_rpcs::rpc_params};
use zombienet_sdk::{NetworkConfig, NetworkConfigExt};

const PROVIDERS: [(&str, &str); 5] =
	[("alice", "0.005"), ("bob", "0.001"), ("charlie", "0.002"), ("dave", "0.004"), ("eve", "0.003")];
/// The providers' accounts (`cairn key inspect //Alice`, ...).
const ACCOUNTS: [&str; 5] = [
	"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
	"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
	"5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
	DAVE,
	"5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw",
];
const DAVE: &str = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy";
/// The client (`//Ferdie`): file records are per client.
const FERDIE: &str = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";

/// Runs `cairn <args>`; returns whether it succeeded, its stdout and its stderr.
fn cairn(args: &[&str]) -> Result<(bool, String, String)> {
	let out = Command::new(cairn_bin()?).args(args).output()?;
	let (stdout, stderr) =
		(String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
	println!("cairn {}:\n{stdout}{stderr}", args.join(" "));
	Ok((out.status.success(), stdout, stderr))
}

async fn file_status(client: &RpcClient, manifest: &str) -> Result<Vec<Value>> {
	Ok(client.request("cairn_fileStatus", rpc_params![FERDIE, manifest]).await?)
}

fn field<'a>(contract: &'a Value, name: &str) -> &'a Value {
	&contract[name]
}

#[tokio::test(flavor = "multi_thread")]
async fn five_providers_store_prove_are_paid_and_a_lost_fragment_costs_collateral() -> Result<()> {
	put_cairn_on_path()?;
	let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let network = NetworkConfig::load_from_toml(&format!("{dir}/network/market.toml"))?.spawn_native().await?;
	let alice = network.get_node("alice")?;
	let url = alice.ws_uri().to_owned();
	let legacy = rpc(&url).await?;
	wait_for("block 2 to be finalized", Duration::from_secs(240), || async {
		Ok((heights(&legacy).await?.1 >= 2).then_some(()))
	})
	.await?;
	let client = RpcClient::from_insecure_url(&url).await?;

	// Every node publishes its endpoint by itself (its off-chain worker, with its node key).
	for account in ACCOUNTS {
		wait_for(&format!("{account}'s endpoint"), Duration::from_secs(240), || async {
			let endpoint: Value = client.request("cairn_resolve", rpc_params![account]).await?;
			Ok((!endpoint.is_null()).then_some(()))
		})
		.await?;
	}

	// Every provider offers storage through its own node, at its own price.
	let offers: Vec<_> = PROVIDERS
		.iter()
		.map(|(name, price)| {
			let node_url = network.get_node(*name).map(|n| n.ws_uri().to_owned());
			let suri = format!("//{}{}", name[..1].to_uppercase(), &name[1..]);
			let price = price.to_string();
			std::thread::spawn(move || -> Result<()> {
				let node_url = node_url?;
				let (ok, stdout, _) = cairn(&[
					"provider",
					"offer",
					"--price",
					&price,
					"--capacity",
					"1G",
					"--max-duration",
					"100",
					"--suri",
					&suri,
					"--node-url",
					&node_url,
				])?;
				ensure!(ok && stdout.contains("offers"), "{suri}'s offer failed");
				Ok(())
			})
		})
		.collect();
	for offer in offers {
		offer.join().map_err(|_| anyhow::anyhow!("offer thread panicked"))??;
	}
	wait_for("five offers with live endpoints", Duration::from_secs(240), || async {
		let providers: Vec<Value> = client.request("cairn_providers", rpc_params![]).await?;
		Ok((providers.iter().filter(|p| !p["endpoint"].is_null()).count() == 5).then_some(providers))
	})
	.await?;

	let work = tempfile::tempdir()?;
	let input = work.path().join("input.bin");
	let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
	std::fs::write(&input, &data)?;
	let input = input.to_str().context("utf-8 path")?;

	// Six fragments cannot find six providers: a named error, nothing paid.
	let (ok, _, stderr) = cairn(&[
		"client",
		"put",
		input,
		"--k",
		"3",
		"--n",
		"6",
		"--duration",
		"12",
		"--suri",
		"//Ferdie",
		"--node-url",
		&url,
	])?;
	ensure!(!ok && stderr.contains("only 5 reachable providers"), "n = 6 is refused by name");

	// Stored 3-of-5: each node accepts its contract by itself.
	let (ok, stdout, stderr) = cairn(&[
		"client",
		"put",
		input,
		"--k",
		"3",
		"--n",
		"5",
		"--duration",
		"12",
		"--suri",
		"//Ferdie",
		"--node-url",
		&url,
	])?;
	ensure!(ok && stderr.contains("all accepted"), "the put failed");
	let cap = stdout.lines().last().context("a capability")?.trim().to_owned();
	let (ok, status, _) = cairn(&["client", "status", &cap, "--node-url", &url])?;
	ensure!(ok && status.matches(" active ").count() == 5, "five active contracts");
	let manifest = status.split_whitespace().nth(1).context("the file id")?.trim_end_matches(':').to_owned();

	let start = file_status(&client, &manifest).await?;
	let escrow_at_start: Vec<u128> =
		start.iter().map(|c| field(c, "escrow").as_str().unwrap_or("0").parse().unwrap_or(0)).collect();

	ensure!(cap.starts_with("cairn:v2:"), "the capability names the client");
	for c in &start {
		let collateral: u128 = field(c, "collateral").as_str().unwrap_or("0").parse()?;
		ensure!(collateral > 0, "contract {} holds the provider's collateral", c["id"]);
	}

	// Three windows proven by every provider, each paid from the escrow.
	let proven = wait_for("three proven windows on every contract", Duration::from_secs(420), || async {
		let contracts = file_status(&client, &manifest).await?;
		let done = contracts.len() == 5
			&& contracts.iter().all(|c| {
				let start = field(c, "start").as_u64().unwrap_or(u64::MAX);
				field(c, "lastProven").as_u64().is_some_and(|p| p >= start + 2)
			});
		Ok(done.then_some(contracts))
	})
	.await?;
	for (contract, before) in proven.iter().zip(&escrow_at_start) {
		let now: u128 = field(contract, "escrow").as_str().unwrap_or("0").parse()?;
		ensure!(now < *before, "contract {} paid its provider: escrow {before} -> {now}", contract["id"]);
	}

	// Dave's disk loses its fragment: stop Dave, delete it, start Dave again.
	let daves = proven.iter().find(|c| field(c, "provider") == DAVE).context("Dave has a contract")?;
	let root = field(daves, "root").as_str().context("root")?.to_owned();
	let dave = network.get_node("dave")?;
	let script = work.path().join("lose-a-fragment-and-start.sh");
	let bin = cairn_bin()?;
	std::fs::write(
		&script,
		format!(
			"#!/bin/sh\n\
			 store=$(find {home} -type d -name fragments -path '*/chains/*' | head -1)\n\
			 chains=$(dirname \"$(dirname \"$store\")\")\n\
			 for i in 1 2 3 4 5 6 7 8 9 10; do\n\
			 \x20 {cairn} store delete {root} --base-path \"$(dirname \"$chains\")\" --chain-id \"$(basename \"$(dirname \"$store\")\")\" && break\n\
			 \x20 sleep 1\n\
			 done\n\
			 exec {cairn} \"$@\"\n",
			home = dave.base_dir().display(),
			cairn = bin.display(),
		),
	)?;
	std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
	// The same node command and arguments, started through the script.
	dave.restart_with(vec![], Some(script.to_str().context("utf-8 path")?.to_owned()), None, None).await?;

	// Dave misses windows, each taking a fault fee from its collateral, and the contract ends.
	let collateral_of = |c: &Value| field(c, "collateral").as_str().unwrap_or("0").parse::<u128>().unwrap_or(0);
	let daves_collateral = collateral_of(daves);
	let fault_fee_taken = std::sync::atomic::AtomicBool::new(false);
	wait_for("Dave's contract to end", Duration::from_secs(420), || async {
		let contracts = file_status(&client, &manifest).await?;
		if let Some(c) = contracts.iter().find(|c| field(c, "provider") == DAVE && field(c, "misses").as_u64() >= Some(1)) {
			println!("Dave has missed a window; collateral {} of {daves_collateral}", collateral_of(c));
			if collateral_of(c) < daves_collateral {
				fault_fee_taken.store(true, std::sync::atomic::Ordering::Relaxed);
			}
		}
		Ok((contracts.len() == 4 && contracts.iter().all(|c| field(c, "provider") != DAVE)).then_some(()))
	})
	.await?;
	if !fault_fee_taken.load(std::sync::atomic::Ordering::Relaxed) {
		bail!("Dave's missed windows took no fault fee from its collateral");
	}

	// The file is whole from the other four providers.
	let output = work.path().join("output.bin");
	let (ok, _, _) = cairn(&["client", "get", &cap, "-o", output.to_str().context("utf-8 path")?, "--node-url", &url])?;
	ensure!(ok && std::fs::read(&output)? == data, "the file was restored");

	network.destroy().await?;
	Ok(())
}
