//! [`SpinExecutor`]: Spin's SQLite and Postgres interfaces behind the store-sql executor trait.

use hexaspin_api::settings::StoreSettings;
use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{Dialect, SqlExecutor, SqlStore, SqlTransaction, SqlValue, TransactionalExecutor};
use spin_sdk::{pg4, sqlite};

/// A connection to the configured store, opened for one request.
pub enum SpinExecutor {
    /// Spin's `default` SQLite database (`.spin/sqlite_db.db` under `spin up`).
    Sqlite(sqlite::Connection),
    /// Postgres through Spin's outbound pg interface.
    Postgres(pg4::Connection),
}

/// Opens the store the settings name. The Postgres URL's host must be in the component's
/// `allowed_outbound_hosts`.
pub fn open_store(settings: &StoreSettings) -> Result<SqlStore<SpinExecutor>, StoreError> {
    let executor = match settings {
        StoreSettings::Sqlite { .. } => {
            SpinExecutor::Sqlite(sqlite::Connection::open_default().map_err(sqlite_error)?)
        }
        StoreSettings::Postgres { url } => {
            SpinExecutor::Postgres(pg4::Connection::open(url).map_err(pg_error)?)
        }
    };
    Ok(SqlStore::new(executor))
}

/// Opens Spin's `default` SQLite database with a busy timeout: the worker writes to the same file,
/// and without one a request would fail at once on its lock instead of waiting a moment.
pub fn open_default_sqlite() -> Result<sqlite::Connection, StoreError> {
    let connection = sqlite::Connection::open_default().map_err(sqlite_error)?;
    connection
        .execute("PRAGMA busy_timeout = 5000", &[])
        .map_err(sqlite_error)?;
    Ok(connection)
}

/// A transaction on the request's own connection (Spin gives each request its own), ended by
/// `COMMIT`, or `ROLLBACK` when dropped.
pub struct SpinTransaction<'a> {
    executor: &'a SpinExecutor,
    open: bool,
}

impl SqlTransaction for SpinTransaction<'_> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.executor.query(sql, params).await
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        self.executor.query("COMMIT", &[]).await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SpinTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Spin's database calls are synchronous host calls, so rolling back here is possible;
            // if it fails, the connection dies with the request anyway.
            let _ = match self.executor {
                SpinExecutor::Sqlite(c) => c.execute("ROLLBACK", &[]).map(drop).map_err(drop),
                SpinExecutor::Postgres(c) => c.execute("ROLLBACK", &[]).map(drop).map_err(drop),
            };
        }
    }
}

impl TransactionalExecutor for SpinExecutor {
    type Transaction<'a> = SpinTransaction<'a>;

    async fn begin_write(&self) -> Result<SpinTransaction<'_>, StoreError> {
        let begin = match self {
            Self::Sqlite(_) => "BEGIN IMMEDIATE",
            Self::Postgres(_) => "BEGIN",
        };
        self.query(begin, &[]).await?;
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
        match self {
            Self::Sqlite(connection) => {
                let values: Vec<sqlite::Value> = params.iter().map(to_sqlite).collect();
                let result = connection.execute(sql, &values).map_err(sqlite_error)?;
                result
                    .rows
                    .into_iter()
                    .map(|row| row.values.into_iter().map(from_sqlite).collect())
                    .collect()
            }
            Self::Postgres(connection) => {
                let values: Vec<pg4::ParameterValue> = params.iter().map(to_pg).collect();
                let result = connection.query(sql, &values).map_err(pg_error)?;
                result
                    .rows
                    .into_iter()
                    .map(|row| row.into_iter().map(from_pg).collect())
                    .collect()
            }
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
        sqlite::Error::Io(message) if message.contains("locked") || message.contains("busy") => {
            StoreError::Unavailable(message)
        }
        sqlite::Error::NoSuchDatabase | sqlite::Error::AccessDenied | sqlite::Error::InvalidConnection => {
            StoreError::Unavailable(error.to_string())
        }
        other => StoreError::Failed(other.to_string()),
    }
}

fn pg_error(error: pg4::PgError) -> StoreError {
    match error {
        pg4::PgError::ConnectionFailed(message) => StoreError::Unavailable(message),
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
        other => StoreError::Failed(format!("{other:?}")),
    }
}
