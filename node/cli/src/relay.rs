//! The forwarding market from the command line: `cairn relay offer|withdraw|list|contracts`
//! (`pallet-forwarding`). A relay forwards traffic for nodes others cannot dial and is
//! paid by their receipts.

use cairn_runtime::{AccountId, RuntimeCall, RuntimeEvent};
use jsonrpsee::rpc_params;

use crate::{
	chain::{Chain, SignerArgs},
	market::{format_crn, parse_crn},
};

/// `cairn relay ...`: relay traffic for nodes behind NAT, for pay.
#[derive(Debug, clap::Subcommand)]
pub enum RelayCmd {
	/// Offer to relay (or change the offer; open contracts keep their prices). The first
	/// offer holds the relay bond.
	Offer {
		/// Price in CRN of a GiB forwarded, e.g. `0.01`.
		#[arg(long, value_name = "CRN")]
		price_per_gib: String,
		/// Price in CRN of an hour of reservation, e.g. `0.001`.
		#[arg(long, value_name = "CRN")]
		price_per_hour: String,
		/// Contracts taken at once.
		#[arg(long, default_value_t = 16)]
		capacity: u32,
		#[command(flatten)]
		signer: SignerArgs,
	},
	/// Withdraw the relay's offer and free its bond (once its contracts are closed).
	Withdraw {
		#[command(flatten)]
		signer: SignerArgs,
	},
	/// List the relays: prices, capacity, open contracts, endpoint.
	List {
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// The open forwarding contracts an account relays or is relayed by, with what was
	/// redeemed so far.
	Contracts {
		/// The account (SS58).
		account: String,
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = crate::chain::DEFAULT_NODE_URL)]
		node_url: String,
	},
}

/// Runs a `cairn relay` command.
pub fn run(cmd: &RelayCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		match cmd {
			RelayCmd::Offer { price_per_gib, price_per_hour, capacity, signer } => {
				let (per_gib, per_hour) = (parse_crn(price_per_gib)?, parse_crn(price_per_hour)?);
				let pair = signer.pair()?;
				let chain = Chain::connect(&signer.node_url).await?;
				let call = RuntimeCall::Forwarding(pallet_forwarding::Call::offer_relay {
					price_per_gib: per_gib,
					price_per_hour: per_hour,
					capacity: *capacity,
				});
				let included = chain.submit(&pair, call).await?;
				for event in included.events {
					if let RuntimeEvent::Forwarding(pallet_forwarding::Event::RelayOffered {
						relay, capacity, ..
					}) = event
					{
						println!(
							"{relay} relays up to {capacity} contracts at {} per GiB and {} per hour, block #{}",
							format_crn(per_gib),
							format_crn(per_hour),
							included.block_number
						);
					}
				}
				Ok(())
			},
			RelayCmd::Withdraw { signer } => {
				let pair = signer.pair()?;
				let chain = Chain::connect(&signer.node_url).await?;
				let call = RuntimeCall::Forwarding(pallet_forwarding::Call::withdraw_offer {});
				let included = chain.submit(&pair, call).await?;
				println!("offer withdrawn, its bond free, block #{}", included.block_number);
				Ok(())
			},
			RelayCmd::List { node_url } => {
				let chain = Chain::connect(node_url).await?;
				let relays: Vec<cairn_rpc::cairn::RelayView> = chain.call("cairn_relays", rpc_params![]).await?;
				println!("{:<48} {:>14} {:>14} {:>9} {:>9}", "relay", "CRN/GiB", "CRN/hour", "open", "capacity");
				let crn = |plancks: &str| plancks.parse().map(format_crn).unwrap_or_else(|_| plancks.to_owned());
				for r in relays {
					let (per_gib, per_hour) = (crn(&r.price_per_gib), crn(&r.price_per_hour));
					println!("{:<48} {per_gib:>14} {per_hour:>14} {:>9} {:>9}", r.account, r.open, r.capacity);
				}
				Ok(())
			},
			RelayCmd::Contracts { account, node_url } => {
				let account: AccountId =
					account.parse().map_err(|_| format!("`{account}` is not an account: give its SS58 address"))?;
				let chain = Chain::connect(node_url).await?;
				let contracts: Vec<cairn_rpc::cairn::ForwardingView> =
					chain.call("cairn_forwarding", rpc_params![account.to_string()]).await?;
				println!(
					"{:>6}  {:<48}  {:<48}  {:>22}  {:>7}  {:>14}  {:>10}",
					"id", "relay", "relayed node", "bytes redeemed", "hours", "paid", "ends at"
				);
				let crn = |plancks: &str| plancks.parse().map(format_crn).unwrap_or_else(|_| plancks.to_owned());
				for c in contracts {
					println!(
						"{:>6}  {:<48}  {:<48}  {:>22}  {:>7}  {:>14}  {:>10}",
						c.id,
						c.relay,
						c.client,
						format!("{}/{}", c.redeemed_bytes, c.max_bytes),
						format!("{}/{}", c.paid_hours, c.hours),
						crn(&c.paid),
						format!("#{}", c.ends_at)
					);
				}
				Ok(())
			},
		}
	})
}
