//! `cairn_*` methods, each a thin wrapper over a runtime API.

use std::{marker::PhantomData, sync::Arc};

use cairn_primitives::{AccountId, BlockNumber};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{ErrorObject, ErrorObjectOwned},
};
use pallet_endpoints::EndpointsApi;
use polkadot_sdk::{sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend, sp_runtime::traits::Block as BlockT};
use serde::Serialize;

/// A runtime API call failed (the node's state is missing or the runtime trapped).
pub const RUNTIME_ERROR: i32 = 8000;

/// A node's endpoint as clients use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedEndpoint {
	/// The libp2p peer id, base58 as libp2p prints it.
	pub peer_id: String,
	/// Its service-plane multiaddrs; bytes that are not a multiaddr are shown as hex.
	pub addresses: Vec<String>,
	/// The block at which the endpoint expires unless refreshed.
	pub expires_at: BlockNumber,
}

#[rpc(server)]
pub trait CairnApi<BlockHash> {
	/// Where `account` (SS58) listens, or null when it published no live endpoint or is not
	/// an attested node.
	#[method(name = "cairn_resolve")]
	fn resolve(&self, account: AccountId, at: Option<BlockHash>) -> RpcResult<Option<ResolvedEndpoint>>;
}

/// Implements [`CairnApiServer`] with a client.
pub struct Cairn<C, Block> {
	client: Arc<C>,
	_block: PhantomData<Block>,
}

impl<C, Block> Cairn<C, Block> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, format!("runtime API call failed: {e}"), None::<()>)
}

fn multiaddr_text(bytes: &[u8]) -> String {
	multiaddr::Multiaddr::try_from(bytes.to_vec())
		.map(|a| a.to_string())
		.unwrap_or_else(|_| format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

impl<C, Block> CairnApiServer<Block::Hash> for Cairn<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: EndpointsApi<Block, AccountId, BlockNumber>,
{
	fn resolve(&self, account: AccountId, at: Option<Block::Hash>) -> RpcResult<Option<ResolvedEndpoint>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let endpoint = self.client.runtime_api().resolve(at, account).map_err(runtime_error)?;
		Ok(endpoint.map(|e| ResolvedEndpoint {
			peer_id: bs58::encode(&e.peer_id[..]).into_string(),
			addresses: e.addresses.iter().map(|a| multiaddr_text(a)).collect(),
			expires_at: e.expires_at,
		}))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn addresses_render_as_multiaddrs_or_hex() {
		assert_eq!(multiaddr_text(&[0x04, 127, 0, 0, 1, 0x06, 0x76, 0xEC]), "/ip4/127.0.0.1/tcp/30444");
		assert_eq!(multiaddr_text(&[0xff, 0x01]), "0xff01");
	}
}
