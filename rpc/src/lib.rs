//! The Cairn node's JSON-RPC extensions: Substrate's standard `system_*` account and
//! `payment_*` fee methods, and the `cairn_*` methods, each a thin wrapper over runtime
//! APIs.

pub mod cairn;
pub mod local;

use std::sync::Arc;

use cairn_primitives::{AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use polkadot_sdk::{
	sc_transaction_pool_api::TransactionPool,
	sp_api::ProvideRuntimeApi,
	sp_block_builder::BlockBuilder,
	sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
	sp_runtime::traits::Block as BlockT,
	*,
};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client, for runtime API calls and chain data.
	pub client: Arc<C>,
	/// The transaction pool, for nonces that count pending transactions.
	pub pool: Arc<P>,
	/// This node's service-plane addresses, each ending in `/p2p/<peer id>`; empty without
	/// a fragment service.
	pub service_addresses: Vec<String>,
}

/// Builds every RPC extension of a full node.
pub fn create_full<Block, C, P>(deps: FullDeps<C, P>) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: pallet_endpoints::EndpointsApi<Block, AccountId, cairn_primitives::BlockNumber>,
	C::Api: pallet_storage::StorageApi<Block, AccountId, Balance, cairn_primitives::BlockNumber>,
	C::Api: pallet_attestation::AttestationApi<Block, AccountId>,
	C::Api: pallet_forwarding::ForwardingApi<Block, AccountId, Balance, cairn_primitives::BlockNumber>,
	P: TransactionPool<Block = Block> + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, service_addresses } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(cairn::CairnApiServer::into_rpc(cairn::Cairn::<C, Block>::new(client)))?;
	module.merge(local::LocalApiServer::into_rpc(local::Local { service_addresses }))?;

	Ok(module)
}
