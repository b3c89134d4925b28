//! [`SpinExecutor`]: Spin's SQLite and Postgres interfaces behind the store-sql executor trait.

use std::sync::OnceLock;

use hexaspin_config::settings::StoreSettings;
use hexaspin_core::ports::{StoreError, is_connection_failure};
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, NeverEmpty, ScriptExecutor, SqlExecutor, SqlStore, SqlTransaction, SqlValue,
    TransactionalExecutor,
};
use spin_sdk::{pg4, sqlite};

/// A connection to the configured store, for one request (Postgres opened on first use).
pub enum SpinExecutor {
    /// Spin's `default` SQLite database (`.spin/sqlite_db.db` under `spin up`).
    Sqlite(sqlite::Connection),
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
        let opened = pg4::Connection::open(&self.url).map_err(pg_error)?;
        Ok(self.connection.get_or_init(|| opened))
    }
}

impl SqlExecutor for SpinPostgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let values: Vec<pg4::ParameterValue> = params.iter().map(to_pg).collect();
        let result = self.connection()?.query(sql, &values).map_err(pg_error)?;
        result
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(from_pg).collect())
            .collect()
    }
}

/// Opens the store the settings name. The Postgres URL's host must be in the component's
/// `allowed_outbound_hosts`.
pub fn open_store(settings: &StoreSettings) -> Result<SqlStore<SpinExecutor>, StoreError> {
    let executor = match settings {
        StoreSettings::Sqlite { .. } => SpinExecutor::Sqlite(open_default_sqlite()?),
        StoreSettings::Postgres { url } => SpinExecutor::Postgres(NeverEmpty(SpinPostgres {
            url: url.clone(),
            connection: OnceLock::new(),
        })),
    };
    Ok(SqlStore::new(executor))
}

/// Opens Spin's `default` SQLite database. Its busy timeout is 0: a statement that finds the
/// database locked (the worker and every other request write to the same file) is tried again
/// here every millisecond for up to [`LOCK_WAIT`] ([`sqlite_execute`]). SQLite's own busy handler
/// sleeps 1, 2, 5, … then 100 ms between tries, so under 32 concurrent requests some waited
/// 100 ms at a time while the lock was free: p99 0.65–0.95 s for the embedded routes.
pub fn open_default_sqlite() -> Result<sqlite::Connection, StoreError> {
    let connection = sqlite::Connection::open_default().map_err(sqlite_error)?;
    sqlite_execute(&connection, "PRAGMA busy_timeout = 0", &[])?;
    Ok(connection)
}

