//! The storage market seen by a client: prices and sizes in words, quotes, contracts, their
//! acceptance and state, and where a file's providers listen.

use std::time::Duration;

use cairn_erasure::ReadCapability;
use cairn_net::Address;
use cairn_primitives::Period;
use cairn_rpc::cairn::{ContractView, Quote, QuotedFragment, ResolvedEndpoint};
use cairn_runtime::{AccountId, Balance, RuntimeCall, RuntimeEvent, UNIT};
use jsonrpsee::rpc_params;
use polkadot_sdk::sp_core::sr25519;

use crate::chain::Chain;

/// `12.5` CRN in plancks.
pub fn parse_crn(text: &str) -> Result<Balance, String> {
	let bad = || format!("`{text}` is not an amount of CRN: write e.g. `2` or `0.015`");
	let amount = text.trim();
	let amount = amount.strip_suffix("CRN").or_else(|| amount.strip_suffix("crn")).unwrap_or(amount).trim_end();
	let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
	let decimals = cairn_runtime::TOKEN_DECIMALS as usize;
	if fraction.len() > decimals || (whole.is_empty() && fraction.is_empty()) {
		return Err(bad());
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let fraction: Balance =
		if fraction.is_empty() { 0 } else { format!("{fraction:0<decimals$}").parse().map_err(|_| bad())? };
	whole.checked_mul(UNIT).and_then(|w| w.checked_add(fraction)).ok_or_else(bad)
}

/// Plancks as CRN, without trailing zeros.
pub fn format_crn(plancks: Balance) -> String {
	let decimals = cairn_runtime::TOKEN_DECIMALS as usize;
	let fraction = format!("{:0>decimals$}", plancks % UNIT);
	let fraction = fraction.trim_end_matches('0');
	if fraction.is_empty() {
		format!("{} CRN", plancks / UNIT)
	} else {
		format!("{}.{fraction} CRN", plancks / UNIT)
	}
}

/// `50G` in bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
	let bad = || format!("`{text}` is not a size: write bytes, or e.g. `512M`, `50G`, `2T`");
	let text = text.trim().trim_end_matches("iB").trim_end_matches('B');
	let (number, shift) = match text.chars().last() {
		Some('K' | 'k') => (&text[..text.len() - 1], 10),
		Some('M' | 'm') => (&text[..text.len() - 1], 20),
		Some('G' | 'g') => (&text[..text.len() - 1], 30),
		Some('T' | 't') => (&text[..text.len() - 1], 40),
		_ => (text, 0),
	};
	let number: u64 = number.parse().map_err(|_| bad())?;
	number.checked_mul(1 << shift).ok_or_else(bad)
}

/// A provider's service-plane address with its peer id: the first one it published.
pub fn dial_address(endpoint: &ResolvedEndpoint) -> Result<Address, String> {
	let first = endpoint.addresses.first().ok_or("the provider published no address")?;
	format!("{first}/p2p/{}", endpoint.peer_id).parse().map_err(|e| format!("bad provider address {first}: {e}"))
}

/// What the chain says a file of `size` bytes costs on the cheapest providers.
pub async fn quote(chain: &Chain, size: u64, k: u16, n: u16, duration: Period) -> Result<Quote, String> {
	chain.call("cairn_quote", rpc_params![size, k, n, duration]).await
}

