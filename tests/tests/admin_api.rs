//! The admin API end to end in-process: HTTP request in, problem+json or JSON out, real store.
//!
//! Behaviour tests run on SQLite and on Postgres; the input-validation and auth tests, which stop
//! before the store, run on SQLite.

use hexaspin_core::Timestamp;
use hexaspin_core::use_cases::{KeyRejection, VerifyError, verify_api_key};
use hexaspin_store_sql::{SqlExecutor, SqlValue};
use hexaspin_tests::api::{AdminHarness, Reply, admin_token};
use hexaspin_tests::fixtures::TestStore;
use hexaspin_tests::samples::{JWT_SECRET, hasher};
use serde_json::json;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const KEYS: &str = "/api/admin/api-keys";

async fn create(api: &AdminHarness, body: serde_json::Value) -> Reply {
    let reply = api.admin("POST", KEYS, Some(&body.to_string()), NOW).await;
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    reply
}

async fn verify(api: &AdminHarness, key: &str, at: Timestamp) -> Result<(), KeyRejection> {
    match verify_api_key(&api.fixture.store, &hasher(), key, at).await {
        Ok(_) => Ok(()),
        Err(VerifyError::Rejected(why)) => Err(why),
        Err(VerifyError::Store(e)) => panic!("store failed: {e}"),
    }
}

fn plaintext(reply: &Reply) -> String {
    reply.json["key"]
        .as_str()
        .expect("plaintext key in the reply")
        .to_owned()
}

fn id(reply: &Reply) -> String {
    reply.json["id"].as_str().expect("id").to_owned()
}

hexaspin_tests::on_every_store!({
    sqlite: AdminHarness::new(TestStore::sqlite().await),
    postgres: AdminHarness::new(TestStore::postgres().await),
} [
    a_created_key_is_shown_once_and_verifies,
    keys_are_stored_only_as_peppered_hashes,
    revocation_takes_effect_on_the_next_verification,
    concurrent_revokes_all_answer_the_revoked_key_and_are_audited_once,
    rotation_issues_a_new_secret_and_honours_the_grace_period,
    a_revoked_key_cannot_be_rotated_or_changed,
    patch_changes_fields_and_null_clears_the_expiry,
    expired_disabled_and_exhausted_keys_are_told_apart,
    the_list_filters_by_owner_and_state_and_pages,
    every_admin_action_is_audited_with_its_actor,
]);

async fn a_created_key_is_shown_once_and_verifies(api: &AdminHarness) {
    let reply = create(
        api,
        json!({
            "name": "ci bot", "owner": "acme", "scopes": ["jobs:write"],
            "limits": {"rate_per_sec": 5, "burst": 10, "concurrency": 2, "daily_quota": 1000},
            "refill": {"interval": "daily", "amount": 100}
        }),
    )
    .await;
    let key = plaintext(&reply);
    let id = id(&reply);
    assert!(key.starts_with(&format!("hx_{id}_")), "{key}");
    assert_eq!(reply.json["prefix"], format!("hx_{id}"));
    assert_eq!(reply.header("location"), Some(format!("{KEYS}/{id}").as_str()));
    assert_eq!(reply.json["state"], "active");
    assert_eq!(reply.json["remaining"], 100);
    assert_eq!(reply.json["limits"]["burst"], 10);

    let shown = api.admin("GET", &format!("{KEYS}/{id}"), None, NOW).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.json.get("key").is_none(),
        "the secret is returned once only"
    );
    assert!(
        !shown.json.to_string().contains(&key[20..]),
        "no secret material in later reads"
    );
    assert_eq!(shown.json["owner"], "acme");
    assert_eq!(verify(api, &key, NOW).await, Ok(()));
    // Change the last character to a different one (replacing it with a fixed letter would leave the
    // key unchanged one time in 64).
    let last = if key.ends_with('A') { 'B' } else { 'A' };
    let tampered = format!("{}{last}", &key[..key.len() - 1]);
    assert_eq!(verify(api, &tampered, NOW).await, Err(KeyRejection::Unknown));
}

