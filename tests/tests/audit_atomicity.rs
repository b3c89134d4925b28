//! An admin change and its audit entry are one transaction: when the audit write fails, the change
//! is rolled back, on SQLite and on Postgres (native, and as Spin sends statements). The failure is
//! real: a trigger that refuses every insert into `audit_log`.

use hexaspin_config::os::OsEntropy;
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{KeyHasher, KeyName, Limits, Scopes};
use hexaspin_core::ports::{ApiKeyStore, KeyFilter, UserStore};
use hexaspin_core::use_cases::{self, AdminContext, AdminError, NewKey, UserAdminError};
use hexaspin_core::user::{Email, Password, PasswordHasher, PasswordParams, User, UserId, UserState};
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::{Dialect, ScriptExecutor, SqlExecutor, SqlStore, TransactionalExecutor};
use hexaspin_tests::fixtures::{TestStore, test_pg_url};
use hexaspin_tests::no_key_cache::NoKeyCache;
use hexaspin_tests::samples::hasher;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

async fn refuse_audit_entries<E: ScriptExecutor>(executor: &E) {
    let trigger = match executor.dialect() {
        Dialect::Sqlite => {
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'the audit log refuses entries'); END;"
        }
        Dialect::Postgres => {
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the audit log refuses entries'; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        }
    };
    executor.run_script(trigger).await.expect("install the trigger");
}

fn new_key() -> NewKey {
    NewKey {
        name: KeyName::parse("ci bot").expect("name"),
        owner: None,
        scopes: Scopes::default(),
        expires_at: None,
        remaining: None,
        refill: None,
        limits: Limits::default(),
    }
}

async fn keys_and_users_roll_back_when_their_entry_is_refused<E>(store: &SqlStore<E>)
where
    E: TransactionalExecutor + ScriptExecutor,
{
    let hasher: KeyHasher = hasher();
    let ctx = AdminContext {
        store,
        cache: &NoKeyCache,
        entropy: &OsEntropy,
        hasher: &hasher,
        actor: "alice",
        now: NOW,
    };
    let created = use_cases::create_api_key(&ctx, new_key()).await.expect("create");
    let account = User {
        id: UserId::from_random([1; 8]),
        email: Email::parse("ada@example.com").expect("email"),
        display_name: None,
        password_hash: PasswordHasher::new(PasswordParams::FOR_TESTS)
            .expect("params")
            .hash(
                &Password::presented("a password for the test").expect("pw"),
                [1; 16],
            )
            .expect("hash"),
        state: UserState::Active,
        created_at: NOW,
        updated_at: NOW,
        version: 1,
        session_epoch: 0,
    };
    store.insert_user(&account).await.expect("account");

    refuse_audit_entries(store.executor()).await;

    let revoked = use_cases::revoke_api_key(&ctx, &created.key.id).await;
    assert!(matches!(revoked, Err(AdminError::Store(_))), "{revoked:?}");
    let key = store.find_key(&created.key.id).await.expect("find").expect("key");
    assert_eq!(
        key.revoked_at, None,
        "the revocation was rolled back with its entry"
    );
    assert_eq!(key.version, created.key.version);

    let second = use_cases::create_api_key(&ctx, new_key()).await;
    assert!(matches!(second, Err(AdminError::Store(_))), "{second:?}");
    let filter = KeyFilter {
        owner: None,
        state: None,
        after: None,
        limit: 10,
    };
    assert_eq!(
        store.list_keys(&filter, NOW).await.expect("list").len(),
        1,
        "no key without its entry"
    );

    let disabled = use_cases::set_user_state(store, &account.id, UserState::Disabled, "alice", NOW).await;
    assert!(matches!(disabled, Err(UserAdminError::Store(_))), "{disabled:?}");
    let deleted = use_cases::delete_user(store, &account.id, "alice", NOW).await;
    assert!(matches!(deleted, Err(UserAdminError::Store(_))), "{deleted:?}");
    assert_eq!(
        store.find_user(&account.id).await.expect("find"),
        Some(account),
        "neither the disable nor the delete happened"
    );
}

#[tokio::test]
async fn on_sqlite_a_refused_audit_entry_rolls_the_change_back() {
    let fixture = TestStore::sqlite().await;
    keys_and_users_roll_back_when_their_entry_is_refused(&fixture.store).await;
    fixture.finish().await;
}

#[tokio::test]
async fn on_postgres_a_refused_audit_entry_rolls_the_change_back() {
    let fixture = TestStore::postgres().await;
    keys_and_users_roll_back_when_their_entry_is_refused(&fixture.store).await;
    fixture.finish().await;
}

#[tokio::test]
async fn on_postgres_as_spin_sends_a_refused_audit_entry_rolls_the_change_back() {
    let fixture = TestStore::postgres_as_spin_sends().await;
    keys_and_users_roll_back_when_their_entry_is_refused(&fixture.store).await;
    fixture.finish().await;
}

/// The executor is usable after a rolled-back transaction: nothing is left open on the
/// connection (a native Postgres transaction that is dropped rolls back before the connection is
/// used again).
#[tokio::test]
async fn a_postgres_connection_is_clean_after_a_rolled_back_change() {
    let fixture = TestStore::postgres().await;
    let executor: &NativeExecutor = fixture.store.executor();
    refuse_audit_entries(executor).await;
    let hasher = hasher();
    let ctx = AdminContext {
        store: &fixture.store,
        cache: &NoKeyCache,
        entropy: &OsEntropy,
        hasher: &hasher,
        actor: "alice",
        now: NOW,
    };
    assert!(use_cases::create_api_key(&ctx, new_key()).await.is_err());
    // Waits for the connection's turn, which the dropped transaction gives up only after its
    // ROLLBACK (inside the failed transaction this statement would be refused).
    let pid = executor
        .query("SELECT pg_backend_pid()::bigint", &[])
        .await
        .expect("the connection answers");
    let hexaspin_store_sql::SqlValue::Int(pid) = pid[0][0] else {
        panic!("pid: {pid:?}")
    };
    let (observer, connection) = tokio_postgres::connect(&test_pg_url(), tokio_postgres::NoTls)
        .await
        .expect("a second connection");
    tokio::spawn(connection);
    let row = observer
        .query_one(
            "SELECT state FROM pg_stat_activity WHERE pid = $1::bigint::int",
            &[&pid],
        )
        .await
        .expect("the backend is listed");
    let state: String = row.get(0);
    assert_eq!(state, "idle", "no transaction was left open on the connection");
    fixture.finish().await;
}
