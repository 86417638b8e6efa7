//! The chain service: client, import queue, networking, BABE authoring, GRANDPA voting,
//! offchain workers and RPC, wired together.

use cairn_runtime::{apis::RuntimeApi, opaque::Block};
use futures::FutureExt;
use polkadot_sdk::{
	sc_client_api::{Backend, BlockBackend},
	sc_consensus_babe::{self, SlotProportion},
	sc_consensus_grandpa::SharedVoterState,
	sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig},
	sc_telemetry::{Telemetry, TelemetryWorker},
	sc_transaction_pool_api::OffchainTransactionPoolFactory,
	sp_runtime::traits::Block as BlockT,
	*,
};
use std::{sync::Arc, time::Duration};

/// The host functions the runtime may call: Substrate's standard set.
pub type HostFunctions = sp_io::SubstrateHostFunctions;

/// The full client, executing the runtime's WebAssembly.
pub type FullClient = sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullGrandpaBlockImport = sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;

/// GRANDPA justifications are imported and generated at least every this many blocks.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// What [`new_partial`] builds and [`new_full`] consumes.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(
		sc_consensus_babe::BabeBlockImport<
			Block,
			FullClient,
			FullGrandpaBlockImport,
			InherentDataProviders,
			FullSelectChain,
		>,
		sc_consensus_babe::BabeLink<Block>,
		sc_consensus_babe::BabeWorkerHandle<Block>,
		sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
		Option<Telemetry>,
	),
>;

/// Inherent data every block carries: the timestamp and the BABE slot derived from it.
#[derive(Clone)]
pub struct InherentDataProviders {
	slot_duration: sp_consensus_babe::SlotDuration,
}

#[async_trait::async_trait]
impl sp_inherents::CreateInherentDataProviders<Block, ()> for InherentDataProviders {
	type InherentDataProviders =
		(sp_consensus_babe::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider);

	async fn create_inherent_data_providers(
		&self,
		_parent: <Block as BlockT>::Hash,
		_: (),
	) -> Result<Self::InherentDataProviders, Box<dyn std::error::Error + Send + Sync>> {
		let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
		let slot = sp_consensus_babe::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
			*timestamp,
			self.slot_duration,
		);
		Ok((slot, timestamp))
	}
}

/// Builds the parts of the node that commands other than `run` need too (import,
/// export, revert).
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) = sc_service::new_full_parts::<Block, RuntimeApi, _>(
		config,
		telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
		executor,
		Vec::new(),
	)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;
	let justification_import = grandpa_block_import.clone();

	let babe_config = sc_consensus_babe::configuration(&*client)?;
	let slot_duration = babe_config.slot_duration();
	let (block_import, babe_link) = sc_consensus_babe::block_import(
		babe_config,
		grandpa_block_import,
		client.clone(),
		InherentDataProviders { slot_duration },
		select_chain.clone(),
		OffchainTransactionPoolFactory::new(transaction_pool.clone()),
	)?;

	let (import_queue, babe_worker_handle) = sc_consensus_babe::import_queue(sc_consensus_babe::ImportQueueParams {
		link: babe_link.clone(),
		block_import: block_import.clone(),
		justification_import: Some(Box::new(justification_import)),
		client: client.clone(),
		slot_duration,
		spawner: &task_manager.spawn_essential_handle(),
		registry: config.prometheus_registry(),
		telemetry: telemetry.as_ref().map(|x| x.handle()),
	})?;

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, babe_link, babe_worker_handle, grandpa_link, telemetry),
	})
}

/// What the node's service plane listens at, for its off-chain worker to publish
/// (pallet-endpoints), and the service plane's key, which signs each publication's account.
pub struct LocalEndpoint {
	pub peer_id: pallet_endpoints::PeerIdBytes,
	pub addresses: pallet_endpoints::Addresses,
	pub keypair: cairn_net::identity::Keypair,
}

impl LocalEndpoint {
	/// The addresses as others dial them: each ending in `/p2p/<peer id>`.
	pub fn addresses(&self) -> Vec<String> {
		let Ok(peer) = cairn_net::Peer::from_bytes(&self.peer_id) else { return Vec::new() };
		self.addresses
			.iter()
			.filter_map(|bytes| cairn_net::Address::try_from(bytes.to_vec()).ok())
			.map(|address| address.with(cairn_net::Protocol::P2p(peer)).to_string())
			.collect()
	}
}

