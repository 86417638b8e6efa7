//! Types and algorithms that the Cairn runtime and node share, so that each has exactly
//! one definition: account and balance types, and the Merkle tree over fragment segments
//! whose proofs the runtime checks.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod merkle;
pub mod traits;

/// The node's own account key, which its off-chain workers sign with: storage proofs and
/// endpoint updates. (Validators sign registration challenges with their
/// [`challenger_key`], a session key.)
///
/// It lives in the node's keystore under [`NODE_KEY_TYPE`]; dev chains insert the dev
/// seed's key (`--alice`, ...), other chains take it from `cairn key insert --key-type cair
/// --scheme sr25519`. The account is the sr25519 public key, as for any wallet account.
pub mod node_key {
	use polkadot_sdk::sp_application_crypto::{app_crypto, sr25519, KeyTypeId};

	/// The keystore's key type of the node key.
	pub const NODE_KEY_TYPE: KeyTypeId = KeyTypeId(*b"cair");

	app_crypto!(sr25519, NODE_KEY_TYPE);
}

pub use node_key::NODE_KEY_TYPE;

/// The challenger key: a validator's session key (its own type in the runtime's
/// `SessionKeys`) with which its off-chain worker signs registration challenges and their
/// reveals, so that the validator's funds account need not be on the node. It is made and
/// registered like the BABE and GRANDPA keys (`author_rotateKeys`, then
/// `session.setKeys`); dev chains insert the dev seed's.
pub mod challenger_key {
	use polkadot_sdk::sp_application_crypto::{app_crypto, sr25519, KeyTypeId};

	/// The keystore's key type of the challenger key.
	pub const CHALLENGER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"chlg");

	app_crypto!(sr25519, CHALLENGER_KEY_TYPE);
}

/// Execution time, in picoseconds, that the weights of the market's per-contract paths
/// (checking an answer, settling a missed partition) add per storage access for the depth
/// of a chain's state. Their benchmarks run over small states; `submit_proofs_over`
/// (`benches/weights/pallet_fragment_proofs.submit_proofs_over.txt`) took 1.71 ms more for
/// a full partition over 1,000,000 contracts than over 10,000, 8.1 µs per access for 1.66
/// more levels of the 16-ary trie; 10,000,000 contracts are 0.83 levels deeper again, so
/// 12 µs (an extrapolation by depth, not a measurement).
pub const DEPTH_MARGIN_PER_ACCESS: u64 = 12_000_000;

/// BLAKE2b-256: block, Merkle and manifest hashes.
pub use polkadot_sdk::sp_crypto_hashing::blake2_256;

use polkadot_sdk::{
	sp_core::H256,
	sp_runtime::{
		traits::{IdentifyAccount, Verify},
		MultiSignature,
	},
};

/// Block numbers: a block every six seconds fits `u32` for 800 years.
pub type BlockNumber = u32;
/// The signature scheme of transactions (sr25519 by default, ed25519 and ecdsa accepted).
pub type Signature = MultiSignature;
/// An account: the public key of the signature scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balances, in plancks.
pub type Balance = u128;
/// Transaction counter of an account.
pub type Nonce = u32;
/// Block and storage hashes.
pub type Hash = H256;
/// A storage contract's number.
pub type ContractId = u64;
/// A file's id: the BLAKE2b-256 hash of its manifest.
pub type ManifestId = [u8; 32];
/// A proving window's number: block number / the window's length in blocks. Every active
/// storage contract is proven once per window (see [`traits::ProvingSchedule`]).
pub type Period = u32;
