//! The jobs API end to end in-process on both deployments' stores: keys on SQLite with jobs on
//! SQLite (the embedded default), and keys on Postgres with jobs on Redis (production).

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::Limits;
use hexaspin_core::job::JobId;
use hexaspin_core::ports::{
    ApiKeyStore, AuditLog, FailOutcome, JobQueue, JobStore, KeyCache, MetricsStore, RateLimiter,
};
use hexaspin_tests::api::Reply;
use hexaspin_tests::contract::jobs::echo_budget;
use hexaspin_tests::counting::CountingKeys;
use hexaspin_tests::jobs_api::JobsHarness;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const ALL: &[&str] = &["jobs:read", "jobs:write"];

fn echo(n: u32) -> String {
    json!({"kind": "echo", "payload": {"n": n}}).to_string()
}

/// A secret hash for cache probes (with no buckets nothing is charged).
fn any_hash() -> hexaspin_core::api_key::SecretHash {
    hexaspin_core::api_key::SecretHash::from_hex(&"00".repeat(32)).expect("hash")
}

/// The id of a presented key.
fn key_id(key: &str) -> hexaspin_core::api_key::ApiKeyId {
    hexaspin_core::api_key::PresentedKey::parse(key)
        .expect("key")
        .id()
        .clone()
}

fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!((reply.status, reply.code()), (status, code), "{:?}", reply.json);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
}

/// What the jobs API needs of its stores, named once for every test below.
trait Keys: ApiKeyStore + AuditLog {}
impl<T: ApiKeyStore + AuditLog> Keys for T {}
trait Jobs: JobStore + RateLimiter + KeyCache + MetricsStore {}
impl<T: JobStore + RateLimiter + KeyCache + MetricsStore> Jobs for T {}

hexaspin_tests::on_both_deployments!(
    a_dispatched_job_is_accepted_with_location_and_rate_limit_headers,
    dispatching_past_the_burst_gets_429_until_retry_after_has_passed,
    the_daily_quota_gets_429_quota_exhausted,
    a_refused_dispatch_does_not_use_up_the_key_budget,
    a_dispatch_costs_one_key_lookup_and_a_key_with_a_budget_one_more,
    a_repeated_idempotency_key_returns_the_original_job,
    keys_are_checked_for_validity_and_scope,
    failed_verifications_are_limited_per_client_address,
    a_limited_address_is_refused_before_any_key_lookup_even_with_a_valid_key,
    fifty_parallel_bad_keys_get_at_most_the_burst_looked_up,
    a_key_over_its_storage_caps_gets_429_without_retry_after,
    an_exhausted_key_is_not_counted_as_a_failed_verification,
    a_key_sees_and_cancels_only_its_own_jobs,
    bad_job_requests_get_precise_problems,
    admins_see_queues_and_manage_dead_jobs,
    a_batch_answers_for_each_job_as_if_it_came_alone,
    a_batch_stops_taking_uses_when_the_key_budget_runs_out,
    a_batch_that_is_empty_too_long_or_malformed_is_refused_whole,
);

async fn a_dispatched_job_is_accepted_with_location_and_rate_limit_headers<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let limits = Limits {
        rate_per_sec: Some(5),
        burst: Some(10),
        ..Limits::default()
    };
    let key = api.key(ALL, limits, None, NOW).await;
    let body = json!({"kind": "echo", "payload": {"hello": "wörld"}, "priority": 2, "max_attempts": 4, "timeout_ms": 5000});
    let reply = api
        .with_key(&key, "POST", "/api/jobs", Some(&body.to_string()), NOW)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.json);
    let id = reply.json["id"].as_str().expect("id").to_owned();
    assert_eq!(reply.header("location"), Some(format!("/api/jobs/{id}").as_str()));
    assert_eq!(
        (
            reply.header("ratelimit-limit"),
            reply.header("ratelimit-remaining")
        ),
        (Some("10"), Some("9"))
    );
    assert_eq!(reply.header("ratelimit-reset"), Some("1"));
    assert_eq!(reply.json["state"], "queued");
    assert_eq!(
        (reply.json["priority"].clone(), reply.json["max_attempts"].clone()),
        (json!(2), json!(4))
    );
    let shown = api
        .with_key(&key, "GET", &format!("/api/jobs/{id}"), None, NOW)
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json["payload"], json!({"hello": "wörld"}));
    let later = api
        .send(
            "POST",
            "/api/jobs",
            &[("x-api-key", &key)],
            Some(&json!({"kind": "echo", "delay_ms": 60_000}).to_string()),
            NOW,
        )
        .await;
    assert_eq!(
        (later.status, later.json["state"].clone()),
        (202, json!("scheduled"))
    );
    assert_eq!(later.json["run_at"], json!(NOW.plus_seconds(60).to_rfc3339()));
}

