//! The `cairn` command line.

use polkadot_sdk::sc_cli;

/// Subcommands besides running a node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Export the chain specification (`--chain dev|local|PATH`).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Build a chain specification (deprecated upstream; prefer `export-chain-spec`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Store and fetch files through providers' fragment services.
	#[command(subcommand)]
	Client(crate::fragments::ClientCmd),

	/// The fragment store of a stopped node.
	#[command(subcommand)]
	Store(crate::fragments::StoreCmd),

	/// Offer this node's storage on the market.
	#[command(subcommand)]
	Provider(crate::market::ProviderCmd),

	/// Relay traffic for nodes others cannot dial, paid by their receipts.
	#[command(subcommand)]
	Relay(crate::relay::RelayCmd),

	/// Invite a friend: a one-time voucher with a starter balance, as one line of text.
	#[command(subcommand)]
	Invite(crate::invite::InviteCmd),

	/// Join a friend's network with their invitation: fetch the chain, make the node key,
	/// take the starter balance, register with the TPM, offer storage, and run the node.
	Join(crate::join::JoinCmd),

	/// The apps this node hosts: pack, install, list, remove, logs.
	#[command(subcommand)]
	Apps(crate::apps::AppsCmd),

	/// The node's TPM: what it offers for attestation.
	#[command(subcommand)]
	Tpm(crate::tpm::TpmCmd),
}

/// The `cairn` node and its tools.
#[derive(Debug, clap::Parser)]
#[command(propagate_version = true, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// How much of the machine the node takes: `small` for a Raspberry Pi or a router (one
	/// allocator arena, one runtime instance, small caches, pool and fragment-store
	/// memtables; flags given explicitly win).
	#[arg(long, value_enum, default_value_t)]
	pub profile: crate::profile::Profile,

	#[clap(flatten)]
	pub fragments: crate::fragments::FragmentArgs,

	#[clap(flatten)]
	pub gateway: crate::gateway::GatewayArgs,

	#[clap(flatten)]
	pub apps: crate::apps::AppsArgs,
}
