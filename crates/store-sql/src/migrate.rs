//! Schema migrations: numbered up/down pairs in `migrations/<dialect>/`, applied in order, each in
//! its own transaction together with its bookkeeping row.
//!
//! A hand-written runner rather than refinery or sqlx: refinery has no down migrations, sqlx would
//! bring a second database stack; this one runs over the same executors the stores use.
//! Applied migrations are checksummed: editing one after it ran is reported, not silently ignored.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::StoreError;
use sha2::{Digest, Sha256};

use crate::value::Columns;
use crate::{Dialect, ScriptExecutor, SqlExecutor, SqlValue};

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

/// `migration!(dialect, version, "NNNN", "name")` embeds `migrations/<dialect>/NNNN_name.{up,down}.sql`;
/// `migration!(dir = "services/users/migrations/", …)` the same below another folder.
macro_rules! migration {
    ($dialect:literal, $version:literal, $number:literal, $name:literal) => {
        migration!(dir = "migrations/", $dialect, $version, $number, $name)
    };
    (dir = $dir:literal, $dialect:literal, $version:literal, $number:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            up: include_str!(concat!(
                "../../../",
                $dir,
                $dialect,
                "/",
                $number,
                "_",
                $name,
                ".up.sql"
            )),
            down: include_str!(concat!(
                "../../../",
                $dir,
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
    migration!("sqlite", 4, "0004", "key_storage"),
];
static POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001", "api_keys"),
    migration!("postgres", 2, "0002", "key_storage"),
];
static USERS_SQLITE: &[Migration] = &[
    migration!(dir = "services/users/migrations/", "sqlite", 1, "0001", "users"),
    migration!(
        dir = "services/users/migrations/",
        "sqlite",
        2,
        "0002",
        "sessions"
    ),
];
static USERS_POSTGRES: &[Migration] = &[
    migration!(dir = "services/users/migrations/", "postgres", 1, "0001", "users"),
    migration!(
        dir = "services/users/migrations/",
        "postgres",
        2,
        "0002",
        "sessions"
    ),
];

/// A set of migrations with its own numbering and bookkeeping table: the main app's schema, and
/// the user service's, which can live in the same database (mounted in the main app) or alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// API keys, audit log, jobs, metrics: `migrations/`.
    Core,
    /// Accounts and refresh tokens of the user service: `services/users/migrations/`.
    Users,
}

impl Schema {
    /// Both, in the order they are applied.
    pub const ALL: [Schema; 2] = [Schema::Core, Schema::Users];

    /// The name the CLI takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Core => "core",
            Self::Users => "users",
        }
    }

    /// The schema's migrations in `dialect`, in order.
    pub fn migrations(self, dialect: Dialect) -> &'static [Migration] {
        match (self, dialect) {
            (Self::Core, Dialect::Sqlite) => SQLITE,
            (Self::Core, Dialect::Postgres) => POSTGRES,
            (Self::Users, Dialect::Sqlite) => USERS_SQLITE,
            (Self::Users, Dialect::Postgres) => USERS_POSTGRES,
        }
    }
}

/// The statements of a migration script, for executors that take one statement at a time (Spin's
/// SQLite): a statement ends at a line ending in `;`, or for a `CREATE TRIGGER` at its `END;`
/// line. Comment-only lines between statements are dropped. Written for this repository's
/// migrations (no `;` at the end of a line inside a string or comment); a test applies every
/// migration this way and compares the schema with the one the whole-script path builds.
pub fn statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with("--")) {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        let in_trigger = current
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE TRIGGER");
        let ends = if in_trigger {
            trimmed.eq_ignore_ascii_case("END;")
        } else {
            trimmed.ends_with(';')
        };
        if ends {
            statements.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_owned());
    }
    statements
}

/// The main app's migrations of `dialect`, in order.
pub fn migrations(dialect: Dialect) -> &'static [Migration] {
    Schema::Core.migrations(dialect)
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
        /// The version of the migration whose file changed after it was applied.
        version: i64,
        /// Its name.
        name: &'static str,
    },
    /// The database has a migration this binary does not know: it is newer than this binary.
    #[error("the database has migration {0}, which this binary does not know; use a newer binary")]
    Unknown(i64),
    /// The embedded SQLite database stayed in another journal mode than write-ahead log.
    #[error(
        "the SQLite database could not be put in write-ahead-log mode (it is in `{0}` mode): keep it on \
         a local file system (WAL's shared index does not work on network shares), with no other \
         process holding it open while it is migrated the first time"
    )]
    NotWal(String),
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