async fn dispatching_past_the_burst_gets_429_until_retry_after_has_passed<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let limits = Limits {
        rate_per_sec: Some(1),
        burst: Some(2),
        ..Limits::default()
    };
    let key = api.key(ALL, limits, None, NOW).await;
    for n in 0..2 {
        assert_eq!(
            api.with_key(&key, "POST", "/api/jobs", Some(&echo(n)), NOW)
                .await
                .status,
            202
        );
    }
    let refused = api.with_key(&key, "POST", "/api/jobs", Some(&echo(2)), NOW).await;
    assert_problem(&refused, 429, "rate_limited");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        (
            refused.header("ratelimit-limit"),
            refused.header("ratelimit-remaining")
        ),
        (Some("2"), Some("0"))
    );
    let listed = api.with_key(&key, "GET", "/api/jobs", None, NOW).await;
    assert_eq!(
        listed.json["items"].as_array().expect("items").len(),
        2,
        "the refused request stored nothing"
    );
    let after = Timestamp::from_millis(NOW.as_millis() + 1000);
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(3)), after)
            .await
            .status,
        202
    );
}

async fn the_daily_quota_gets_429_quota_exhausted<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let key = api
        .key(
            ALL,
            Limits {
                daily_quota: Some(1),
                ..Limits::default()
            },
            None,
            NOW,
        )
        .await;
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await
            .status,
        202
    );
    let refused = api.with_key(&key, "POST", "/api/jobs", Some(&echo(1)), NOW).await;
    assert_problem(&refused, 429, "quota_exhausted");
    assert!(
        refused
            .header("retry-after")
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| s > 0 && s <= 86_400)
    );
}

/// Under Spin every key-store call is a host call and a Postgres round trip. Where the queue store
/// keeps key records (production: Redis; `key_cache.rs` holds it to that) an unlimited key costs
/// none, elsewhere one lookup; a key with a budget is read and charged (its uses move with every
/// dispatch), nothing more.
async fn a_dispatch_costs_one_key_lookup_and_a_key_with_a_budget_one_more<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let unlimited = api.key(ALL, Limits::default(), None, NOW).await;
    let budgeted = api.key(ALL, Limits::default(), Some(5), NOW).await;
    let cached = api
        .jobs
        .take_and_find_key(&[], &key_id(&unlimited), &any_hash(), NOW)
        .await
        .expect("lookup")
        .cached
        .is_some();
    let keys = CountingKeys::new(api.keys);
    let counted = JobsHarness::new(&keys, api.jobs);
    let reply = counted
        .with_key(&unlimited, "POST", "/api/jobs", Some(&echo(0)), NOW)
        .await;
    let lookups = if cached { 0 } else { 1 };
    assert_eq!(
        (reply.status, keys.take()),
        (202, lookups),
        "the lookup only, if any"
    );
    let reply = counted
        .with_key(&budgeted, "POST", "/api/jobs", Some(&echo(1)), NOW)
        .await;
    assert_eq!((reply.status, keys.take()), (202, 2), "the lookup and the charge");
}

