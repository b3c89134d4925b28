//! `runtime-worker`: hexaspin's native process — the job worker (`run`) and the operator CLI
//! (`migrate`, `admin-token`, `smoke`).
//!
//! # Layout
//! - `cli`: the command line (clap), every option also readable from the environment.
//! - `run`: `run`, the worker.
//! - `migrate`: `migrate up|down|status` against the configured store.
//! - `admin_token`: `admin-token`.
//! - `smoke`: `smoke`, the post-deploy check.
//! - the library (`hexaspin_runtime_worker`): configuration, services, telemetry.

mod admin_token;
mod cli;
mod flush_key_cache;
mod migrate;
mod run;
mod smoke;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = match cli.command {
        Command::AdminToken(args) => admin_token::run(&args),
        Command::Smoke(args) => smoke::run(&args),
        Command::Openapi => {
            println!("{}", hexaspin_api::openapi::document_json());
            Ok(())
        }
        Command::FlushKeyCache => runtime(false).and_then(|rt| rt.block_on(flush_key_cache::run())),
        Command::Migrate(args) => runtime(false).and_then(|rt| rt.block_on(migrate::run(&cli.store, &args))),
        Command::Run(args) => runtime(true).and_then(|rt| rt.block_on(run::run(&cli.store, &args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn runtime(multi_thread: bool) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    Ok(builder.enable_all().build()?)
}
