//! Invitations: what `cairn invite` hands a friend and `cairn join` (or `cairn invite
//! redeem`) takes. The text is `cairn-invite:v2:` and base58 of the chain's genesis hash,
//! the voucher's secret seed, the inviter's bootnodes and its service-plane addresses
//! (where a newcomer's node fetches the chain specification), with a 4-byte checksum.
//! Version 1 texts (no service-plane addresses) are still read.
//! Whoever holds the text can redeem the voucher once, for any account: share it as you
//! would a gift card.

use crate::chain::{Chain, Included};
use cairn_runtime::{AccountId, Balance, BlockNumber, Runtime, RuntimeCall, RuntimeEvent, DAYS, HOURS, MINUTES};
use codec::{Decode, DecodeAll, Encode};
use polkadot_sdk::{
	sp_core::{sr25519, Pair},
	sp_io::hashing::blake2_256,
	sp_runtime::traits::Zero,
};

const PREFIX: &str = "cairn-invite:v2:";
/// What `cairn invite` printed before invitations carried service-plane addresses.
const PREFIX_V1: &str = "cairn-invite:v1:";
/// The most bootnodes (and service-plane addresses) an invitation carries, and the
/// longest one.
const MAX_BOOTNODES: usize = 8;
const MAX_BOOTNODE_LEN: usize = 256;
/// Longer texts are refused unread.
const MAX_TEXT: usize = 4096;

/// What a newcomer needs to join: which chain, the voucher, and where to connect.
#[derive(Clone, PartialEq, Eq, Encode, Decode)]
pub struct Invitation {
	/// The genesis hash of the chain the voucher is on.
	pub genesis: [u8; 32],
	/// The voucher key's secret seed (sr25519).
	pub seed: [u8; 32],
	/// The inviter's p2p addresses, `/ip4/.../tcp/.../p2p/...`.
	pub bootnodes: Vec<String>,
	/// The inviter's service-plane (`cairn-net`) addresses, `/ip4/.../tcp/.../p2p/...`,
	/// which serve the chain specification; empty in a version 1 invitation.
	pub service: Vec<String>,
}

/// Without the seed: a log line must not hand the voucher over.
impl std::fmt::Debug for Invitation {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Invitation")
			.field("genesis", &hex::encode(self.genesis))
			.field("voucher", &hex::encode(self.voucher().public().0))
			.field("bootnodes", &self.bootnodes)
			.field("service", &self.service)
			.finish()
	}
}

/// A bootnode as an invitation may carry it: a multiaddr that names its peer (`/p2p/...`).
fn check_bootnode(text: &str) -> Result<(), String> {
	let address: cairn_net::Address =
		text.parse().map_err(|_| format!("bootnode `{}` is not a multiaddr", text.escape_debug()))?;
	if !address.iter().any(|p| matches!(p, cairn_net::Protocol::P2p(_))) || text.len() > MAX_BOOTNODE_LEN {
		return Err(format!("bootnode `{}` does not end in /p2p/PEER_ID (or is too long)", text.escape_debug()));
	}
	Ok(())
}

fn check_bootnodes(bootnodes: &[String]) -> Result<(), String> {
	if bootnodes.len() > MAX_BOOTNODES {
		return Err(format!("an invitation carries at most {MAX_BOOTNODES} bootnodes"));
	}
	bootnodes.iter().try_for_each(|b| check_bootnode(b))
}

fn check_service(service: &[String]) -> Result<(), String> {
	if service.len() > MAX_BOOTNODES {
		return Err(format!("an invitation carries at most {MAX_BOOTNODES} service-plane addresses"));
	}
	service.iter().try_for_each(|a| check_bootnode(a).map_err(|e| format!("service-plane address: {e}")))
}

/// `version` is the text's, so that a version 1 payload never passes as version 2.
fn checksum(version: u8, payload: &[u8]) -> [u8; 4] {
	let domain = format!("cairn-invite-v{version}");
	blake2_256(&[domain.as_bytes(), payload].concat())[..4].try_into().expect("4 bytes")
}

