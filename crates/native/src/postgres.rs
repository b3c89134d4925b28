//! [`PostgresExecutor`]: tokio-postgres behind the store-sql executor traits.

use std::error::Error as _;
use std::sync::Arc;

use bytes::BytesMut;
use hexaspin_core::ports::StoreError;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{
    Dialect, ScriptExecutor, SqlExecutor, SqlTransaction, SqlValue, TransactionalExecutor,
};
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::postgres_tls::{SslMode, check_sslmode_agrees, split_sslmode};
use crate::tls;

/// One Postgres connection; its driver task runs on the current tokio runtime. Statements from
/// concurrent tasks are pipelined on it; a transaction has it to itself until it ends (a
/// transaction is a state of the connection, so nothing else may run on it meanwhile).
pub struct PostgresExecutor {
    client: Arc<Client>,
    /// Shared by single statements, held exclusively by a transaction.
    turn: Arc<RwLock<()>>,
}

impl std::fmt::Debug for PostgresExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresExecutor").finish_non_exhaustive()
    }
}

impl PostgresExecutor {
    /// Connects to `url` (`postgres://user@host:port/db`), over TLS as its `sslmode` says
    /// ([`crate::postgres_tls`]). The URL may hold a password: it is never logged or put in an
    /// error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let (url, mode) = split_sslmode(url)?;
        let config: Config = url
            .parse()
            .map_err(|e| StoreError::Failed(format!("pg_url: {e}")))?;
        check_sslmode_agrees(mode, &config)?;
        let client = match mode.verification() {
            None => {
                let (client, connection) = config.connect(NoTls).await.map_err(to_store_error)?;
                tokio::spawn(drive(connection));
                client
            }
            Some(verification) => {
                let tls = MakeRustlsConnect::new(tls::client_config(verification)?);
                let (client, connection) = config.connect(tls).await.map_err(|e| tls_error(e, mode))?;
                tokio::spawn(drive(connection));
                client
            }
        };
        Ok(Self {
            client: Arc::new(client),
            turn: Arc::new(RwLock::new(())),
        })
    }
}

async fn query_on(client: &Client, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
    let wrapped: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = wrapped.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    let rows = client.query(sql, &refs).await.map_err(to_store_error)?;
    rows.iter().map(decode_row).collect()
}

/// Runs a connection until it closes (the client's calls then fail as unavailable).
async fn drive<T: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(connection: T) {
    if let Err(error) = connection.await {
        tracing::warn!(%error, "postgres connection closed");
    }
}

/// A failed TLS connection says which checks `sslmode` asked for and how to trust a private CA.
fn tls_error(error: tokio_postgres::Error, mode: SslMode) -> StoreError {
    let mut causes = Vec::new();
    let mut cause = error.source();
    while let Some(inner) = cause {
        causes.push(inner.to_string());
        cause = inner.source();
    }
    let chain = causes.join(": ");
    let about_tls = ["tls", "certificate", "ssl"].iter().any(|word| {
        chain.to_ascii_lowercase().contains(word) || error.to_string().to_ascii_lowercase().contains(word)
    });
    match to_store_error(error) {
        StoreError::Unavailable(mut message) if about_tls => {
            if !message.contains(&chain) {
                message = format!("{message}: {chain}");
            }
            StoreError::Unavailable(format!(
                "{message} (sslmode={} checks the server's certificate against the system's CAs; \
                 SSL_CERT_FILE names a bundle with a private CA; README, 'Postgres and TLS')",
                mode.as_str()
            ))
        }
        other => other,
    }
}

impl SqlExecutor for PostgresExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let _shared = self.turn.read().await;
        query_on(&self.client, sql, params).await
    }
}

impl ScriptExecutor for PostgresExecutor {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        let _shared = self.turn.read().await;
        self.client.batch_execute(sql).await.map_err(to_store_error)
    }
}

/// A transaction holding the connection until it is committed or dropped.
pub struct PostgresTransaction {
    client: Arc<Client>,
    /// `None` once committed.
    turn: Option<OwnedRwLockWriteGuard<()>>,
}