async fn keys_are_stored_only_as_peppered_hashes(api: &AdminHarness) {
    let key = plaintext(&create(api, json!({"name": "stored"})).await);
    let secret = &key[20..];
    let rows = api
        .fixture
        .store
        .executor()
        .query(
            "SELECT id, name, owner, CAST(scopes AS TEXT), secret_hash, previous_secret_hash FROM api_keys",
            &[],
        )
        .await
        .expect("raw rows");
    let texts: Vec<&str> = rows
        .iter()
        .flatten()
        .filter_map(|v| match v {
            SqlValue::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(!texts.is_empty());
    assert!(
        texts.iter().all(|t| !t.contains(secret)),
        "the secret must not be stored"
    );
}

async fn revocation_takes_effect_on_the_next_verification(api: &AdminHarness) {
    let reply = create(api, json!({"name": "to revoke"})).await;
    let (key, id) = (plaintext(&reply), id(&reply));
    assert_eq!(verify(api, &key, NOW).await, Ok(()));
    let revoked = api.admin("POST", &format!("{KEYS}/{id}/revoke"), None, NOW).await;
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.json["state"], "revoked");
    assert_eq!(verify(api, &key, NOW).await, Err(KeyRejection::Revoked));
    let again = api
        .admin("POST", &format!("{KEYS}/{id}/revoke"), Some("{}"), NOW)
        .await;
    assert_eq!(again.status, 200, "revoking twice is harmless");
    assert_eq!(again.json["revoked_at"], revoked.json["revoked_at"]);
}

/// Admins revoking one key at the same time (schemathesis's stateful phase did, against the
/// WASIp3 build, and one got an undocumented 409): every one gets the revoked key, and the log
/// holds one revocation.
async fn concurrent_revokes_all_answer_the_revoked_key_and_are_audited_once(api: &AdminHarness) {
    let reply = create(api, json!({"name": "revoked by many"})).await;
    let (key, id) = (plaintext(&reply), id(&reply));
    let path = format!("{KEYS}/{id}/revoke");
    let replies = futures::future::join_all((0..8).map(|_| api.admin("POST", &path, None, NOW))).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        assert_eq!(reply.json["state"], "revoked");
    }
    assert_eq!(verify(api, &key, NOW).await, Err(KeyRejection::Revoked));
    let audit = api
        .admin("GET", &format!("/api/admin/audit?key_id={id}"), None, NOW)
        .await;
    let revocations = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|entry| entry["action"] == "api_key.revoked")
        .count();
    assert_eq!(revocations, 1, "{}", audit.json);
}