async fn a_refused_dispatch_does_not_use_up_the_key_budget<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let limits = Limits {
        rate_per_sec: Some(1),
        burst: Some(1),
        ..Limits::default()
    };
    let key = api.key(ALL, limits, Some(2), NOW).await;
    let id = key_id(&key);
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await
            .status,
        202
    );
    assert_problem(
        &api.with_key(&key, "POST", "/api/jobs", Some(&echo(1)), NOW).await,
        429,
        "rate_limited",
    );
    assert_eq!(
        api.keys
            .find_key(&id)
            .await
            .expect("find")
            .expect("key")
            .remaining,
        Some(1),
        "the refused job was refunded"
    );
    let later = NOW.plus_seconds(1);
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(2)), later)
            .await
            .status,
        202
    );
    let spent = api
        .with_key(&key, "POST", "/api/jobs", Some(&echo(3)), later.plus_seconds(1))
        .await;
    assert_problem(&spent, 429, "quota_exhausted");
}

async fn a_repeated_idempotency_key_returns_the_original_job<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let key = api
        .key(
            ALL,
            Limits {
                rate_per_sec: Some(1),
                burst: Some(1),
                ..Limits::default()
            },
            None,
            NOW,
        )
        .await;
    let bearer = format!("Bearer {key}");
    let headers = [("authorization", bearer.as_str()), ("idempotency-key", "order-7")];
    let first = api.send("POST", "/api/jobs", &headers, Some(&echo(0)), NOW).await;
    assert_eq!(first.status, 202);
    let repeat = api.send("POST", "/api/jobs", &headers, Some(&echo(0)), NOW).await;
    assert_eq!(
        repeat.status, 200,
        "a repeat is not charged, so the burst of 1 does not refuse it"
    );
    assert_eq!(repeat.json["id"], first.json["id"]);
    assert_eq!(repeat.header("idempotent-replayed"), Some("true"));
    let bad = [
        ("authorization", bearer.as_str()),
        ("idempotency-key", "has spaces"),
    ];
    assert_problem(
        &api.send("POST", "/api/jobs", &bad, Some(&echo(0)), NOW).await,
        422,
        "invalid_field",
    );
}

async fn keys_are_checked_for_validity_and_scope<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    assert_problem(
        &api.send("POST", "/api/jobs", &[], Some(&echo(0)), NOW).await,
        401,
        "missing_api_key",
    );
    let unknown = "hx_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_problem(
        &api.with_key(unknown, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await,
        401,
        "invalid_api_key",
    );
    let reader = api.key(&["jobs:read"], Limits::default(), None, NOW).await;
    assert_problem(
        &api.with_key(&reader, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await,
        403,
        "missing_scope",
    );
    assert_eq!(
        api.with_key(&reader, "GET", "/api/jobs", None, NOW).await.status,
        200
    );

    // Revoked, expired and disabled keys are told apart, each set through the admin API (which
    // keeps the key cache in step; `key_cache.rs` covers every change).
    let revoked = api.key(ALL, Limits::default(), None, NOW).await;
    let path = format!("/api/admin/api-keys/{}", key_id(&revoked));
    let reply = api
        .to_key_admin("POST", &format!("{path}/revoke"), Some("{}"), NOW)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_problem(
        &api.with_key(&revoked, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await,
        401,
        "api_key_revoked",
    );
    let later = NOW.plus_seconds(120);
    let expiry = NOW.plus_seconds(60).to_rfc3339();
    for (code, change) in [
        ("api_key_expired", json!({ "expires_at": expiry })),
        ("api_key_disabled", json!({ "enabled": false })),
    ] {
        let plaintext = api.key(ALL, Limits::default(), None, NOW).await;
        let path = format!("/api/admin/api-keys/{}", key_id(&plaintext));
        let reply = api
            .to_key_admin("PATCH", &path, Some(&change.to_string()), NOW)
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        assert_problem(
            &api.with_key(&plaintext, "POST", "/api/jobs", Some(&echo(0)), later)
                .await,
            401,
            code,
        );
    }
}

async fn failed_verifications_are_limited_per_client_address<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let wrong = "hx_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    for _ in 0..5 {
        assert_problem(
            &api.with_key(wrong, "GET", "/api/jobs", None, NOW).await,
            401,
            "invalid_api_key",
        );
    }
    let blocked = api.with_key(wrong, "GET", "/api/jobs", None, NOW).await;
    assert_problem(&blocked, 429, "too_many_failed_attempts");
    assert_eq!(blocked.header("retry-after"), Some("1"));
    let elsewhere = api
        .send(
            "GET",
            "/api/jobs",
            &[
                ("authorization", &format!("Bearer {wrong}")),
                ("spin-client-addr", "198.51.100.1:1"),
            ],
            None,
            NOW,
        )
        .await;
    assert_problem(&elsewhere, 401, "invalid_api_key");
}

