//! What this node is, beyond the chain: `cairn_serviceAddresses`.

use jsonrpsee::{core::RpcResult, proc_macros::rpc};

#[rpc(server)]
pub trait LocalApi {
	/// This node's service-plane (`cairn-net`) addresses, each ending in `/p2p/<peer id>`,
	/// those other machines can reach first; empty without a fragment service. `cairn invite
	/// create` puts them in an invitation: a newcomer's `cairn join` fetches the chain
	/// specification there.
	#[method(name = "cairn_serviceAddresses")]
	fn service_addresses(&self) -> RpcResult<Vec<String>>;
}

/// Implements [`LocalApiServer`] with what the node knew when it started.
pub struct Local {
	pub service_addresses: Vec<String>,
}

impl LocalApiServer for Local {
	fn service_addresses(&self) -> RpcResult<Vec<String>> {
		Ok(self.service_addresses.clone())
	}
}