/// How long a statement waits for a locked database before the request gets a 503.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Between two tries of a statement that found the database locked.
const LOCK_POLL_NANOS: u64 = 1_000_000;

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
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match connection.execute(statement, values) {
            Err(sqlite::Error::Io(message))
                if is_locked(&message) && std::time::Instant::now() < deadline =>
            {
                wasi::clocks::monotonic_clock::subscribe_duration(LOCK_POLL_NANOS).block();
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

/// SQLITE_BUSY and SQLITE_LOCKED as SQLite words them (Spin passes the text on).
fn is_locked(message: &str) -> bool {
    [
        "database is locked",
        "database table is locked",
        "database schema is locked",
    ]
    .iter()
    .any(|words| message.contains(words))
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
            Self::Sqlite(c) => sqlite_execute(c, statement, &[]).map(drop),
            Self::Postgres(NeverEmpty(postgres)) => postgres
                .connection()?
                .execute(statement, &[])
                .map(drop)
                .map_err(pg_error),
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
        self.control(match self {
            Self::Sqlite(_) => "BEGIN IMMEDIATE",
            Self::Postgres(_) => "BEGIN",
        })?;
        Ok(SpinTransaction {
            executor: self,
            open: true,
        })
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
            Self::Sqlite(connection) => {
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

fn to_sqlite(value: &SqlValue) -> sqlite::Value {
    match value {
        SqlValue::Null => sqlite::Value::Null,
        SqlValue::Int(n) => sqlite::Value::Integer(*n),
        SqlValue::Real(x) => sqlite::Value::Real(*x),
        SqlValue::Text(s) => sqlite::Value::Text(s.clone()),
        SqlValue::Bool(b) => sqlite::Value::Integer(i64::from(*b)),
    }
}

fn from_sqlite(value: sqlite::Value) -> Result<SqlValue, StoreError> {
    Ok(match value {
        sqlite::Value::Null => SqlValue::Null,
        sqlite::Value::Integer(n) => SqlValue::Int(n),
        sqlite::Value::Real(x) => SqlValue::Real(x),
        sqlite::Value::Text(s) => SqlValue::Text(s),
        sqlite::Value::Blob(_) => return Err(StoreError::Corrupt("unexpected blob column".into())),
    })
}

fn to_pg(value: &SqlValue) -> pg4::ParameterValue {
    match value {
        SqlValue::Null => pg4::ParameterValue::DbNull,
        SqlValue::Int(n) => pg4::ParameterValue::Int64(*n),
        SqlValue::Real(x) => pg4::ParameterValue::Floating64(*x),
        SqlValue::Text(s) => pg4::ParameterValue::Str(s.clone()),
        SqlValue::Bool(b) => pg4::ParameterValue::Boolean(*b),
    }
}

fn from_pg(value: pg4::DbValue) -> Result<SqlValue, StoreError> {
    Ok(match value {
        pg4::DbValue::DbNull => SqlValue::Null,
        pg4::DbValue::Int64(n) => SqlValue::Int(n),
        pg4::DbValue::Int32(n) => SqlValue::Int(i64::from(n)),
        pg4::DbValue::Int16(n) => SqlValue::Int(i64::from(n)),
        pg4::DbValue::Int8(n) => SqlValue::Int(i64::from(n)),
        pg4::DbValue::Boolean(b) => SqlValue::Bool(b),
        pg4::DbValue::Floating64(x) => SqlValue::Real(x),
        pg4::DbValue::Str(s) => SqlValue::Text(s),
        other => {
            return Err(StoreError::Corrupt(format!(
                "unexpected postgres value {other:?}"
            )));
        }
    })
}

fn sqlite_error(error: sqlite::Error) -> StoreError {
    match error {
        sqlite::Error::Io(message) if message.contains("no such table") => {
            StoreError::Unavailable(format!("{message}: {}", hexaspin_store_sql::NOT_MIGRATED_HINT))
        }
        sqlite::Error::Io(message) if message.contains("UNIQUE") || message.contains("PRIMARY KEY") => {
            StoreError::Conflict(message)
        }
        sqlite::Error::Io(message) if is_locked(&message) => StoreError::Unavailable(message),
        sqlite::Error::NoSuchDatabase | sqlite::Error::AccessDenied | sqlite::Error::InvalidConnection => {
            StoreError::Unavailable(error.to_string())
        }
        other => StoreError::Failed(other.to_string()),
    }
}

/// Said, once, in the log line of a Postgres connection that failed on TLS: the cause is nearly
/// always a local server without TLS or a server whose CA the host does not trust.
const TLS_HINT: &str = "Spin connects to Postgres over TLS unless pg_url says ?sslmode=disable; \
    for a server without TLS (local development) add ?sslmode=disable, otherwise make the host \
    trust the server's CA (README, 'Postgres and TLS')";

/// The connection failure as the operator should read it, on one line: Spin's error chain
/// flattened (without the backtrace Spin adds when `RUST_BACKTRACE` is set); TLS failures carry
/// [`TLS_HINT`].
fn connection_failed(message: String) -> StoreError {
    let detail = flatten_error_chain(&message);
    let lower = detail.to_ascii_lowercase();
    let about_tls = ["certificate", "tls", "ssl", "handshake"]
        .iter()
        .any(|word| lower.contains(word));
    if about_tls {
        StoreError::Unavailable(format!("{detail}: {TLS_HINT}"))
    } else {
        StoreError::Unavailable(detail)
    }
}

/// `anyhow`'s multi-line report as one line: the backtrace cut, `Caused by:` and the `0:`
/// numbering dropped, and causes already said by another one left out.
fn flatten_error_chain(message: &str) -> String {
    let chain = message.split("Stack backtrace:").next().unwrap_or(message);
    let causes: Vec<&str> = chain
        .lines()
        .map(|line| {
            let line = line.trim();
            match line.split_once(": ") {
                Some((number, rest)) if number.bytes().all(|b| b.is_ascii_digit()) => rest,
                _ => line,
            }
        })
        .filter(|line| !line.is_empty() && *line != "Caused by:")
        .collect();
    let said_elsewhere = |i: usize, cause: &str| {
        causes
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && other.contains(cause) && (other.len() > cause.len() || j < i))
    };
    causes
        .iter()
        .enumerate()
        .filter(|(i, cause)| !said_elsewhere(*i, cause))
        .map(|(_, cause)| *cause)
        .collect::<Vec<_>>()
        .join(": ")
}

fn pg_error(error: pg4::PgError) -> StoreError {
    match error {
        pg4::PgError::ConnectionFailed(message) => connection_failed(message),
        pg4::PgError::QueryFailed(pg4::QueryError::DbError(db)) => match &db.code[..] {
            "23505" => StoreError::Conflict(db.message),
            "42P01" => StoreError::Unavailable(format!(
                "{}: {}",
                db.message,
                hexaspin_store_sql::NOT_MIGRATED_HINT
            )),
            code if code.starts_with("08") || code.starts_with("53") || code.starts_with("57") => {
                StoreError::Unavailable(db.message)
            }
            code => StoreError::Failed(format!("{code}: {}", db.message)),
        },
        // A pooled connection the server terminated (Spin reports tokio-postgres'
        // `Error { kind: Closed, .. }` as text) is the database away for now: 503, and Spin's pool
        // opens a new connection for a later request.
        pg4::PgError::QueryFailed(pg4::QueryError::Text(text)) if is_connection_failure(&text) => {
            StoreError::Unavailable(text)
        }
        other => StoreError::Failed(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Spin 4.1 reports a server certificate it cannot verify, with `RUST_BACKTRACE=1`.
    const TLS_FAILURE: &str = "Error occurred while creating a new object: error performing TLS handshake\n\n\
        Caused by:\n    0: error performing TLS handshake\n    1: error:0A000086:SSL routines:\
        tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: \
        (unable to get local issuer certificate)\n    2: error:0A000086:SSL routines:\
        tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n\n\
        Stack backtrace:\n   0: anyhow::error::<impl core::convert::From<E> for anyhow::Error>::from\n   \
        1: <spin_factor_outbound_pg::client::PooledTokioClientFactory as spin_factor_outbound_pg::client::ClientFactory>::get_client\n";

    #[test]
    fn a_tls_failure_names_its_cause_sslmode_and_the_ca_in_one_short_line() {
        let StoreError::Unavailable(message) = connection_failed(TLS_FAILURE.into()) else {
            panic!("a connection failure is unavailability");
        };
        assert_eq!(
            message.split(": Spin connects").next(),
            Some(
                "Error occurred while creating a new object: error performing TLS handshake: \
                 error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify \
                 failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)"
            )
        );
        assert!(
            message.contains("sslmode=disable") && message.contains("CA"),
            "{message}"
        );
        assert!(
            !message.contains('\n') && !message.contains("backtrace"),
            "{message}"
        );
    }

    #[test]
    fn a_query_on_a_connection_the_server_closed_is_unavailability_not_a_failure() {
        let closed = pg4::PgError::QueryFailed(pg4::QueryError::Text(
            "Error { kind: Closed, cause: None }".into(),
        ));
        assert!(matches!(pg_error(closed), StoreError::Unavailable(_)));
        let bad_statement = pg4::PgError::QueryFailed(pg4::QueryError::Text("cannot convert value".into()));
        assert!(matches!(pg_error(bad_statement), StoreError::Failed(_)));
    }

    #[test]
    fn other_connection_failures_are_left_as_they_are() {
        let error = connection_failed("Connection refused (os error 111)".into());
        assert_eq!(
            error,
            StoreError::Unavailable("Connection refused (os error 111)".into())
        );
    }
}
