//! [`SqliteExecutor`]: rusqlite behind the store-sql executor traits.
//!
//! The embedded default shares one database file, in write-ahead-log mode, between `spin up` and
//! native processes; a busy timeout rides out the other side's short write
//! locks instead of failing at once. Every SQLite call runs on tokio's blocking pool: it blocks
//! (for up to that timeout while another process writes), which must not stall the runtime's
//! worker threads and every task on them.

use std::marker::PhantomData;
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
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How many times, a millisecond apart, to try again for another process's lock before reporting
/// the store unavailable (about 5 s).
const BUSY_TRIES: i32 = 5_000;

/// SQLite's busy handler: wait a millisecond and try again. Its own busy timeout sleeps 1, 2, 5, …
/// then 100 ms between tries, which under load lets a waiter sleep through free moments of the
/// lock. Spin's requests poll too (`hexaspin_store_sql::lock_wait`): every 2 ms while new, as often
/// as this once they have waited 20 ms, so neither process starves the other. Runs on tokio's
/// blocking pool, where sleeping is allowed.
fn wait_a_millisecond(tries: i32) -> bool {
    if tries >= BUSY_TRIES {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// One SQLite connection. Statements run one at a time under an async mutex, each on the blocking
/// pool: SQLite allows one writer at a time anyway, and a transaction holds the mutex until it
/// ends, so no other task's statement can slip into it.
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
        connection
            .busy_handler(Some(wait_a_millisecond))
            .map_err(to_store_error)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }
}

/// Runs `f` with the connection on tokio's blocking pool, handing the connection back with its
/// result.
async fn on_blocking_pool<T, F>(
    guard: OwnedMutexGuard<Connection>,
    f: F,
) -> Result<(OwnedMutexGuard<Connection>, T), StoreError>
where
    F: FnOnce(&Connection) -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let out = f(&guard);
        (guard, out)
    })
    .await
    .map_err(|e| StoreError::Failed(format!("an SQLite call did not complete: {e}")))
}

/// `run_query` on the blocking pool.
async fn query_on(
    guard: OwnedMutexGuard<Connection>,
    sql: &str,
    params: &[SqlValue],
) -> Result<(OwnedMutexGuard<Connection>, Result<Vec<Row>, StoreError>), StoreError> {
    let (sql, params) = (sql.to_owned(), params.to_vec());
    on_blocking_pool(guard, move |connection| run_query(connection, &sql, &params)).await
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

/// A write transaction holding the connection until it ends. The guard sits in a std mutex (never
/// contended: one transaction, one task) so the transaction is `Sync` and futures that borrow it
/// across an `.await` stay `Send`; it is taken out while a statement runs on the blocking pool.
pub struct SqliteTransaction<'a> {
    connection: std::sync::Mutex<Option<OwnedMutexGuard<Connection>>>,
    open: bool,
    executor: PhantomData<&'a SqliteExecutor>,
}

impl SqliteTransaction<'_> {
    fn take(&self) -> Result<OwnedMutexGuard<Connection>, StoreError> {
        self.connection
            .lock()
            .map_err(|_| StoreError::Failed("sqlite transaction lock poisoned".into()))?
            .take()
            .ok_or_else(|| StoreError::Failed("the transaction lost its connection to a failed call".into()))
    }

    fn put_back(&self, guard: OwnedMutexGuard<Connection>) {
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(guard);
        }
    }
}

impl SqlTransaction for SqliteTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let (guard, rows) = query_on(self.take()?, sql, params).await?;
        self.put_back(guard);
        rows
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        let commit = |connection: &Connection| connection.execute_batch("COMMIT").map_err(to_store_error);
        let (guard, committed) = on_blocking_pool(self.take()?, commit).await?;
        self.put_back(guard);
        committed?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTransaction<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        // A rollback waits for no lock (the transaction holds the write lock), so it runs here.
        // Nothing useful to do if even it fails: the connection is unusable then and the next
        // statement reports it.
        if let Ok(Ok(guard)) = self.connection.get_mut().map(|slot| slot.take().ok_or(())) {
            let _ = guard.execute_batch("ROLLBACK");
        }
    }
}

impl TransactionalExecutor for SqliteExecutor {
    type Transaction<'a> = SqliteTransaction<'a>;

    async fn begin_write(&self) -> Result<SqliteTransaction<'_>, StoreError> {
        let guard = self.connection.clone().lock_owned().await;
        // BEGIN IMMEDIATE takes the write lock now, waiting up to the busy timeout for it.
        let begin = |connection: &Connection| {
            connection
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(to_store_error)
        };
        let (guard, begun) = on_blocking_pool(guard, begin).await?;
        begun?;
        Ok(SqliteTransaction {
            connection: std::sync::Mutex::new(Some(guard)),
            open: true,
            executor: PhantomData,
        })
    }
}

impl SqlExecutor for SqliteExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let guard = self.connection.clone().lock_owned().await;
        query_on(guard, sql, params).await?.1
    }
}

impl ScriptExecutor for SqliteExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        let guard = self.connection.clone().lock_owned().await;
        let sql = sql.to_owned();
        on_blocking_pool(guard, move |connection| {
            connection.execute_batch(&sql).map_err(to_store_error)
        })
        .await?
        .1
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_another_writer_does_not_stall_the_runtime() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shared.db");
        let executor = SqliteExecutor::open(&path).expect("open");
        executor
            .run_script("CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        // Another process holds the write lock, as `spin up` does for a moment.
        let other = Connection::open(&path).expect("second connection");
        other.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let started = Instant::now();
        let waiting = tokio::spawn(async move { executor.begin_write().await.map(drop) });
        // With the SQLite call on this (only) runtime thread, this sleep would end only when the
        // call gave up, after the 5 s busy timeout.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the runtime stalled for {:?}",
            started.elapsed()
        );
        other.execute_batch("COMMIT").expect("unlock");
        waiting
            .await
            .expect("task")
            .expect("the write lock is had once released");
    }
}
