//! The user service end to end in-process: every route and its errors, on SQLite and Postgres.

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{AuditLog, UserStore};
use hexaspin_core::user::Email;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::fixtures::TestStore;
use hexaspin_tests::pausing::{PausingStore, Step};
use hexaspin_tests::users_api::UsersHarness;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const PASSWORD: &str = "correct horse battery";

async fn sign_in(
    api: &UsersHarness,
    email: &str,
    password: &str,
    at: Timestamp,
) -> hexaspin_tests::api::Reply {
    api.post(
        "/api/auth/token",
        json!({ "email": email, "password": password }),
        at,
    )
    .await
}

fn field<'a>(reply: &'a hexaspin_tests::api::Reply, name: &str) -> &'a str {
    reply.json[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {:?}", reply.json))
}

hexaspin_tests::on_every_store!({
    sqlite: UsersHarness::new(TestStore::sqlite().await).await,
    postgres: UsersHarness::new(TestStore::postgres().await).await,
} [
    signing_up_then_in_gives_a_session_and_me_shows_the_account,
    sign_up_answers_a_taken_address_exactly_like_a_new_one,
    bad_input_is_refused_with_a_clear_problem,
    a_wrong_password_and_an_unknown_address_get_the_same_answer,
    a_refresh_token_rotates_and_its_reuse_signs_the_whole_family_out,
    logging_out_ends_the_session,
    the_account_can_be_renamed_and_moved_to_a_free_address_only,
    changing_the_password_needs_the_current_one_and_signs_out_other_sessions,
    user_tokens_are_never_admin_tokens_and_admin_tokens_never_user_tokens,
    admins_list_disable_enable_and_delete_accounts_with_an_audit_trail,
    failed_sign_ins_are_limited_per_account_and_client_with_retry_after,
    fifty_parallel_wrong_sign_ins_get_at_most_the_burst_checked,
    the_per_account_ceiling_holds_for_many_clients_and_delays_rather_than_locks,
    password_changes_are_limited_like_sign_ins,
    ipv6_clients_are_counted_by_their_64_bit_prefix,
    a_password_change_during_a_refresh_leaves_no_working_successor,
    a_replay_detected_during_a_refresh_leaves_no_working_successor,
    a_password_change_during_a_sign_in_opens_no_session,
    an_account_cannot_test_addresses_faster_than_its_email_change_limit,
    tokens_expire_and_unknown_routes_and_methods_are_told_apart,
]);