/// The bookkeeping statements of one schema's `$table` in `$dialect`. Table names cannot be
/// parameters, so each schema's statements are spelled out at compile time by this macro.
macro_rules! bookkeeping_of {
    ($table:literal, $lock:literal, $dialect:expr) => {{
        const CREATE: &str = concat!(
            "CREATE TABLE IF NOT EXISTS ",
            $table,
            " (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)"
        );
        const APPLIED: &str = concat!("SELECT version, checksum, applied_at_ms FROM ", $table, " ORDER BY version");
        match $dialect {
            Dialect::Sqlite => Bookkeeping {
                create: CREATE,
                applied: APPLIED,
                record: concat!("INSERT INTO ", $table, " (version, name, checksum, applied_at_ms) VALUES (?1, ?2, ?3, ?4) RETURNING version"),
                forget: concat!("DELETE FROM ", $table, " WHERE version = ?1 RETURNING version"),
                // IMMEDIATE takes the write lock up front: two migrators cannot interleave.
                begin: "BEGIN IMMEDIATE",
                lock: None,
            },
            Dialect::Postgres => Bookkeeping {
                create: CREATE,
                applied: APPLIED,
                record: concat!("INSERT INTO ", $table, " (version, name, checksum, applied_at_ms) VALUES ($1::bigint, $2::text, $3::text, $4::bigint) RETURNING version"),
                forget: concat!("DELETE FROM ", $table, " WHERE version = $1::bigint RETURNING version"),
                begin: "BEGIN",
                // Serialises concurrent migrators (several worker pods starting at once).
                lock: Some(concat!("SELECT pg_advisory_xact_lock(", $lock, ") IS NULL")),
            },
        }
    }};
}

fn bookkeeping(schema: Schema, dialect: Dialect) -> Bookkeeping {
    match schema {
        Schema::Core => bookkeeping_of!("schema_migrations", "7243981", dialect),
        Schema::Users => bookkeeping_of!("users_schema_migrations", "7243982", dialect),
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

/// Every migration of the main app's schema and whether it is applied.
pub async fn status<E: ScriptExecutor>(exec: &E) -> Result<Vec<MigrationStatus>, MigrateError> {
    schema_status(exec, Schema::Core).await
}

/// Every migration of `schema` and whether it is applied.
pub async fn schema_status<E: ScriptExecutor>(
    exec: &E,
    schema: Schema,
) -> Result<Vec<MigrationStatus>, MigrateError> {
    let book = bookkeeping(schema, exec.dialect());
    exec.run_script(book.create).await?;
    let applied = read_applied(exec, &book).await?;
    let known = schema.migrations(exec.dialect());
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

/// Applies every pending migration of the main app's schema, oldest first; returns the versions
/// applied.
pub async fn up<E: ScriptExecutor>(exec: &E, now: Timestamp) -> Result<Vec<i64>, MigrateError> {
    schema_up(exec, Schema::Core, now).await
}

/// Applies every pending migration of every schema (core, then users); returns how many.
pub async fn up_all<E: ScriptExecutor>(exec: &E, now: Timestamp) -> Result<usize, MigrateError> {
    let mut applied = 0;
    for schema in Schema::ALL {
        applied += schema_up(exec, schema, now).await?.len();
    }
    Ok(applied)
}

/// Whether every migration of `schema` is applied, in two cheap reads; `false` also when the
/// bookkeeping table does not exist yet. Lets a component migrate the embedded database itself
/// only when it has to.
pub async fn schema_is_current<E: SqlExecutor>(exec: &E, schema: Schema) -> bool {
    let book = bookkeeping(schema, exec.dialect());
    let Ok(rows) = exec.query(book.applied, &[]).await else {
        return false;
    };
    let known = schema.migrations(exec.dialect());
    rows.len() == known.len()
        && rows
            .iter()
            .zip(known)
            .all(|(row, m)| Columns::new(row).int(0).is_ok_and(|v| v == m.version))
}

/// Applies every pending migration of `schema`, oldest first; returns the versions applied.
pub async fn schema_up<E: ScriptExecutor>(
    exec: &E,
    schema: Schema,
    now: Timestamp,
) -> Result<Vec<i64>, MigrateError> {
    if exec.dialect() == Dialect::Sqlite {
        // SQLite answers the mode it is in, which is not WAL where the file system cannot share
        // WAL's index (a network share): refused rather than run there, since request counts are
        // committed without an fsync, which only WAL makes safe for the rest of the file.
        let answer = exec.query(SQLITE_JOURNAL_MODE, &[]).await?;
        let mode = match answer.first().and_then(|row| row.first()) {
            Some(SqlValue::Text(mode)) => mode.to_ascii_lowercase(),
            other => format!("{other:?}"),
        };
        if mode != "wal" && mode != "memory" {
            return Err(MigrateError::NotWal(mode));
        }
    }
    let book = bookkeeping(schema, exec.dialect());
    exec.run_script(book.create).await?;
    let known = schema.migrations(exec.dialect());
    let mut done = Vec::new();
    for migration in known {
        let applied_now = in_transaction(exec, &book, async {
            let applied = read_applied(exec, &book).await?;
            check_known(&applied, known)?;
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

/// Reverts the `steps` most recent migrations of the main app's schema; returns the versions
/// reverted.
pub async fn down<E: ScriptExecutor>(exec: &E, steps: usize) -> Result<Vec<i64>, MigrateError> {
    schema_down(exec, Schema::Core, steps).await
}

/// Reverts the `steps` most recent migrations of `schema`; returns the versions reverted.
pub async fn schema_down<E: ScriptExecutor>(
    exec: &E,
    schema: Schema,
    steps: usize,
) -> Result<Vec<i64>, MigrateError> {
    let book = bookkeeping(schema, exec.dialect());
    exec.run_script(book.create).await?;
    let known = schema.migrations(exec.dialect());
    let mut done = Vec::new();
    for _ in 0..steps {
        let reverted = in_transaction(exec, &book, async {
            let applied = read_applied(exec, &book).await?;
            check_known(&applied, known)?;
            let Some(latest) = applied.last() else {
                return Ok(None);
            };
            let migration = known
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