impl Invitation {
	/// The voucher key.
	pub fn voucher(&self) -> sr25519::Pair {
		sr25519::Pair::from_seed(&self.seed)
	}
}

impl std::fmt::Display for Invitation {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let mut bytes = self.encode();
		let sum = checksum(2, &bytes);
		bytes.extend_from_slice(&sum);
		write!(f, "{PREFIX}{}", bs58::encode(bytes).into_string())
	}
}

impl std::str::FromStr for Invitation {
	type Err = String;

	fn from_str(text: &str) -> Result<Self, String> {
		let text = text.trim();
		if text.len() > MAX_TEXT {
			return Err(format!("this invitation is longer than {MAX_TEXT} characters: not one of ours"));
		}
		let (version, body) = match (text.strip_prefix(PREFIX), text.strip_prefix(PREFIX_V1)) {
			(Some(body), _) => (2, body),
			(_, Some(body)) => (1, body),
			_ => {
				return Err(format!("an invitation starts with `{PREFIX}`: copy the whole text `cairn invite` printed"))
			},
		};
		let bytes = bs58::decode(body)
			.into_vec()
			.map_err(|_| "this invitation is not base58: was it cut or mistyped?".to_string())?;
		let Some((payload, sum)) = bytes.split_last_chunk::<4>() else {
			return Err("this invitation is too short: was it cut?".into());
		};
		if checksum(version, payload) != *sum {
			return Err("this invitation's checksum does not match: was it cut or mistyped?".into());
		}
		let undecodable = |_| "this invitation does not decode".to_string();
		let invitation = match version {
			1 => <([u8; 32], [u8; 32], Vec<String>)>::decode_all(&mut &payload[..])
				.map(|(genesis, seed, bootnodes)| Invitation { genesis, seed, bootnodes, service: Vec::new() })
				.map_err(undecodable)?,
			_ => Invitation::decode_all(&mut &payload[..]).map_err(undecodable)?,
		};
		check_bootnodes(&invitation.bootnodes)
			.and_then(|()| check_service(&invitation.service))
			.map_err(|e| format!("this invitation is not usable: {e}"))?;
		Ok(invitation)
	}
}

/// `7d`, `12h`, `30m` or a number of blocks, in blocks.
pub fn parse_lifetime(text: &str) -> Result<BlockNumber, String> {
	let bad = || format!("`{text}` is not a duration: write e.g. `7d`, `12h`, `30m` or a number of blocks");
	let text = text.trim();
	let (number, unit) = match text.char_indices().last() {
		Some((i, 'd')) => (&text[..i], DAYS),
		Some((i, 'h')) => (&text[..i], HOURS),
		Some((i, 'm')) => (&text[..i], MINUTES),
		_ => (text, 1),
	};
	let number: BlockNumber = number.parse().map_err(|_| bad())?;
	number.checked_mul(unit).filter(|blocks| *blocks > 0).ok_or_else(bad)
}

/// An open voucher, as the chain holds it.
pub type Voucher = pallet_invites::Voucher<AccountId, Balance, BlockNumber>;

/// Opens a voucher worth `grant`, redeemable for `lifetime` blocks, paid by `inviter`;
/// returns the invitation to hand over and the block it was made in.
pub async fn invite(
	chain: &Chain,
	inviter: &sr25519::Pair,
	grant: Balance,
	lifetime: BlockNumber,
	bootnodes: Vec<String>,
	service: Vec<String>,
) -> Result<(Invitation, Included), String> {
	check_bootnodes(&bootnodes)?;
	check_service(&service)?;
	let (voucher, seed) = sr25519::Pair::generate();
	let invitation = Invitation { genesis: chain.genesis().0, seed, bootnodes, service };
	// Before anything is held: a text too long to read back would strand the grant.
	if invitation.to_string().len() > MAX_TEXT {
		return Err(format!(
			"the invitation would be longer than {MAX_TEXT} characters: give fewer or shorter addresses"
		));
	}
	let inviter_account = AccountId::from(inviter.public());
	let proof = voucher.sign(&pallet_invites::create_payload(&chain.genesis(), &inviter_account)).0;
	let call =
		RuntimeCall::Invites(pallet_invites::Call::create { voucher: voucher.public().0, grant, lifetime, proof });
	// The secret exists only here: if the answer is lost, the voucher may still be open, and
	// only this text takes its grant back.
	let included = chain.submit(inviter, call).await.map_err(|e| {
		format!("{e} (if the voucher was made anyway, `cairn invite revoke {invitation}` takes the grant back)")
	})?;
	Ok((invitation, included))
}

