//! Storing a file under contracts, as `cairn client put` does: quote, encode, the read
//! capability handed out before any payment, contracts, uploads signed by the paying
//! account (a provider that fails is replaced from a fresh quote), manifests, acceptance.

use std::{collections::HashSet, path::Path, sync::Arc, time::Duration};

use cairn_erasure::{Manifest, Params, ReadCapability};
use cairn_net::{files, Handle};
use cairn_primitives::{ContractId, Period};
use cairn_rpc::cairn::{Quote, QuotedFragment};
use cairn_runtime::{AccountId, Balance};
use polkadot_sdk::sp_core::{sr25519, Pair};

use crate::{chain::Chain, market};

/// How many times a failed fragment is placed with another provider.
pub const REPLACEMENTS: usize = 2;

/// How long each provider is given to take its fragment, retries included.
const UPLOAD_PATIENCE: Duration = Duration::from_secs(30);

/// What a paid put is asked to do.
#[derive(Clone, Debug)]
pub struct PutOptions {
	pub params: Params,
	/// Proving windows the contracts run for.
	pub duration: Period,
	/// The most the whole put may cost (escrow and fees of the first contracts).
	pub max_price: Option<Balance>,
	/// How long the providers have to accept, counted once every fragment is uploaded.
	pub accept_timeout: Duration,
}

/// A file stored under contracts that every provider accepted.
pub struct Stored {
	pub capability: ReadCapability,
	pub manifest: Manifest,
	/// Escrow of every contract made, replacements included.
	pub escrow: Balance,
}

/// Stores `path` under contracts paid by `signer`. `on_capability` gets the read
/// capability before anything is paid, so that whatever happens next the user can read
/// back what the contracts hold.
pub async fn put(
	net: &Handle,
	chain: &Chain,
	signer: &sr25519::Pair,
	path: &Path,
	options: &PutOptions,
	progress: Arc<dyn files::Progress>,
	on_capability: impl FnOnce(&ReadCapability),
) -> Result<Stored, String> {
	let PutOptions { params, duration, max_price, accept_timeout } = options.clone();
	params.check().map_err(|e| e.to_string())?;
	let size = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
	let client: AccountId = signer.public().into();
	let quote = market::quote(chain, size, params.k, params.n, duration).await?;
	let total: Balance = quote.total.parse().map_err(|_| "the node quoted a bad total".to_string())?;
	if let Some(max) = max_price.filter(|max| total > *max) {
		return Err(format!(
			"storage costs {}, above --max-price {}",
			market::format_crn(total),
			market::format_crn(max)
		));
	}
	let encoded = files::encode_file(path, params.clone()).await.map_err(|e| e.to_string())?;
	if encoded.manifest.fragment_size != quote.fragment_size {
		return Err("the node's quote is for another fragment size: is it a different version?".into());
	}
	on_capability(&encoded.capability(Some(client.clone().into())));
	let placements: Vec<_> = quote.fragments.iter().cloned().enumerate().collect();
	let (escrow, contracts) = market::create_contracts(chain, signer, &encoded.manifest, duration, &placements).await?;
	progress.note(&format!(
		"{} contracts made for {duration} windows, {} in escrow",
		params.n,
		market::format_crn(escrow)
	));
	let pair = signer.clone();
	let authorisations = files::Authorisations {
		genesis: chain.genesis().into(),
		contracts,
		sign: Arc::new(move |payload: &[u8]| pair.sign(payload).0),
	};
	progress.set_total(encoded.manifest.fragment_size * params.n as u64);
	let placed =
		place_fragments(net, chain, signer, &encoded, size, &quote, placements, authorisations, progress.clone())
			.await?;
	let addresses =
		placed.placements.iter().map(|(_, f)| market::dial_address(&f.endpoint)).collect::<Result<Vec<_>, _>>()?;
	files::put_manifests(net, &encoded, &addresses, Some(&placed.contracts)).await.map_err(|e| e.to_string())?;
	let capability = encoded.capability(Some(client.clone().into()));
	market::wait_accepted(chain, &client, capability.manifest_id, params.n as usize, accept_timeout).await?;
	Ok(Stored { capability, manifest: encoded.manifest.clone(), escrow: escrow + placed.extra_escrow })
}

/// Where a file's fragments ended up: by index, the provider and the contract.
struct Placed {
	placements: Vec<(usize, QuotedFragment)>,
	contracts: Vec<ContractId>,
	/// Escrow of the contracts made for replacements.
	extra_escrow: Balance,
}