impl SqlTransaction for PostgresTransaction {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        query_on(&self.client, sql, params).await
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(to_store_error)?;
        self.turn = None;
        Ok(())
    }
}

impl Drop for PostgresTransaction {
    fn drop(&mut self) {
        // Not committed: roll back before anything else may use the connection. Drop cannot
        // wait, so a task does it and lets the connection go only afterwards.
        if let Some(turn) = self.turn.take() {
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(error) = client.batch_execute("ROLLBACK").await {
                    tracing::warn!(%error, "postgres rollback failed");
                }
                drop(turn);
            });
        }
    }
}

impl TransactionalExecutor for PostgresExecutor {
    type Transaction<'a> = PostgresTransaction;

    async fn begin_write(&self) -> Result<PostgresTransaction, StoreError> {
        let turn = self.turn.clone().write_owned().await;
        self.client.batch_execute("BEGIN").await.map_err(to_store_error)?;
        Ok(PostgresTransaction {
            client: self.client.clone(),
            turn: Some(turn),
        })
    }
}

/// Binds a [`SqlValue`] to whatever type Postgres inferred for the parameter (the statements cast
/// every parameter, so the inferred types are the ones below).
#[derive(Debug)]
struct PgParam<'a>(&'a SqlValue);

impl ToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self.0, ty) {
            (SqlValue::Null, _) => Ok(IsNull::Yes),
            (SqlValue::Int(n), &Type::INT8) => n.to_sql(ty, out),
            (SqlValue::Int(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (SqlValue::Int(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
            (SqlValue::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
            (SqlValue::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            (SqlValue::Bool(b), &Type::BOOL) => b.to_sql(ty, out),
            (value, ty) => Err(format!("cannot bind {value:?} to a parameter of type {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn decode_row(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let decode_error = |e: tokio_postgres::Error| StoreError::Corrupt(e.to_string());
    (0..row.len())
        .map(|index| {
            let ty = row.columns()[index].type_();
            Ok(match *ty {
                Type::INT8 => SqlValue::from(row.try_get::<_, Option<i64>>(index).map_err(decode_error)?),
                Type::INT4 => SqlValue::from(
                    row.try_get::<_, Option<i32>>(index)
                        .map_err(decode_error)?
                        .map(i64::from),
                ),
                Type::INT2 => SqlValue::from(
                    row.try_get::<_, Option<i16>>(index)
                        .map_err(decode_error)?
                        .map(i64::from),
                ),
                Type::BOOL => row
                    .try_get::<_, Option<bool>>(index)
                    .map_err(decode_error)?
                    .map_or(SqlValue::Null, SqlValue::Bool),
                Type::FLOAT8 => row
                    .try_get::<_, Option<f64>>(index)
                    .map_err(decode_error)?
                    .map_or(SqlValue::Null, SqlValue::Real),
                _ => SqlValue::from(row.try_get::<_, Option<String>>(index).map_err(decode_error)?),
            })
        })
        .collect()
}

/// Connection-level failures are "unavailable" (retry later); a unique violation is a conflict;
/// everything else is a failure of ours.
fn to_store_error(error: tokio_postgres::Error) -> StoreError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        if *code == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict(db.message().to_owned());
        }
        if *code == tokio_postgres::error::SqlState::UNDEFINED_TABLE {
            return StoreError::Unavailable(format!(
                "{}: {}",
                db.message(),
                hexaspin_store_sql::NOT_MIGRATED_HINT
            ));
        }
        let class = &code.code()[..2];
        // 08: connection exception, 53: insufficient resources, 57: operator intervention (shutdown).
        if matches!(class, "08" | "53" | "57") {
            return StoreError::Unavailable(db.message().to_owned());
        }
        return StoreError::Failed(format!("{}: {}", code.code(), db.message()));
    }
    let connection_level = error.is_closed()
        || error
            .source()
            .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some());
    if connection_level {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Failed(error.to_string())
    }
}