async fn a_limited_address_is_refused_before_any_key_lookup_even_with_a_valid_key<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let valid = api.key(ALL, Limits::default(), None, NOW).await;
    let wrong = "hx_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    for _ in 0..5 {
        api.with_key(wrong, "GET", "/api/jobs", None, NOW).await;
    }
    let keys = CountingKeys::new(api.keys);
    let counted = JobsHarness::new(&keys, api.jobs);
    for key in [wrong, valid.as_str()] {
        let reply = counted.with_key(key, "GET", "/api/jobs", None, NOW).await;
        assert_problem(&reply, 429, "too_many_failed_attempts");
        assert_eq!(keys.take(), 0, "no key lookup for a limited address");
    }
    let refilled = counted
        .with_key(&valid, "GET", "/api/jobs", None, NOW.plus_seconds(1))
        .await;
    assert_eq!(refilled.status, 200, "{:?}", refilled.json);
}

async fn an_exhausted_key_is_not_counted_as_a_failed_verification<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let exhausted = api.key(ALL, Limits::default(), Some(1), NOW).await;
    let first = api
        .with_key(&exhausted, "POST", "/api/jobs", Some(&echo(0)), NOW)
        .await;
    assert_eq!(first.status, 202, "{:?}", first.json);
    // Twice the failure burst (5) of used-up requests: each is told so, none is a failure.
    for n in 1..=10 {
        let reply = api
            .with_key(&exhausted, "POST", "/api/jobs", Some(&echo(n)), NOW)
            .await;
        assert_problem(&reply, 429, "quota_exhausted");
    }
    let wrong = "hx_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    assert_problem(
        &api.with_key(wrong, "GET", "/api/jobs", None, NOW).await,
        401,
        "invalid_api_key",
    );
}

#[tokio::test]
async fn behind_a_proxy_failures_are_counted_per_forwarded_client_not_per_proxy() {
    use hexaspin_config::client_address::ClientAddressSource;

    let keys = hexaspin_tests::fixtures::TestStore::sqlite().await;
    let jobs = hexaspin_tests::fixtures::SqliteTestJobs::new().await;
    let mut api = JobsHarness::new(&keys.store, &jobs.store);
    api.auth_failures.client_address = ClientAddressSource::Header {
        name: "x-forwarded-for".into(),
        trusted_hops: 1,
    };
    let wrong = format!("Bearer hx_0123456789abcdef_{}", "B".repeat(43));
    let from = |forged: &'static str, seen_by_ingress: &'static str| {
        let forwarded = format!("{forged}, {seen_by_ingress}");
        let wrong = wrong.clone();
        let api = &api;
        async move {
            api.send(
                "GET",
                "/api/jobs",
                &[
                    ("authorization", &wrong),
                    ("x-forwarded-for", &forwarded),
                    // Every request reaches Spin from the ingress.
                    ("spin-client-addr", "10.0.0.2:40000"),
                ],
                None,
                NOW,
            )
            .await
        }
    };
    // One client rotating the entry it writes itself still fills one bucket.
    for n in 0..5 {
        let forged: &'static str = ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"][n];
        assert_problem(&from(forged, "203.0.113.5").await, 401, "invalid_api_key");
    }
    assert_problem(
        &from("6.6.6.6", "203.0.113.5").await,
        429,
        "too_many_failed_attempts",
    );
    // Another client behind the same ingress is not affected.
    assert_problem(&from("1.1.1.1", "203.0.113.6").await, 401, "invalid_api_key");
    jobs.finish().await;
    keys.finish().await;
}