/// The open voucher of `invitation`, checked against the chain the node runs and not
/// expired.
pub async fn voucher_of(chain: &Chain, invitation: &Invitation) -> Result<Voucher, String> {
	let voucher = open_voucher(chain, invitation).await?;
	let best = chain.best_number().await?;
	if best >= voucher.expires_at {
		return Err(format!("this invitation expired at block #{} (the chain is at #{best})", voucher.expires_at));
	}
	Ok(voucher)
}

/// The voucher of `invitation` while the chain holds it, expired or not.
pub async fn open_voucher(chain: &Chain, invitation: &Invitation) -> Result<Voucher, String> {
	if invitation.genesis != chain.genesis().0 {
		return Err(format!(
			"this invitation is for another chain (genesis 0x{}); the node runs 0x{}",
			hex::encode(invitation.genesis),
			hex::encode(chain.genesis().0)
		));
	}
	let key = pallet_invites::Vouchers::<Runtime>::hashed_key_for(invitation.voucher().public().0);
	chain.storage(key).await?.ok_or_else(|| {
		"this invitation's voucher is not open: it was used, revoked, reaped after it expired, or never made"
			.to_string()
	})
}

/// Redeems `invitation` for `newcomer`, who needs no balance: the voucher key signs, the
/// transaction is unsigned. Returns the grant received.
pub async fn redeem(chain: &Chain, invitation: &Invitation, newcomer: &AccountId) -> Result<(Balance, u32), String> {
	let voucher = voucher_of(chain, invitation).await?;
	let pair = invitation.voucher();
	let payload = pallet_invites::redeem_payload(&chain.genesis(), voucher.id, newcomer);
	let call = RuntimeCall::Invites(pallet_invites::Call::redeem {
		voucher: pair.public().0,
		newcomer: newcomer.clone(),
		signature: pair.sign(&payload).0,
	});
	let included = chain.submit_unsigned(call).await.map_err(name_custom_error)?;
	let grant = included
		.events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Invites(pallet_invites::Event::VoucherRedeemed { grant, .. }) => Some(*grant),
			_ => None,
		})
		.unwrap_or_else(Zero::zero);
	Ok((grant, included.block_number))
}

