//! Migrations go up, down and up again on both stores, and refuse drifted or newer databases.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::ApiKeyStore;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate::{self, MigrateError};
use hexaspin_store_sql::{Dialect, SqlExecutor, SqlStore, SqlValue};
use hexaspin_tests::fixtures::{fresh_postgres, fresh_sqlite};
use hexaspin_tests::samples::{full_key, test_entry};

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

async fn a_key_can_be_stored(executor: NativeExecutor) -> NativeExecutor {
    let store = SqlStore::new(executor);
    let key = full_key(1, NOW);
    store
        .insert_key(&key, &test_entry(&key))
        .await
        .expect("insert after migrating up");
    assert_eq!(store.find_key(&key.id).await.expect("find"), Some(key));
    store.into_executor()
}

async fn up_down_up(executor: NativeExecutor) -> NativeExecutor {
    let count = migrate::migrations(executor.dialect()).len();
    assert_eq!(migrate::up(&executor, NOW).await.expect("up").len(), count);
    assert!(
        migrate::status(&executor)
            .await
            .expect("status")
            .iter()
            .all(|m| m.applied_at == Some(NOW))
    );
    let executor = a_key_can_be_stored(executor).await;

    assert_eq!(migrate::down(&executor, count).await.expect("down").len(), count);
    assert!(
        migrate::status(&executor)
            .await
            .expect("status")
            .iter()
            .all(|m| m.applied_at.is_none())
    );
    let gone = executor.query("SELECT COUNT(*) FROM api_keys", &[]).await;
    assert!(gone.is_err(), "api_keys must be dropped by down");

    assert_eq!(migrate::up(&executor, NOW).await.expect("up again").len(), count);
    assert!(
        migrate::up(&executor, NOW)
            .await
            .expect("up is idempotent")
            .is_empty()
    );
    a_key_can_be_stored(executor).await
}

#[tokio::test]
async fn sqlite_migrations_go_up_down_and_up_again() {
    let (executor, _dir) = fresh_sqlite();
    up_down_up(executor).await;
}

#[tokio::test]
async fn postgres_migrations_go_up_down_and_up_again() {
    let (executor, admin, schema) = fresh_postgres().await;
    up_down_up(executor).await;
    admin
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .expect("cleanup");
}

async fn tamper(executor: &NativeExecutor, sql: &str) {
    executor.query(sql, &[]).await.expect("tampering statement runs");
}

async fn drift_is_refused(executor: NativeExecutor) {
    migrate::up(&executor, NOW).await.expect("up");
    tamper(
        &executor,
        "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1 RETURNING version",
    )
    .await;
    assert!(matches!(
        migrate::status(&executor).await,
        Err(MigrateError::Modified { version: 1, .. })
    ));
    assert!(matches!(
        migrate::up(&executor, NOW).await,
        Err(MigrateError::Modified { version: 1, .. })
    ));

    tamper(&executor, "DELETE FROM schema_migrations RETURNING version").await;
    let newer = match executor.dialect() {
        Dialect::Sqlite => "INSERT INTO schema_migrations VALUES (?1, 'future', 'x', 0) RETURNING version",
        Dialect::Postgres => {
            "INSERT INTO schema_migrations VALUES ($1::bigint, 'future', 'x', 0) RETURNING version"
        }
    };
    executor
        .query(newer, &[SqlValue::Int(999)])
        .await
        .expect("insert a newer migration row");
    assert!(matches!(
        migrate::up(&executor, NOW).await,
        Err(MigrateError::Unknown(999))
    ));
}

#[tokio::test]
async fn sqlite_refuses_edited_and_unknown_migrations() {
    let (executor, _dir) = fresh_sqlite();
    drift_is_refused(executor).await;
}

