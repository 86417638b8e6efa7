//! `cairn_*` methods, each a thin wrapper over runtime APIs.
//!
//! Balances are decimal strings of plancks (they pass `u64`, which JSON numbers cannot
//! hold exactly); hashes and roots are `0x` hex.

use std::{marker::PhantomData, sync::Arc};

use cairn_primitives::{AccountId, Balance, BlockNumber, ContractId, Period};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{ErrorObject, ErrorObjectOwned},
};
use pallet_attestation::AttestationApi;
use pallet_endpoints::EndpointsApi;
use pallet_forwarding::{Forwarding, ForwardingApi, ForwardingId};
use pallet_storage::{Contract, ContractState, StorageApi};
use polkadot_sdk::{sp_api::ProvideRuntimeApi, sp_blockchain::HeaderBackend, sp_runtime::traits::Block as BlockT};
use serde::{Deserialize, Serialize};

/// A runtime API call failed (the node's state is missing or the runtime trapped).
pub const RUNTIME_ERROR: i32 = 8000;
/// Fewer providers can take the file than it has fragments.
pub const NOT_ENOUGH_PROVIDERS: i32 = 8001;
/// A parameter is out of range (k, n, size, duration, a hex id).
pub const BAD_PARAMS: i32 = 8002;

/// A node's endpoint as clients use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedEndpoint {
	/// The libp2p peer id, base58 as libp2p prints it.
	pub peer_id: String,
	/// Its service-plane multiaddrs; bytes that are not a multiaddr are shown as hex.
	pub addresses: Vec<String>,
	/// The block at which the endpoint expires unless refreshed.
	pub expires_at: BlockNumber,
}

/// A provider's offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
	pub account: String,
	/// Plancks per GiB per challenge period.
	pub price_per_gib: String,
	pub capacity: u64,
	pub used: u64,
	pub min_duration: Period,
	pub max_duration: Period,
	pub bond: String,
	/// Partitions it proves (each up to 32 active contracts).
	pub partitions: u32,
	/// Where it listens; null if it has no live endpoint (then clients cannot reach it).
	pub endpoint: Option<ResolvedEndpoint>,
}

/// A relay's offer (`pallet-forwarding`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayView {
	pub account: String,
	/// Plancks per GiB forwarded.
	pub price_per_gib: String,
	/// Plancks per hour of reservation.
	pub price_per_hour: String,
	/// Contracts it takes at once, and how many are open.
	pub capacity: u32,
	pub open: u32,
	pub bond: String,
	/// Where it listens; null if it has no live endpoint (then nobody can reach it).
	pub endpoint: Option<ResolvedEndpoint>,
}

/// A forwarding contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardingView {
	pub id: ForwardingId,
	pub relay: String,
	/// The relayed node, who pays.
	pub client: String,
	pub price_per_gib: String,
	pub price_per_hour: String,
	pub max_bytes: u64,
	pub hours: u32,
	/// What is still held from the client.
	pub escrow: String,
	/// What the relay was paid so far: its earnings from this contract.
	pub paid: String,
	/// The bytes of the last receipt redeemed, and the reservation hours paid.
	pub redeemed_bytes: u64,
	pub paid_hours: u32,
	pub starts_at: BlockNumber,
	/// Its end; receipts are redeemed until the dispute window after it closes.
	pub ends_at: BlockNumber,
}

impl ForwardingView {
	fn new(id: ForwardingId, c: Forwarding<AccountId, Balance, BlockNumber>) -> Self {
		ForwardingView {
			id,
			relay: c.relay.to_string(),
			client: c.client.to_string(),
			price_per_gib: c.price_per_gib.to_string(),
			price_per_hour: c.price_per_hour.to_string(),
			max_bytes: c.max_bytes,
			hours: c.hours,
			escrow: c.escrow.to_string(),
			paid: c.paid.to_string(),
			redeemed_bytes: c.redeemed_bytes,
			paid_hours: c.paid_hours,
			starts_at: c.starts_at,
			ends_at: c.ends_at,
		}
	}
}

