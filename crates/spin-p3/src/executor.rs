//! [`SpinExecutor`]: spin-sdk 7's SQLite and Postgres interfaces behind the store-sql executor
//! trait, one connection per request (see the crate docs for why not per instance).

use std::cell::Cell;
use std::rc::Rc;

use hexaspin_config::settings::StoreSettings;
use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::lock_wait::next_lock_try_in;
use hexaspin_store_sql::spin_failure::is_locked;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, NeverEmpty, SQLITE_SYNCED, SQLITE_UNSYNCED, ScriptExecutor, SqlExecutor, SqlStore,
    SqlTransaction, SqlValue, TransactionalExecutor,
};
use spin_sdk_p3::wasip3::clocks::monotonic_clock;
use spin_sdk_p3::{pg, sqlite};

/// How long a statement waits for a locked SQLite database before the request gets a 503.
const LOCK_WAIT_NANOS: u64 = 5_000_000_000;
/// Between two looks at a dropped transaction's rollback. (A statement that found the database
/// locked waits [`next_lock_try_in`]; either wait is a timer the instance's other requests run
/// during, not a blocked instance.)
const ROLLBACK_POLL_NANOS: u64 = 1_000_000;

/// A connection to the configured store, for one request, opened on its first statement.
pub struct SpinExecutor {
    store: Store,
    /// The `ROLLBACK` of a transaction dropped unfinished. `Drop` cannot wait, so it starts the
    /// rollback at once in a task of its own (a SQLite transaction holds the database's write
    /// lock: it must not wait for the request's next statement, which may come after a slow
    /// client's whole body). The connection's next statement waits until it is done: run after
    /// it, the rollback would undo that statement too (a refusal's counter, say).
    rollback: Rc<Cell<Rollback>>,
    /// Set while the SQLite connection may be at `synchronous = NORMAL`
    /// ([`TransactionalExecutor::query_unsynced`] did not get to set it back, e.g. its request was
    /// dropped between the two): the next transaction sets it back first.
    unsynced: Cell<bool>,
}

/// Where the rollback of a dropped transaction is.
#[derive(Debug, Clone, Default, PartialEq)]
enum Rollback {
    #[default]
    None,
    Running,
    Failed(String),
}

enum Store {
    /// Spin's `default` SQLite database.
    Sqlite(Lazy<sqlite::Connection>),
    /// Postgres through Spin's outbound pg interface; every statement answers at least one row
    /// ([`NeverEmpty`]): Spin 4.0.x deadlocks on an empty result.
    Postgres(NeverEmpty<SpinPostgres>),
}

/// A connection opened on first use and shared by the request's statements. `Rc` so that the
/// rollback of a dropped transaction can run on it from a task of its own.
struct Lazy<C> {
    opened: std::cell::RefCell<Option<Rc<C>>>,
}

impl<C> Default for Lazy<C> {
    fn default() -> Self {
        Self {
            opened: std::cell::RefCell::new(None),
        }
    }
}

impl<C> Lazy<C> {
    async fn get_or_open<F>(&self, open: F) -> Result<Rc<C>, StoreError>
    where
        F: AsyncFnOnce() -> Result<C, StoreError>,
    {
        if let Some(connection) = self.opened.borrow().as_ref() {
            return Ok(Rc::clone(connection));
        }
        let connection = Rc::new(open().await?);
        // No borrow is held across the `.await` above; a statement of the same request cannot
        // have opened one meanwhile (a request's statements run one after another).
        *self.opened.borrow_mut() = Some(Rc::clone(&connection));
        Ok(connection)
    }
}

/// Spin's Postgres connection, statements sent unchanged; opened on its first statement.
pub struct SpinPostgres {
    url: String,
    connection: Lazy<pg::Connection>,
}

impl SpinPostgres {
    async fn connection(&self) -> Result<Rc<pg::Connection>, StoreError> {
        let url = self.url.clone();
        self.connection
            .get_or_open(async move || pg::Connection::open(url).await.map_err(pg_error))
            .await
    }
}

impl SqlExecutor for SpinPostgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let values: Vec<pg::ParameterValue> = params.iter().map(to_pg).collect();
        let result = self
            .connection()
            .await?
            .query(sql, values)
            .await
            .map_err(pg_error)?;
        let (_, rows, done) = result.into_inner();
        let rows = rows.collect().await;
        done.await.map_err(pg_failure)?;
        rows.into_iter()
            .map(|row| row.into_iter().map(from_pg).collect())
            .collect()
    }
}

