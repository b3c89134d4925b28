//! One fresh, migrated database per test: a temporary SQLite file, or a Postgres schema of its own.

use hexaspin_core::Timestamp;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::{SqlStore, migrate};

/// Where the Postgres server for tests is; override with `HEXASPIN_TEST_PG_URL`.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The Postgres URL tests use.
pub fn test_pg_url() -> String {
    std::env::var("HEXASPIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned())
}

/// A store on a database that exists for one test.
pub struct TestStore {
    /// The store.
    pub store: SqlStore<NativeExecutor>,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin: tokio_postgres::Client,
        schema: String,
    },
}

impl TestStore {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let (executor, dir) = fresh_sqlite();
        migrate::up(&executor, Timestamp::from_millis(0))
            .await
            .expect("migrations apply to SQLite");
        Self {
            store: SqlStore::new(executor),
            cleanup: Cleanup::Sqlite(dir),
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
        let (executor, admin, schema) = fresh_postgres().await;
        migrate::up(&executor, Timestamp::from_millis(0))
            .await
            .expect("migrations apply to Postgres");
        Self {
            store: SqlStore::new(executor),
            cleanup: Cleanup::Postgres { admin, schema },
        }
    }

    /// Removes the database.
    pub async fn finish(self) {
        if let Cleanup::Postgres { admin, schema } = self.cleanup {
            admin
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .expect("test schema drops");
        }
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

fn unique_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