async fn signing_up_then_in_gives_a_session_and_me_shows_the_account(api: &UsersHarness) {
    let up = api
        .post(
            "/api/users",
            json!({ "email": "  Ada@Example.com ", "password": PASSWORD, "display_name": "Ada" }),
            NOW,
        )
        .await;
    assert_eq!(up.status, 202, "{:?}", up.json);
    assert_eq!(up.counted, vec![Series::user_sign_up()]);
    let session = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!(session.status, 200, "{:?}", session.json);
    assert_eq!(session.counted, vec![Series::user_sign_in("success")]);
    assert_eq!(field(&session, "token_type"), "Bearer");
    assert_eq!(session.json["expires_in"], 900);
    assert!(field(&session, "refresh_token").starts_with("hxr_"));
    assert_eq!(session.header("cache-control"), Some("no-store"));
    let me = api
        .with_token(field(&session, "access_token"), "GET", "/api/users/me", None, NOW)
        .await;
    assert_eq!(me.status, 200, "{:?}", me.json);
    assert_eq!(me.json["email"], "ada@example.com");
    assert_eq!(me.json["display_name"], "Ada");
    assert_eq!(me.json["state"], "active");
    assert!(me.json.get("password_hash").is_none());
    let stored = api
        .fixture
        .store
        .find_user_by_email(&Email::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert!(
        stored.password_hash.as_str().starts_with("$argon2id$"),
        "stored hashed"
    );
    assert!(!stored.password_hash.as_str().contains(PASSWORD));
}

async fn sign_up_answers_a_taken_address_exactly_like_a_new_one(api: &UsersHarness) {
    let first = api
        .post(
            "/api/users",
            json!({ "email": "ada@example.com", "password": PASSWORD }),
            NOW,
        )
        .await;
    let again = api
        .post(
            "/api/users",
            json!({ "email": "ADA@example.com", "password": "another long password" }),
            NOW,
        )
        .await;
    assert_eq!((first.status, again.status), (202, 202));
    assert_eq!(
        first.json, again.json,
        "the answers must not tell the cases apart"
    );
    assert_eq!(
        first.counted, again.counted,
        "nor may /metrics: both are counted as sign-ups"
    );
    let old = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!(old.status, 200, "the first password still holds");
    let new = sign_in(api, "ada@example.com", "another long password", NOW).await;
    assert_eq!(new.status, 401);
}

async fn bad_input_is_refused_with_a_clear_problem(api: &UsersHarness) {
    let cases = [
        (
            json!({ "email": "ada@example.com", "password": "short" }),
            422,
            "password",
        ),
        (
            json!({ "email": "ada@example.com", "password": "password1234" }),
            422,
            "too common",
        ),
        (
            json!({ "email": "ada@example.com", "password": "ada@example.com" }),
            422,
            "email address",
        ),
        (
            json!({ "email": "not an email", "password": PASSWORD }),
            422,
            "email",
        ),
        // Well-formed JSON of the wrong shape is 422, as everywhere in the API; broken JSON is 400.
        (
            json!({ "email": "ada@example.com", "password": PASSWORD, "admin": true }),
            422,
            "admin",
        ),
        (json!({ "email": "ada@example.com" }), 422, "password"),
    ];
    for (body, status, mentions) in cases {
        let reply = api.post("/api/users", body.clone(), NOW).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.json);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        assert!(
            field(&reply, "detail").contains(mentions),
            "{body}: {:?}",
            reply.json
        );
    }
    let broken = api
        .send("POST", "/api/auth/token", &[], Some("{not json"), NOW)
        .await;
    assert_eq!(broken.status, 400, "{:?}", broken.json);
    let huge = format!(r#"{{"email":"a@b.io","password":"{}"}}"#, "x".repeat(10_000));
    let too_large = api.send("POST", "/api/users", &[], Some(&huge), NOW).await;
    assert_eq!(too_large.status, 413, "{:?}", too_large.json);
}

async fn a_wrong_password_and_an_unknown_address_get_the_same_answer(api: &UsersHarness) {
    api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let wrong = sign_in(api, "ada@example.com", "not the password", NOW).await;
    let unknown = sign_in(api, "bob@example.com", "not the password", NOW).await;
    let malformed = sign_in(api, "bob", "x", NOW).await;
    for reply in [&wrong, &unknown, &malformed] {
        assert_eq!(reply.status, 401, "{:?}", reply.json);
        assert_eq!(reply.code(), "invalid_credentials");
        assert_eq!(reply.counted, vec![Series::user_sign_in("invalid_credentials")]);
    }
    assert_eq!(wrong.json, unknown.json);
}

async fn a_refresh_token_rotates_and_its_reuse_signs_the_whole_family_out(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let first = field(&session, "refresh_token").to_owned();
    let later = NOW.plus_seconds(60);
    let rotated = api
        .post("/api/auth/refresh", json!({ "refresh_token": first }), later)
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    let second = field(&rotated, "refresh_token").to_owned();
    assert_ne!(first, second);
    assert_eq!(rotated.json["user"]["email"], "ada@example.com");

    // A thief replays the first token: refused, and the family (with the second token) is revoked.
    let replay = api
        .post("/api/auth/refresh", json!({ "refresh_token": first }), later)
        .await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.code(), "refresh_token_reused");
    assert_eq!(replay.counted, vec![Series::refresh_reuse()]);
    let owner = api
        .post("/api/auth/refresh", json!({ "refresh_token": second }), later)
        .await;
    assert_eq!(owner.status, 401);
    assert_eq!(owner.code(), "invalid_refresh_token");

    // Another sign-in is another family, untouched.
    let other = sign_in(api, "ada@example.com", PASSWORD, later).await;
    let renewed = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": field(&other, "refresh_token") }),
            later,
        )
        .await;
    assert_eq!(renewed.status, 200);
    let garbage = api
        .post("/api/auth/refresh", json!({ "refresh_token": "hxr_nope" }), later)
        .await;
    assert_eq!(garbage.code(), "invalid_refresh_token");
}