/// The web apps a node lists on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedAppsView {
	/// The node's account.
	pub account: String,
	/// Where it serves them (`http(s)://HOST[:PORT]`, checked by the chain).
	pub origin: String,
	/// Each app's name and address (`origin/apps/NAME/`), sorted by name.
	pub apps: Vec<HostedApp>,
	/// The block at which the listing expires unless refreshed.
	pub expires_at: BlockNumber,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedApp {
	pub name: String,
	pub url: String,
}

/// A node certified under a CA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertifiedNode {
	pub account: String,
	/// The EK id (`0x` hex), which `attestation.revokeEk` takes.
	pub ek_id: String,
}

/// One fragment's provider and price in a quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedFragment {
	pub index: u32,
	pub provider: String,
	/// For the whole duration.
	pub price: String,
	pub endpoint: ResolvedEndpoint,
}

/// What a file costs: its fragments on the cheapest reachable providers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
	pub fragment_size: u64,
	pub duration: Period,
	pub fragments: Vec<QuotedFragment>,
	/// The escrow of all fragments, paid to the providers window by window as they prove.
	pub total: String,
	/// The market fees of all fragments, burned when the providers accept.
	pub fees: String,
	/// The reservation fees of all fragments: held until acceptance, then returned; the
	/// provider's if the client cancels or lets the contract expire.
	pub reservations: String,
}

/// A storage contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractView {
	pub id: ContractId,
	pub client: String,
	pub provider: String,
	pub manifest: String,
	pub root: String,
	pub size: u64,
	pub segment_size: u32,
	pub duration: Period,
	/// Escrow still held.
	pub escrow: String,
	/// Pending: the market fee held (burned at acceptance).
	pub fee: String,
	/// Pending: the reservation fee held.
	pub reservation: String,
	/// Active: the provider's collateral held.
	pub collateral: String,
	/// `pending` or `active`.
	pub state: String,
	/// Pending: the block by which the provider must accept.
	pub accept_by: Option<BlockNumber>,
	/// Active: the proving windows it runs, `start..end`.
	pub start: Option<Period>,
	pub end: Option<Period>,
	/// Active: the first window not yet settled.
	pub next: Option<Period>,
	/// Active: windows missed in a row.
	pub misses: Option<u32>,
	/// Active: the last window proven (and paid).
	pub last_proven: Option<Period>,
	/// Active: the deadline of each window it is proven in, and its partition.
	pub deadline: Option<u32>,
	pub partition: Option<u32>,
}

impl ContractView {
	fn new(id: ContractId, c: Contract<AccountId, Balance, BlockNumber>) -> Self {
		let (state, accept_by) = match c.state {
			ContractState::Pending { accept_by } => ("pending", Some(accept_by)),
			ContractState::Active { .. } => ("active", None),
		};
		let active = match c.state {
			ContractState::Active { start, end, next, misses, last_proven, deadline, partition } => {
				Some((start, end, next, misses, last_proven, deadline, partition))
			},
			ContractState::Pending { .. } => None,
		};
		ContractView {
			id,
			client: c.client.to_string(),
			provider: c.provider.to_string(),
			manifest: format!("0x{}", hex::encode(c.manifest)),
			root: format!("0x{}", hex::encode(c.root)),
			size: c.size,
			segment_size: c.segment_size,
			duration: c.duration,
			escrow: c.escrow.to_string(),
			fee: c.fee.to_string(),
			reservation: c.reservation.to_string(),
			collateral: c.collateral.to_string(),
			state: state.into(),
			accept_by,
			start: active.map(|a| a.0),
			end: active.map(|a| a.1),
			next: active.map(|a| a.2),
			misses: active.map(|a| a.3),
			last_proven: active.and_then(|a| a.4),
			deadline: active.map(|a| a.5),
			partition: active.map(|a| a.6),
		}
	}
}

