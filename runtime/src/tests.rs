//! Native tests of the runtime: genesis presets and a fee-paying transfer.

use crate::{
	genesis_config_presets::{self, ENDOWMENT},
	transactions, Attestation, Babe, Balance, Balances, BalancesCall, Executive, Grandpa, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeGenesisConfig, RuntimeOrigin, Session, SignedPayload, Storage, System, UncheckedExtrinsic, UNIT, VERSION,
};
use codec::Encode;
use polkadot_sdk::{
	frame_support::traits::fungible::Inspect,
	sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET},
	sp_io::TestExternalities,
	sp_keyring::Sr25519Keyring,
	sp_runtime::generic::Era,
	*,
};
use serde_json::Value;

/// Applies a JSON patch the way the chain-spec builder does: objects merge key by key.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

fn externalities(preset: &str) -> TestExternalities {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	// As a node builds it: through the runtime's `build_state`, which also takes Cairn's
	// own settings (the epoch length).
	let mut ext = TestExternalities::default();
	ext.execute_with(|| {
		genesis_config_presets::build_state(serde_json::to_vec(&config).unwrap()).expect("genesis builds");
		System::set_block_number(1);
	});
	ext
}

fn assert_validators(preset: &str, expected: &[Sr25519Keyring]) {
	externalities(preset).execute_with(|| {
		let accounts: Vec<_> = expected.iter().map(|k| k.to_account_id()).collect();
		assert_eq!(Session::validators(), accounts);
		assert_eq!(Babe::authorities().len(), expected.len());
		assert_eq!(Grandpa::grandpa_authorities().len(), expected.len());
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		let bond: Balance = <<Runtime as pallet_attestation::Config>::ValidatorBond as frame_support::traits::Get<_>>::get();
		for account in Sr25519Keyring::iter() {
			let account_id = account.to_account_id();
			// Genesis validators hold the validator bond out of their endowment.
			let bonded = if accounts.contains(&account_id) { bond } else { 0 };
			assert_eq!(Balances::balance(&account_id), ENDOWMENT - bonded);
			assert_eq!(Balances::total_balance(&account_id), ENDOWMENT);
		}
	});
}

#[test]
fn development_preset_has_alice_as_sole_validator() {
	assert_validators(DEV_RUNTIME_PRESET, &[Sr25519Keyring::Alice]);
}

#[test]
fn local_testnet_preset_has_three_validators() {
	assert_validators(
		LOCAL_TESTNET_RUNTIME_PRESET,
		&[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie],
	);
}

#[test]
fn presets_preregister_nodes_and_trust_only_the_test_ca() {
	use cairn_primitives::traits::{ChallengerSet, NodeRegistry};
	use pallet_attestation::{CaCount, TrustedCas};
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		for account in Sr25519Keyring::iter() {
			assert!(Attestation::is_attested(&account.to_account_id()), "{account:?}");
		}
		assert_eq!(CaCount::<Runtime>::get(), 2);
		assert_eq!(TrustedCas::<Runtime>::get(1).unwrap().parent, Some(0));
		assert_eq!(crate::configs::AttestedValidators::challengers(), vec![Sr25519Keyring::Alice.to_account_id()]);
	});
	externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		for account in [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
		] {
			assert!(Attestation::is_attested(&account.to_account_id()));
		}
		// Ferdie is endowed but must register with a TPM.
		assert!(!Attestation::is_attested(&Sr25519Keyring::Ferdie.to_account_id()));
		assert_eq!(crate::configs::AttestedValidators::challengers().len(), 3);
	});
}

#[test]
fn unknown_preset_is_none() {
	assert!(genesis_config_presets::get_preset(&"mainnet".into()).is_none());
	assert_eq!(genesis_config_presets::preset_names().len(), 3);
}

fn signed(signer: Sr25519Keyring, nonce: u32, call: RuntimeCall) -> UncheckedExtrinsic {
	let extension = transactions::tx_extension(nonce, Era::Immortal);
	let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(call, signer.to_account_id().into(), signature.into(), extension)
}

