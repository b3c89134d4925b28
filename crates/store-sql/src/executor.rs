//! What an adapter must provide: run one parameterised statement and return its rows.

use hexaspin_core::ports::StoreError;

use crate::value::{Row, SqlValue};

/// Which SQL dialect the statements must be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (`?1` parameters, INTEGER booleans).
    Sqlite,
    /// PostgreSQL (`$1` parameters, BOOLEAN, JSONB).
    Postgres,
}

/// Runs one statement with positional parameters. Statements that change rows use `RETURNING`,
/// so every call yields rows (Spin's SQLite interface reports no affected-row count).
pub trait SqlExecutor {
    /// The dialect the statements are in.
    fn dialect(&self) -> Dialect;

    /// Runs `sql` with `params` bound to `?1…`/`$1…`, returning all rows.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

/// Executors that can also run multi-statement scripts without parameters: the native ones, which
/// apply migrations and control transactions.
pub trait ScriptExecutor: SqlExecutor {
    /// Runs every statement in `sql`.
    async fn run_script(&self, sql: &str) -> Result<(), StoreError>;
}

/// What a SQLite adapter's [`TransactionalExecutor::query_unsynced`] sets for its statement, and
/// sets back after it (`FULL`, SQLite's default, which every other commit keeps).
pub const SQLITE_UNSYNCED: &str = "PRAGMA synchronous = NORMAL";
/// See [`SQLITE_UNSYNCED`].
pub const SQLITE_SYNCED: &str = "PRAGMA synchronous = FULL";

/// Executors that can hold a write transaction: the SQLite ones, which keep jobs and quota state
/// for the embedded default. The transaction has the connection to itself until it is committed
/// or dropped (dropping rolls back).
pub trait TransactionalExecutor: SqlExecutor {
    /// The open transaction.
    type Transaction<'a>: SqlTransaction
    where
        Self: 'a;

    /// Starts a write transaction (SQLite `BEGIN IMMEDIATE`: the write lock is taken up front, so
    /// two writers cannot both read and then collide).
    async fn begin_write(&self) -> Result<Self::Transaction<'_>, StoreError>;

    /// Runs one statement that writes only request counts, as a transaction of its own committed
    /// without waiting for the disk where the executor can (SQLite `synchronous = NORMAL` for that
    /// statement, on a connection no other request shares): an application crash cannot lose it, a
    /// power cut can lose the last ones, and the next fully synced commit makes them durable too
    /// (the log is one file, synced up to its end). Never for jobs, keys or quota state.
    ///
    /// Why: on the embedded default a read's only write was its counts, and their commit waited
    /// for the disk while holding the one write lock every dispatch needs (measured: 0.7 ms of
    /// a 1 ms hold).
    async fn query_unsynced(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.query(sql, params).await
    }
}

/// An open transaction: statements run inside it; [`commit`](Self::commit) ends it, dropping it
/// rolls it back.
pub trait SqlTransaction {
    /// Runs one statement inside the transaction.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// Commits the transaction; an error means it may not have been applied.
    async fn commit(self) -> Result<(), StoreError>;
}
