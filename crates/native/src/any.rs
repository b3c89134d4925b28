//! [`NativeExecutor`]: whichever native executor the settings choose, as one type.

use std::path::Path;

use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, ScriptExecutor, SqlExecutor, SqlTransaction, SqlValue, TransactionalExecutor,
};

use crate::postgres::PostgresTransaction;
use crate::sqlite::SqliteTransaction;
use crate::{PostgresExecutor, SqliteExecutor};

/// SQLite or Postgres, chosen at run time.
#[derive(Debug)]
pub enum NativeExecutor {
    /// The embedded default.
    Sqlite(SqliteExecutor),
    /// Postgres: production.
    Postgres(PostgresExecutor),
}

impl NativeExecutor {
    /// Opens the SQLite file at `path`.
    pub fn sqlite(path: &Path) -> Result<Self, StoreError> {
        SqliteExecutor::open(path).map(Self::Sqlite)
    }

    /// Connects to Postgres at `url`.
    pub async fn postgres(url: &str) -> Result<Self, StoreError> {
        PostgresExecutor::connect(url).await.map(Self::Postgres)
    }
}

impl SqlExecutor for NativeExecutor {
    fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(e) => e.dialect(),
            Self::Postgres(e) => e.dialect(),
        }
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self {
            Self::Sqlite(e) => e.query(sql, params).await,
            Self::Postgres(e) => e.query(sql, params).await,
        }
    }
}

impl ScriptExecutor for NativeExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(e) => e.run_script(sql).await,
            Self::Postgres(e) => e.run_script(sql).await,
        }
    }
}

/// A transaction on either executor.
pub enum NativeTransaction<'a> {
    /// On SQLite.
    Sqlite(SqliteTransaction<'a>),
    /// On Postgres.
    Postgres(PostgresTransaction),
}

impl SqlTransaction for NativeTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self {
            Self::Sqlite(t) => t.query(sql, params).await,
            Self::Postgres(t) => t.query(sql, params).await,
        }
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(t) => t.commit().await,
            Self::Postgres(t) => t.commit().await,
        }
    }
}

impl TransactionalExecutor for NativeExecutor {
    type Transaction<'a> = NativeTransaction<'a>;

    async fn begin_write(&self) -> Result<NativeTransaction<'_>, StoreError> {
        Ok(match self {
            Self::Sqlite(e) => NativeTransaction::Sqlite(e.begin_write().await?),
            Self::Postgres(e) => NativeTransaction::Postgres(e.begin_write().await?),
        })
    }
}
