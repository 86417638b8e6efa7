//! The storage market from the command line: `cairn provider offer|list`, and a file's
//! contracts for `cairn client status`. The market's logic is `cairn-client`'s.

pub use cairn_client::market::*;
use cairn_erasure::ReadCapability;
use cairn_primitives::Period;
use cairn_runtime::{AccountId, RuntimeCall, RuntimeEvent};
use jsonrpsee::rpc_params;

use crate::chain::{Chain, SignerArgs};

/// `cairn provider ...`: offer this node's disk on the storage market.
#[derive(Debug, clap::Subcommand)]
pub enum ProviderCmd {
	/// Offer storage (or change the offer): the node then takes, stores and proves
	/// fragments under contracts by itself. The first offer holds the provider bond.
	Offer {
		/// Price in CRN of a GiB for one proving window (a minute on dev chains, a day on a
		/// production network), e.g. `0.01`; at least the network's floor.
		#[arg(long, value_name = "CRN")]
		price: String,
		/// Most bytes to store under contracts: a number with an optional K, M, G or T
		/// (powers of 1024), e.g. `50G`.
		#[arg(long, value_name = "SIZE")]
		capacity: String,
		/// The shortest contract taken, in proving windows.
		#[arg(long, default_value_t = 1)]
		min_duration: Period,
		/// The longest contract taken, in proving windows.
		#[arg(long, default_value_t = 365)]
		max_duration: Period,
		#[command(flatten)]
		signer: SignerArgs,
	},
	/// List the providers: price, capacity, bytes under live contracts, partitions proven.
	List {
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
}

/// Runs a `cairn provider` command.
pub fn run_provider(cmd: &ProviderCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		match cmd {
			ProviderCmd::Offer { price, capacity, min_duration, max_duration, signer } => {
				let price_per_gib = parse_crn(price)?;
				let capacity = parse_size(capacity)?;
				let pair = signer.pair()?;
				let chain = Chain::connect(&signer.node_url).await?;
				let call = RuntimeCall::Storage(pallet_storage::Call::set_offer {
					price_per_gib,
					capacity,
					min_duration: *min_duration,
					max_duration: *max_duration,
				});
				let included = chain.submit(&pair, call).await?;
				for event in included.events {
					if let RuntimeEvent::Storage(pallet_storage::Event::OfferSet { provider, bond, .. }) = event {
						println!(
							"{provider} offers {capacity} bytes at {} per GiB per window (bond {}), block #{}",
							format_crn(price_per_gib),
							format_crn(bond),
							included.block_number
						);
					}
				}
				Ok(())
			},
			ProviderCmd::List { node_url } => {
				let chain = Chain::connect(node_url).await?;
				let providers: Vec<cairn_rpc::cairn::ProviderView> =
					chain.call("cairn_providers", rpc_params![]).await?;
				println!(
					"{:<48} {:>14} {:>14} {:>16} {:>10}",
					"provider", "used", "capacity", "CRN/GiB/window", "partitions"
				);
				for p in providers {
					let price = p.price_per_gib.parse().map(format_crn).unwrap_or(p.price_per_gib);
					println!("{:<48} {:>14} {:>14} {:>16} {:>10}", p.account, p.used, p.capacity, price, p.partitions);
				}
				Ok(())
			},
		}
	})
}

/// Prints a file's contracts.
pub async fn print_status(chain: &Chain, client: &AccountId, cap: &ReadCapability) -> Result<(), String> {
	let contracts = file_status(chain, client, cap.manifest_id).await?;
	println!("file 0x{}: {} live contracts", hex::encode(cap.manifest_id), contracts.len());
	println!(
		"{:>8}  {:<20}  {:<8}  {:>9}  {:>11}  {:>6}  {:<48}",
		"contract", "fragment", "state", "windows", "last proof", "misses", "provider"
	);
	for c in contracts {
		let periods = match (c.start, c.end) {
			(Some(s), Some(e)) => format!("{s}..{e}"),
			_ => format!("until #{}", c.accept_by.unwrap_or_default()),
		};
		println!(
			"{:>8}  {:<20}  {:<8}  {:>9}  {:>11}  {:>6}  {:<48}",
			c.id,
			&c.root[..c.root.len().min(20)],
			c.state,
			periods,
			c.last_proven.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
			c.misses.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
			c.provider
		);
	}
	Ok(())
}