/// Uploads every fragment to its provider; a provider that still fails after its retries
/// has its contract cancelled and the fragment goes to another provider from a fresh
/// quote (one that holds none of the file's fragments if there is one), at most
/// [`REPLACEMENTS`] times. Says which provider failed and why.
#[allow(clippy::too_many_arguments)]
async fn place_fragments(
	net: &Handle,
	chain: &Chain,
	signer: &sr25519::Pair,
	encoded: &files::EncodedFile,
	size: u64,
	quote: &Quote,
	mut placements: Vec<(usize, QuotedFragment)>,
	mut authorisations: files::Authorisations,
	progress: Arc<dyn files::Progress>,
) -> Result<Placed, String> {
	let manifest = &encoded.manifest;
	let mut pending: Vec<usize> = (0..placements.len()).collect();
	let mut failed_providers = HashSet::new();
	let mut extra_escrow = 0;
	for round in 0..=REPLACEMENTS {
		let uploads = pending.iter().map(|&i| {
			let provider = market::dial_address(&placements[i].1.endpoint);
			let auth = provider.as_ref().ok().and_then(|p| authorisations.auth(encoded, i, p));
			let progress = progress.clone();
			async move {
				let provider = provider?;
				files::upload_fragment(net, encoded, i, &provider, auth, progress, UPLOAD_PATIENCE)
					.await
					.map_err(|e| e.to_string())
			}
		});
		let failed: Vec<(usize, String)> = pending
			.iter()
			.zip(futures::future::join_all(uploads).await)
			.filter_map(|(i, r)| r.err().map(|e| (*i, e)))
			.collect();
		if failed.is_empty() {
			break;
		}
		let reasons = failed.iter().map(|(i, e)| format!("fragment {i}: {e}")).collect::<Vec<_>>().join("; ");
		if round == REPLACEMENTS {
			return Err(format!("some fragments could not be placed after {REPLACEMENTS} replacements: {reasons}"));
		}
		// A fresh quote wide enough to hold providers that have none of the file yet (with
		// simd the fragment size does not depend on n; if it did, ask for n only).
		let wider =
			(manifest.n as usize + failed.len() + failed_providers.len()).min(cairn_erasure::MAX_FRAGMENTS) as u16;
		let mut fresh = None;
		for m in (manifest.n..=wider).rev() {
			match market::quote(chain, size, manifest.k, m, quote.duration).await {
				Ok(q) if q.fragment_size == manifest.fragment_size => {
					fresh = Some(q);
					break;
				},
				Ok(_) => {},
				Err(e) if m == manifest.n => return Err(format!("{reasons}; and no fresh quote to replace them: {e}")),
				Err(_) => {},
			}
		}
		let fresh = fresh.ok_or_else(|| format!("{reasons}; and no fresh quote for the file's fragment size"))?;
		let mut replacements = Vec::new();
		for (i, reason) in &failed {
			let id = authorisations.contracts[*i];
			let provider = placements[*i].1.provider.clone();
			progress.note(&format!(
				"fragment {i}: provider {provider} failed ({reason}); cancelling contract {id}, placing it elsewhere"
			));
			if let Err(e) = market::cancel_contract(chain, signer, id).await {
				progress.note(&format!("could not cancel contract {id} ({e}); it expires unaccepted"));
			}
			failed_providers.insert(provider);
			let holding: HashSet<_> = placements.iter().map(|(_, f)| f.provider.clone()).collect();
			// The cheapest that holds none of the file, else the cheapest that did not fail.
			let usable = || fresh.fragments.iter().filter(|f| !failed_providers.contains(&f.provider));
			let choice = usable()
				.find(|f| !holding.contains(&f.provider))
				.or_else(|| usable().next())
				.ok_or_else(|| format!("{reasons}; no other provider takes fragment {i}"))?;
			replacements.push((*i, choice.clone()));
		}
		let (escrow, ids) = market::create_contracts(chain, signer, manifest, quote.duration, &replacements).await?;
		extra_escrow += escrow;
		for ((i, fragment), id) in replacements.into_iter().zip(ids) {
			progress.note(&format!("fragment {i}: contract {id} with {}", fragment.provider));
			placements[i].1 = fragment;
			authorisations.contracts[i] = id;
		}
		pending = failed.into_iter().map(|(i, _)| i).collect();
	}
	Ok(Placed { placements, contracts: authorisations.contracts, extra_escrow })
}
