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
}

/// An open transaction: statements run inside it; [`commit`](Self::commit) ends it, dropping it
/// rolls it back.
pub trait SqlTransaction {
    /// Runs one statement inside the transaction.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// Commits.
    async fn commit(self) -> Result<(), StoreError>;
}