/// Opens the store the settings name (its connection on first use). The Postgres URL's host
/// must be in the component's `allowed_outbound_hosts`.
pub fn open_store(settings: &StoreSettings) -> Result<SqlStore<SpinExecutor>, StoreError> {
    let executor = match settings {
        StoreSettings::Sqlite { .. } => SpinExecutor::sqlite(),
        StoreSettings::Postgres { url } => SpinExecutor::new(Store::Postgres(NeverEmpty(SpinPostgres {
            url: url.clone(),
            connection: Lazy::default(),
        }))),
    };
    Ok(SqlStore::new(executor))
}

/// Opens Spin's `default` SQLite database with a busy timeout of 0: a statement that finds the
/// database locked is tried again here ([`sqlite_execute`]), more often the longer it has waited
/// ([`next_lock_try_in`], which has the measurements behind that).
async fn open_default_sqlite() -> Result<sqlite::Connection, StoreError> {
    let connection = sqlite::Connection::open_default().await.map_err(sqlite_error)?;
    sqlite_execute(&connection, "PRAGMA busy_timeout = 0", Vec::new(), true).await?;
    Ok(connection)
}

/// Runs one statement. Outside a transaction (`retry_locked`), a statement that found the
/// database locked did nothing and is tried again for up to five seconds; inside one it is a
/// 503 at once (SQLite may have rolled the transaction back).
async fn sqlite_execute(
    connection: &sqlite::Connection,
    statement: &str,
    values: Vec<sqlite::Value>,
    retry_locked: bool,
) -> Result<Vec<sqlite::RowResult>, StoreError> {
    let started = monotonic_clock::now();
    loop {
        let result = match connection.execute(statement, values.clone()).await {
            Ok(result) => result.collect().await,
            Err(error) => Err(error),
        };
        match result {
            Err(sqlite::Error::Io(message)) if retry_locked && is_locked(&message) => {
                let waited = monotonic_clock::now().saturating_sub(started);
                if waited >= LOCK_WAIT_NANOS {
                    return Err(sqlite_error(sqlite::Error::Io(message)));
                }
                monotonic_clock::wait_for(next_lock_try_in(waited)).await;
            }
            other => return other.map_err(sqlite_error),
        }
    }
}

impl SpinExecutor {
    fn new(store: Store) -> Self {
        Self {
            store,
            rollback: Rc::default(),
            unsynced: Cell::new(false),
        }
    }

    /// Spin's `default` SQLite database, opened on the first statement.
    pub fn sqlite() -> Self {
        Self::new(Store::Sqlite(Lazy::default()))
    }

    /// Runs a statement that answers no rows (transaction control, a migration step).
    async fn control(&self, statement: &str) -> Result<(), StoreError> {
        self.roll_back_if_pending().await?;
        self.control_now(statement).await
    }

    async fn control_now(&self, statement: &str) -> Result<(), StoreError> {
        match &self.store {
            Store::Sqlite(lazy) => {
                let connection = lazy.get_or_open(open_default_sqlite).await?;
                sqlite_execute(&connection, statement, Vec::new(), true)
                    .await
                    .map(drop)
            }
            Store::Postgres(NeverEmpty(postgres)) => postgres
                .connection()
                .await?
                .execute(statement.to_owned(), Vec::new())
                .await
                .map(drop)
                .map_err(pg_error),
        }
    }

    /// Waits (on a timer: the rollback's task runs meanwhile) until the rollback of a dropped
    /// transaction is done; its failure is this statement's, as the connection's state is not
    /// known any more.
    async fn roll_back_if_pending(&self) -> Result<(), StoreError> {
        loop {
            match self.rollback.take() {
                Rollback::None => return Ok(()),
                Rollback::Running => {
                    self.rollback.set(Rollback::Running);
                    monotonic_clock::wait_for(ROLLBACK_POLL_NANOS).await;
                }
                Rollback::Failed(reason) => {
                    return Err(StoreError::Unavailable(format!(
                        "rolling back a transaction: {reason}"
                    )));
                }
            }
        }
    }