async fn logging_out_ends_the_session(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let token = field(&session, "refresh_token").to_owned();
    let out = api
        .post("/api/auth/logout", json!({ "refresh_token": token }), NOW)
        .await;
    assert_eq!(out.status, 204);
    let again = api
        .post("/api/auth/logout", json!({ "refresh_token": token }), NOW)
        .await;
    assert_eq!(again.status, 204, "signing out twice is fine");
    let refresh = api
        .post("/api/auth/refresh", json!({ "refresh_token": token }), NOW)
        .await;
    assert_eq!(refresh.status, 401);
}

async fn the_account_can_be_renamed_and_moved_to_a_free_address_only(api: &UsersHarness) {
    api.signed_in("bob@example.com", PASSWORD, NOW).await;
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let token = field(&session, "access_token").to_owned();
    let patch = |body: serde_json::Value| api.with_token(&token, "PATCH", "/api/users/me", Some(body), NOW);
    let renamed = patch(json!({ "display_name": "Countess" })).await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.json);
    assert_eq!(renamed.json["display_name"], "Countess");
    let cleared = patch(json!({ "display_name": null })).await;
    assert_eq!(cleared.json["display_name"], serde_json::Value::Null);

    let no_password = patch(json!({ "email": "lovelace@example.com" })).await;
    assert_eq!(no_password.status, 422, "an address change needs the password");
    assert!(field(&no_password, "detail").contains("current_password"));
    let wrong =
        patch(json!({ "email": "lovelace@example.com", "current_password": "a guess a guess" })).await;
    assert_eq!((wrong.status, wrong.code()), (403, "wrong_password"));

    let taken = patch(json!({ "email": "BOB@example.com", "current_password": PASSWORD })).await;
    let free = patch(
        json!({ "email": "lovelace@example.com", "current_password": PASSWORD, "display_name": "Ada" }),
    )
    .await;
    assert_eq!(
        (taken.status, free.status),
        (202, 202),
        "{:?} {:?}",
        taken.json,
        free.json
    );
    assert_eq!(taken.json, free.json, "a taken address answers like a free one");
    assert!(
        !format!("{:?}", free.json).contains("lovelace"),
        "the answer does not echo the result"
    );
    let me = api.with_token(&token, "GET", "/api/users/me", None, NOW).await;
    assert_eq!(
        me.json["email"], "lovelace@example.com",
        "the free address was taken"
    );
    assert_eq!(me.json["display_name"], "Ada");
    let bob = sign_in(api, "bob@example.com", PASSWORD, NOW).await;
    assert_eq!(bob.status, 200, "bob keeps his address");

    let bad = patch(json!({ "email": "nope", "current_password": PASSWORD })).await;
    assert_eq!(bad.status, 422);
}

async fn changing_the_password_needs_the_current_one_and_signs_out_other_sessions(api: &UsersHarness) {
    let phone = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let laptop = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    let token = field(&laptop, "access_token").to_owned();
    let path = "/api/users/me/password";
    let wrong = api
        .with_token(
            &token,
            "POST",
            path,
            Some(
                json!({ "current_password": "guess guess guess", "new_password": "a brand new passphrase" }),
            ),
            NOW,
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.code(), "wrong_password");
    let weak = api
        .with_token(
            &token,
            "POST",
            path,
            Some(json!({ "current_password": PASSWORD, "new_password": "short" })),
            NOW,
        )
        .await;
    assert_eq!(weak.status, 422);
    let changed = api
        .with_token(
            &token,
            "POST",
            path,
            Some(json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" })),
            NOW,
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.json);
    let renewed = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": field(&changed, "refresh_token") }),
            NOW,
        )
        .await;
    assert_eq!(renewed.status, 200, "the caller keeps a working session");
    for old in [&phone, &laptop] {
        let refresh = api
            .post(
                "/api/auth/refresh",
                json!({ "refresh_token": field(old, "refresh_token") }),
                NOW,
            )
            .await;
        assert_eq!(refresh.status, 401, "sessions from before the change are gone");
        let me = api
            .with_token(field(old, "access_token"), "GET", "/api/users/me", None, NOW)
            .await;
        assert_eq!(
            (me.status, me.code()),
            (401, "session_ended"),
            "so are their access tokens"
        );
    }
    let me = api
        .with_token(field(&changed, "access_token"), "GET", "/api/users/me", None, NOW)
        .await;
    assert_eq!(me.status, 200, "the new session's access token works");
    let old_password = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!(old_password.status, 401);
    let new_password = sign_in(api, "ada@example.com", "a brand new passphrase", NOW).await;
    assert_eq!(new_password.status, 200);
}