async fn rotation_issues_a_new_secret_and_honours_the_grace_period(api: &AdminHarness) {
    let reply = create(api, json!({"name": "rotating"})).await;
    let (old, id) = (plaintext(&reply), id(&reply));
    let rotated = api
        .admin(
            "POST",
            &format!("{KEYS}/{id}/rotate"),
            Some(r#"{"grace_seconds": 60}"#),
            NOW,
        )
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    let new = plaintext(&rotated);
    assert_ne!(new, old);
    assert_eq!(
        rotated.json["previous_secret_valid_until"],
        NOW.plus_seconds(60).to_rfc3339()
    );
    assert_eq!(verify(api, &new, NOW).await, Ok(()));
    assert_eq!(verify(api, &old, NOW.plus_seconds(59)).await, Ok(()));
    assert_eq!(
        verify(api, &old, NOW.plus_seconds(60)).await,
        Err(KeyRejection::Unknown)
    );

    let immediate = api.admin("POST", &format!("{KEYS}/{id}/rotate"), None, NOW).await;
    assert_eq!(immediate.status, 200);
    assert_eq!(
        verify(api, &new, NOW).await,
        Err(KeyRejection::Unknown),
        "no grace: the old secret stops at once"
    );
    assert_eq!(verify(api, &plaintext(&immediate), NOW).await, Ok(()));
}

async fn a_revoked_key_cannot_be_rotated_or_changed(api: &AdminHarness) {
    let id = id(&create(api, json!({"name": "gone"})).await);
    api.admin("POST", &format!("{KEYS}/{id}/revoke"), None, NOW).await;
    let rotate = api.admin("POST", &format!("{KEYS}/{id}/rotate"), None, NOW).await;
    assert_eq!((rotate.status, rotate.code()), (409, "key_revoked"));
    let patch = api
        .admin(
            "PATCH",
            &format!("{KEYS}/{id}"),
            Some(r#"{"enabled": true}"#),
            NOW,
        )
        .await;
    assert_eq!((patch.status, patch.code()), (409, "key_revoked"));
}

async fn patch_changes_fields_and_null_clears_the_expiry(api: &AdminHarness) {
    let expires = NOW.plus_seconds(3600).to_rfc3339();
    let id = id(&create(api, json!({"name": "patchable", "expires_at": expires})).await);
    let path = format!("{KEYS}/{id}");
    let body =
        json!({"name": "renamed", "scopes": ["b", "a"], "limits": {"concurrency": 4}, "expires_at": null});
    let patched = api
        .admin("PATCH", &path, Some(&body.to_string()), NOW.plus_seconds(1))
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.json);
    assert_eq!(patched.json["name"], "renamed");
    assert_eq!(patched.json["scopes"], json!(["a", "b"]));
    assert_eq!(patched.json["limits"]["concurrency"], 4);
    assert_eq!(patched.json["expires_at"], serde_json::Value::Null);
    let unchanged = api.admin("PATCH", &path, Some("{}"), NOW.plus_seconds(2)).await;
    assert_eq!(
        unchanged.json["updated_at"], patched.json["updated_at"],
        "an empty patch writes nothing"
    );
    let reread = api.admin("GET", &path, None, NOW.plus_seconds(3)).await;
    assert_eq!(reread.json["name"], "renamed");
}

#[tokio::test]
async fn a_rate_above_the_supported_maximum_is_refused_on_update_not_made_unlimited() {
    let api = sqlite_api().await;
    let id = id(&create(&api, json!({"name": "fast", "limits": {"rate_per_sec": 5}})).await);
    let path = format!("{KEYS}/{id}");
    let body = json!({"limits": {"rate_per_sec": 4_000_000_000_u32}});
    let refused = api.admin("PATCH", &path, Some(&body.to_string()), NOW).await;
    assert_problem(&refused, 422, "invalid_field");
    let reread = api.admin("GET", &path, None, NOW).await;
    assert_eq!(reread.json["limits"]["rate_per_sec"], 5);
    api.finish().await;
}

async fn expired_disabled_and_exhausted_keys_are_told_apart(api: &AdminHarness) {
    let expiring = create(
        api,
        json!({"name": "short-lived", "expires_at": NOW.plus_seconds(10).to_rfc3339()}),
    )
    .await;
    assert_eq!(
        verify(api, &plaintext(&expiring), NOW.plus_seconds(9)).await,
        Ok(())
    );
    assert_eq!(
        verify(api, &plaintext(&expiring), NOW.plus_seconds(10)).await,
        Err(KeyRejection::Expired)
    );

    let exhausted = create(api, json!({"name": "used up", "remaining": 0})).await;
    assert_eq!(
        verify(api, &plaintext(&exhausted), NOW).await,
        Err(KeyRejection::Exhausted)
    );

    let switchable = create(api, json!({"name": "switchable"})).await;
    let path = format!("{KEYS}/{}", id(&switchable));
    let off = api
        .admin("PATCH", &path, Some(r#"{"enabled": false}"#), NOW)
        .await;
    assert_eq!(off.json["state"], "disabled");
    assert_eq!(
        verify(api, &plaintext(&switchable), NOW).await,
        Err(KeyRejection::Disabled)
    );
    api.admin("PATCH", &path, Some(r#"{"enabled": true}"#), NOW).await;
    assert_eq!(verify(api, &plaintext(&switchable), NOW).await, Ok(()));
}

async fn the_list_filters_by_owner_and_state_and_pages(api: &AdminHarness) {
    let mut acme = Vec::new();
    for n in 0..3 {
        acme.push(id(&create(
            api,
            json!({"name": format!("acme {n}"), "owner": "acme"}),
        )
        .await));
    }
    let other = id(&create(api, json!({"name": "other", "owner": "globex"})).await);
    api.admin("POST", &format!("{KEYS}/{}/revoke", acme[0]), None, NOW)
        .await;

    let first = api
        .admin("GET", &format!("{KEYS}?owner=acme&limit=2"), None, NOW)
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json["items"].as_array().expect("items").len(), 2);
    let cursor = first.json["next_cursor"].as_str().expect("a next page exists");
    let second = api
        .admin(
            "GET",
            &format!("{KEYS}?owner=acme&limit=2&cursor={cursor}"),
            None,
            NOW,
        )
        .await;
    let items = second.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(second.json["next_cursor"], serde_json::Value::Null);
    let mut seen: Vec<String> = first.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(items)
        .map(|k| k["id"].as_str().expect("id").to_owned())
        .collect();
    seen.sort();
    let mut expected = acme.clone();
    expected.sort();
    assert_eq!(seen, expected);
    assert!(!seen.contains(&other));

    let revoked = api
        .admin("GET", &format!("{KEYS}?state=revoked"), None, NOW)
        .await;
    let revoked_ids: Vec<_> = revoked.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["id"].clone())
        .collect();
    assert_eq!(revoked_ids, vec![json!(acme[0])]);
    assert!(
        !revoked.json.to_string().contains("hash"),
        "lists never show hashes"
    );
}

async fn every_admin_action_is_audited_with_its_actor(api: &AdminHarness) {
    let id = id(&create(api, json!({"name": "audited"})).await);
    api.admin(
        "PATCH",
        &format!("{KEYS}/{id}"),
        Some(r#"{"name": "audited 2"}"#),
        NOW,
    )
    .await;
    api.admin("POST", &format!("{KEYS}/{id}/rotate"), None, NOW).await;
    api.admin("POST", &format!("{KEYS}/{id}/revoke"), None, NOW).await;
    let audit = api
        .admin("GET", &format!("/api/admin/audit?key_id={id}"), None, NOW)
        .await;
    assert_eq!(audit.status, 200);
    let actions: Vec<_> = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        actions,
        vec![
            json!("api_key.revoked"),
            json!("api_key.rotated"),
            json!("api_key.updated"),
            json!("api_key.created")
        ]
    );
    assert!(
        audit.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["actor"] == "alice" && e["key_id"] == json!(id))
    );
    let page = api.admin("GET", "/api/admin/audit?limit=1", None, NOW).await;
    assert_eq!(page.json["items"].as_array().expect("items").len(), 1);
    assert!(page.json["next_cursor"].is_string());
}

// ---- auth and input validation (they stop before the store, so SQLite suffices) ----

async fn sqlite_api() -> AdminHarness {
    AdminHarness::new(TestStore::sqlite().await)
}

fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!((reply.status, reply.code()), (status, code), "{:?}", reply.json);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(
            reply.json.get(field).is_some(),
            "problem+json lacks {field}: {:?}",
            reply.json
        );
    }
    assert_eq!(reply.json["status"], status);
}

