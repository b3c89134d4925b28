//! Schema migrations: numbered up/down pairs in `migrations/<dialect>/`, applied in order, each in
//! its own transaction together with its bookkeeping row.
//!
//! A hand-written runner rather than refinery or sqlx: refinery has no down migrations, sqlx would
//! bring a second database stack; this one is ~150 lines over the same executors the stores use.
//! Applied migrations are checksummed: editing one after it ran is reported, not silently ignored.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::StoreError;
use sha2::{Digest, Sha256};

use crate::value::Columns;
use crate::{Dialect, ScriptExecutor, SqlValue};

/// The embedded database runs in write-ahead-log mode, set once here and kept by the file: Spin
/// and `runtime-worker` share it, and with WAL a reader never waits for the writer and a commit
/// costs one fsync of the log instead of the rollback journal's several. `synchronous` stays at
/// its default (FULL), so a committed job survives a power cut as before. Measured in
/// docs/benchmarks.md (issue 10): enqueue 3× and drain 2× the rollback journal's rates.
/// The pragma cannot run inside a transaction, hence before the migrations' own.
const SQLITE_JOURNAL_MODE: &str = "PRAGMA journal_mode = WAL";

/// One schema change and its inverse.
#[derive(Debug)]
pub struct Migration {
    /// Order of application, from 1.
    pub version: i64,
    /// Short name, from the file name.
    pub name: &'static str,
    /// Forward SQL.
    pub up: &'static str,
    /// SQL that undoes `up`.
    pub down: &'static str,
}

impl Migration {
    fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.up.as_bytes()))
    }
}

/// `migration!(dialect, version, "NNNN", "name")` embeds `migrations/<dialect>/NNNN_name.{up,down}.sql`.
macro_rules! migration {
    ($dialect:literal, $version:literal, $number:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            up: include_str!(concat!(
                "../../../migrations/",
                $dialect,
                "/",
                $number,
                "_",
                $name,
                ".up.sql"
            )),
            down: include_str!(concat!(
                "../../../migrations/",
                $dialect,
                "/",
                $number,
                "_",
                $name,
                ".down.sql"
            )),
        }
    };
}

static SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001", "api_keys"),
    migration!("sqlite", 2, "0002", "jobs"),
    migration!("sqlite", 3, "0003", "metrics"),
];
static POSTGRES: &[Migration] = &[migration!("postgres", 1, "0001", "api_keys")];

/// The migrations of `dialect`, in order.
pub fn migrations(dialect: Dialect) -> &'static [Migration] {
    match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    }
}

/// Why migrating stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An applied migration's SQL differs from what this binary carries.
    #[error("migration {version} ({name}) was changed after it was applied (checksum mismatch)")]
    Modified {
        /// Which.
        version: i64,
        /// Its name.
        name: &'static str,
    },
    /// The database has a migration this binary does not know: it is newer than this binary.
    #[error("the database has migration {0}, which this binary does not know; use a newer binary")]
    Unknown(i64),
}

/// Where one migration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version.
    pub version: i64,
    /// Its name.
    pub name: &'static str,
    /// When it was applied, if it was.
    pub applied_at: Option<Timestamp>,
}

struct Bookkeeping {
    create: &'static str,
    applied: &'static str,
    record: &'static str,
    forget: &'static str,
    begin: &'static str,
    lock: Option<&'static str>,
}

fn bookkeeping(dialect: Dialect) -> Bookkeeping {
    const CREATE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
        version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)";
    const APPLIED: &str = "SELECT version, checksum, applied_at_ms FROM schema_migrations ORDER BY version";
    match dialect {
        Dialect::Sqlite => Bookkeeping {
            create: CREATE,
            applied: APPLIED,
            record: "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) VALUES (?1, ?2, ?3, ?4) RETURNING version",
            forget: "DELETE FROM schema_migrations WHERE version = ?1 RETURNING version",
            // IMMEDIATE takes the write lock up front: two migrators cannot interleave.
            begin: "BEGIN IMMEDIATE",
            lock: None,
        },
        Dialect::Postgres => Bookkeeping {
            create: CREATE,
            applied: APPLIED,
            record: "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) VALUES ($1::bigint, $2::text, $3::text, $4::bigint) RETURNING version",
            forget: "DELETE FROM schema_migrations WHERE version = $1::bigint RETURNING version",
            begin: "BEGIN",
            // Serialises concurrent migrators (several worker pods starting at once).
            lock: Some("SELECT pg_advisory_xact_lock(7243981) IS NULL"),
        },
    }
}

