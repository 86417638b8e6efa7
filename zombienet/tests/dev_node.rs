//! The real `cairn --dev` binary: it authors and finalizes blocks, publishes its own
//! endpoint, takes a signed transfer from a real client (subxt), and stops cleanly on
//! SIGINT.

mod common;

use std::{
	net::TcpListener,
	process::{Child, Command, Stdio},
	time::Duration,
};

use anyhow::{ensure, Context, Result};
use common::{cairn_bin, heights, rpc, wait_for};
use subxt::{
	backend::rpc::RpcClient, dynamic::Value, ext::scale_value::At, ext::subxt_rpcs::rpc_params, OnlineClient,
	PolkadotConfig,
};
use subxt_signer::sr25519::dev;

fn free_port() -> Result<u16> {
	Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A dev node that is killed if the test fails before stopping it.
struct DevNode(Child);

impl Drop for DevNode {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

/// Starts `cairn --dev` on free ports; its log goes to `log`.
fn start_dev_node(rpc_port: u16, log: &std::path::Path) -> Result<DevNode> {
	let child = Command::new(cairn_bin()?)
		.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry", "--no-mdns"])
		.args(["--rpc-port", &rpc_port.to_string()])
		.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port()?)])
		.args(["--fragment-port", "0", "--fragment-listen-ip", "127.0.0.1", "--no-gateway"])
		.stdout(Stdio::null())
		.stderr(std::fs::File::create(log)?)
		.spawn()
		.context("start cairn")?;
	Ok(DevNode(child))
}

/// The last lines of the node's log, for failure messages.
fn log_tail(log: &std::path::Path) -> String {
	let text = std::fs::read_to_string(log).unwrap_or_default();
	let lines: Vec<_> = text.lines().collect();
	lines[lines.len().saturating_sub(15)..].join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_finalizes_and_accepts_a_signed_transfer() -> Result<()> {
	let rpc_port = free_port()?;
	let log = std::env::temp_dir().join(format!("cairn-dev-node-{}.log", std::process::id()));
	let mut node = start_dev_node(rpc_port, &log)?;
	let url = format!("ws://127.0.0.1:{rpc_port}");

	let legacy = wait_for("RPC to come up", Duration::from_secs(60), || async { Ok(rpc(&url).await.ok()) })
		.await
		.with_context(|| format!("node log:\n{}", log_tail(&log)))?;
	wait_for("block 3 and a finalized block", Duration::from_secs(90), || async {
		let (best, finalized) = heights(&legacy).await?;
		Ok((best >= 3 && finalized >= 1).then_some(()))
	})
	.await?;

	// The node (Alice's account on the dev chain) publishes its fragment service's peer id
	// and address by itself, and `cairn_resolve` finds them in a finalized block.
	let raw = RpcClient::from_insecure_url(&url).await?;
	let alice = dev::alice().public_key().to_account_id();
	let endpoint: serde_json::Value =
		wait_for("the node's endpoint to be finalized", Duration::from_secs(120), || async {
			let finalized = legacy.chain_get_finalized_head().await?;
			let found: serde_json::Value =
				raw.request("cairn_resolve", rpc_params![alice.to_string(), finalized]).await?;
			Ok((!found.is_null()).then_some(found))
		})
		.await
		.with_context(|| format!("node log:\n{}", log_tail(&log)))?;
	let peer_id = endpoint["peerId"].as_str().context("peer id")?;
	let address = endpoint["addresses"][0].as_str().context("an address")?;
	let announced = std::fs::read_to_string(&log)?;
	ensure!(
		announced.contains(&format!("Fragment service on {address}/p2p/{peer_id}")),
		"the published endpoint {address}/p2p/{peer_id} is not where the fragment service listens"
	);

	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(&url).await?;
	let properties = legacy.system_properties().await?;
	assert_eq!(properties.get("tokenSymbol").and_then(|v| v.as_str()), Some("CRN"));

	let bob = dev::bob().public_key().to_account_id();
	let amount: u128 = 12_345_000_000_000;
	let balance_of = |who: subxt::utils::AccountId32| {
		let api = api.clone();
		async move {
			let query = subxt::dynamic::storage("System", "Account", vec![Value::from_bytes(who.0)]);
			let account = api.storage().at_latest().await?.fetch(&query).await?.context("account")?;
			let free = account
				.to_value()?
				.at("data")
				.and_then(|d| d.at("free"))
				.and_then(|f| f.as_u128())
				.context("free balance")?;
			anyhow::Ok(free)
		}
	};
	let bob_before = balance_of(bob.clone()).await?;

	let tx = subxt::dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		vec![Value::unnamed_variant("Id", [Value::from_bytes(bob.0)]), Value::u128(amount)],
	);
	let events =
		api.tx().sign_and_submit_then_watch_default(&tx, &dev::alice()).await?.wait_for_finalized_success().await?;
	ensure!(
		events.iter().flatten().any(|e| e.pallet_name() == "Balances" && e.variant_name() == "Transfer"),
		"no Balances.Transfer event"
	);
	ensure!(
		events
			.iter()
			.flatten()
			.any(|e| e.pallet_name() == "TransactionPayment" && e.variant_name() == "TransactionFeePaid"),
		"no fee paid"
	);
	assert_eq!(balance_of(bob).await? - bob_before, amount);

	// SIGINT: the node shuts down cleanly and exits with success.
	let pid = node.0.id().to_string();
	let status = Command::new("kill").args(["-INT", &pid]).status()?;
	ensure!(status.success(), "could not signal the node");
	let exit = wait_for("the node to exit", Duration::from_secs(60), || {
		let exited = node.0.try_wait();
		async move { Ok(exited?) }
	})
	.await?;
	ensure!(exit.success(), "node exited with {exit}");
	Ok(())
}
