//! The chain from the command line: which node to talk to and which account signs. The
//! RPC client itself is `cairn-client`'s.

pub use cairn_client::chain::*;
use polkadot_sdk::sp_core::sr25519;

/// `--node-url` and `--suri`: which node to talk to, and which account signs.
#[derive(Debug, Clone, clap::Args)]
pub struct SignerArgs {
	/// The node's RPC endpoint.
	#[arg(long, value_name = "URL", default_value = DEFAULT_NODE_URL)]
	pub node_url: String,

	/// The secret URI of the account that signs: a mnemonic, a hex seed, or a dev path
	/// such as `//Dave`. It should be the node's key (`cairn key insert --key-type cair`).
	#[arg(long, value_name = "SECRET_URI")]
	pub suri: String,
}

impl SignerArgs {
	pub fn pair(&self) -> Result<sr25519::Pair, String> {
		pair_from_suri(&self.suri)
	}
}