#[rpc(server)]
pub trait CairnApi<BlockHash> {
	/// Where `account` (SS58) listens, or null when it published no live endpoint or is not
	/// an attested node.
	#[method(name = "cairn_resolve")]
	fn resolve(&self, account: AccountId, at: Option<BlockHash>) -> RpcResult<Option<ResolvedEndpoint>>;

	/// Every storage offer, cheapest first, with each provider's endpoint.
	#[method(name = "cairn_providers")]
	fn providers(&self, at: Option<BlockHash>) -> RpcResult<Vec<ProviderView>>;

	/// What storing a file of `size` bytes as `n` fragments (`k` restore it) for `duration`
	/// proving windows costs, on the `n` cheapest distinct providers that take it and are
	/// reachable: the escrow, the market fees and the reservation fees.
	#[method(name = "cairn_quote")]
	fn quote(&self, size: u64, k: u16, n: u16, duration: Period, at: Option<BlockHash>) -> RpcResult<Quote>;

	/// A pending or active contract, or null.
	#[method(name = "cairn_contract")]
	fn contract(&self, id: ContractId, at: Option<BlockHash>) -> RpcResult<Option<ContractView>>;

	/// The live contracts of `client`'s file, by its manifest id (`0x` + 64 hex digits):
	/// file records are per client, so nobody else can fill or hide them.
	#[method(name = "cairn_fileStatus")]
	fn file_status(&self, client: AccountId, manifest: String, at: Option<BlockHash>) -> RpcResult<Vec<ContractView>>;

	/// The live contracts that name `provider`: pending ones first, then those it proves,
	/// at most [`MAX_HOLDINGS`]. What an operator's node stores, for whom, and how its
	/// proofs go.
	#[method(name = "cairn_holdings")]
	fn holdings(&self, provider: AccountId, at: Option<BlockHash>) -> RpcResult<Vec<ContractView>>;

	/// The web apps each node lists on chain (attested nodes with a live endpoint), by
	/// account.
	#[method(name = "cairn_apps")]
	fn apps(&self, at: Option<BlockHash>) -> RpcResult<Vec<HostedAppsView>>;

	/// The nodes whose EK certificates CA `caId` issued, directly or through a CA under
	/// it, with their EK ids: the sweep governance makes after revoking a CA.
	#[method(name = "cairn_nodesUnderCa")]
	fn nodes_under_ca(&self, ca_id: u32, at: Option<BlockHash>) -> RpcResult<Vec<CertifiedNode>>;

	/// Every relay's offer, cheapest per GiB first, with its endpoint.
	#[method(name = "cairn_relays")]
	fn relays(&self, at: Option<BlockHash>) -> RpcResult<Vec<RelayView>>;