#[test]
fn transfer_moves_funds_and_pays_a_fee() {
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let issuance = Balances::total_issuance();
		let amount = 42 * UNIT;
		let call =
			RuntimeCall::Balances(BalancesCall::transfer_allow_death { dest: bob.clone().into(), value: amount });

		let xt = signed(Sr25519Keyring::Alice, 0, call);
		Executive::apply_extrinsic(xt).expect("valid").expect("dispatched");

		let fee = System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::TransactionPayment(pallet_transaction_payment::Event::TransactionFeePaid {
					who,
					actual_fee,
					..
				}) if who == alice => Some(actual_fee),
				_ => None,
			})
			.expect("a fee was paid");
		assert!(fee > 0);
		assert_eq!(Balances::balance(&bob), ENDOWMENT + amount);
		// Alice, the dev chain's validator, holds the validator bond out of her endowment.
		assert_eq!(Balances::total_balance(&alice), ENDOWMENT - amount - fee);
		// Fees are burned until pallet-rewards pays them to authors.
		assert_eq!(Balances::total_issuance(), issuance - fee);
		assert_eq!(System::account_nonce(&alice), 1);
	});
}

#[test]
fn transfer_with_bad_nonce_is_rejected_and_changes_nothing() {
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let call = RuntimeCall::Balances(BalancesCall::transfer_allow_death {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: UNIT,
		});
		assert!(Executive::apply_extrinsic(signed(Sr25519Keyring::Alice, 5, call)).is_err());
		assert_eq!(Balances::total_balance(&alice), ENDOWMENT);
	});
}

fn transfer_to_bob(value: u128) -> BalancesCall<Runtime> {
	BalancesCall::transfer_allow_death { dest: Sr25519Keyring::Bob.to_account_id().into(), value }
}

#[test]
fn offchain_workers_sign_with_the_node_key_in_the_keystore() {
	use codec::Decode;
	use frame_system::offchain::{SendSignedTransaction, Signer};
	use sp_core::offchain::{testing::TestTransactionPoolExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

	let mut ext = externalities(DEV_RUNTIME_PRESET);
	let keystore = MemoryKeystore::new();
	keystore.sr25519_generate_new(cairn_primitives::NODE_KEY_TYPE, Some("//Alice")).unwrap();
	// A key of another type is not the node key.
	keystore.sr25519_generate_new(sp_core::crypto::key_types::BABE, Some("//Bob")).unwrap();
	ext.register_extension(KeystoreExt::new(keystore));
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(TransactionPoolExt::new(pool));

	ext.execute_with(|| {
		// Off-chain workers' changes to the state are thrown away (the signer counts the
		// nonce up in it).
		sp_io::storage::start_transaction();
		let sent = Signer::<Runtime, transactions::NodeKey>::all_accounts()
			.send_signed_transaction(|_| transfer_to_bob(7 * UNIT));
		sp_io::storage::rollback_transaction();
		assert_eq!(sent.len(), 1);
		assert_eq!(sent[0].0.id, Sr25519Keyring::Alice.to_account_id());

		let bytes = pool_state.write().transactions.pop().expect("a transaction was sent");
		let xt = UncheckedExtrinsic::decode(&mut &bytes[..]).unwrap();
		Executive::apply_extrinsic(xt).expect("valid signature, nonce and era").expect("dispatched");
		assert_eq!(Balances::balance(&Sr25519Keyring::Bob.to_account_id()), ENDOWMENT + 7 * UNIT);
	});
}

#[test]
fn clients_sign_offline_with_genesis_and_versions() {
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let genesis = System::block_hash(0);
		let sign = |bytes: &[u8]| Sr25519Keyring::Alice.sign(bytes).into();
		let alice = Sr25519Keyring::Alice.to_account_id();
		let xt = transactions::sign_offline(
			transfer_to_bob(UNIT).into(),
			alice.clone(),
			0,
			genesis,
			VERSION.spec_version,
			VERSION.transaction_version,
			sign,
		);
		Executive::apply_extrinsic(xt).expect("valid").expect("dispatched");

		// Signed for another chain, or another runtime version: refused, nothing moves.
		let other_chain = transactions::sign_offline(
			transfer_to_bob(UNIT).into(),
			alice.clone(),
			1,
			sp_core::H256::repeat_byte(1),
			VERSION.spec_version,
			VERSION.transaction_version,
			sign,
		);
		assert!(Executive::apply_extrinsic(other_chain).is_err());
		let old_runtime = transactions::sign_offline(
			transfer_to_bob(UNIT).into(),
			alice,
			1,
			genesis,
			VERSION.spec_version - 1,
			VERSION.transaction_version,
			sign,
		);
		assert!(Executive::apply_extrinsic(old_runtime).is_err());
		assert_eq!(Balances::balance(&Sr25519Keyring::Bob.to_account_id()), ENDOWMENT + UNIT);
	});
}