/// Keeps the number of the last finalized block in the off-chain database, where the
/// attestation pallet's off-chain worker reads it: challengers reveal their seeds only for
/// audits opened in a final block.
async fn record_finality<S: sp_core::offchain::OffchainStorage>(
	mut offchain_db: S,
	client: Arc<FullClient>,
) {
	use codec::Encode;
	use futures::StreamExt;
	use sc_client_api::BlockchainEvents;
	use sp_core::offchain::STORAGE_PREFIX;
	use sp_runtime::traits::Header;
	let key = pallet_attestation::offchain::FINALIZED_KEY;
	offchain_db.set(STORAGE_PREFIX, key, &client.chain_info().finalized_number.encode());
	let mut finalized = client.finality_notification_stream();
	while let Some(notification) = finalized.next().await {
		offchain_db.set(STORAGE_PREFIX, key, &(*notification.header.number()).encode());
	}
}

/// How often the node signs its endpoint for node keys added to the keystore since.
const ENDPOINT_PROOF_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Writes, for each node key in the keystore, the service-plane key's signature over
/// `pallet_endpoints::endpoint_payload` at the best block into the off-chain database,
/// where the off-chain worker takes it to publish the endpoint; again every
/// [`ENDPOINT_PROOF_INTERVAL`], so that signatures stay recent and keys inserted while the
/// node runs get one.
async fn sign_endpoints<S: sp_core::offchain::OffchainStorage>(
	mut offchain_db: S,
	client: Arc<FullClient>,
	keystore: sp_keystore::KeystorePtr,
	keypair: cairn_net::identity::Keypair,
	genesis: <Block as BlockT>::Hash,
) {
	use codec::Encode;
	use sp_core::offchain::STORAGE_PREFIX;
	use sp_keystore::Keystore;
	loop {
		let signed_at = client.chain_info().best_number;
		for public in keystore.sr25519_public_keys(cairn_primitives::NODE_KEY_TYPE) {
			let account = cairn_primitives::AccountId::from(public);
			let payload = pallet_endpoints::endpoint_payload(genesis.as_ref(), &account, &signed_at);
			let signature = match keypair.sign(&payload).map(<[u8; 64]>::try_from) {
				Ok(Ok(signature)) => signature,
				_ => {
					log::warn!("the fragment service's key cannot sign the endpoint of {account}");
					continue;
				},
			};
			let key = pallet_endpoints::offchain::peer_proof_key(&account);
			offchain_db.set(STORAGE_PREFIX, &key, &(signed_at, signature).encode());
		}
		tokio::time::sleep(ENDPOINT_PROOF_INTERVAL).await;
	}
}

/// What the provider worker needs of the fragment service.
pub struct ProviderParts {
	pub store: cairn_store::Store,
	pub admission: Arc<crate::provider::LateAdmission>,
	/// The fragment service's peer id, which upload signatures name.
	pub peer_id: cairn_net::Peer,
}

