//! Native adapters: hexaspin's SQL executors over rusqlite and tokio-postgres, for the worker,
//! the CLI and the test suites.
//!
//! # Layout
//! - [`sqlite`]: [`SqliteExecutor`], one connection to a database file shared with `spin up`.
//! - [`postgres`]: [`PostgresExecutor`], one tokio-postgres connection.
//! - [`any`]: [`NativeExecutor`], either of them chosen at run time.

pub mod any;
pub mod postgres;
pub mod sqlite;

pub use any::NativeExecutor;
pub use postgres::PostgresExecutor;
pub use sqlite::SqliteExecutor;