	/// The open forwarding contracts `account` relays or is relayed by: what a relay has
	/// earned (redeemed) and what a relayed node has paid.
	#[method(name = "cairn_forwarding")]
	fn forwarding(&self, account: AccountId, at: Option<BlockHash>) -> RpcResult<Vec<ForwardingView>>;
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

fn bad_params(message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(BAD_PARAMS, message.into(), None::<()>)
}

/// The most contracts `cairn_holdings` answers (a few hundred kB of JSON).
pub const MAX_HOLDINGS: usize = 1000;

fn multiaddr_text(bytes: &[u8]) -> String {
	multiaddr::Multiaddr::try_from(bytes.to_vec())
		.map(|a| a.to_string())
		.unwrap_or_else(|_| format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// A manifest id from `0x` + 64 hex digits.
pub fn parse_id(text: &str) -> Result<[u8; 32], String> {
	let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("`{text}` is not hex: {e}"))?;
	bytes.try_into().map_err(|_| format!("`{text}` is not 32 bytes: a manifest id is 0x and 64 hex digits"))
}

impl<C, Block> Cairn<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: EndpointsApi<Block, AccountId, BlockNumber> + StorageApi<Block, AccountId, Balance, BlockNumber>,
{
	fn endpoint(&self, at: Block::Hash, account: &AccountId) -> RpcResult<Option<ResolvedEndpoint>> {
		let endpoint = self.client.runtime_api().resolve(at, account.clone()).map_err(runtime_error)?;
		Ok(endpoint.map(|e| ResolvedEndpoint {
			peer_id: bs58::encode(&e.peer_id[..]).into_string(),
			addresses: e.addresses.iter().map(|a| multiaddr_text(a)).collect(),
			expires_at: e.expires_at,
		}))
	}
}

impl<C, Block> CairnApiServer<Block::Hash> for Cairn<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: EndpointsApi<Block, AccountId, BlockNumber>
		+ StorageApi<Block, AccountId, Balance, BlockNumber>
		+ AttestationApi<Block, AccountId>
		+ ForwardingApi<Block, AccountId, Balance, BlockNumber>,
{
	fn relays(&self, at: Option<Block::Hash>) -> RpcResult<Vec<RelayView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let mut relays = self.client.runtime_api().relays(at).map_err(runtime_error)?;
		relays.sort_by_key(|(_, offer, _)| offer.price_per_gib);
		relays
			.into_iter()
			.map(|(account, offer, open)| {
				Ok(RelayView {
					endpoint: self.endpoint(at, &account)?,
					account: account.to_string(),
					price_per_gib: offer.price_per_gib.to_string(),
					price_per_hour: offer.price_per_hour.to_string(),
					capacity: offer.capacity,
					open,
					bond: offer.bond.to_string(),
				})
			})
			.collect()
	}

	fn forwarding(&self, account: AccountId, at: Option<Block::Hash>) -> RpcResult<Vec<ForwardingView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let contracts = self.client.runtime_api().contracts_of(at, account).map_err(runtime_error)?;
		Ok(contracts.into_iter().map(|(id, c)| ForwardingView::new(id, c)).collect())
	}

