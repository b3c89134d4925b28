//! [`SpinExecutor`]: Spin's SQLite and Postgres interfaces behind the store-sql executor trait.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use hexaspin_config::settings::StoreSettings;
use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::lock_wait::next_lock_try_in;
use hexaspin_store_sql::spin_failure::is_locked;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, NeverEmpty, SQLITE_SYNCED, SQLITE_UNSYNCED, ScriptExecutor, SqlExecutor, SqlStore,
    SqlTransaction, SqlValue, TransactionalExecutor,
};
use spin_sdk::{pg4, sqlite};

/// A connection to the configured store, for one request (Postgres opened on first use).
pub enum SpinExecutor {
    /// Spin's `default` SQLite database (`.spin/sqlite_db.db` under `spin up`).
    Sqlite(LazySqlite),
    /// Postgres through Spin's outbound pg interface. Every statement is sent so that it answers
    /// at least one row ([`NeverEmpty`]): Spin 4.0.x deadlocks on an empty result.
    Postgres(NeverEmpty<SpinPostgres>),
}

/// Spin's pg4 connection as it is: statements sent unchanged. Opened on its first statement, not
/// with the store: a request that never reads the key store (a dispatch whose key is in the key
/// cache, a refusal) does not pay for a connection from Spin's pool (measured: a third of a
/// production request's time went to opening it).
pub struct SpinPostgres {
    url: String,
    connection: OnceLock<pg4::Connection>,
}

impl SpinPostgres {
    fn connection(&self) -> Result<&pg4::Connection, StoreError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let opened = pg4::Connection::open(&self.url).map_err(pg_failure)?;
        Ok(self.connection.get_or_init(|| opened))
    }
}

impl SqlExecutor for SpinPostgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let values: Vec<pg4::ParameterValue> = params.iter().map(to_pg).collect();
        let result = self.connection()?.query(sql, &values).map_err(pg_failure)?;
        result
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(from_pg).collect())
            .collect()
    }
}

/// Spin's `default` SQLite database, opened on its first statement, not with the store: a request
/// opens both a key store and a job store, and on the embedded default a key check reads the key
/// through the job store, so opening both up front paid for a connection it never used (measured:
/// opening one and its first statement cost 0.1 ms of a dispatch's 2.2 ms of database calls).
pub struct LazySqlite {
    connection: OnceLock<sqlite::Connection>,
    /// Set while the connection may be at `synchronous = NORMAL` ([`SpinExecutor::query_unsynced`]
    /// did not get to set it back): the next transaction sets it back first.
    unsynced: AtomicBool,
}

impl LazySqlite {
    fn connection(&self) -> Result<&sqlite::Connection, StoreError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let opened = open_default_sqlite()?;
        Ok(self.connection.get_or_init(|| opened))
    }
}

impl SpinExecutor {
    /// Spin's `default` SQLite database, opened on the first statement.
    pub fn sqlite() -> Self {
        Self::Sqlite(LazySqlite {
            connection: OnceLock::new(),
            unsynced: AtomicBool::new(false),
        })
    }
}

/// Opens the store the settings name. The Postgres URL's host must be in the component's
/// `allowed_outbound_hosts`.
pub fn open_store(settings: &StoreSettings) -> Result<SqlStore<SpinExecutor>, StoreError> {
    let executor = match settings {
        StoreSettings::Sqlite { .. } => SpinExecutor::sqlite(),
        StoreSettings::Postgres { url } => SpinExecutor::Postgres(NeverEmpty(SpinPostgres {
            url: url.clone(),
            connection: OnceLock::new(),
        })),
    };
    Ok(SqlStore::new(executor))
}

/// Opens Spin's `default` SQLite database. Its busy timeout is 0: a statement that finds the
/// database locked (the worker and every other request write to the same file) is tried again
/// here, more often the longer it has waited ([`next_lock_try_in`]), for up to [`LOCK_WAIT`]
/// ([`sqlite_execute`]). SQLite's own busy handler
/// sleeps 1, 2, 5, … then 100 ms between tries, so under 32 concurrent requests some waited
/// 100 ms at a time while the lock was free: p99 0.65–0.95 s for the embedded routes.
fn open_default_sqlite() -> Result<sqlite::Connection, StoreError> {
    let connection = sqlite::Connection::open_default().map_err(sqlite_error)?;
    sqlite_execute(&connection, "PRAGMA busy_timeout = 0", &[])?;
    Ok(connection)
}

