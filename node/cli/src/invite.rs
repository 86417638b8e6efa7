//! `cairn invite create|redeem|revoke`: bring a friend in with a one-time voucher that
//! pays their first fees and bond. The logic is `cairn-client`'s.

use cairn_client::invite::{self, parse_lifetime, Invitation};
use cairn_runtime::{AccountId, RuntimeCall};
use jsonrpsee::rpc_params;
use polkadot_sdk::sp_core::Pair;

use crate::{
	chain::{Chain, SignerArgs, DEFAULT_NODE_URL},
	market::{format_crn, parse_crn},
};

/// `cairn invite ...`.
#[derive(Debug, clap::Subcommand)]
pub enum InviteCmd {
	/// Open a voucher worth `--grant` (held from the signer until it is redeemed, revoked
	/// or expires) and print the invitation to hand over: one line of text.
	Create {
		/// What the newcomer receives, in CRN (e.g. `10` or `10CRN`): enough for their
		/// fees and, if they will store for others, the provider bond.
		#[arg(long, value_name = "CRN")]
		grant: String,
		/// How long the invitation can be redeemed: `7d`, `12h`, `30m` or a number of blocks.
		#[arg(long, value_name = "DURATION", default_value = "7d")]
		expires_in: String,
		/// The p2p addresses the newcomer's node connects to first (`/ip4/.../p2p/...`);
		/// by default those the node at `--node-url` listens on.
		#[arg(long = "bootnode", value_name = "MULTIADDR")]
		bootnodes: Vec<String>,
		/// Where the newcomer's `cairn join` fetches the chain specification: fragment
		/// service addresses (`/ip4/.../tcp/30444/p2p/...`); by default those of the node
		/// at `--node-url`.
		#[arg(long = "service-addr", value_name = "MULTIADDR")]
		service: Vec<String>,
		#[command(flatten)]
		signer: SignerArgs,
	},
	/// Redeem an invitation for an account, which needs no balance of its own.
	Redeem {
		/// The invitation, `cairn-invite:v2:...`, or `-` to read it from stdin (so that it
		/// stays out of the shell's history and the process list).
		invitation: String,
		/// The account (SS58) that receives the grant.
		#[arg(long, value_name = "ACCOUNT")]
		to: String,
		/// The node's RPC endpoint.
		#[arg(long, value_name = "URL", default_value = DEFAULT_NODE_URL)]
		node_url: String,
	},
	/// Withdraw an invitation not yet redeemed, expired or not; the grant is free again.
	Revoke {
		/// The invitation, `cairn-invite:v2:...`, or `-` to read it from stdin.
		invitation: String,
		#[command(flatten)]
		signer: SignerArgs,
	},
}

/// The invitation given on the command line, or read from stdin for `-`.
pub(crate) fn read_invitation(text: &str) -> Result<Invitation, String> {
	if text != "-" {
		return text.parse();
	}
	let mut line = String::new();
	std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the invitation from stdin: {e}"))?;
	line.parse()
}

/// The node's own p2p addresses, for an invitation's bootnodes.
async fn listen_addresses(chain: &Chain) -> Result<Vec<String>, String> {
	let addresses: Vec<String> = chain.call("system_localListenAddresses", rpc_params![]).await?;
	// Loopback first only when there is nothing else (a test network on one machine).
	let (local, other): (Vec<_>, Vec<_>) =
		addresses.into_iter().partition(|a| a.starts_with("/ip4/127.") || a.starts_with("/ip6/::1/"));
	Ok(if other.is_empty() { local } else { other }.into_iter().take(8).collect())
}

/// Runs a `cairn invite` command.
pub fn run(cmd: &InviteCmd) -> Result<(), String> {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
	runtime.block_on(async {
		match cmd {
			InviteCmd::Create { grant, expires_in, bootnodes, service, signer } => {
				let grant = parse_crn(grant)?;
				let lifetime = parse_lifetime(expires_in)?;
				let pair = signer.pair()?;
				let chain = Chain::connect(&signer.node_url).await?;
				let bootnodes = if bootnodes.is_empty() { listen_addresses(&chain).await? } else { bootnodes.clone() };
				let service: Vec<String> = if service.is_empty() {
					let addresses: Vec<String> = chain.call("cairn_serviceAddresses", rpc_params![]).await?;
					addresses.into_iter().take(8).collect()
				} else {
					service.clone()
				};
				let no_service = service.is_empty();
				let (invitation, included) = invite::invite(&chain, &pair, grant, lifetime, bootnodes, service).await?;
				if no_service {
					eprintln!(
						"note: the node runs no fragment service, so the invitation names no place to fetch the \
						 chain specification from: the newcomer joins with `cairn join --chain SPEC` (or give \
						 --service-addr)"
					);
				}
				eprintln!(
					"A voucher of {} held from {} until block #{} (made in block #{}). Hand this over; \
					 whoever has it can redeem it once:",
					format_crn(grant),
					AccountId::from(pair.public()),
					included.block_number + lifetime,
					included.block_number
				);
				println!("{invitation}");
				Ok(())
			},
			InviteCmd::Redeem { invitation, to, node_url } => {
				let invitation = read_invitation(invitation)?;
				let to: AccountId =
					to.parse().map_err(|_| format!("--to `{to}` is not an account: give its SS58 address (5...)"))?;
				let chain = Chain::connect(node_url).await?;
				let (grant, block) = invite::redeem(&chain, &invitation, &to).await?;
				println!("{to} received {} in block #{block}", format_crn(grant));
				Ok(())
			},
			InviteCmd::Revoke { invitation, signer } => {
				let invitation = read_invitation(invitation)?;
				let pair = signer.pair()?;
				let chain = Chain::connect(&signer.node_url).await?;
				let voucher = invite::open_voucher(&chain, &invitation).await?;
				let call =
					RuntimeCall::Invites(pallet_invites::Call::revoke { voucher: invitation.voucher().public().0 });
				let included = chain.submit(&pair, call).await?;
				println!("revoked in block #{}; {} is free again", included.block_number, format_crn(voucher.grant));
				Ok(())
			},
		}
	})
}
