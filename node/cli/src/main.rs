//! `cairn`: a Cairn chain node and its command line.

mod apps;
mod chain;
mod chain_spec;
mod cli;
mod command;
mod fragments;
mod gateway;
mod invite;
mod join;
mod market;
mod profile;
mod provider;
mod service;
mod tpm;

fn main() {
	if let Err(error) = command::run() {
		// One line that says what went wrong, no backtrace.
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
