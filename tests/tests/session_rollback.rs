//! The `0002_sessions` migration is safe across a rollout and a rollback, on SQLite and Postgres:
//! a session this version ended (logout, password change, disable, replay) stays ended for the
//! previous release's statements on the same schema, and a token the previous release stored
//! without a family keeps working here (it joins a family at its account's current epoch) until
//! something ends it.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{RefreshTokenStore, RefreshUse};
use hexaspin_core::user::RefreshToken;
use hexaspin_store_sql::{Dialect, SqlExecutor, SqlValue};
use hexaspin_tests::api::Reply;
use hexaspin_tests::fixtures::TestStore;
use hexaspin_tests::users_api::UsersHarness;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// What the release before `0002_sessions` ran to use a refresh token (its `use_refresh.sql`).
fn previous_use_refresh(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "UPDATE refresh_tokens SET used_at_ms = ?2 \
             WHERE token_hash = ?1 AND used_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ?2 \
             RETURNING token_hash"
        }
        Dialect::Postgres => {
            "UPDATE refresh_tokens SET used_at_ms = $2::bigint \
             WHERE token_hash = $1::text AND used_at_ms IS NULL AND revoked_at_ms IS NULL \
             AND expires_at_ms > $2::bigint RETURNING token_hash"
        }
    }
}

/// What the release before `0002_sessions` ran to store a refresh token (no family row).
fn previous_insert_refresh(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at_ms, expires_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING token_hash"
        }
        Dialect::Postgres => {
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at_ms, expires_at_ms) \
             VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint) RETURNING token_hash"
        }
    }
}

fn refresh_token(reply: &Reply) -> RefreshToken {
    RefreshToken::parse(reply.json["refresh_token"].as_str().expect("refresh_token")).expect("token")
}

fn access_token(reply: &Reply) -> &str {
    reply.json["access_token"].as_str().expect("access_token")
}

/// Whether the previous release would still accept `token` (its use is rolled back after).
async fn previous_release_accepts(api: &UsersHarness, token: &RefreshToken) -> bool {
    let executor = api.fixture.store.executor();
    let statement = previous_use_refresh(executor.dialect());
    let params = [
        SqlValue::Text(token.hash().as_str().to_owned()),
        SqlValue::Int(NOW.plus_seconds(60).as_millis()),
    ];
    let used = !executor
        .query(statement, &params)
        .await
        .expect("previous use")
        .is_empty();
    if used {
        // Undo, so the token can still be tried by this version afterwards.
        let undo = match executor.dialect() {
            Dialect::Sqlite => {
                "UPDATE refresh_tokens SET used_at_ms = NULL WHERE token_hash = ?1 RETURNING token_hash"
            }
            Dialect::Postgres => {
                "UPDATE refresh_tokens SET used_at_ms = NULL WHERE token_hash = $1::text RETURNING token_hash"
            }
        };
        executor
            .query(undo, &params[..1])
            .await
            .expect("undo the previous use");
    }
    used
}

async fn sessions_this_version_ended_stay_ended_for_the_previous_release(api: &UsersHarness) {
    let logged_out = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let changer = api
        .post(
            "/api/auth/token",
            json!({ "email": "ada@example.com", "password": PASSWORD }),
            NOW,
        )
        .await;
    let out = api
        .post(
            "/api/auth/logout",
            json!({ "refresh_token": refresh_token(&logged_out).expose() }),
            NOW,
        )
        .await;
    assert_eq!(out.status, 204);
    let changed = api
        .with_token(
            access_token(&changer),
            "POST",
            "/api/users/me/password",
            Some(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
            NOW,
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.json);

    let bob = api.signed_in("bob@example.com", PASSWORD, NOW).await;
    let rotated = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": refresh_token(&bob).expose() }),
            NOW,
        )
        .await;
    let replay = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": refresh_token(&bob).expose() }),
            NOW,
        )
        .await;
    assert_eq!(replay.code(), "refresh_token_reused");

    let carol = api.signed_in("carol@example.com", PASSWORD, NOW).await;
    let carol_id = carol.json["user"]["id"].as_str().expect("id").to_owned();
    for step in ["disable", "enable"] {
        let changed = api
            .admin("POST", &format!("/api/admin/users/{carol_id}/{step}"), NOW)
            .await;
        assert_eq!(changed.status, 200, "{step}: {:?}", changed.json);
    }

    for (what, token) in [
        (
            "a session of an account disabled, then enabled",
            refresh_token(&carol),
        ),
        ("a logged-out session", refresh_token(&logged_out)),
        ("a session ended by a password change", refresh_token(&changer)),
        (
            "the successor in a family revoked for a replay",
            refresh_token(&rotated),
        ),
    ] {
        assert!(
            !previous_release_accepts(api, &token).await,
            "rolled back, the previous release would accept {what}"
        );
    }
    assert!(
        previous_release_accepts(api, &refresh_token(&changed)).await,
        "the session opened by the password change is a live one for both"
    );
}

async fn a_token_the_previous_release_stored_joins_a_family_and_ends_with_the_next_password_change(
    api: &UsersHarness,
) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let user_id = session.json["user"]["id"].as_str().expect("id").to_owned();
    let executor = api.fixture.store.executor();
    let orphan = RefreshToken::from_random([7; 32]);
    let params = [
        SqlValue::Text(orphan.hash().as_str().to_owned()),
        SqlValue::Text("0123456789abcdef".to_owned()),
        SqlValue::Text(user_id.clone()),
        SqlValue::Int(NOW.as_millis()),
        SqlValue::Int(NOW.plus_seconds(3_600).as_millis()),
    ];
    executor
        .query(previous_insert_refresh(executor.dialect()), &params)
        .await
        .expect("a token as the previous release stores it");
    let later = NOW.plus_seconds(60);
    let refreshed = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": orphan.expose() }),
            later,
        )
        .await;
    assert_eq!(
        refreshed.status, 200,
        "a session from a pod of the previous release survives the rollout: {:?}",
        refreshed.json
    );

    // Another one stored by the previous release, then the password changes: it ends too.
    let second = RefreshToken::from_random([8; 32]);
    let params = [
        SqlValue::Text(second.hash().as_str().to_owned()),
        SqlValue::Text("fedcba9876543210".to_owned()),
        SqlValue::Text(user_id),
        SqlValue::Int(NOW.as_millis()),
        SqlValue::Int(NOW.plus_seconds(3_600).as_millis()),
    ];
    executor
        .query(previous_insert_refresh(executor.dialect()), &params)
        .await
        .expect("a second token as the previous release stores it");
    let changed = api
        .with_token(
            access_token(&refreshed),
            "POST",
            "/api/users/me/password",
            Some(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
            later,
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.json);
    assert_eq!(
        api.fixture
            .store
            .use_refresh(&second.hash(), later)
            .await
            .expect("use"),
        RefreshUse::Unknown,
        "the password change ended the previous release's token too"
    );
}

hexaspin_tests::on_every_store!({
    sqlite: UsersHarness::new(TestStore::sqlite().await).await,
    postgres: UsersHarness::new(TestStore::postgres().await).await,
} [
    sessions_this_version_ended_stay_ended_for_the_previous_release,
    a_token_the_previous_release_stored_joins_a_family_and_ends_with_the_next_password_change,
]);
