//! Dispatches the command line to the node service or a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use cairn_runtime::opaque::Block;
use polkadot_sdk::{
	sc_cli::{self, SubstrateCli},
	sc_network::config::NetworkBackendType,
	sc_service::PartialComponents,
	*,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Cairn Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/cairn/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" | "" => Box::new(chain_spec::development_chain_spec()?),
			"local" => Box::new(chain_spec::local_chain_spec()?),
			path => Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path)).map_err(|e| {
				format!(
					"cannot load chain spec {path:?}: {e}. Give `dev`, `local` or the \
							 path of a JSON chain spec (see `cairn export-chain-spec`)"
				)
			})?),
		})
	}
}

/// Parses the command line and runs it.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();

	// Cairn's chain plane runs on rust-libp2p (sc-network's libp2p backend), as its service
	// plane does; upstream's default is litep2p, so choose libp2p unless the user did.
	if !std::env::args().any(|arg| arg.starts_with("--network-backend")) {
		cli.run.network_params.network_backend = sc_cli::arg_enums::NetworkBackendType::Libp2p;
	}

	// Every Cairn node runs its off-chain workers: they publish its endpoint and, for
	// validators, post registration challenges. Upstream runs them only on validators.
	if !std::env::args().any(|arg| arg.starts_with("--offchain-worker")) {
		cli.run.offchain_worker_params.enabled = sc_cli::arg_enums::OffchainWorkerEnabled::Always;
	}

	if cli.subcommand.is_none() {
		crate::profile::apply(cli.profile, &mut cli.run);
	}

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		},
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } = service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		Some(Subcommand::Client(cmd)) => {
			init_tool_logger();
			crate::fragments::run_client(cmd).map_err(sc_cli::Error::Input)
		},
		Some(Subcommand::Tpm(cmd)) => crate::tpm::run(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::Provider(cmd)) => crate::market::run_provider(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::Relay(cmd)) => crate::relay::run(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::Invite(cmd)) => crate::invite::run(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::Join(cmd)) => crate::join::run(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::Apps(cmd)) => {
			init_tool_logger();
			crate::apps::run(cmd).map_err(sc_cli::Error::Input)
		},
		Some(Subcommand::Store(cmd)) => crate::fragments::run_store(cmd).map_err(sc_cli::Error::Input),
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let fragment_args = crate::fragments::FragmentArgs {
				store_memory: crate::profile::store_memory(cli.profile),
				..cli.fragments.clone()
			};
			let gateway_args = cli.gateway.clone();
			let apps_args = cli.apps.clone();
			runner.run_node_until_exit(|mut config| async move {
				claim_rpc_ports(&mut config)?;
				if matches!(config.network.network_backend, NetworkBackendType::Litep2p) {
					return Err(sc_cli::Error::Input(
						"cairn runs on the libp2p network backend; drop `--network-backend \
						 litep2p`"
							.into(),
					));
				}
				let base = config.base_path.config_dir(config.chain_spec.id());
				let rpc_port = crate::gateway::rpc_port(&config);
				let apps = crate::apps::open(
					&apps_args,
					gateway_args.no_gateway,
					&gateway_args.gateway_host,
					rpc_port,
					base.join("apps"),
				)
				.await
				.map_err(sc_cli::Error::Input)?;
				let hosted = apps.as_ref().map(|apps| (apps.gateway.local_addr().port(), apps.rpc.apps.clone()));
				let gateway = crate::gateway::bind(
					&gateway_args,
					crate::gateway::rpc_port(&config),
					hosted,
					base.join("gateway"),
				)
				.await
				.map_err(sc_cli::Error::Input)?;
				let chain_spec = crate::fragments::chain_spec_source(config.chain_spec.cloned_box());
				let fragments = crate::fragments::start_service(&fragment_args, base, chain_spec)
					.await
					.map_err(sc_cli::Error::Input)?;
				let local_endpoint = match &fragments {
					Some(service) => {
						let (peer_id, addresses) = crate::fragments::local_endpoint(&service.handle, &fragment_args)
							.await
							.map_err(sc_cli::Error::Input)?;
						Some(service::LocalEndpoint { peer_id, addresses, keypair: service.keypair.clone() })
					},
					None => None,
				};
				let provider = fragments.as_ref().map(|s| service::ProviderParts {
					store: s.store.clone(),
					admission: s.admission.clone(),
					peer_id: s.handle.peer_id(),
				});
				let task_manager = service::new_full::<
					sc_network::NetworkWorker<Block, <Block as sp_runtime::traits::Block>::Hash>,
				>(config, local_endpoint, provider, apps.as_ref().map(|apps| apps.rpc.clone()))
				.map_err(sc_cli::Error::Service)?;
				if let Some(crate::fragments::FragmentService { handle, .. }) = fragments {
					// The service runs while a handle exists: keep one for the node's lifetime.
					task_manager.spawn_handle().spawn("fragment-service", None, async move {
						let _handle = handle;
						futures::future::pending::<()>().await
					});
				}
				if let Some(gateway) = gateway {
					task_manager.spawn_handle().spawn("gateway", None, gateway.serve());
				}
				if let Some(apps) = apps {
					task_manager.spawn_handle().spawn("apps", None, apps.gateway.serve());
				}
				Ok(task_manager)
			})
		},
	}
}

/// Logging for the client tools: errors only, unless `RUST_LOG` asks for more.
fn init_tool_logger() {
	let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| "error".into());
	let _ = sc_cli::LoggerBuilder::new(directives).init();
}

/// Fails with a clear line when a required RPC address is taken, instead of upstream's
/// silent fallback to a random port that no client would find.
fn claim_rpc_ports(config: &mut sc_service::Configuration) -> sc_cli::Result<()> {
	for endpoint in config.rpc.addr.iter_mut().flatten() {
		endpoint.retry_random_port = false;
		if endpoint.is_optional || endpoint.listen_addr.port() == 0 {
			continue;
		}
		if let Err(e) = std::net::TcpListener::bind(endpoint.listen_addr) {
			let addr = endpoint.listen_addr;
			return Err(sc_cli::Error::Input(if e.kind() == std::io::ErrorKind::AddrInUse {
				format!(
					"RPC address {addr} is already in use (another node?): stop it or choose \
					 another port with --rpc-port"
				)
			} else {
				format!("cannot listen for RPC on {addr}: {e}")
			}));
		}
	}
	Ok(())
}