#[test]
fn an_attested_node_with_session_keys_joins_the_validators_at_the_next_session() {
	use polkadot_sdk::{frame_support::traits::Get, pallet_session::SessionManager};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
	let mut ext = externalities(LOCAL_TESTNET_RUNTIME_PRESET);
	// Ferdie's node holds his session keys, which sign the proof that he owns them.
	let keystore = MemoryKeystore::new();
	keystore.sr25519_generate_new(sp_core::crypto::key_types::BABE, Some("//Ferdie")).unwrap();
	keystore.ed25519_generate_new(sp_core::crypto::key_types::GRANDPA, Some("//Ferdie")).unwrap();
	keystore.sr25519_generate_new(cairn_primitives::challenger_key::CHALLENGER_KEY_TYPE, Some("//Ferdie")).unwrap();
	ext.register_extension(KeystoreExt::new(keystore));
	ext.execute_with(|| {
		let ferdie = Sr25519Keyring::Ferdie.to_account_id();
		let origin = || RuntimeOrigin::signed(ferdie.clone());
		let genesis_set = vec![
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
		];
		assert_eq!(Attestation::new_session(1), Some(genesis_set.clone()));
		assert_eq!(Attestation::join_validators(origin()), Err(pallet_attestation::Error::<Runtime>::NotANode.into()));

		// Ferdie registers (as `cairn tpm register` would) and sets session keys.
		pallet_attestation::Nodes::<Runtime>::insert(
			&ferdie,
			pallet_attestation::Node { ek_id: Some([4; 32]), ca_id: Some(1), ak_public: Default::default(), registered_at: 1 },
		);
		assert_eq!(
			Attestation::join_validators(origin()),
			Err(pallet_attestation::Error::<Runtime>::NoSessionKeys.into())
		);
		let mut keys = crate::SessionKeys {
			babe: sp_keyring::Sr25519Keyring::Ferdie.public().into(),
			grandpa: sp_keyring::Ed25519Keyring::Ferdie.public().into(),
			challenger: sp_keyring::Sr25519Keyring::Ferdie.public().into(),
		};
		let proof = keys.create_ownership_proof(&ferdie.encode()).expect("the keystore holds the keys");
		Session::set_keys(origin(), keys, proof.encode()).expect("keys set");
		Attestation::join_validators(origin()).expect("joined");
		let bond: u128 = <Runtime as pallet_attestation::Config>::ValidatorBond::get();
		assert_eq!(Balances::balance(&ferdie), ENDOWMENT - bond);
		assert_eq!(Attestation::new_session(2), Some([genesis_set, vec![ferdie]].concat()));
	});
}

