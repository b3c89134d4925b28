//! `runtime-worker migrate up|down|status`.

use std::path::Path;

use anyhow::Context;
use hexaspin_config::settings::StoreSettings;
use hexaspin_config::system::system_now;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate::{self, MigrationStatus};

use crate::cli::{MigrateArgs, MigrateDirection, StoreArgs};

/// Runs the migration command against the configured store.
pub async fn run(store: &StoreArgs, args: &MigrateArgs) -> anyhow::Result<()> {
    let executor = match StoreSettings::load(store).context("store settings")? {
        StoreSettings::Sqlite { path } => {
            println!("store: sqlite ({path})");
            NativeExecutor::sqlite(Path::new(&path))
                .with_context(|| format!("cannot open SQLite database {path}"))?
        }
        StoreSettings::Postgres { url } => {
            println!("store: postgres");
            NativeExecutor::postgres(&url)
                .await
                .context("cannot connect to Postgres (PG_URL)")?
        }
    };
    let executor = &executor;
    match args.direction {
        MigrateDirection::Up => {
            let applied = migrate::up(executor, system_now()).await?;
            if applied.is_empty() {
                println!("up to date");
            }
            for version in applied {
                println!("applied {version:04}");
            }
        }
        MigrateDirection::Down => {
            let reverted = migrate::down(executor, args.steps).await?;
            if reverted.is_empty() {
                println!("nothing to revert");
            }
            for version in reverted {
                println!("reverted {version:04}");
            }
        }
        MigrateDirection::Status => {
            for MigrationStatus {
                version,
                name,
                applied_at,
            } in migrate::status(executor).await?
            {
                let state = applied_at.map_or_else(
                    || "pending".to_owned(),
                    |at| format!("applied {}", at.to_rfc3339()),
                );
                println!("{version:04} {name:<24} {state}");
            }
        }
    }
    Ok(())
}
