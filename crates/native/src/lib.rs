//! Native adapters: hexaspin's SQL executors over rusqlite and tokio-postgres, plus the OS
//! randomness and clock, for the worker, the CLI and the test suites.
//!
//! # Layout
//! - [`sqlite`]: [`SqliteExecutor`], one connection to a database file shared with `spin up`.
//! - [`postgres`]: [`PostgresExecutor`], one tokio-postgres connection.
//! - [`system`]: [`OsEntropy`] and [`system_now`].

pub mod postgres;
pub mod sqlite;
pub mod system;

pub use postgres::PostgresExecutor;
pub use sqlite::SqliteExecutor;
pub use system::{OsEntropy, system_now};