/// Makes one contract for each `(fragment index, quoted provider)` of `manifest`, for
/// `duration` windows, in one transaction; returns the total escrowed and the contracts,
/// in the order of `placements`.
pub async fn create_contracts(
	chain: &Chain,
	signer: &sr25519::Pair,
	manifest: &cairn_erasure::Manifest,
	duration: Period,
	placements: &[(usize, QuotedFragment)],
) -> Result<(Balance, Vec<cairn_primitives::ContractId>), String> {
	let mut orders = Vec::new();
	for (index, fragment) in placements {
		let provider: AccountId =
			fragment.provider.parse().map_err(|_| format!("the node quoted a bad account {}", fragment.provider))?;
		let max_price: Balance =
			fragment.price.parse().map_err(|_| format!("the node quoted a bad price {}", fragment.price))?;
		let root = *manifest.fragment_roots.get(*index).ok_or("no such fragment")?;
		orders.push(pallet_storage::FragmentOrder { provider, root, size: manifest.fragment_size, max_price });
	}
	let call = RuntimeCall::Storage(pallet_storage::Call::create_contracts {
		manifest: manifest.id(),
		segment_size: manifest.segment_size,
		duration,
		fragments: orders.try_into().map_err(|_| "more fragments than a file may have on chain (64)".to_string())?,
	});
	let included = chain.submit(signer, call).await?;
	let created: Vec<_> = included
		.events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::Storage(pallet_storage::Event::ContractCreated { id, provider, root, escrow, .. }) => {
				Some((*id, provider.clone(), *root, *escrow))
			},
			_ => None,
		})
		.collect();
	let ids = placements
		.iter()
		.map(|(index, fragment)| {
			let root = manifest.fragment_roots[*index];
			created
				.iter()
				.find(|(_, provider, r, _)| provider.to_string() == fragment.provider && *r == root)
				.map(|(id, ..)| *id)
				.ok_or_else(|| format!("no contract was created for fragment {index}"))
		})
		.collect::<Result<Vec<_>, _>>()?;
	Ok((created.iter().map(|(.., escrow)| *escrow).sum(), ids))
}

/// Cancels a pending contract of the signer's (its escrow and fee come back; the
/// reservation fee goes to the provider).
pub async fn cancel_contract(
	chain: &Chain,
	signer: &sr25519::Pair,
	id: cairn_primitives::ContractId,
) -> Result<(), String> {
	let call = RuntimeCall::Storage(pallet_storage::Call::cancel_contract { id });
	chain.submit(signer, call).await.map(|_| ())
}

/// The account whose contracts hold a capability's file: the capability's own (v2), else
/// the one the user named.
pub fn client_of(cap: &ReadCapability, named: Option<&str>) -> Result<AccountId, String> {
	match (cap.client, named) {
		(_, Some(text)) => {
			text.parse().map_err(|_| format!("--client `{text}` is not an account: give its SS58 address"))
		},
		(Some(client), None) => Ok(AccountId::from(client)),
		(None, None) => Err("a v1 capability does not name the account that stored the file; \
			 give it with --client, or ask for a v2 capability"
			.into()),
	}
}

/// The live contracts of `client`'s file.
pub async fn file_status(chain: &Chain, client: &AccountId, manifest: [u8; 32]) -> Result<Vec<ContractView>, String> {
	chain.call("cairn_fileStatus", rpc_params![client.to_string(), format!("0x{}", hex::encode(manifest))]).await
}

/// Waits until `count` contracts of the file are active; fails when one is gone or the
/// acceptance window has passed.
pub async fn wait_accepted(
	chain: &Chain,
	client: &AccountId,
	manifest: [u8; 32],
	count: usize,
	timeout: Duration,
) -> Result<(), String> {
	let deadline = tokio::time::Instant::now() + timeout;
	loop {
		let contracts = file_status(chain, client, manifest).await?;
		let active = contracts.iter().filter(|c| c.state == "active").count();
		if active >= count {
			return Ok(());
		}
		if contracts.len() < count {
			return Err(format!(
				"{} of {count} contracts were not accepted in time and were refunded; put the file again",
				count - contracts.len()
			));
		}
		if tokio::time::Instant::now() > deadline {
			return Err(format!("only {active} of {count} providers accepted within {} s", timeout.as_secs()));
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

/// The service-plane addresses of the providers of a file's live contracts, in contract
/// order.
pub async fn providers_of(chain: &Chain, client: &AccountId, cap: &ReadCapability) -> Result<Vec<Address>, String> {
	let contracts = file_status(chain, client, cap.manifest_id).await?;
	if contracts.is_empty() {
		return Err("the chain has no live contract for this file".into());
	}
	let mut addresses = Vec::new();
	for c in contracts {
		let endpoint: Option<ResolvedEndpoint> = chain.call("cairn_resolve", rpc_params![c.provider.clone()]).await?;
		match endpoint.as_ref().map(dial_address) {
			Some(Ok(address)) => addresses.push(address),
			_ => log::warn!("provider {} of contract {} has no reachable endpoint", c.provider, c.id),
		}
	}
	Ok(addresses)
}