#[tokio::test]
async fn requests_without_a_valid_admin_token_are_refused() {
    let api = sqlite_api().await;
    let missing = api.send("GET", KEYS, &[], None, NOW).await;
    assert_problem(&missing, 401, "missing_token");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));

    let garbage = api
        .send("GET", KEYS, &[("authorization", "Bearer not-a-jwt")], None, NOW)
        .await;
    assert_problem(&garbage, 401, "invalid_token");
    let basic = api
        .send(
            "GET",
            KEYS,
            &[("authorization", "Basic YWxpY2U6c2VjcmV0")],
            None,
            NOW,
        )
        .await;
    assert_problem(&basic, 401, "invalid_token");

    let old = format!("Bearer {}", admin_token("alice", NOW.plus_seconds(-7200)));
    assert_problem(
        &api.send("GET", KEYS, &[("authorization", &old)], None, NOW).await,
        401,
        "token_expired",
    );

    let claims = json!({"sub": "bob", "iat": NOW.as_millis() / 1000, "exp": NOW.as_millis() / 1000 + 600, "role": "user"});
    let user = jsonwebtoken_for_tests(&claims);
    let forbidden = api
        .send(
            "GET",
            KEYS,
            &[("authorization", &format!("Bearer {user}"))],
            None,
            NOW,
        )
        .await;
    assert_problem(&forbidden, 403, "forbidden");
    api.finish().await;
}

/// Signs arbitrary claims with the test secret, for tokens the CLI would never mint.
fn jsonwebtoken_for_tests(claims: &serde_json::Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &key).expect("token")
}

