//! One fresh, migrated database per test: a temporary SQLite file, or a Postgres schema of its own.

use hexaspin_core::Timestamp;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::{NeverEmpty, SqlStore, migrate};

use crate::cleanup::{RedisKeysGuard, SchemaGuard};

/// Where the Postgres server for tests is; override with `HEXASPIN_TEST_PG_URL`.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The Postgres URL tests use.
pub fn test_pg_url() -> String {
    std::env::var("HEXASPIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned())
}

/// A store on a database that exists for one test.
pub struct TestStore<E = NativeExecutor> {
    pub store: SqlStore<E>,
    cleanup: Cleanup,
}

/// Removed when the store is dropped, also when the test failed.
#[allow(dead_code)] // held for their Drop
enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres(SchemaGuard),
}

impl TestStore {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let (executor, dir) = fresh_sqlite();
        migrate::up_all(&executor, Timestamp::from_millis(0))
            .await
            .expect("migrations apply to SQLite");
        Self {
            store: SqlStore::new(executor),
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// The file of an SQLite store (`None` for Postgres).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => Some(dir.path().join("test.db")),
            Cleanup::Postgres(_) => None,
        }
    }

    /// An SQLite database nobody migrated, as after a forgotten `migrate up`.
    pub fn unmigrated_sqlite() -> Self {
        let (executor, dir) = fresh_sqlite();
        Self {
            store: SqlStore::new(executor),
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A migrated Postgres schema of its own.
    pub async fn postgres() -> Self {
        let (executor, _admin, schema) = fresh_postgres().await;
        let cleanup = Cleanup::Postgres(SchemaGuard(schema));
        migrate::up_all(&executor, Timestamp::from_millis(0))
            .await
            .expect("migrations apply to Postgres");
        Self {
            store: SqlStore::new(executor),
            cleanup,
        }
    }
}

impl TestStore<NeverEmpty<NativeExecutor>> {
    /// A migrated Postgres schema of its own, sent every statement exactly as the Spin adapter
    /// sends it: wrapped so that it answers at least one row. An answer without rows fails the
    /// operation, so a suite run on this proves no statement leaves Spin 4.0.x waiting.
    pub async fn postgres_as_spin_sends() -> Self {
        let TestStore { store, cleanup } = TestStore::postgres().await;
        Self {
            store: SqlStore::new(NeverEmpty(store.into_executor())),
            cleanup,
        }
    }
}

impl<E> TestStore<E> {
    /// Removes the database (dropping the store does too, also when a test fails).
    pub async fn finish(self) {
        drop(self);
    }
}

/// An empty, unmigrated SQLite database (and the directory that holds it).
pub fn fresh_sqlite() -> (NativeExecutor, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let executor = NativeExecutor::sqlite(&dir.path().join("test.db")).expect("SQLite opens");
    (executor, dir)
}

/// An empty Postgres schema, an executor whose `search_path` is that schema, and an admin
/// connection to drop it with.
pub async fn fresh_postgres() -> (NativeExecutor, tokio_postgres::Client, String) {
    let url = test_pg_url();
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for these tests and is not reachable at {url}: {e}. \
                 Start it (see README, 'Running the tests') or set HEXASPIN_TEST_PG_URL."
            )
        });
    tokio::spawn(connection);
    let schema = format!("hx_test_{}", unique_suffix());
    admin
        .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .expect("test schema is created");
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-csearch_path%3D{schema}");
    let executor = NativeExecutor::postgres(&scoped)
        .await
        .expect("Postgres connects");
    (executor, admin, schema)
}

/// 12 random hex characters, for names that must not collide between tests.
pub fn unique_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the Redis server for tests is; override with `HEXASPIN_TEST_REDIS_URL`.
pub const DEFAULT_TEST_REDIS_URL: &str = "redis://127.0.0.1:6379/0";