#[test]
fn dev_and_test_chains_have_one_minute_epochs_and_local_endpoints_production_neither() {
	use crate::configs::{AllowLocalEndpoints, EpochDuration};
	for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		externalities(preset).execute_with(|| {
			assert_eq!(EpochDuration::get(), 10, "{preset}");
			assert!(AllowLocalEndpoints::get(), "{preset}");
		});
	}
	externalities(genesis_config_presets::PRODUCTION_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(EpochDuration::get(), crate::EPOCH_DURATION_IN_SLOTS);
		assert!(!AllowLocalEndpoints::get());
	});
	use genesis_config_presets::CairnGenesis;
	let read = |json: &str| CairnGenesis::from_json(&serde_json::from_str(json).unwrap());
	assert_eq!(
		read(r#"{"epochDuration": 30, "allowLocalEndpoints": true}"#),
		Ok(CairnGenesis { epoch_duration: Some(30), allow_local_endpoints: true })
	);
	assert!(read(r#"{"allowLocalEndpoints": 1}"#).is_err());
	assert!(read(r#"{"epochDuration": 0}"#).is_err());
	assert!(read(r#"{"epochDuration": "ten"}"#).is_err());
	assert!(read(r#"{"epochLength": 10}"#).is_err());
	assert!(read("[]").is_err());
}

#[test]
fn presets_set_the_market_a_network_starts_with() {
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let params = Storage::params();
		assert_eq!(params, genesis_config_presets::test_market());
		assert_eq!((params.window, params.deadlines), (10, 2), "a one-minute window on dev chains");
	});
	externalities(genesis_config_presets::PRODUCTION_RUNTIME_PRESET).execute_with(|| {
		let params = Storage::params();
		assert_eq!((params.window, params.deadlines), (14_400, 48), "a day in 48 deadlines");
		let per_deadline = params.schedule().deadline_len() *
			crate::configs::SETTLE_PER_BLOCK *
			crate::configs::MAX_PARTITION_SIZE;
		assert!(per_deadline as u64 * params.deadlines as u64 >= 10_000_000, "ten million contracts proven daily");
	});
}

/// The market's scale target, with the weights the chain charges: 10,000,000 active
/// contracts proven daily (694 per six-second block, in 22 full answers) are charged at
/// most a quarter of each block, even when every proven contract is in its last window
/// (the costliest path), and visiting a deadline's answered partitions costs little.
#[test]
fn ten_million_contracts_proven_daily_take_under_a_quarter_of_each_block() {
	use crate::configs::{RuntimeBlockWeights, MAX_PARTITION_SIZE, SETTLE_PER_BLOCK};
	use pallet_fragment_proofs::WeightInfo as _;
	use polkadot_sdk::frame_support::weights::Weight;
	let blocks_per_day = 24 * 3600 * 1000 / crate::MILLI_SECS_PER_BLOCK;
	let per_block = 10_000_000u64.div_ceil(blocks_per_day);
	let answers = per_block.div_ceil(MAX_PARTITION_SIZE as u64);
	let proofs =
		<Runtime as pallet_fragment_proofs::Config>::WeightInfo::submit_proofs(MAX_PARTITION_SIZE).saturating_mul(answers);
	let visits = <Runtime as pallet_fragment_proofs::Config>::WeightInfo::settle_partition()
		.saturating_mul(SETTLE_PER_BLOCK as u64);
	let block = RuntimeBlockWeights::get().max_block.ref_time();
	let share = |w: Weight| w.ref_time() as f64 / block as f64;
	assert_eq!((per_block, answers), (695, 22));
	assert!(share(proofs) + share(visits) < 0.25, "proofs {:.3} + visits {:.3} of a block", share(proofs), share(visits));
}

/// Fees and rewards go to each block's own author. Looking the author up leaves nothing
/// in storage after the block: through pallet-authorship's cache, which pallet-rewards
/// refilled in `on_finalize` after pallet-authorship had cleared it, the next block's fees
/// went to this block's author.
#[test]
fn each_block_pays_its_own_author() {
	use crate::{configs::BlockAuthor, Authorship, Rewards};
	use polkadot_sdk::{
		frame_support::traits::{fungible::Balanced, Get, Hooks, OnUnbalanced, PalletInfo},
		sp_consensus_babe::{
			digests::{PreDigest, SecondaryPlainPreDigest},
			BABE_ENGINE_ID,
		},
		sp_runtime::{Digest, DigestItem},
	};
	externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let validators = Session::validators();
		assert!(validators.len() >= 2);
		let sealed_by = |authority_index: u32, slot: u64| Digest {
			logs: vec![DigestItem::PreRuntime(
				BABE_ENGINE_ID,
				PreDigest::SecondaryPlain(SecondaryPlainPreDigest { authority_index, slot: slot.into() }).encode(),
			)],
		};
		// The executive ends a block pallet by pallet in the runtime's order.
		assert!(
			<crate::PalletInfo as PalletInfo>::index::<Authorship>() < <crate::PalletInfo as PalletInfo>::index::<Rewards>(),
			"authorship ends its block before rewards"
		);
		System::initialize(&2, &System::parent_hash(), &sealed_by(0, 1));
		Authorship::on_initialize(2);
		pallet_rewards::MintInBlock::<Runtime>::put(UNIT);
		let first = Balances::balance(&validators[0]);
		Authorship::on_finalize(2);
		Rewards::on_finalize(2);
		assert_eq!(Balances::balance(&validators[0]), first + UNIT, "the reward to the block's author");
		let cache = [sp_io::hashing::twox_128(b"Authorship"), sp_io::hashing::twox_128(b"Author")].concat();
		assert_eq!(sp_io::storage::get(&cache), None, "no author kept past the block");

		System::initialize(&3, &System::parent_hash(), &sealed_by(1, 2));
		Authorship::on_initialize(3);
		assert_eq!(BlockAuthor::get(), Some(validators[1].clone()));
		let (first, second) = (Balances::balance(&validators[0]), Balances::balance(&validators[1]));
		pallet_rewards::FeesToAuthor::<Runtime>::on_unbalanced(Balances::issue(100));
		assert_eq!(Balances::balance(&validators[1]), second + 80, "the fee share to this block's author");
		assert_eq!(Balances::balance(&validators[0]), first);
	});
}

/// The storage market, proofs and rewards of the real runtime over several windows, with
/// an honest provider (Alice), a lazy one that kept half its fragments (Bob) and an absent
/// one (Charlie), each holding four of Ferdie's fragments.
mod market {
	use super::*;
	use crate::{AccountId, FragmentProofs};
	use cairn_primitives::merkle;
	use pallet_storage::{FragmentOrder, HoldReason};
	use polkadot_sdk::frame_support::{
		dispatch::{DispatchClass, GetDispatchInfo, Pays},
		traits::{fungible::InspectHold, ConstU32, Hooks, UnfilteredDispatchable},
	};

	const SEGMENT: u32 = 1024;
	const FRAGMENT: usize = 5 * 1024 + 300;

	fn fragment(tag: u8) -> Vec<u8> {
		(0..FRAGMENT).map(|i| (i as u8).wrapping_mul(17).wrapping_add(tag)).collect()
	}

	fn root_of(data: &[u8]) -> [u8; 32] {
		merkle::fragment_root(data)
	}

	fn proof_of(
		data: &[u8],
		index: u64,
	) -> pallet_fragment_proofs::SegmentProof<ConstU32<{ crate::configs::MAX_SEGMENT_SIZE }>, ConstU32<40>> {
		let segments: Vec<_> = data.chunks(SEGMENT as usize).collect();
		let levels = merkle::levels(
			segments.iter().enumerate().map(|(i, s)| merkle::leaf(s, i as u64, SEGMENT).unwrap()).collect(),
		);
		pallet_fragment_proofs::SegmentProof {
			segment: segments[index as usize].to_vec().try_into().unwrap(),
			path: merkle::proof(&levels, index).unwrap().try_into().unwrap(),
		}
	}

	fn block(n: u32) {
		System::set_block_number(n);
		Storage::on_initialize(n);
		FragmentProofs::on_initialize(n);
	}

	/// `who` answers the deadline in progress with the fragments it `holds`.
	fn answer(who: &AccountId, holds: impl Fn(u8) -> bool) {
		let now = System::block_number();
		let deadline = FragmentProofs::deadline_challenge(who, now);
		for partition in deadline.partitions.unwrap_or_default() {
			if partition.answered {
				continue;
			}
			let answer: Vec<_> = partition
				.fragments
				.iter()
				.map(|c| {
					let tag = (0..=255u8).find(|t| root_of(&fragment(*t)) == c.root).expect("a known fragment");
					holds(tag).then(|| pallet_fragment_proofs::FragmentProof {
						contract: c.contract,
						segments: c.segments.iter().map(|i| proof_of(&fragment(tag), *i)).collect::<Vec<_>>().try_into().unwrap(),
					})
				})
				.collect();
			let call = pallet_fragment_proofs::Call::<Runtime>::submit_proofs {
				window: deadline.window,
				deadline: deadline.deadline,
				partition: partition.index,
				answer: answer.try_into().unwrap(),
			};
			assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
			let post = call.dispatch_bypass_filter(RuntimeOrigin::signed(who.clone())).expect("a correct answer");
			assert_eq!(post.pays_fee, Pays::No);
		}
	}

	#[test]
	fn honest_lazy_and_absent_providers_over_several_windows() {
		externalities(DEV_RUNTIME_PRESET).execute_with(|| {
			let [alice, bob, charlie, ferdie] =
				[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie]
					.map(|k| k.to_account_id());
			let price = UNIT;
			for p in [&alice, &bob, &charlie] {
				Storage::set_offer(RuntimeOrigin::signed(p.clone()), price, 1 << 30, 1, 100).expect("offer");
			}
			let orders: Vec<_> = (0..12u8)
				.map(|tag| FragmentOrder {
					provider: [&alice, &bob, &charlie][(tag / 4) as usize].clone(),
					root: root_of(&fragment(tag)),
					size: FRAGMENT as u64,
					max_price: UNIT,
				})
				.collect();
			Storage::create_contracts(RuntimeOrigin::signed(ferdie.clone()), [1; 32], SEGMENT, 6, orders.try_into().unwrap())
				.expect("contracts");
			for id in 0..12u64 {
				let provider = [&alice, &bob, &charlie][(id / 4) as usize];
				Storage::accept_contract(RuntimeOrigin::signed(provider.clone()), id).expect("accept");
			}
			let start: Vec<u128> = [&alice, &bob, &charlie].iter().map(|p| Balances::total_balance(*p)).collect();
			let escrow_of = |p: &AccountId| -> u128 {
				pallet_storage::Contracts::<Runtime>::iter().filter(|(_, c)| &c.provider == p).map(|(_, c)| c.escrow).sum()
			};
			let escrow_each = escrow_of(&alice) / 4;
			assert!(escrow_each > 0);

			// Windows 1 to 6, and the settlement of the last deadline.
			for n in 2..=71 {
				block(n);
				answer(&alice, |_| true);
				answer(&bob, |tag| tag % 2 == 0);
				Storage::do_try_state().expect("market invariants");
			}
			let earned: Vec<i128> = [&alice, &bob, &charlie]
				.iter()
				.zip(&start)
				.map(|(p, s)| Balances::total_balance(*p) as i128 - *s as i128)
				.collect();
			assert_eq!(earned[0], 4 * escrow_each as i128, "the honest provider earned all of its escrow");
			assert!(earned[1] <= 2 * escrow_each as i128, "the lazy one at most half: {}", earned[1]);
			assert!(earned[1] < 0, "and lost the collateral of what it dropped: {}", earned[1]);
			assert!(earned[2] < 0, "the absent one earned nothing and lost collateral: {}", earned[2]);
			assert_eq!(pallet_storage::Contracts::<Runtime>::iter().count(), 0, "all completed or lost");
			for p in [&alice, &bob, &charlie] {
				assert_eq!(Balances::balance_on_hold(&HoldReason::Collateral.into(), p), 0);
			}
			assert_eq!(Balances::balance_on_hold(&HoldReason::Escrow.into(), &ferdie), 0);
			let lost = System::events()
				.iter()
				.filter(|r| matches!(r.event, RuntimeEvent::Storage(pallet_storage::Event::FragmentLost { .. })))
				.count();
			assert_eq!(lost, 2 + 4, "Bob's two dropped fragments and all of Charlie's");
		});
	}
}

/// Equivocations, as the node's BABE and GRANDPA report them (unsigned, with a key
/// ownership proof against the historical session roots), slash and remove the offender.
mod equivocation {
	use super::*;
	use crate::Historical;
	use polkadot_sdk::{
		frame_support::traits::{Get, KeyOwnerProofSystem},
		pallet_session::SessionManager,
		sp_consensus_babe::digests::{CompatibleDigestItem, PreDigest, SecondaryPlainPreDigest},
		sp_core::{crypto::Pair, H256},
		sp_keyring::Ed25519Keyring,
		sp_runtime::{traits::Header as _, DigestItem},
	};

	fn bond() -> Balance {
		<Runtime as pallet_attestation::Config>::ValidatorBond::get()
	}

	/// The offender lost its whole bond (one of three validators: BABE's and GRANDPA's
	/// fraction, (3 * 1 / 3)^2, is all of it), is no candidate and leaves the set.
	fn assert_punished(offender: &crate::AccountId, before: Balance) {
		assert_eq!(Balances::total_balance(offender), before - bond());
		assert!(pallet_attestation::ValidatorCandidates::<Runtime>::get().iter().all(|(v, _)| v != offender));
		assert!(!Attestation::new_session(2).unwrap().contains(offender));
		assert_eq!(Attestation::new_session(2).unwrap().len(), 2);
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::Attestation(pallet_attestation::Event::OffenderSlashed { who, session: 0, .. }) if who == offender
		)));
		assert_eq!(pallet_offences::Reports::<Runtime>::iter().count(), 1);
	}

	#[test]
	fn a_grandpa_equivocation_slashes_the_validator_and_removes_it() {
		externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			let alice = Sr25519Keyring::Alice.to_account_id();
			let key: sp_consensus_grandpa::AuthorityId = Ed25519Keyring::Alice.public().into();
			let set_id = Grandpa::current_set_id();
			let vote = |signer: Ed25519Keyring, target: u8| {
				let prevote = finality_grandpa::Prevote { target_hash: H256::repeat_byte(target), target_number: 1u32 };
				let message = finality_grandpa::Message::Prevote(prevote.clone());
				let payload = sp_consensus_grandpa::localized_payload(1, set_id, &message);
				(prevote, signer.pair().sign(&payload).into())
			};
			let report = |first, second| {
				Box::new(sp_consensus_grandpa::EquivocationProof::new(
					set_id,
					sp_consensus_grandpa::Equivocation::Prevote(finality_grandpa::Equivocation {
						round_number: 1,
						identity: key.clone(),
						first,
						second,
					}),
				))
			};
			let proof = Historical::prove((sp_consensus_grandpa::KEY_TYPE, key.clone())).expect("Alice validates");
			let before = Balances::total_balance(&alice);

			// Two votes for one block, or a vote signed by someone else, prove nothing.
			for (first, second) in [
				(vote(Ed25519Keyring::Alice, 1), vote(Ed25519Keyring::Alice, 1)),
				(vote(Ed25519Keyring::Alice, 1), vote(Ed25519Keyring::Bob, 2)),
			] {
				assert_eq!(
					Grandpa::report_equivocation_unsigned(RuntimeOrigin::none(), report(first, second), proof.clone())
						.map_err(|e| e.error),
					Err(pallet_grandpa::Error::<Runtime>::InvalidEquivocationProof.into())
				);
			}
			assert_eq!(Balances::total_balance(&alice), before);

			let equivocation = || report(vote(Ed25519Keyring::Alice, 1), vote(Ed25519Keyring::Alice, 2));
			Grandpa::report_equivocation_unsigned(RuntimeOrigin::none(), equivocation(), proof.clone())
				.expect("a valid report");
			assert_punished(&alice, before);
			// The same offence again is refused.
			assert_eq!(
				Grandpa::report_equivocation_unsigned(RuntimeOrigin::none(), equivocation(), proof)
					.map_err(|e| e.error),
				Err(pallet_grandpa::Error::<Runtime>::DuplicateOffenceReport.into())
			);
		});
	}

	#[test]
	fn a_babe_equivocation_slashes_the_author_and_removes_it() {
		externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			let bob = Sr25519Keyring::Bob.to_account_id();
			let key: sp_consensus_babe::AuthorityId = Sr25519Keyring::Bob.public().into();
			let slot = sp_consensus_babe::Slot::from(1);
			// Two blocks Bob (authority 1) sealed for one slot.
			let header_at = |slot: sp_consensus_babe::Slot, state_root: u8, signer: Sr25519Keyring| {
				let mut header = crate::Header::new(
					1,
					H256::zero(),
					H256::repeat_byte(state_root),
					System::parent_hash(),
					Default::default(),
				);
				let pre_digest = PreDigest::SecondaryPlain(SecondaryPlainPreDigest { authority_index: 1, slot });
				header.digest_mut().push(DigestItem::babe_pre_digest(pre_digest));
				let seal = signer.pair().sign(header.hash().as_ref());
				header.digest_mut().push(DigestItem::babe_seal(seal.into()));
				header
			};
			let header = |state_root, signer| header_at(slot, state_root, signer);
			let report = |first, second| {
				Box::new(sp_consensus_babe::EquivocationProof {
					offender: key.clone(),
					slot,
					first_header: first,
					second_header: second,
				})
			};
			let proof = Historical::prove((sp_consensus_babe::KEY_TYPE, key.clone())).expect("Bob validates");
			let before = Balances::total_balance(&bob);

			// Blocks for two slots, or a second block sealed by someone else, prove nothing.
			for (first, second) in [
				(header(1, Sr25519Keyring::Bob), header_at(slot + 1, 2, Sr25519Keyring::Bob)),
				(header(1, Sr25519Keyring::Bob), header(2, Sr25519Keyring::Charlie)),
			] {
				assert_eq!(
					Babe::report_equivocation_unsigned(RuntimeOrigin::none(), report(first, second), proof.clone())
						.map_err(|e| e.error),
					Err(pallet_babe::Error::<Runtime>::InvalidEquivocationProof.into())
				);
			}
			Babe::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				report(header(1, Sr25519Keyring::Bob), header(2, Sr25519Keyring::Bob)),
				proof,
			)
			.expect("a valid report");
			assert_punished(&bob, before);
		});
	}
}