#[tokio::test]
async fn malformed_and_unexpected_input_gets_a_precise_problem() {
    let api = sqlite_api().await;
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        ("POST", KEYS, Some("{\"name\": "), 400, "invalid_json"),
        ("POST", KEYS, Some(r#"{"name": "x",}"#), 400, "invalid_json"),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "colour": "red"}"#),
            422,
            "invalid_field",
        ),
        ("POST", KEYS, Some(r#"{"name": 42}"#), 422, "invalid_field"),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "limits": {"rate_per_sec": "fast"}}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "limits": {"rate_per_sec": 0}}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "limits": {"rate_per_sec": 1000001}}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "limits": {"burst": 3}}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "refill": {"interval": "hourly", "amount": 5}}"#),
            422,
            "invalid_field",
        ),
        ("POST", KEYS, Some(r#"{"name": "   "}"#), 422, "invalid_field"),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "scopes": ["Not Valid"]}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "expires_at": "tomorrow"}"#),
            422,
            "invalid_field",
        ),
        (
            "POST",
            KEYS,
            Some(r#"{"name": "x", "expires_at": "2020-01-01T00:00:00Z"}"#),
            422,
            "invalid_field",
        ),
        ("POST", KEYS, None, 400, "invalid_json"),
        (
            "GET",
            "/api/admin/api-keys/0123456789abcdef",
            None,
            404,
            "not_found",
        ),
        ("GET", "/api/admin/api-keys/not-an-id", None, 404, "not_found"),
        (
            "PATCH",
            "/api/admin/api-keys/0123456789abcdef",
            Some("{}"),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/admin/api-keys/0123456789abcdef/rotate",
            None,
            404,
            "not_found",
        ),
        ("GET", "/api/admin/nothing-here", None, 404, "not_found"),
        ("DELETE", KEYS, None, 405, "method_not_allowed"),
        (
            "GET",
            "/api/admin/api-keys?state=sleeping",
            None,
            400,
            "invalid_query",
        ),
        ("GET", "/api/admin/api-keys?limit=0", None, 400, "invalid_query"),
        (
            "GET",
            "/api/admin/api-keys?cursor=bogus",
            None,
            400,
            "invalid_query",
        ),
        (
            "GET",
            "/api/admin/api-keys?colour=red",
            None,
            400,
            "invalid_query",
        ),
        ("GET", "/api/admin/audit?key_id=xyz", None, 400, "invalid_query"),
    ];
    for (method, path, body, status, code) in cases {
        let reply = api.admin(method, path, *body, NOW).await;
        assert_eq!(
            (reply.status, reply.code()),
            (*status, *code),
            "{method} {path} {body:?}: {:?}",
            reply.json
        );
        assert_problem(&reply, *status, code);
    }
    let not_allowed = api.admin("DELETE", KEYS, None, NOW).await;
    assert_eq!(not_allowed.header("allow"), Some("GET, POST"));
    api.finish().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let api = sqlite_api().await;
    let huge = json!({"name": "x".repeat(70 * 1024)}).to_string();
    assert_problem(
        &api.admin("POST", KEYS, Some(&huge), NOW).await,
        413,
        "payload_too_large",
    );
    api.finish().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let api = sqlite_api().await;
    let token = format!("Bearer {}", admin_token("alice", NOW));
    let headers = [("authorization", token.as_str()), ("content-type", "text/plain")];
    let reply = api.send("POST", KEYS, &headers, Some("name=x"), NOW).await;
    assert_problem(&reply, 415, "unsupported_media_type");
    api.finish().await;
}

#[tokio::test]
async fn a_store_that_goes_away_answers_503_without_internals() {
    let api = AdminHarness::new(TestStore::postgres().await);
    let created = create(&api, json!({"name": "before the outage"})).await;
    let key_id = id(&created);
    // Cut the store's connection from the server side, as a failover or restart would.
    let pids = api
        .fixture
        .store
        .executor()
        .query("SELECT pg_backend_pid()::bigint", &[])
        .await
        .expect("pid");
    let SqlValue::Int(pid) = pids[0][0] else {
        panic!("pid is an integer")
    };
    let (killer, connection) =
        tokio_postgres::connect(&hexaspin_tests::fixtures::test_pg_url(), tokio_postgres::NoTls)
            .await
            .expect("second connection");
    tokio::spawn(connection);
    killer
        .execute("SELECT pg_terminate_backend($1::int)", &[&(pid as i32)])
        .await
        .expect("terminate");

    let reply = api.admin("GET", &format!("{KEYS}/{key_id}"), None, NOW).await;
    assert_problem(&reply, 503, "store_unavailable");
    assert_eq!(reply.header("retry-after"), Some("5"));
    let body = reply.json.to_string().to_lowercase();
    for internal in ["select", "api_keys", "postgres", "connection", "terminat"] {
        assert!(
            !body.contains(internal),
            "the response leaks {internal:?}: {body}"
        );
    }
    api.finish().await;
}

#[tokio::test]
async fn an_unmigrated_database_answers_503_not_500() {
    let api = AdminHarness::new(TestStore::unmigrated_sqlite());
    let reply = api.admin("GET", KEYS, None, NOW).await;
    assert_problem(&reply, 503, "store_unavailable");
    api.finish().await;
}