async fn a_key_sees_and_cancels_only_its_own_jobs<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let mine = api.key(ALL, Limits::default(), None, NOW).await;
    let theirs = api.key(ALL, Limits::default(), None, NOW).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            api.with_key(&mine, "POST", "/api/jobs", Some(&echo(n)), NOW)
                .await
                .json["id"]
                .clone(),
        );
    }
    let other = api
        .with_key(&theirs, "POST", "/api/jobs", Some(&echo(9)), NOW)
        .await
        .json["id"]
        .clone();
    let other_id = other.as_str().expect("id");
    assert_problem(
        &api.with_key(&mine, "GET", &format!("/api/jobs/{other_id}"), None, NOW)
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &api.with_key(&mine, "DELETE", &format!("/api/jobs/{other_id}"), None, NOW)
            .await,
        404,
        "not_found",
    );

    let page = api.with_key(&mine, "GET", "/api/jobs?limit=2", None, NOW).await;
    assert_eq!(
        page.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|j| j["id"].clone())
            .collect::<Vec<_>>(),
        vec![ids[2].clone(), ids[1].clone()]
    );
    let cursor = page.json["next_cursor"].as_str().expect("cursor");
    let rest = api
        .with_key(
            &mine,
            "GET",
            &format!("/api/jobs?limit=2&cursor={cursor}"),
            None,
            NOW,
        )
        .await;
    assert_eq!(
        rest.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|j| j["id"].clone())
            .collect::<Vec<_>>(),
        vec![ids[0].clone()]
    );

    let first = ids[0].as_str().expect("id");
    let cancelled = api
        .with_key(&mine, "DELETE", &format!("/api/jobs/{first}"), None, NOW)
        .await;
    assert_eq!(
        (cancelled.status, cancelled.json["state"].clone()),
        (200, json!("cancelled"))
    );
    let by_state = api
        .with_key(&mine, "GET", "/api/jobs?state=cancelled", None, NOW)
        .await;
    assert_eq!(by_state.json["items"].as_array().expect("items").len(), 1);
}

