//! [`SqliteExecutor`]: rusqlite behind the store-sql executor traits.
//!
//! The embedded default shares one database file between `spin up` (which keeps it in rollback
//! journal mode) and native processes; a busy timeout rides out the other side's short write
//! locks instead of failing at once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, ScriptExecutor, SqlExecutor, SqlTransaction, SqlValue, TransactionalExecutor,
};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{Mutex, MutexGuard};

/// How long to wait for another process's lock before reporting the store unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One SQLite connection. Statements run synchronously under an async mutex: SQLite allows one
/// writer at a time anyway, each statement here is short, and a transaction holds the mutex until
/// it ends, so no other task's statement can slip into it.
#[derive(Clone)]
pub struct SqliteExecutor {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteExecutor").finish_non_exhaustive()
    }
}

impl SqliteExecutor {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", parent.display())))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(to_store_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(to_store_error)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }
}

fn run_query(connection: &Connection, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
    let run = || -> Result<Vec<Row>, rusqlite::Error> {
        let mut statement = connection.prepare_cached(sql)?;
        let values: Vec<Value> = params.iter().map(to_sqlite_value).collect();
        let column_count = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(column_count);
            for index in 0..column_count {
                values.push(from_sqlite_value(row.get_ref(index)?)?);
            }
            out.push(values);
        }
        Ok(out)
    };
    run().map_err(to_store_error)
}

/// A write transaction holding the connection. The guard sits in a std mutex (never contended:
/// one transaction, one task) only to make the transaction `Sync`, so futures that borrow it across
/// an `.await` stay `Send` for multi-threaded runtimes.
pub struct SqliteTransaction<'a> {
    connection: std::sync::Mutex<MutexGuard<'a, Connection>>,
    open: bool,
}

impl SqliteTransaction<'_> {
    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let guard = self
            .connection
            .lock()
            .map_err(|_| StoreError::Failed("sqlite transaction lock poisoned".into()))?;
        f(&guard)
    }
}

impl SqlTransaction for SqliteTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.with(|connection| run_query(connection, sql, params))
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        self.with(|connection| connection.execute_batch("COMMIT").map_err(to_store_error))?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing useful to do if even the rollback fails: the connection is unusable then and
            // the next statement reports it.
            let _ = self.with(|connection| connection.execute_batch("ROLLBACK").map_err(to_store_error));
        }
    }
}

impl TransactionalExecutor for SqliteExecutor {
    type Transaction<'a> = SqliteTransaction<'a>;

    async fn begin_write(&self) -> Result<SqliteTransaction<'_>, StoreError> {
        let connection = self.connection.lock().await;
        connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(to_store_error)?;
        Ok(SqliteTransaction {
            connection: std::sync::Mutex::new(connection),
            open: true,
        })
    }
}

impl SqlExecutor for SqliteExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        run_query(&*self.connection.lock().await, sql, params)
    }
}

impl ScriptExecutor for SqliteExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        self.connection
            .lock()
            .await
            .execute_batch(sql)
            .map_err(to_store_error)
    }
}

fn to_sqlite_value(value: &SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Int(n) => Value::Integer(*n),
        SqlValue::Real(x) => Value::Real(*x),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Bool(b) => Value::Integer(i64::from(*b)),
    }
}

fn from_sqlite_value(value: ValueRef<'_>) -> Result<SqlValue, rusqlite::Error> {
    Ok(match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(n) => SqlValue::Int(n),
        ValueRef::Real(x) => SqlValue::Real(x),
        ValueRef::Text(bytes) => SqlValue::Text(
            String::from_utf8(bytes.to_vec()).map_err(|e| rusqlite::Error::Utf8Error(e.utf8_error()))?,
        ),
        ValueRef::Blob(_) => {
            return Err(rusqlite::Error::InvalidColumnType(
                0,
                "blob".into(),
                rusqlite::types::Type::Blob,
            ));
        }
    })
}

fn to_store_error(error: rusqlite::Error) -> StoreError {
    if error.to_string().contains("no such table") {
        return StoreError::Unavailable(format!("{error}: {}", hexaspin_store_sql::NOT_MIGRATED_HINT));
    }
    let code = error.sqlite_error_code();
    match code {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::NotADatabase,
        ) => StoreError::Unavailable(error.to_string()),
        Some(ErrorCode::ConstraintViolation) if is_uniqueness_violation(&error) => {
            StoreError::Conflict(error.to_string())
        }
        _ => StoreError::Failed(error.to_string()),
    }
}

fn is_uniqueness_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}
