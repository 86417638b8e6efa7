//! Transactions made outside a wallet: by the off-chain workers, which sign with the node
//! key in the node's keystore, by the node's BABE and GRANDPA (unsigned equivocation
//! reports), and by the `cairn` command line.

use crate::{
	configs::BlockHashCount, Address, Nonce, Runtime, RuntimeCall, Signature, SignedPayload, System, TxExtension,
	UncheckedExtrinsic,
};
use codec::Encode;
use polkadot_sdk::{
	frame_system::{
		self,
		offchain::{AppCrypto, CreateBare, CreateSignedTransaction, CreateTransactionBase, SigningTypes},
	},
	pallet_transaction_payment, sp_core,
	sp_runtime::{
		generic::Era,
		traits::{IdentifyAccount, Verify},
		SaturatedConversion,
	},
};

/// The node key as the off-chain workers sign with it: sr25519, whose account is its
/// public key.
pub struct NodeKey;

impl AppCrypto<<Signature as Verify>::Signer, Signature> for NodeKey {
	type RuntimeAppPublic = cairn_primitives::node_key::Public;
	type GenericPublic = sp_core::sr25519::Public;
	type GenericSignature = sp_core::sr25519::Signature;
}

impl SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<LocalCall> CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

/// Unsigned transactions: equivocation reports, which BABE and GRANDPA make in the node.
impl<LocalCall> CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

impl<LocalCall> CreateSignedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		public: <Signature as Verify>::Signer,
		account: <Self::Public as IdentifyAccount>::AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		// Valid from the parent block for half the block-hash history.
		let period = BlockHashCount::get().checked_next_power_of_two().map_or(2, |p| p / 2) as u64;
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let payload = SignedPayload::new(call, tx_extension(nonce, Era::mortal(period, current))).ok()?;
		let signature = payload.using_encoded(|bytes| C::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		Some(UncheckedExtrinsic::new_signed(call, Address::Id(account), signature, extension))
	}
}

/// The transaction extensions of a signed transaction without a tip.
pub fn tx_extension(nonce: Nonce, era: Era) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
	)
}

/// A transaction signed by `sign` outside the runtime, by a client that knows the chain's
/// genesis hash and the runtime's spec and transaction versions. It is immortal: the
/// nonce alone keeps it from being replayed.
#[cfg(feature = "std")]
pub fn sign_offline(
	call: RuntimeCall,
	signer: crate::AccountId,
	nonce: Nonce,
	genesis: crate::Hash,
	spec_version: u32,
	transaction_version: u32,
	sign: impl FnOnce(&[u8]) -> Signature,
) -> UncheckedExtrinsic {
	let extension = tx_extension(nonce, Era::Immortal);
	let implicit = ((), spec_version, transaction_version, genesis, genesis, (), (), ());
	let payload = SignedPayload::from_raw(call, extension, implicit);
	let signature = payload.using_encoded(sign);
	let (call, extension, _) = payload.deconstruct();
	UncheckedExtrinsic::new_signed(call, Address::Id(signer), signature, extension)
}