/// How long a statement waits for a locked database before the request gets a 503.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs one statement outside a transaction (or BEGIN, COMMIT, ROLLBACK), trying it again while
/// the database is locked: such a statement that failed on the lock did nothing. Inside a
/// transaction a locked statement is not tried again ([`sqlite_execute_once`]): SQLite may have
/// rolled the transaction back, and the rest would run outside it. (In WAL mode with BEGIN
/// IMMEDIATE, only taking the write lock meets the lock.)
fn sqlite_execute(
    connection: &sqlite::Connection,
    statement: &str,
    values: &[sqlite::Value],
) -> Result<sqlite::QueryResult, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match connection.execute(statement, values) {
            Err(sqlite::Error::Io(message)) if is_locked(&message) => {
                let waited = started.elapsed();
                if waited >= LOCK_WAIT {
                    return Err(sqlite_error(sqlite::Error::Io(message)));
                }
                let waited = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
                wasi::clocks::monotonic_clock::subscribe_duration(next_lock_try_in(waited)).block();
            }
            other => return other.map_err(sqlite_error),
        }
    }
}

/// One statement inside a transaction: a locked database is a 503, never a retry.
fn sqlite_execute_once(
    connection: &sqlite::Connection,
    statement: &str,
    values: &[sqlite::Value],
) -> Result<sqlite::QueryResult, StoreError> {
    connection.execute(statement, values).map_err(sqlite_error)
}

/// A transaction on the request's own connection (Spin gives each request its own), ended by
/// `COMMIT`, or `ROLLBACK` when dropped.
pub struct SpinTransaction<'a> {
    executor: &'a SpinExecutor,
    open: bool,
}

impl SqlTransaction for SpinTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.executor.query_in(sql, params, true).await
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        self.executor.control("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SpinTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Spin's database calls are synchronous host calls, so rolling back here is possible;
            // if it fails, the connection dies with the request anyway.
            let _ = self.executor.control("ROLLBACK");
        }
    }
}

impl SpinExecutor {
    /// Runs a statement that answers no rows (transaction control) with `execute`, which has no
    /// result set to wait for (and so no empty-result deadlock on Spin 4.0.x).
    fn control(&self, statement: &str) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(lazy) => sqlite_execute(lazy.connection()?, statement, &[]).map(drop),
            Self::Postgres(NeverEmpty(postgres)) => postgres
                .connection()?
                .execute(statement, &[])
                .map(drop)
                .map_err(pg_failure),
        }
    }
}

/// Scripts run one statement at a time (Spin's interfaces take one per call): for the user
/// service, which migrates the embedded database itself on first use.
impl ScriptExecutor for SpinExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        for statement in hexaspin_store_sql::migrate::statements(sql) {
            self.control(&statement)?;
        }
        Ok(())
    }
}

impl TransactionalExecutor for SpinExecutor {
    type Transaction<'a> = SpinTransaction<'a>;

    async fn begin_write(&self) -> Result<SpinTransaction<'_>, StoreError> {
        if let Self::Sqlite(lazy) = self
            && lazy.unsynced.load(Ordering::Relaxed)
        {
            self.control(SQLITE_SYNCED)?;
            lazy.unsynced.store(false, Ordering::Relaxed);
        }
        self.control(match self {
            Self::Sqlite(_) => "BEGIN IMMEDIATE",
            Self::Postgres(_) => "BEGIN",
        })?;
        Ok(SpinTransaction {
            executor: self,
            open: true,
        })
    }

    /// On SQLite, `synchronous = NORMAL` for this statement alone (the connection is this
    /// request's), then back to `FULL` whatever the statement did.
    async fn query_unsynced(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let Self::Sqlite(lazy) = self else {
            return self.query(sql, params).await;
        };
        self.control(SQLITE_UNSYNCED)?;
        lazy.unsynced.store(true, Ordering::Relaxed);
        let result = self.query(sql, params).await;
        self.control(SQLITE_SYNCED)?;
        lazy.unsynced.store(false, Ordering::Relaxed);
        result
    }
}

impl SqlExecutor for SpinExecutor {
    fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.query_in(sql, params, false).await
    }
}

impl SpinExecutor {
    /// One statement, `in_transaction` or not (SQLite tries a locked statement again only
    /// outside one).
    async fn query_in(
        &self,
        sql: &str,
        params: &[SqlValue],
        in_transaction: bool,
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            Self::Sqlite(lazy) => {
                let connection = lazy.connection()?;
                let values: Vec<sqlite::Value> = params.iter().map(to_sqlite).collect();
                let result = if in_transaction {
                    sqlite_execute_once(connection, sql, &values)?
                } else {
                    sqlite_execute(connection, sql, &values)?
                };
                result
                    .rows
                    .into_iter()
                    .map(|row| row.values.into_iter().map(from_sqlite).collect())
                    .collect()
            }
            Self::Postgres(postgres) => postgres.query(sql, params).await,
        }
    }
}

hexaspin_store_sql::spin_value_conversions!(sqlite: sqlite, pg: pg4);
