//! Native adapters: hexaspin's SQL executors over rusqlite and tokio-postgres and its Redis
//! executor over the redis crate, for the worker, the CLI, the tests and the benchmarks.
//!
//! # Layout
//! - [`sqlite`]: [`SqliteExecutor`], one connection to a database file shared with `spin up`.
//! - [`postgres`]: [`PostgresExecutor`], one tokio-postgres connection, over TLS as `sslmode` says.
//! - [`postgres_tls`]: what each `sslmode` means here, and the URL tokio-postgres is given.
//! - [`tls`]: the rustls configurations (system trust store, `SSL_CERT_FILE`).
//! - [`redis`]: [`NativeRedis`], a reconnecting Redis connection (`rediss://` over rustls) running
//!   hexaspin's scripts.
//! - [`jobs`]: [`NativeJobs`], the job ports on SQLite or Redis chosen at run time.
//! - [`any`]: [`NativeExecutor`], either of them chosen at run time.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod any;
pub mod jobs;
pub mod postgres;
pub mod postgres_tls;
pub mod redis;
pub mod sqlite;
pub mod tls;

pub use any::NativeExecutor;
pub use jobs::NativeJobs;
pub use postgres::PostgresExecutor;
pub use redis::NativeRedis;
pub use sqlite::SqliteExecutor;