async fn user_tokens_are_never_admin_tokens_and_admin_tokens_never_user_tokens(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let user_token = field(&session, "access_token").to_owned();
    let as_admin = api
        .with_token(&user_token, "GET", "/api/admin/users", None, NOW)
        .await;
    assert_eq!(as_admin.status, 401, "{:?}", as_admin.json);
    let admin = admin_token("alice", NOW);
    let as_user = api.with_token(&admin, "GET", "/api/users/me", None, NOW).await;
    assert_eq!(as_user.status, 401, "{:?}", as_user.json);
    assert_eq!(as_user.code(), "invalid_token");
    let list = api.admin("GET", "/api/admin/users", NOW).await;
    assert_eq!(list.status, 200);
}

async fn admins_list_disable_enable_and_delete_accounts_with_an_audit_trail(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    api.signed_in("bob@example.com", PASSWORD, NOW.plus_seconds(1))
        .await;
    let id = session.json["user"]["id"].as_str().expect("id").to_owned();

    let all = api.admin("GET", "/api/admin/users", NOW).await;
    let emails: Vec<_> = all.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(
        emails,
        vec![json!("bob@example.com"), json!("ada@example.com")],
        "newest first"
    );
    let search = api.admin("GET", "/api/admin/users?email=ADA&limit=1", NOW).await;
    assert_eq!(search.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(search.json["items"][0]["id"], id.as_str());
    let paged = api.admin("GET", "/api/admin/users?limit=1", NOW).await;
    let cursor = paged.json["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let second = api
        .admin("GET", &format!("/api/admin/users?limit=1&cursor={cursor}"), NOW)
        .await;
    assert_eq!(second.json["items"][0]["email"], "ada@example.com");
    assert_eq!(
        api.admin("GET", "/api/admin/users?state=gone", NOW).await.status,
        400
    );

    let disabled = api
        .admin("POST", &format!("/api/admin/users/{id}/disable"), NOW)
        .await;
    assert_eq!(disabled.json["state"], "disabled");
    let refused = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!((refused.status, refused.code()), (403, "account_disabled"));
    let refresh = api
        .post(
            "/api/auth/refresh",
            json!({ "refresh_token": field(&session, "refresh_token") }),
            NOW,
        )
        .await;
    assert_eq!(refresh.status, 401, "disabling revoked the sessions");
    let me = api
        .with_token(field(&session, "access_token"), "GET", "/api/users/me", None, NOW)
        .await;
    assert_eq!((me.status, me.code()), (403, "account_disabled"));
    let only_disabled = api.admin("GET", "/api/admin/users?state=disabled", NOW).await;
    assert_eq!(only_disabled.json["items"].as_array().unwrap().len(), 1);

    let enabled = api
        .admin("POST", &format!("/api/admin/users/{id}/enable"), NOW)
        .await;
    assert_eq!(enabled.json["state"], "active");
    let again = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!(again.status, 200);

    assert_eq!(
        api.admin("DELETE", &format!("/api/admin/users/{id}"), NOW)
            .await
            .status,
        204
    );
    assert_eq!(
        api.admin("GET", &format!("/api/admin/users/{id}"), NOW)
            .await
            .status,
        404
    );
    assert_eq!(
        api.admin("DELETE", &format!("/api/admin/users/{id}"), NOW)
            .await
            .status,
        404
    );
    assert_eq!(
        api.admin("GET", "/api/admin/users/usr_nothex", NOW).await.status,
        404
    );
    let gone = api
        .with_token(field(&again, "access_token"), "GET", "/api/users/me", None, NOW)
        .await;
    assert_eq!(gone.status, 401, "a deleted account's token is worthless");

    let audit = api.fixture.store.list_audit(None, None, 10).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(actions, vec!["user.deleted", "user.enabled", "user.disabled"]);
    assert!(
        audit
            .iter()
            .all(|e| e.entry.actor == "alice" && e.entry.detail["user_id"] == id.as_str())
    );
    assert!(
        !format!("{:?}", audit).contains("ada@example.com"),
        "the audit log names ids, not addresses"
    );
}

async fn failed_sign_ins_are_limited_per_account_and_client_with_retry_after(api: &UsersHarness) {
    api.signed_in("ada@example.com", PASSWORD, NOW).await;
    api.signed_in("bob@example.com", PASSWORD, NOW).await;
    let wrong = json!({ "email": "ada@example.com", "password": "not the password" });
    let burst = api.settings.password_attempts.per_account_client.burst();
    for attempt in 0..burst {
        let reply = api
            .post_from("203.0.113.9", "/api/auth/token", wrong.clone(), NOW)
            .await;
        assert_eq!(reply.status, 401, "attempt {attempt} is within the allowance");
    }
    let right = json!({ "email": "ada@example.com", "password": PASSWORD });
    let limited = api
        .post_from("203.0.113.9", "/api/auth/token", right.clone(), NOW)
        .await;
    assert_eq!(
        limited.status, 429,
        "even the right password waits: {:?}",
        limited.json
    );
    assert_eq!(limited.code(), "too_many_attempts");
    assert_eq!(limited.counted, vec![Series::user_sign_in("rate_limited")]);
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(
        (1..=90).contains(&retry_after),
        "one attempt per 90 s: {retry_after}"
    );
    let owner = api
        .post_from("198.51.100.20", "/api/auth/token", right, NOW)
        .await;
    assert_eq!(
        owner.status, 200,
        "another client is not locked out of the account"
    );
    let bob = json!({ "email": "bob@example.com", "password": PASSWORD });
    let other_account = api.post_from("203.0.113.9", "/api/auth/token", bob, NOW).await;
    assert_eq!(
        other_account.status, 200,
        "nor is the client locked out of other accounts"
    );
}

async fn fifty_parallel_wrong_sign_ins_get_at_most_the_burst_checked(api: &UsersHarness) {
    api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let wrong = json!({ "email": "ada@example.com", "password": "not the password" });
    let burst = api.settings.password_attempts.per_account_client.burst() as usize;
    let wave = |at: Timestamp| {
        join_all((0..50).map(|_| api.post_from("203.0.113.9", "/api/auth/token", wrong.clone(), at)))
    };
    let first = wave(NOW).await;
    let checked = first.iter().filter(|reply| reply.status == 401).count();
    let refused = first.iter().filter(|reply| reply.status == 429).count();
    assert_eq!(
        (checked, refused),
        (burst, 50 - burst),
        "only the burst was checked"
    );
    let second = wave(NOW.plus_seconds(1)).await;
    assert!(
        second.iter().all(|reply| reply.status == 429),
        "a second later nothing was given back: {:?}",
        second.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

async fn the_per_account_ceiling_holds_for_many_clients_and_delays_rather_than_locks(api: &UsersHarness) {
    api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let wrong = json!({ "email": "ada@example.com", "password": "not the password" });
    let rule = api.settings.password_attempts.per_account;
    let clients: Vec<String> = (0..60).map(|n| format!("198.51.100.{n}")).collect();
    let replies = join_all(
        clients
            .iter()
            .map(|client| api.post_from(client, "/api/auth/token", wrong.clone(), NOW)),
    )
    .await;
    let checked = replies.iter().filter(|reply| reply.status == 401).count();
    assert_eq!(
        checked,
        rule.burst() as usize,
        "one account, many clients: the ceiling holds"
    );
    let right = json!({ "email": "ada@example.com", "password": PASSWORD });
    let held = api
        .post_from("192.0.2.1", "/api/auth/token", right.clone(), NOW)
        .await;
    assert_eq!(held.status, 429);
    let wait: i64 = held.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(
        wait <= rule.emission_interval_us() / 1_000_000,
        "a delay, not a lock-out: {wait} s"
    );
    let later = api
        .post_from("192.0.2.1", "/api/auth/token", right, NOW.plus_seconds(wait))
        .await;
    assert_eq!(later.status, 200, "after the delay the owner signs in");
}

async fn password_changes_are_limited_like_sign_ins(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let token = field(&session, "access_token").to_owned();
    let guess = json!({ "current_password": "a guess a guess", "new_password": "a brand new passphrase" });
    let burst = api.settings.password_attempts.per_account_client.burst() as usize;
    let replies = join_all(
        (0..30).map(|_| api.with_token(&token, "POST", "/api/users/me/password", Some(guess.clone()), NOW)),
    )
    .await;
    let checked = replies.iter().filter(|reply| reply.status == 403).count();
    assert_eq!(
        checked, burst,
        "a stolen access token guesses no more than a sign-in could"
    );
    assert!(replies.iter().all(|reply| [403, 429].contains(&reply.status)));
    let sign_in = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    assert_eq!(
        sign_in.status, 429,
        "the guesses count for the account's sign-ins too"
    );
}

async fn ipv6_clients_are_counted_by_their_64_bit_prefix(api: &UsersHarness) {
    let burst = api.settings.sign_ups.burst();
    for n in 0..burst {
        let body = json!({ "email": format!("user{n}@example.com"), "password": PASSWORD });
        let reply = api
            .post_from(&format!("2001:db8:1:2::{:x}", n + 1), "/api/users", body, NOW)
            .await;
        assert_eq!(reply.status, 202, "sign-up {n}");
    }
    let body = json!({ "email": "one.more@example.com", "password": PASSWORD });
    let same_prefix = api
        .post_from(
            "2001:db8:1:2:ffff:ffff:ffff:ffff",
            "/api/users",
            body.clone(),
            NOW,
        )
        .await;
    assert_eq!(
        same_prefix.status, 429,
        "a fresh address in the same /64 is the same client"
    );
    let next_prefix = api.post_from("2001:db8:1:3::1", "/api/users", body, NOW).await;
    assert_eq!(next_prefix.status, 202, "the next /64 is another client");
}

async fn tokens_expire_and_unknown_routes_and_methods_are_told_apart(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let token = field(&session, "access_token").to_owned();
    let expired = api
        .with_token(&token, "GET", "/api/users/me", None, NOW.plus_seconds(3600))
        .await;
    assert_eq!((expired.status, expired.code()), (401, "token_expired"));
    let missing = api.send("GET", "/api/users/me", &[], None, NOW).await;
    assert_eq!((missing.status, missing.code()), (401, "missing_token"));
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        api.send("GET", "/api/users/nobody", &[], None, NOW).await.status,
        404
    );
    let wrong_method = api.send("DELETE", "/api/users/me", &[], None, NOW).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, PATCH"));
    let no_admin = api.send("GET", "/api/admin/users", &[], None, NOW).await;
    assert_eq!(no_admin.status, 401);
}

/// Once `paused` holds a request at its step, changes the password with `owner`'s access token,
/// then lets the held request go on.
async fn change_password_while_held<S>(
    api: &UsersHarness,
    paused: &PausingStore<'_, S>,
    owner: &hexaspin_tests::api::Reply,
) -> hexaspin_tests::api::Reply {
    paused.reached().await;
    let changed = api
        .with_token(
            field(owner, "access_token"),
            "POST",
            "/api/users/me/password",
            Some(json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" })),
            NOW,
        )
        .await;
    paused.release();
    changed
}

/// A refresh has used its token and is about to store the successor when the password changes:
/// the successor is refused in the same statement that would store it.
async fn a_password_change_during_a_refresh_leaves_no_working_successor(api: &UsersHarness) {
    let stolen = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let owner = sign_in(api, "ada@example.com", PASSWORD, NOW).await;
    let paused = PausingStore::new(&api.fixture.store, Step::InsertRefresh);
    let refresh = api.post_via(
        &paused,
        "/api/auth/refresh",
        json!({ "refresh_token": field(&stolen, "refresh_token") }),
        NOW,
    );
    let change_password = change_password_while_held(api, &paused, &owner);
    let (refreshed, changed) = tokio::join!(refresh, change_password);
    assert_eq!(changed.status, 200, "{:?}", changed.json);
    assert_eq!(
        (refreshed.status, refreshed.code()),
        (401, "invalid_refresh_token"),
        "the refresh in flight got no session: {:?}",
        refreshed.json
    );
    let me = api
        .with_token(field(&stolen, "access_token"), "GET", "/api/users/me", None, NOW)
        .await;
    assert_eq!(me.code(), "session_ended");
}

/// A thief's replay is detected while the owner's refresh is about to store its successor: the
/// family is revoked and the successor refused with it.
async fn a_replay_detected_during_a_refresh_leaves_no_working_successor(api: &UsersHarness) {
    let session = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let first = field(&session, "refresh_token").to_owned();
    let rotated = api
        .post("/api/auth/refresh", json!({ "refresh_token": first }), NOW)
        .await;
    let second = field(&rotated, "refresh_token").to_owned();
    let paused = PausingStore::new(&api.fixture.store, Step::InsertRefresh);
    let owner = api.post_via(
        &paused,
        "/api/auth/refresh",
        json!({ "refresh_token": second }),
        NOW,
    );
    let thief = async {
        paused.reached().await;
        let replay = api
            .post("/api/auth/refresh", json!({ "refresh_token": first }), NOW)
            .await;
        paused.release();
        replay
    };
    let (owner, replay) = tokio::join!(owner, thief);
    assert_eq!(replay.code(), "refresh_token_reused");
    assert_eq!(
        (owner.status, owner.code()),
        (401, "invalid_refresh_token"),
        "no successor joins a revoked family: {:?}",
        owner.json
    );
}

/// A sign-in has checked the old password when the password changes: no session is opened with
/// the password that no longer holds.
async fn a_password_change_during_a_sign_in_opens_no_session(api: &UsersHarness) {
    let owner = api.signed_in("ada@example.com", PASSWORD, NOW).await;
    let paused = PausingStore::new(&api.fixture.store, Step::OpenFamily);
    let old_password = api.post_via(
        &paused,
        "/api/auth/token",
        json!({ "email": "ada@example.com", "password": PASSWORD }),
        NOW,
    );
    let change_password = change_password_while_held(api, &paused, &owner);
    let (signed_in, changed) = tokio::join!(old_password, change_password);
    assert_eq!(changed.status, 200, "{:?}", changed.json);
    assert_eq!(
        (signed_in.status, signed_in.code()),
        (409, "concurrent_update"),
        "{:?}",
        signed_in.json
    );
}

/// An attacker with an account of their own moves it to address after address with their own
/// (right) password and reads where it landed: each change tells whether an address was free.
/// The changes are counted whatever the password, so the account tests at most the limit's burst.
async fn an_account_cannot_test_addresses_faster_than_its_email_change_limit(api: &UsersHarness) {
    api.signed_in("victim@example.com", PASSWORD, NOW).await;
    let session = api.signed_in("attacker@example.com", PASSWORD, NOW).await;
    let token = field(&session, "access_token").to_owned();
    let burst = api.settings.email_changes.burst() as usize;
    // A stolen access token without the password cannot spend the owner's changes.
    for _ in 0..3 {
        let wrong = api
            .with_token(
                &token,
                "PATCH",
                "/api/users/me",
                Some(json!({ "email": "thief@example.com", "current_password": "not the password" })),
                NOW,
            )
            .await;
        assert_eq!(
            (wrong.status, wrong.code()),
            (403, "wrong_password"),
            "{:?}",
            wrong.json
        );
    }
    let mut accepted = 0;
    for n in 0..(2 * burst) {
        let target = format!("probe{n}@example.com");
        let reply = api
            .with_token(
                &token,
                "PATCH",
                "/api/users/me",
                Some(json!({ "email": target, "current_password": PASSWORD })),
                NOW,
            )
            .await;
        match reply.status {
            202 => accepted += 1,
            429 => assert_eq!(reply.code(), "too_many_attempts"),
            other => panic!("{other}: {:?}", reply.json),
        }
    }
    assert_eq!(accepted, burst, "right passwords do not buy more address changes");
    let rename = api
        .with_token(
            &token,
            "PATCH",
            "/api/users/me",
            Some(json!({ "display_name": "A" })),
            NOW,
        )
        .await;
    assert_eq!(rename.status, 200, "other changes are not limited by it");
}
