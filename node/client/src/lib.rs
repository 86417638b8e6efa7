//! # Cairn's client library
//!
//! What a user's side of Cairn does, in one place for the `cairn` command line, the node's
//! HTTP gateway and hosted apps:
//! - [`chain`]: a node's RPC, storage reads, and signed transactions watched into a block;
//! - [`market`]: quotes, contracts, their acceptance and state, prices and sizes in words;
//! - [`put`]: storing a file under contracts, replacing providers that fail;
//! - [`invite`]: invitations, one-time vouchers that bring a newcomer in;
//! - reading a file back is [`cairn_net::files::get_file`] from the providers
//!   [`market::providers_of`] finds.

pub mod chain;
pub mod invite;
pub mod market;
pub mod put;

pub use chain::{pair_from_suri, Chain, Included, DEFAULT_NODE_URL};