struct Applied {
    version: i64,
    checksum: String,
    at: Timestamp,
}

async fn read_applied<E: ScriptExecutor>(exec: &E, book: &Bookkeeping) -> Result<Vec<Applied>, StoreError> {
    let rows = exec.query(book.applied, &[]).await?;
    rows.iter()
        .map(|row| {
            let c = Columns::new(row);
            Ok(Applied {
                version: c.int(0)?,
                checksum: c.text(1)?,
                at: Timestamp::from_millis(c.int(2)?),
            })
        })
        .collect()
}

fn check_known(applied: &[Applied], known: &'static [Migration]) -> Result<(), MigrateError> {
    for row in applied {
        match known.iter().find(|m| m.version == row.version) {
            None => return Err(MigrateError::Unknown(row.version)),
            Some(m) if m.checksum() != row.checksum => {
                return Err(MigrateError::Modified {
                    version: m.version,
                    name: m.name,
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Every migration and whether it is applied.
pub async fn status<E: ScriptExecutor>(exec: &E) -> Result<Vec<MigrationStatus>, MigrateError> {
    let book = bookkeeping(exec.dialect());
    exec.run_script(book.create).await?;
    let applied = read_applied(exec, &book).await?;
    let known = migrations(exec.dialect());
    check_known(&applied, known)?;
    Ok(known
        .iter()
        .map(|m| MigrationStatus {
            version: m.version,
            name: m.name,
            applied_at: applied.iter().find(|a| a.version == m.version).map(|a| a.at),
        })
        .collect())
}

/// Applies every pending migration, oldest first; returns the versions applied.
pub async fn up<E: ScriptExecutor>(exec: &E, now: Timestamp) -> Result<Vec<i64>, MigrateError> {
    if exec.dialect() == Dialect::Sqlite {
        exec.run_script(SQLITE_JOURNAL_MODE).await?;
    }
    let book = bookkeeping(exec.dialect());
    exec.run_script(book.create).await?;
    let mut done = Vec::new();
    for migration in migrations(exec.dialect()) {
        let applied_now = in_transaction(exec, &book, async {
            let applied = read_applied(exec, &book).await?;
            check_known(&applied, migrations(exec.dialect()))?;
            if applied.iter().any(|a| a.version == migration.version) {
                return Ok(false);
            }
            exec.run_script(migration.up).await?;
            let params = [
                SqlValue::Int(migration.version),
                SqlValue::Text(migration.name.into()),
                SqlValue::Text(migration.checksum()),
                SqlValue::Int(now.as_millis()),
            ];
            exec.query(book.record, &params).await?;
            Ok(true)
        })
        .await?;
        if applied_now {
            done.push(migration.version);
        }
    }
    Ok(done)
}

/// Reverts the `steps` most recent migrations; returns the versions reverted.
pub async fn down<E: ScriptExecutor>(exec: &E, steps: usize) -> Result<Vec<i64>, MigrateError> {
    let book = bookkeeping(exec.dialect());
    exec.run_script(book.create).await?;
    let mut done = Vec::new();
    for _ in 0..steps {
        let reverted = in_transaction(exec, &book, async {
            let applied = read_applied(exec, &book).await?;
            check_known(&applied, migrations(exec.dialect()))?;
            let Some(latest) = applied.last() else {
                return Ok(None);
            };
            let migration = migrations(exec.dialect())
                .iter()
                .find(|m| m.version == latest.version)
                .ok_or(MigrateError::Unknown(latest.version))?;
            exec.run_script(migration.down).await?;
            exec.query(book.forget, &[SqlValue::Int(migration.version)])
                .await?;
            Ok(Some(migration.version))
        })
        .await?;
        match reverted {
            Some(version) => done.push(version),
            None => break,
        }
    }
    Ok(done)
}

async fn in_transaction<E, T>(
    exec: &E,
    book: &Bookkeeping,
    body: impl Future<Output = Result<T, MigrateError>>,
) -> Result<T, MigrateError>
where
    E: ScriptExecutor,
{
    exec.run_script(book.begin).await?;
    let result = async {
        if let Some(lock) = book.lock {
            exec.query(lock, &[]).await?;
        }
        body.await
    }
    .await;
    match result {
        Ok(value) => {
            exec.run_script("COMMIT").await?;
            Ok(value)
        }
        Err(error) => {
            // The original error matters more than a failed rollback (e.g. a dropped connection).
            let _ = exec.run_script("ROLLBACK").await;
            Err(error)
        }
    }
}
