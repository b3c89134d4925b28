//! Every Postgres statement the components send answers at least one row once wrapped as the Spin
//! adapter wraps it (Spin 4.0.0–4.0.2 hang forever on a `query` that answers none).
//!
//! Each statement of `queries/postgres/` runs on an empty, migrated schema with every parameter
//! NULL, so that nothing matches: first unwrapped (to know which ones answer no row at all), then
//! wrapped, whose raw answer must hold a row and read back as exactly the unwrapped answer. The
//! store contract suites run on the wrapped executor too (`postgres_as_spin_sends`), which covers
//! the statements with matching rows, in order.

use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::never_empty::{unwrap_rows, wrap};
use hexaspin_store_sql::queries::Queries;
use hexaspin_store_sql::{Dialect, SqlExecutor, SqlValue};
use hexaspin_tests::fixtures::TestStore;

/// How many `$n` parameters `sql` takes (the highest `n` it mentions).
fn parameter_count(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut highest = 0;
    for (at, _) in sql.match_indices('$') {
        let digits: String = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| char::from(b))
            .collect();
        highest = highest.max(digits.parse().unwrap_or(0));
    }
    highest
}

#[tokio::test]
async fn every_postgres_statement_answers_a_row_when_wrapped_even_when_nothing_matches() {
    let fixture = TestStore::postgres().await;
    let executor: &NativeExecutor = fixture.store.executor();
    let mut answered_nothing = Vec::new();
    let users = hexaspin_store_sql::users::UserQueries::of(Dialect::Postgres).each();
    for (name, sql) in Queries::of(Dialect::Postgres).each().into_iter().chain(users) {
        let params = vec![SqlValue::Null; parameter_count(sql)];
        let plain = executor.query(sql, &params).await;
        let wrapped = executor.query(&wrap(sql), &params).await;
        match (plain, wrapped) {
            (Ok(plain), Ok(wrapped)) => {
                assert!(
                    !wrapped.is_empty(),
                    "{name}: the wrapped statement answered no row"
                );
                assert_eq!(
                    unwrap_rows(wrapped).expect("unwrap"),
                    plain,
                    "{name}: the wrapped answer reads back as the plain one"
                );
                if plain.is_empty() {
                    answered_nothing.push(name);
                }
            }
            // NULL where the schema forbids it: refused alike, wrapped or not.
            (Err(plain), Err(wrapped)) => assert_eq!(
                std::mem::discriminant(&plain),
                std::mem::discriminant(&wrapped),
                "{name}: {plain:?} vs {wrapped:?}"
            ),
            (plain, wrapped) => panic!("{name}: plain {plain:?} but wrapped {wrapped:?}"),
        }
    }
    // These are the statements that would hang Spin 4.0.x unwrapped; if one stops answering
    // nothing here, this test no longer proves the wrapper for it.
    answered_nothing.sort_unstable();
    assert_eq!(
        answered_nothing,
        [
            "adopt_orphan_token",
            "consume_use",
            "count_keys",
            "delete_user",
            "delete_user_families",
            "delete_user_refresh",
            "find_key",
            "find_refresh",
            "find_user",
            "find_user_by_email",
            "insert_refresh",
            "key_has_budget",
            "list_audit",
            "list_keys",
            "list_users",
            "open_family",
            "purge_ended_families",
            "purge_expired_refresh",
            "refund_use",
            "revoke_family",
            "revoke_family_tokens",
            "revoke_user_tokens",
            "update_key",
            "update_user",
            "use_refresh",
        ]
    );
    fixture.finish().await;
}

#[tokio::test]
async fn rows_come_back_in_the_order_the_statement_gives_them_including_duplicate_names() {
    let fixture = TestStore::postgres().await;
    let executor = fixture.store.executor();
    let sql = "SELECT n AS a, n * 10 AS a FROM generate_series(1, 5) AS n ORDER BY n DESC";
    let rows = unwrap_rows(executor.query(&wrap(sql), &[]).await.expect("wrapped")).expect("unwrap");
    let expected: Vec<Vec<SqlValue>> = (1..=5)
        .rev()
        .map(|n| vec![SqlValue::Int(n), SqlValue::Int(n * 10)])
        .collect();
    // generate_series gives INT4, read back as Int like every integer column.
    assert_eq!(rows, expected);
    fixture.finish().await;
}

#[tokio::test]
async fn a_data_modifying_statement_runs_once_whether_or_not_it_answers_rows() {
    let fixture = TestStore::postgres().await;
    let executor = fixture.store.executor();
    let setup = "CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)";
    hexaspin_store_sql::ScriptExecutor::run_script(executor, setup)
        .await
        .expect("setup");
    let bump = "UPDATE counter SET n = n + 1 WHERE id = $1::int RETURNING n";
    let hit = executor
        .query(&wrap(bump), &[SqlValue::Int(1)])
        .await
        .expect("bump");
    assert_eq!(unwrap_rows(hit).expect("unwrap"), vec![vec![SqlValue::Int(1)]]);
    let miss = executor
        .query(&wrap(bump), &[SqlValue::Int(2)])
        .await
        .expect("bump nothing");
    assert_eq!(miss.len(), 1, "one placeholder row");
    assert_eq!(unwrap_rows(miss).expect("unwrap"), Vec::<Vec<SqlValue>>::new());
    let now = executor
        .query("SELECT n FROM counter WHERE id = 1", &[])
        .await
        .expect("read");
    assert_eq!(now, vec![vec![SqlValue::Int(1)]], "the update ran exactly once");
    fixture.finish().await;
}