/// Builds and starts a full node; validators also author and vote. With a fragment
/// service (`provider`), the node also runs the provider's side of the storage market.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
	local_endpoint: Option<LocalEndpoint>,
	provider: Option<ProviderParts>,
	apps: Option<crate::apps::AppsRpc>,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, babe_link, babe_worker_handle, grandpa_link, mut telemetry),
	} = new_partial(&config)?;

	// Dev accounts (`--alice`, ...) sign their off-chain workers' transactions with the
	// dev seed; other nodes get their key with `cairn key insert --key-type cair`.
	if let Some(seed) = &config.dev_key_seed {
		use sp_keystore::Keystore;
		keystore_container
			.keystore()
			.sr25519_generate_new(cairn_primitives::NODE_KEY_TYPE, Some(seed))
			.map_err(|e| ServiceError::Other(format!("cannot put the dev node key in the keystore: {e}")))?;
	}

	// The endpoint the off-chain worker keeps published; none without a service plane.
	if let Some(offchain_db) = backend.offchain_storage() {
		task_manager.spawn_handle().spawn("record-finality", None, record_finality(offchain_db, client.clone()));
	}
	if let Some(mut offchain_db) = backend.offchain_storage() {
		use codec::Encode;
		use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
		let key = pallet_endpoints::offchain::LOCAL_ENDPOINT_KEY;
		match &local_endpoint {
			Some(endpoint) => {
				offchain_db.set(STORAGE_PREFIX, key, &(&endpoint.peer_id, &endpoint.addresses).encode());
				let genesis = client.block_hash(0).ok().flatten().expect("Genesis block exists; qed");
				task_manager.spawn_handle().spawn(
					"endpoint-proofs",
					None,
					sign_endpoints(
						offchain_db.clone(),
						client.clone(),
						keystore_container.keystore(),
						endpoint.keypair.clone(),
						genesis,
					),
				);
			},
			None => offchain_db.remove(STORAGE_PREFIX, key),
		}
		match &apps {
			Some(apps) => task_manager.spawn_handle().spawn(
				"apps-listing",
				None,
				crate::apps::keep_listed(offchain_db.clone(), apps.apps.clone(), apps.public_url.clone()),
			),
			// No apps: a listing made before is withdrawn.
			None => offchain_db.remove(STORAGE_PREFIX, pallet_endpoints::offchain::LOCAL_APPS_KEY),
		}
	}

	let mut net_config = sc_network::config::FullNetworkConfiguration::<Block, <Block as BlockT>::Hash, N>::new(
		&config.network,
		config.prometheus_registry().cloned(),
	);
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let peer_store_handle = net_config.peer_store_handle();
	let grandpa_protocol_name = sc_consensus_grandpa::protocol_standard_name(
		&client.block_hash(0).ok().flatten().expect("Genesis block exists; qed"),
		&config.chain_spec,
	);
	let (grandpa_protocol_config, grandpa_notification_service) = sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
		grandpa_protocol_name.clone(),
		metrics.clone(),
		peer_store_handle,
	);
	net_config.add_notification_protocol(grandpa_protocol_config);

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	if config.offchain_worker.enabled {
		let offchain_workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
			runtime_api_provider: client.clone(),
			is_validator: config.role.is_authority(),
			keystore: Some(keystore_container.keystore()),
			offchain_db: backend.offchain_storage(),
			transaction_pool: Some(OffchainTransactionPoolFactory::new(transaction_pool.clone())),
			network_provider: Arc::new(network.clone()),
			enable_http_requests: true,
			custom_extensions: |_| vec![],
		})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	if let Some(parts) = provider {
		let node_key = crate::provider::node_key(&keystore_container.keystore());
		match node_key {
			Some(public) => parts.admission.set(Box::new(cairn_net::auth::ContractAdmission::new(
				crate::provider::ChainContracts { client: client.clone(), provider: public.into() },
				parts.peer_id,
			))),
			None => parts.admission.set(Box::new(crate::provider::NoContracts)),
		}
		match node_key {
			Some(public) => task_manager.spawn_handle().spawn(
				"cairn-provider",
				None,
				crate::provider::run(
					client.clone(),
					transaction_pool.clone(),
					keystore_container.keystore(),
					parts.store,
					public,
				),
			),
			None => log::info!("No node key in the keystore: this node stores no fragments under contracts"),
		}
	}

	// The BABE worker serves epoch data while a handle to it exists; the node keeps one.
	task_manager.spawn_handle().spawn("babe-worker-handle", None, async move {
		let _handle = babe_worker_handle;
		futures::future::pending::<()>().await
	});

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	let service_addresses = local_endpoint.as_ref().map(LocalEndpoint::addresses).unwrap_or_default();
	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			let deps = cairn_rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				service_addresses: service_addresses.clone(),
			};
			let mut module = cairn_rpc::create_full(deps)?;
			if let Some(apps) = &apps {
				use crate::apps::AppsApiServer;
				module
					.merge(apps.clone().into_rpc())
					.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
			}
			Ok(module)
		})
	};

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.clone()),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if role.is_authority() {
		let proposer_factory = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);
		let slot_duration = babe_link.config().slot_duration();
		let babe = sc_consensus_babe::start_babe(sc_consensus_babe::BabeParams {
			keystore: keystore_container.keystore(),
			client: client.clone(),
			select_chain,
			env: proposer_factory,
			block_import,
			sync_oracle: sync_service.clone(),
			justification_sync_link: sync_service.clone(),
			create_inherent_data_providers: InherentDataProviders { slot_duration },
			force_authoring,
			backoff_authoring_blocks: None::<()>,
			babe_link,
			block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
			max_block_proposal_slot_portion: None,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
		})?;
		// Authoring is essential: if it fails, the node stops.
		task_manager.spawn_essential_handle().spawn_blocking("babe-proposer", Some("block-authoring"), babe);
	}

	if enable_grandpa {
		let keystore = role.is_authority().then(|| keystore_container.keystore());
		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};
		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};
		// The voter is essential too.
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}
