//! The SQL side of hexaspin's stores, written once for every adapter.
//!
//! The core's store ports are implemented here by [`SqlStore`], on top of a tiny
//! [`SqlExecutor`] trait ("run this statement with these parameters, give me rows of
//! [`SqlValue`]s"). The native adapters (rusqlite, tokio-postgres) and the Spin adapters (spin-sdk
//! sqlite, pg4) only implement that trait, so statements, parameter order and row decoding cannot
//! drift between them.
//!
//! # Layout
//! - [`value`]: the dialect-neutral value type and row access helpers.
//! - [`executor`]: the executor traits adapters implement.
//! - [`queries`]: the statements, one `.sql` file each, per dialect.
//! - [`codec`]: domain records to parameters and rows back to domain records.
//! - [`store`]: [`SqlStore`], the port implementations.
//! - [`users`]: the user service's account and refresh-token ports.
//! - [`jobs`]: [`jobs::SqliteJobs`], the job and quota ports on SQLite (the embedded default).
//! - [`migrate`]: the numbered up/down migrations in `migrations/` and their runner.
//! - [`spin_failure`]: Spin's SQLite and Postgres errors as store errors (both Spin adapters).
//! - [`lock_wait`]: how often a Spin request tries SQLite's write lock again (both Spin adapters).
//! - [`spin_values`]: [`spin_value_conversions!`], values to and from both Spin SDKs' types.
//! - [`never_empty`]: [`NeverEmpty`], Postgres statements that always answer a row (the Spin
//!   adapter sends them so; Spin 4.0.x deadlocks on empty results).

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

mod audited;
pub mod codec;
pub mod executor;
pub mod jobs;
pub mod lock_wait;
pub mod migrate;
pub mod never_empty;
pub mod queries;
pub mod spin_failure;
pub mod spin_values;
pub mod store;
pub mod users;
pub mod value;

/// Added to store errors caused by a missing table: the operator has not migrated this database.
pub const NOT_MIGRATED_HINT: &str = "the database is not migrated; run `runtime-worker migrate up`";

pub use executor::{
    Dialect, SQLITE_SYNCED, SQLITE_UNSYNCED, ScriptExecutor, SqlExecutor, SqlTransaction,
    TransactionalExecutor,
};
pub use never_empty::NeverEmpty;
pub use store::SqlStore;
pub use value::SqlValue;
