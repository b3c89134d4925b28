//! `runtime-worker migrate up|down|status`.

use std::path::Path;

use anyhow::Context;
use hexaspin_config::os::system_now;
use hexaspin_config::settings::StoreSettings;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate::{self, MigrationStatus, Schema};

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
    let chosen: Vec<Schema> = match args.schema {
        Some(schema) => vec![schema.into()],
        None if args.direction == MigrateDirection::Down => vec![Schema::Core],
        None => Schema::ALL.to_vec(),
    };
    for schema in chosen {
        let name = schema.as_str();
        match args.direction {
            MigrateDirection::Up => {
                let applied = migrate::schema_up(executor, schema, system_now()).await?;
                if applied.is_empty() {
                    println!("{name}: up to date");
                }
                for version in applied {
                    println!("{name}: applied {version:04}");
                }
            }
            MigrateDirection::Down => {
                let reverted = migrate::schema_down(executor, schema, args.steps).await?;
                if reverted.is_empty() {
                    println!("{name}: nothing to revert");
                }
                for version in reverted {
                    println!("{name}: reverted {version:04}");
                }
            }
            MigrateDirection::Status => {
                for MigrationStatus {
                    version,
                    name: migration,
                    applied_at,
                } in migrate::schema_status(executor, schema).await?
                {
                    let state = applied_at.map_or_else(
                        || "pending".to_owned(),
                        |at| format!("applied {}", at.to_rfc3339()),
                    );
                    println!("{name:<5} {version:04} {migration:<24} {state}");
                }
            }
        }
    }
    Ok(())
}