async fn bad_job_requests_get_precise_problems<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let big = json!({"kind": "echo", "payload": "x".repeat(2000)}).to_string();
    let huge = json!({"kind": "echo", "payload": "x".repeat(10_000)}).to_string();
    let cases: &[(&str, u16, &str)] = &[
        (r#"{"kind": "resize-image"}"#, 422, "unknown_kind"),
        (r#"{"kind": "Not A Kind"}"#, 422, "invalid_field"),
        (r#"{"kind": "echo", "priority": 10}"#, 422, "invalid_field"),
        (r#"{"kind": "echo", "max_attempts": 0}"#, 422, "invalid_field"),
        (r#"{"kind": "echo", "timeout_ms": 5}"#, 422, "invalid_field"),
        (r#"{"kind": "echo", "delay_ms": -1}"#, 422, "invalid_field"),
        (
            r#"{"kind": "echo", "delay_ms": 5, "run_at": "2026-12-01T00:00:00Z"}"#,
            422,
            "invalid_field",
        ),
        (r#"{"kind": "echo", "run_at": "soon"}"#, 422, "invalid_field"),
        (r#"{"kind": "echo", "colour": "red"}"#, 422, "invalid_field"),
        (r#"{"kind": 7}"#, 422, "invalid_field"),
        (r#"{"kind": "echo""#, 400, "invalid_json"),
        (&big, 413, "payload_too_large"),
        (&huge, 413, "payload_too_large"),
    ];
    for (body, status, code) in cases {
        let reply = api.with_key(&key, "POST", "/api/jobs", Some(body), NOW).await;
        assert_eq!(
            (reply.status, reply.code()),
            (*status, *code),
            "{body}: {:?}",
            reply.json
        );
    }
    assert_problem(
        &api.with_key(&key, "GET", "/api/jobs?state=sleeping", None, NOW)
            .await,
        400,
        "invalid_query",
    );
    assert_problem(
        &api.with_key(&key, "GET", "/api/jobs/not-a-job", None, NOW).await,
        404,
        "not_found",
    );
    assert_problem(
        &api.with_key(&key, "PUT", "/api/jobs", None, NOW).await,
        405,
        "method_not_allowed",
    );
    assert!(
        api.with_key(&key, "GET", "/api/jobs", None, NOW).await.json["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );
}

async fn admins_see_queues_and_manage_dead_jobs<K: Keys, J: Jobs + JobQueue>(api: &JobsHarness<'_, K, J>) {
    assert_problem(
        &api.send("GET", "/api/admin/queues", &[], None, NOW).await,
        401,
        "missing_token",
    );
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let body = json!({"kind": "echo", "max_attempts": 1}).to_string();
    let doomed = api
        .with_key(&key, "POST", "/api/jobs", Some(&body), NOW)
        .await
        .json["id"]
        .clone();
    api.with_key(&key, "POST", "/api/jobs", Some(&echo(1)), NOW).await;
    let doomed_id = JobId::parse(doomed.as_str().expect("id")).expect("job id");
    let claimed = api
        .jobs
        .claim("w", &echo_budget(1), 1000, NOW)
        .await
        .expect("claim");
    assert_eq!(claimed[0].spec.id, doomed_id);
    api.jobs
        .fail(&doomed_id, "w", "boom", &FailOutcome::RetryAt(NOW), NOW)
        .await
        .expect("fail");

    let queues = api.as_admin("GET", "/api/admin/queues", None, NOW).await;
    assert_eq!(queues.status, 200);
    let mut depths = queues.json["depths"].as_array().expect("depths").clone();
    depths.sort_by_key(|d| d["state"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        depths,
        vec![
            json!({"state": "dead", "priority": 5, "count": 1}),
            json!({"state": "queued", "priority": 5, "count": 1})
        ]
    );

    let dead = api.as_admin("GET", "/api/admin/jobs?state=dead", None, NOW).await;
    assert_eq!(dead.json["items"][0]["id"], doomed);
    assert!(
        dead.json["items"][0]["key_id"].is_string(),
        "admins see which key a job belongs to"
    );
    let path = format!("/api/admin/jobs/{}", doomed_id);
    let retried = api.as_admin("POST", &format!("{path}/retry"), None, NOW).await;
    assert_eq!(
        (retried.status, retried.json["state"].clone()),
        (200, json!("queued"))
    );
    assert_problem(
        &api.as_admin("POST", &format!("{path}/retry"), None, NOW).await,
        409,
        "job_not_dead",
    );
    assert_eq!(api.as_admin("DELETE", &path, None, NOW).await.status, 204);
    assert_problem(&api.as_admin("DELETE", &path, None, NOW).await, 404, "not_found");

    let audit = api.keys.list_audit(None, None, 10).await.expect("audit");
    let entries: Vec<_> = audit
        .iter()
        .map(|e| {
            (
                e.entry.action.as_str(),
                e.entry.actor.as_str(),
                e.entry.detail["job_id"].clone(),
            )
        })
        .filter(|(action, ..)| action.starts_with("job."))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("job.deleted", "ops", doomed.clone()),
            ("job.retried", "ops", doomed.clone())
        ],
        "each admin action on a job is in the audit log, the refused ones are not"
    );
    assert_eq!(
        audit[0].entry.key_id.as_ref().map(ToString::to_string),
        Some(key_id(&key).to_string()),
        "the entry names the job's key"
    );
}

async fn fifty_parallel_bad_keys_get_at_most_the_burst_looked_up<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    // A guess at a real key's secret: well formed, so each one that is let through costs a lookup.
    // The last of 43 base64url digits carries 4 bits (its low 2 are zero): 'A' and 'E' are both
    // canonical ('B' after an 'A' was malformed, refused before any lookup: 1 run in 16 failed).
    let real = api.key(ALL, Limits::default(), None, NOW).await;
    let last = real.chars().last().expect("a key");
    let guess = format!(
        "{}{}",
        &real[..real.len() - 1],
        if last == 'A' { 'E' } else { 'A' }
    );
    assert!(
        hexaspin_core::api_key::PresentedKey::parse(&guess).is_ok(),
        "the guess is well formed"
    );
    let keys = CountingKeys::new(api.keys);
    let counted = JobsHarness::new(&keys, api.jobs);
    let replies = futures::future::join_all(
        (0..50).map(|_| counted.with_key(&guess, "POST", "/api/jobs/batch", Some(r#"{"jobs":[]}"#), NOW)),
    )
    .await;
    let burst = api.auth_failures.rule.burst() as usize;
    let looked_up = replies.iter().filter(|reply| reply.status == 401).count();
    assert_eq!(
        looked_up,
        burst,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Where the queue store keeps the key (production) its check reads no key store at all.
    let cached = api
        .jobs
        .take_and_find_key(&[], &key_id(&real), &any_hash(), NOW)
        .await
        .expect("lookup")
        .cached
        .is_some();
    assert_eq!(
        keys.take(),
        if cached { 0 } else { burst },
        "one key lookup per admitted attempt, none for the others"
    );
    assert!(replies.iter().all(|reply| [401, 429].contains(&reply.status)));
}

async fn a_batch_answers_for_each_job_as_if_it_came_alone<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) {
    let limits = Limits {
        rate_per_sec: Some(1),
        burst: Some(3),
        ..Limits::default()
    };
    let key = api.key(ALL, limits, Some(10), NOW).await;
    let batch = json!({"jobs": [
        {"kind": "echo", "payload": {"n": 0}},
        {"kind": "echo", "payload": {"n": 1}, "idempotency_key": "order-1"},
        {"kind": "echo", "payload": {"n": 2}, "idempotency_key": "order-1"},
        {"kind": "resize-image"},
        {"kind": "echo", "run_at": "soon", "colour": "red"},
        {"kind": "echo", "payload": {"n": 5}, "priority": 1},
        {"kind": "echo", "payload": {"n": 6}},
    ]});
    let reply = api
        .with_key(&key, "POST", "/api/jobs/batch", Some(&batch.to_string()), NOW)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let results = reply.json["results"].as_array().expect("results").clone();
    let statuses: Vec<_> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, vec![202, 202, 200, 422, 422, 202, 429]);
    let codes: Vec<_> = results.iter().map(|r| r["code"].as_str().unwrap_or("")).collect();
    assert_eq!(
        codes,
        vec!["", "", "", "unknown_kind", "invalid_field", "", "rate_limited"]
    );
    assert_eq!(
        results[2]["job"]["id"], results[1]["job"]["id"],
        "the replay is the first job"
    );
    assert_eq!(results[5]["job"]["priority"], 1);
    assert_eq!(results[6]["retry_after"], 1);
    assert_eq!(
        (reply.json["accepted"].clone(), reply.json["refused"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(reply.header("ratelimit-remaining"), Some("0"));
    let id = key_id(&key);
    assert_eq!(
        api.keys
            .find_key(&id)
            .await
            .expect("find")
            .expect("key")
            .remaining,
        Some(7),
        "three jobs created, three uses taken: the replay and the refused job were refunded"
    );
    let listed = api.with_key(&key, "GET", "/api/jobs", None, NOW).await;
    assert_eq!(listed.json["items"].as_array().map(Vec::len), Some(3));
}

async fn a_batch_stops_taking_uses_when_the_key_budget_runs_out<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let key = api.key(ALL, Limits::default(), Some(2), NOW).await;
    let batch = json!({"jobs": [
        {"kind": "echo"}, {"kind": "echo"}, {"kind": "echo"}, {"kind": "echo"},
    ]});
    let reply = api
        .with_key(&key, "POST", "/api/jobs/batch", Some(&batch.to_string()), NOW)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let results = reply.json["results"].as_array().expect("results").clone();
    let answers: Vec<_> = results
        .iter()
        .map(|r| {
            (
                r["status"].as_u64().unwrap_or(0),
                r["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        answers,
        vec![
            (202, ""),
            (202, ""),
            (429, "quota_exhausted"),
            (429, "quota_exhausted")
        ]
    );
}

async fn a_batch_that_is_empty_too_long_or_malformed_is_refused_whole<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let too_many = json!({"jobs": vec![json!({"kind": "echo"}); 501]}).to_string();
    let cases: &[(&str, u16, &str)] = &[
        (r#"{"jobs": []}"#, 422, "invalid_batch"),
        (&too_many, 422, "invalid_batch"),
        (r#"{"jobs": {"kind": "echo"}}"#, 422, "invalid_field"),
        (
            r#"{"jobs": [{"kind": "echo"}], "extra": 1}"#,
            422,
            "invalid_field",
        ),
        (r#"{"jobs": ["#, 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let reply = api
            .with_key(&key, "POST", "/api/jobs/batch", Some(body), NOW)
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (*status, *code),
            "{}: {:?}",
            &body[..body.len().min(60)],
            reply.json
        );
    }
    let batch = json!({"jobs": [{"kind": "echo"}]}).to_string();
    let bearer = format!("Bearer {key}");
    let with_header = api
        .send(
            "POST",
            "/api/jobs/batch",
            &[("authorization", &bearer), ("idempotency-key", "whole-batch")],
            Some(&batch),
            NOW,
        )
        .await;
    assert_problem(&with_header, 422, "invalid_field");
    let read_only = api.key(&["jobs:read"], Limits::default(), None, NOW).await;
    assert_problem(
        &api.with_key(&read_only, "POST", "/api/jobs/batch", Some(&batch), NOW)
            .await,
        403,
        "missing_scope",
    );
    assert_eq!(
        api.with_key(&key, "GET", "/api/jobs", None, NOW).await.json["items"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "nothing was stored"
    );
}

async fn a_key_over_its_storage_caps_gets_429_without_retry_after<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let limits = Limits {
        max_scheduled_jobs: Some(1),
        max_stored_bytes: Some(400),
        ..Limits::default()
    };
    let key = api.key(ALL, limits, None, NOW).await;
    let later = json!({"kind": "echo", "payload": {"n": 1}, "delay_ms": 3_600_000}).to_string();
    let first = api.with_key(&key, "POST", "/api/jobs", Some(&later), NOW).await;
    assert_eq!(first.status, 202, "{:?}", first.json);
    let second = api.with_key(&key, "POST", "/api/jobs", Some(&later), NOW).await;
    assert_problem(&second, 429, "scheduled_limit_reached");
    assert_eq!(second.header("retry-after"), None, "no time can be promised");
    assert_eq!(
        second.counted,
        vec![hexaspin_core::metrics::Series::quota_rejection(
            "scheduled_limit_reached"
        )]
    );
    let now_job = api.with_key(&key, "POST", "/api/jobs", Some(&echo(2)), NOW).await;
    assert_eq!(now_job.status, 202, "jobs for now are not scheduled ones");
    let big = json!({"kind": "echo", "payload": {"text": "x".repeat(400)}}).to_string();
    let too_much = api.with_key(&key, "POST", "/api/jobs", Some(&big), NOW).await;
    assert_problem(&too_much, 429, "storage_limit_reached");
    let batch = json!({"jobs": [{"kind": "echo", "payload": {"text": "x".repeat(400)}}, {"kind": "echo"}]});
    let judged = api
        .with_key(&key, "POST", "/api/jobs/batch", Some(&batch.to_string()), NOW)
        .await;
    assert_eq!(judged.status, 200, "{:?}", judged.json);
    let codes: Vec<_> = judged.json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["status"].clone(), r["code"].clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (json!(429), json!("storage_limit_reached")),
            (json!(202), serde_json::Value::Null)
        ],
        "each job of a batch is held to the caps on its own"
    );
}