#[tokio::test]
async fn postgres_refuses_edited_and_unknown_migrations() {
    let (executor, admin, schema) = fresh_postgres().await;
    drift_is_refused(executor).await;
    admin
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn the_sqlite_jobs_table_holds_exactly_the_job_row() {
    let (executor, _dir) = fresh_sqlite();
    migrate::up(&executor, NOW).await.expect("up");
    let rows = executor
        .query("SELECT name FROM pragma_table_info('jobs') ORDER BY cid", &[])
        .await
        .expect("table info");
    let columns: Vec<SqlValue> = rows.into_iter().flatten().collect();
    let expected: Vec<SqlValue> = hexaspin_core::job::row::JOB_COLUMNS
        .iter()
        .map(|c| SqlValue::Text((*c).to_owned()))
        .collect();
    assert_eq!(
        columns, expected,
        "the migration and JOB_COLUMNS must name the same columns"
    );
}

async fn journal_mode(executor: &NativeExecutor) -> SqlValue {
    let rows = executor
        .query("PRAGMA journal_mode", &[])
        .await
        .expect("journal_mode");
    rows.into_iter().flatten().next().expect("one value")
}

#[tokio::test]
async fn migrating_the_embedded_database_switches_it_to_wal_for_every_later_connection() {
    let (executor, dir) = fresh_sqlite();
    assert_eq!(journal_mode(&executor).await, SqlValue::Text("delete".into()));
    migrate::up(&executor, NOW).await.expect("up");
    assert_eq!(journal_mode(&executor).await, SqlValue::Text("wal".into()));
    // The mode is the file's: a connection opened later (Spin's, the worker's) gets it too, and
    // writes through one are read through the other.
    let other = NativeExecutor::sqlite(&dir.path().join("test.db")).expect("second connection");
    assert_eq!(journal_mode(&other).await, SqlValue::Text("wal".into()));
    let executor = a_key_can_be_stored(executor).await;
    let seen = other
        .query("SELECT COUNT(*) FROM api_keys", &[])
        .await
        .expect("count");
    assert_eq!(seen.into_iter().flatten().next(), Some(SqlValue::Int(1)));
    drop(executor);
}

/// The executor Spin gives the users component: one statement per call, so scripts are split by
/// [`migrate::statements`].
struct OneStatementAtATime(NativeExecutor);

impl SqlExecutor for OneStatementAtATime {
    fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    async fn query(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<hexaspin_store_sql::value::Row>, hexaspin_core::ports::StoreError> {
        self.0.query(sql, params).await
    }
}

impl hexaspin_store_sql::ScriptExecutor for OneStatementAtATime {
    async fn run_script(&self, sql: &str) -> Result<(), hexaspin_core::ports::StoreError> {
        for statement in migrate::statements(sql) {
            self.0.query(&statement, &[]).await?;
        }
        Ok(())
    }
}

async fn sqlite_schema(executor: &impl SqlExecutor) -> Vec<Vec<SqlValue>> {
    executor
        .query(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            &[],
        )
        .await
        .expect("schema")
}

#[tokio::test]
async fn every_schema_applied_one_statement_at_a_time_matches_the_whole_script_path() {
    let (whole, _dir) = fresh_sqlite();
    migrate::up_all(&whole, NOW).await.expect("whole scripts");
    let (split, _dir2) = fresh_sqlite();
    let split = OneStatementAtATime(split);
    for schema in migrate::Schema::ALL {
        assert!(
            !migrate::schema_is_current(&split, schema).await,
            "{schema:?} is not there yet"
        );
        migrate::schema_up(&split, schema, NOW)
            .await
            .expect("statement at a time");
        assert!(
            migrate::schema_is_current(&split, schema).await,
            "{schema:?} is applied"
        );
    }
    let expected = sqlite_schema(&whole).await;
    assert!(
        expected.len() > 10,
        "the schema has its tables, indexes and triggers"
    );
    assert_eq!(sqlite_schema(&split).await, expected);
    for schema in migrate::Schema::ALL {
        for migration in schema.migrations(Dialect::Sqlite) {
            for statement in migrate::statements(migration.up) {
                assert!(!statement.trim_end().ends_with(';'), "{statement}");
            }
        }
    }
}

/// An executor whose SQLite stays in rollback-journal mode, as one on a network share does: it
/// answers the journal-mode switch with `delete`, and passes everything else on.
struct StuckInRollbackJournal(NativeExecutor);

impl SqlExecutor for StuckInRollbackJournal {
    fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    async fn query(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<hexaspin_store_sql::value::Row>, hexaspin_core::ports::StoreError> {
        if sql.contains("journal_mode") {
            return Ok(vec![vec![SqlValue::Text("delete".into())]]);
        }
        self.0.query(sql, params).await
    }
}

impl hexaspin_store_sql::ScriptExecutor for StuckInRollbackJournal {
    async fn run_script(&self, sql: &str) -> Result<(), hexaspin_core::ports::StoreError> {
        self.0.run_script(sql).await
    }
}

#[tokio::test]
async fn an_embedded_database_that_stays_out_of_wal_mode_is_not_migrated() {
    let (executor, _dir) = fresh_sqlite();
    let stuck = StuckInRollbackJournal(executor);
    let refused = migrate::up(&stuck, NOW).await;
    assert!(
        matches!(&refused, Err(MigrateError::NotWal(mode)) if mode == "delete"),
        "{refused:?}"
    );
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("write-ahead-log"), "{message}");
    let tables = stuck
        .0
        .query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", &[])
        .await
        .expect("tables");
    assert_eq!(
        tables.into_iter().flatten().next(),
        Some(SqlValue::Int(0)),
        "nothing applied"
    );
}