/// The Redis URL tests use.
pub fn test_redis_url() -> String {
    std::env::var("HEXASPIN_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_TEST_REDIS_URL.to_owned())
}

/// The socket address of the test Redis (`HEXASPIN_TEST_REDIS_URL`'s host and port), for tests
/// that put a proxy in front of it.
pub fn test_redis_address() -> std::net::SocketAddr {
    use std::net::ToSocketAddrs;
    let url = test_redis_url();
    url.split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .and_then(|authority| authority.rsplit('@').next())
        .and_then(|host| host.to_socket_addrs().ok()?.next())
        .expect("the test Redis address")
}

/// Job ports on a fresh, migrated SQLite file.
pub struct SqliteTestJobs {
    pub store: hexaspin_store_sql::jobs::SqliteJobs<hexaspin_native::SqliteExecutor>,
    path: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl SqliteTestJobs {
    /// Creates and migrates the file.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let executor =
            hexaspin_native::SqliteExecutor::open(&dir.path().join("jobs.db")).expect("SQLite opens");
        migrate::up_all(&executor, Timestamp::from_millis(0))
            .await
            .expect("migrations apply to SQLite");
        Self {
            store: hexaspin_store_sql::jobs::SqliteJobs::new(executor),
            path: dir.path().join("jobs.db"),
            _dir: Some(dir),
        }
    }

    /// The job ports on the database of `keys` (an SQLite test store), reading the keys there as
    /// the embedded default does ([`SqliteJobs::reading_keys_here`](hexaspin_store_sql::jobs::SqliteJobs::reading_keys_here)).
    pub fn beside_keys(keys: &TestStore) -> Self {
        let path = keys.sqlite_path().expect("an SQLite key store");
        let executor = hexaspin_native::SqliteExecutor::open(&path).expect("SQLite opens");
        Self {
            store: hexaspin_store_sql::jobs::SqliteJobs::new(executor).reading_keys_here(),
            path,
            _dir: None,
        }
    }

    /// The database file (for processes that must open the same one).
    pub fn path(&self) -> std::path::PathBuf {
        self.path.clone()
    }

    /// A second connection to the same file, as a second process (Spin, the worker) has.
    pub fn another_connection(
        &self,
    ) -> hexaspin_store_sql::jobs::SqliteJobs<hexaspin_native::SqliteExecutor> {
        let executor = hexaspin_native::SqliteExecutor::open(&self.path()).expect("SQLite opens");
        hexaspin_store_sql::jobs::SqliteJobs::new(executor)
    }

    /// Removes the file (with the directory).
    pub async fn finish(self) {}
}

/// Job ports under a fresh key prefix of the test Redis.
pub struct RedisTestJobs {
    pub store: hexaspin_redis::RedisJobs<hexaspin_native::NativeRedis>,
    /// The key prefix (for processes that must use the same keys).
    pub prefix: String,
    _keys: RedisKeysGuard,
}

impl RedisTestJobs {
    /// Connects; fails loudly when Redis is not there.
    pub async fn new() -> Self {
        let redis = test_redis().await;
        let prefix = format!("hx_test_{}:", unique_suffix());
        Self {
            store: hexaspin_redis::RedisJobs::new(redis, prefix.clone()),
            _keys: RedisKeysGuard(prefix.clone()),
            prefix,
        }
    }

    /// A second connection to the same keys, as a second process would have.
    pub async fn another_connection(&self) -> hexaspin_redis::RedisJobs<hexaspin_native::NativeRedis> {
        hexaspin_redis::RedisJobs::new(test_redis().await, self.prefix.clone())
    }

    /// Deletes the prefix's keys (dropping the fixture does too, also when a test fails).
    pub async fn finish(self) {
        drop(self);
    }
}

/// A connection to the test Redis, or a panic that says how to provide one.
pub async fn test_redis() -> hexaspin_native::NativeRedis {
    let url = test_redis_url();
    hexaspin_native::NativeRedis::connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "Redis is required for these tests and is not reachable at {url}: {e}. \
             Start it (see README, 'Running the tests') or set HEXASPIN_TEST_REDIS_URL."
            )
        })
}

/// The folder of the built wasm components (`HEXASPIN_WASM_DIR`, set by `cargo xtask test`, else
/// the workspace's release target folder) if every one of `files` is there. When one is missing:
/// `None` after SKIPPED, or a failure under `HEXASPIN_REQUIRE_WASM`.
pub fn built_wasm(files: &[&str]) -> Option<std::path::PathBuf> {
    let dir = std::env::var("HEXASPIN_WASM_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/release")
        });
    let missing: Vec<_> = files.iter().filter(|f| !dir.join(f).is_file()).collect();
    if missing.is_empty() {
        return Some(dir);
    }
    crate::prerequisites::Prerequisite::Wasm.missing(format_args!(
        "{missing:?} not built in {}; run `cargo xtask test`",
        dir.display()
    ));
    None
}