#[test]
fn a_newcomer_redeems_an_invitation_unsigned_behind_paying_transactions() {
	use polkadot_sdk::{
		sp_core::{sr25519, Pair},
		sp_runtime::transaction_validity::TransactionSource,
	};
	externalities(DEV_RUNTIME_PRESET).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let genesis = System::block_hash(0);
		let voucher = sr25519::Pair::from_string("//voucher", None).expect("a dev path");
		let proof = voucher.sign(&pallet_invites::create_payload(&genesis, &alice)).0;
		let grant = 10 * UNIT;
		let create = pallet_invites::Call::create { voucher: voucher.public().0, grant, lifetime: 100, proof };
		Executive::apply_extrinsic(signed(Sr25519Keyring::Alice, 0, RuntimeCall::Invites(create)))
			.expect("valid")
			.expect("dispatched");

		// Someone with no account at all.
		let newcomer: crate::AccountId =
			sr25519::Pair::from_string("//newcomer", None).expect("a dev path").public().into();
		assert_eq!(Balances::total_balance(&newcomer), 0);
		let signature = voucher.sign(&pallet_invites::redeem_payload(&genesis, 0, &newcomer)).0;
		let redeem = UncheckedExtrinsic::new_bare(RuntimeCall::Invites(pallet_invites::Call::redeem {
			voucher: voucher.public().0,
			newcomer: newcomer.clone(),
			signature,
		}));
		let parent = System::parent_hash();
		let free = Executive::validate_transaction(TransactionSource::External, redeem.clone(), parent).expect("valid");
		let transfer = signed(Sr25519Keyring::Alice, 1, RuntimeCall::Balances(transfer_to_bob(UNIT)));
		let paying = Executive::validate_transaction(TransactionSource::External, transfer, parent).expect("valid");
		assert!(free.priority < paying.priority, "{} >= {}", free.priority, paying.priority);

		Executive::apply_extrinsic(redeem.clone()).expect("valid").expect("dispatched");
		assert_eq!(Balances::balance(&newcomer), grant);
		// The same transaction again is refused before any block takes it.
		assert!(Executive::validate_transaction(TransactionSource::External, redeem, parent).is_err());
	});
}
