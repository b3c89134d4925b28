//! `runtime-worker`: hexaspin's native process.
//!
//! Today it is the operator CLI: `migrate` applies the SQL migrations to SQLite or Postgres and
//! `admin-token` mints an admin JWT. The job-running loop (`run`) arrives with the worker issue.
//!
//! # Layout
//! - `cli`: the command line (clap), every option also readable from the environment.
//! - `migrate`: `migrate up|down|status` against the configured store.
//! - `admin_token`: `admin-token`.

mod admin_token;
mod cli;
mod migrate;

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
        Command::Migrate(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(migrate::run(&cli.store, &args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