	fn resolve(&self, account: AccountId, at: Option<Block::Hash>) -> RpcResult<Option<ResolvedEndpoint>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.endpoint(at, &account)
	}

	fn providers(&self, at: Option<Block::Hash>) -> RpcResult<Vec<ProviderView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let mut providers = self.client.runtime_api().providers(at).map_err(runtime_error)?;
		providers.sort_by_key(|p| p.offer.price_per_gib);
		providers
			.into_iter()
			.map(|p| {
				Ok(ProviderView {
					endpoint: self.endpoint(at, &p.provider)?,
					account: p.provider.to_string(),
					price_per_gib: p.offer.price_per_gib.to_string(),
					capacity: p.offer.capacity,
					used: p.offer.used,
					min_duration: p.offer.min_duration,
					max_duration: p.offer.max_duration,
					bond: p.offer.bond.to_string(),
					partitions: p.partitions,
				})
			})
			.collect()
	}

	fn apps(&self, at: Option<Block::Hash>) -> RpcResult<Vec<HostedAppsView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let listings = self.client.runtime_api().hosted_apps(at).map_err(runtime_error)?;
		Ok(listings
			.into_iter()
			.map(|(account, listing)| {
				// Checked by the chain: ASCII; lossy only for a runtime that did not check.
				let origin = String::from_utf8_lossy(&listing.origin).into_owned();
				let apps = listing
					.apps
					.iter()
					.map(|name| {
						let name = String::from_utf8_lossy(name).into_owned();
						HostedApp { url: format!("{origin}/apps/{name}/"), name }
					})
					.collect();
				HostedAppsView { account: account.to_string(), origin, apps, expires_at: listing.expires_at }
			})
			.collect())
	}

	fn quote(&self, size: u64, k: u16, n: u16, duration: Period, at: Option<Block::Hash>) -> RpcResult<Quote> {
		if duration == 0 {
			return Err(bad_params("the duration is at least one proving window"));
		}
		let params = cairn_erasure::Params { k, n, ..Default::default() };
		params.check().map_err(|e| bad_params(e.to_string()))?;
		let fragment_size = params.fragment_size(size).map_err(|e| bad_params(e.to_string()))?;
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let api = self.client.runtime_api();
		let mut offers = Vec::new();
		for p in api.providers(at).map_err(runtime_error)? {
			let Some(price) = api.quote(at, p.provider.clone(), fragment_size, duration).map_err(runtime_error)? else {
				continue;
			};
			let Some(endpoint) = self.endpoint(at, &p.provider)? else { continue };
			offers.push((price, p.provider, endpoint));
		}
		let available = offers.len();
		if available < n as usize {
			return Err(ErrorObject::owned(
				NOT_ENOUGH_PROVIDERS,
				format!(
					"only {available} reachable providers take {fragment_size}-byte fragments for {duration} windows; \
					 {n} are needed: lower n or the duration"
				),
				None::<()>,
			));
		}
		offers.sort_by_key(|(price, ..)| *price);
		let market = api.params(at).map_err(runtime_error)?;
		let chosen = offers.iter().take(n as usize);
		let total: Balance = chosen.clone().map(|(price, ..)| *price).sum();
		let fees: Balance = chosen
			.map(|(price, ..)| {
				pallet_storage::percent_of(*price, market.market_fee_percent as u32).max(market.min_market_fee)
			})
			.sum();
		let reservations = market.reservation_fee.saturating_mul(n as Balance);
		Ok(Quote {
			fragment_size,
			duration,
			fragments: offers
				.into_iter()
				.take(n as usize)
				.enumerate()
				.map(|(index, (price, provider, endpoint))| QuotedFragment {
					index: index as u32,
					provider: provider.to_string(),
					price: price.to_string(),
					endpoint,
				})
				.collect(),
			total: total.to_string(),
			fees: fees.to_string(),
			reservations: reservations.to_string(),
		})
	}

	fn contract(&self, id: ContractId, at: Option<Block::Hash>) -> RpcResult<Option<ContractView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let contract = self.client.runtime_api().contract(at, id).map_err(runtime_error)?;
		Ok(contract.map(|c| ContractView::new(id, c)))
	}

	fn file_status(
		&self,
		client: AccountId,
		manifest: String,
		at: Option<Block::Hash>,
	) -> RpcResult<Vec<ContractView>> {
		let manifest = parse_id(&manifest).map_err(bad_params)?;
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let contracts = self.client.runtime_api().file_contracts(at, client, manifest).map_err(runtime_error)?;
		Ok(contracts.into_iter().map(|c| ContractView::new(c.id, c.contract)).collect())
	}

	fn holdings(&self, provider: AccountId, at: Option<Block::Hash>) -> RpcResult<Vec<ContractView>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let contracts = self.client.runtime_api().holdings(at, provider).map_err(runtime_error)?;
		Ok(contracts.into_iter().take(MAX_HOLDINGS).map(|c| ContractView::new(c.id, c.contract)).collect())
	}

	fn nodes_under_ca(&self, ca_id: u32, at: Option<Block::Hash>) -> RpcResult<Vec<CertifiedNode>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let nodes = self.client.runtime_api().nodes_under_ca(at, ca_id).map_err(runtime_error)?;
		Ok(nodes
			.into_iter()
			.map(|(account, ek_id)| CertifiedNode {
				account: account.to_string(),
				ek_id: format!("0x{}", hex::encode(ek_id)),
			})
			.collect())
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

	#[test]
	fn manifest_ids_are_32_hex_bytes() {
		assert_eq!(parse_id(&format!("0x{}", "ab".repeat(32))), Ok([0xab; 32]));
		assert!(parse_id("0x1234").unwrap_err().contains("not 32 bytes"));
		assert!(parse_id("0xzz").unwrap_err().contains("not hex"));
	}
}