    /// Starts the `ROLLBACK` of a transaction dropped unfinished, in a task of its own.
    fn start_rollback(&self) {
        let state = Rc::clone(&self.rollback);
        let finish = move |result: Result<(), String>| {
            state.set(result.map_or_else(Rollback::Failed, |()| Rollback::None));
        };
        match &self.store {
            Store::Sqlite(lazy) => {
                let Some(connection) = lazy.opened.borrow().as_ref().map(Rc::clone) else {
                    return;
                };
                self.rollback.set(Rollback::Running);
                spin_sdk_p3::wasip3::spawn(async move {
                    let result = match connection.execute("ROLLBACK", Vec::new()).await {
                        Ok(rows) => rows.result().await,
                        Err(error) => Err(error),
                    };
                    finish(result.map_err(|e| e.to_string()));
                });
            }
            Store::Postgres(NeverEmpty(postgres)) => {
                let Some(connection) = postgres.connection.opened.borrow().as_ref().map(Rc::clone) else {
                    return;
                };
                self.rollback.set(Rollback::Running);
                spin_sdk_p3::wasip3::spawn(async move {
                    let result = connection.execute("ROLLBACK".to_owned(), Vec::new()).await;
                    finish(result.map(drop).map_err(|e| e.to_string()));
                });
            }
        }
    }

    /// One statement, `in_transaction` or not (SQLite tries a locked statement again only
    /// outside one).
    async fn query_in(
        &self,
        sql: &str,
        params: &[SqlValue],
        in_transaction: bool,
    ) -> Result<Vec<Row>, StoreError> {
        if !in_transaction {
            self.roll_back_if_pending().await?;
        }
        match &self.store {
            Store::Sqlite(lazy) => {
                let connection = lazy.get_or_open(open_default_sqlite).await?;
                let values: Vec<sqlite::Value> = params.iter().map(to_sqlite).collect();
                sqlite_execute(&connection, sql, values, !in_transaction)
                    .await?
                    .into_iter()
                    .map(|row| row.values.into_iter().map(from_sqlite).collect())
                    .collect()
            }
            Store::Postgres(postgres) => postgres.query(sql, params).await,
        }
    }
}

/// A transaction on the request's own connection, ended by `COMMIT`, or by `ROLLBACK` started
/// when it is dropped (and done before the connection's next statement).
pub struct SpinTransaction<'a> {
    executor: &'a SpinExecutor,
    open: Cell<bool>,
}

impl SqlTransaction for SpinTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.executor.query_in(sql, params, true).await
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.executor.control("COMMIT").await?;
        self.open.set(false);
        Ok(())
    }
}

impl Drop for SpinTransaction<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            self.executor.start_rollback();
        }
    }
}

/// Scripts run one statement at a time (Spin's interfaces take one per call): for the user
/// service, which migrates the embedded database itself on first use.
impl ScriptExecutor for SpinExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        for statement in hexaspin_store_sql::migrate::statements(sql) {
            self.control(&statement).await?;
        }
        Ok(())
    }
}

impl TransactionalExecutor for SpinExecutor {
    type Transaction<'a> = SpinTransaction<'a>;

    async fn begin_write(&self) -> Result<SpinTransaction<'_>, StoreError> {
        if self.unsynced.get() {
            self.control(SQLITE_SYNCED).await?;
            self.unsynced.set(false);
        }
        self.control(match self.store {
            Store::Sqlite(_) => "BEGIN IMMEDIATE",
            Store::Postgres(_) => "BEGIN",
        })
        .await?;
        Ok(SpinTransaction {
            executor: self,
            open: Cell::new(true),
        })
    }

    /// On SQLite, `synchronous = NORMAL` for this statement alone (the connection is this
    /// request's), then back to `FULL` whatever the statement did.
    async fn query_unsynced(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        if matches!(self.store, Store::Postgres(_)) {
            return self.query(sql, params).await;
        }
        self.control(SQLITE_UNSYNCED).await?;
        self.unsynced.set(true);
        let result = self.query(sql, params).await;
        self.control(SQLITE_SYNCED).await?;
        self.unsynced.set(false);
        result
    }
}

impl SqlExecutor for SpinExecutor {
    fn dialect(&self) -> Dialect {
        match self.store {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.query_in(sql, params, false).await
    }
}

hexaspin_store_sql::spin_value_conversions!(sqlite: sqlite, pg: pg);

fn pg_error(error: pg::Error) -> StoreError {
    match error {
        pg::Error::PgError(error) => pg_failure(error),
        pg::Error::Decode(message) => StoreError::Corrupt(message),
    }
}