/// The pool's `Custom error: N` for a redeem, by name: pallet-invites sets N to its
/// error's index.
fn name_custom_error(error: String) -> String {
	if error.contains("Priority is too low") {
		return "someone is redeeming this invitation already (another redeem of it is in the pool)".into();
	}
	let Some((before, index)) = error.rsplit_once("Custom error: ") else { return error };
	match index.trim().parse::<u8>().ok().and_then(|i| pallet_invites::Error::<Runtime>::decode(&mut &[i][..]).ok()) {
		Some(named) => format!("{before}Invites::{named:?}"),
		None => error,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn sample() -> Invitation {
		Invitation {
			genesis: [7; 32],
			seed: [9; 32],
			bootnodes: vec!["/ip4/10.0.0.2/tcp/30333/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp".into()],
			service: vec!["/ip4/10.0.0.2/tcp/30444/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp".into()],
		}
	}

	#[test]
	fn an_invitation_reads_back_from_its_text() {
		let text = sample().to_string();
		assert!(text.starts_with("cairn-invite:v2:"));
		assert_eq!(text.parse::<Invitation>(), Ok(sample()));
		assert_eq!(format!("  {text}\n").parse::<Invitation>(), Ok(sample()));
	}

	/// The text of a version 1 invitation: no service-plane addresses.
	fn v1_text(invitation: &Invitation) -> String {
		let mut bytes = (invitation.genesis, invitation.seed, &invitation.bootnodes).encode();
		let sum = checksum(1, &bytes);
		bytes.extend_from_slice(&sum);
		format!("{PREFIX_V1}{}", bs58::encode(bytes).into_string())
	}

	#[test]
	fn a_version_1_invitation_still_reads_and_never_passes_for_version_2() {
		let v1 = v1_text(&sample());
		assert_eq!(v1.parse::<Invitation>(), Ok(Invitation { service: Vec::new(), ..sample() }));
		// The same payload and checksum under the other prefix fail the checksum.
		let relabelled = v1.replace(PREFIX_V1, PREFIX);
		assert!(relabelled.parse::<Invitation>().unwrap_err().contains("checksum"));
	}

	#[test]
	fn cut_mistyped_or_foreign_texts_are_refused_with_a_reason() {
		let text = sample().to_string();
		let error = |t: &str| t.parse::<Invitation>().unwrap_err();
		assert!(error(&text[..text.len() - 3]).contains("checksum"), "{}", error(&text[..text.len() - 3]));
		let mut typo = text.clone().into_bytes();
		let last = typo.len() - 10;
		typo[last] = if typo[last] == b'2' { b'3' } else { b'2' };
		assert!(error(std::str::from_utf8(&typo).unwrap()).contains("checksum"));
		assert!(error("cairn:v2:abc").contains("starts with"));
		// `0` is not a base58 digit.
		let body = text.strip_prefix(PREFIX).unwrap();
		assert!(error(&format!("{PREFIX}0{body}")).contains("not base58"));
		assert!(error(&"x".repeat(5000)).contains("longer"));
		assert!(error("cairn-invite:v2:2").contains("short"));
	}

	#[test]
	fn trailing_bytes_and_too_many_bootnodes_are_refused() {
		let mut bytes = sample().encode();
		bytes.push(0);
		let sum = checksum(2, &bytes);
		bytes.extend_from_slice(&sum);
		let text = format!("{PREFIX}{}", bs58::encode(bytes).into_string());
		assert!(text.parse::<Invitation>().unwrap_err().contains("decode"));

		let crowded = Invitation { bootnodes: vec![sample().bootnodes[0].clone(); 9], ..sample() };
		assert!(crowded.to_string().parse::<Invitation>().unwrap_err().contains("at most 8"));
		for bad in ["/ip4/10.0.0.2/tcp/1", "not an address", "/ip4/10.0.0.2/tcp/1\n\x1b[31m"] {
			let text = Invitation { bootnodes: vec![bad.into()], ..sample() }.to_string();
			assert!(text.parse::<Invitation>().unwrap_err().contains("not usable"), "{bad}");
			let text = Invitation { service: vec![bad.into()], ..sample() }.to_string();
			assert!(text.parse::<Invitation>().unwrap_err().contains("service-plane address"), "{bad}");
		}
		let crowded = Invitation { service: vec![sample().service[0].clone(); 9], ..sample() };
		assert!(crowded.to_string().parse::<Invitation>().unwrap_err().contains("at most 8 service"));
	}

	#[test]
	fn the_debug_form_hides_the_seed() {
		let shown = format!("{:?}", sample());
		assert!(!shown.contains(&hex::encode([9u8; 32])), "{shown}");
		assert!(shown.contains(&hex::encode(sample().voucher().public().0)), "{shown}");
	}

	#[test]
	fn lifetimes_read_in_days_hours_minutes_or_blocks() {
		assert_eq!(parse_lifetime("7d"), Ok(7 * DAYS));
		assert_eq!(parse_lifetime("12h"), Ok(12 * HOURS));
		assert_eq!(parse_lifetime("30m"), Ok(30 * MINUTES));
		assert_eq!(parse_lifetime("5"), Ok(5));
		for bad in ["", "0", "d", "-1d", "7w", "99999999999d"] {
			assert!(parse_lifetime(bad).unwrap_err().contains("not a duration"), "{bad}");
		}
	}
}
