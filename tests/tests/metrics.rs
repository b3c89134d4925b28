//! `/metrics` as the `metrics` component answers it: the exposition read back by the Prometheus
//! project's own parser, counts that follow what the API and the worker did on both deployments'
//! stores, the optional bearer token, and a store that does not answer.

use hexaspin_api::metrics::exposition::{CONTENT_TYPE, render};
use hexaspin_api::metrics::{MetricsAccess, MetricsApi, MetricsToken};
use hexaspin_config::settings::{ConfigError, ConfigSource};
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{KeyState, Limits};
use hexaspin_core::job::{JobKind, JobState, Priority};
use hexaspin_core::metrics::{Counter, CounterValue, Heartbeat, Series};
use hexaspin_core::ports::{
    ApiKeyStore, AuditLog, FailOutcome, JobQueue, JobStore, MetricsStore, QueueDepth, RateLimiter,
};
use hexaspin_core::use_cases::MetricsSnapshot;
use hexaspin_tests::api::{Reply, build_request};
use hexaspin_tests::contract::jobs::echo_budget;
use hexaspin_tests::fixtures::{SqliteTestJobs, TestStore};
use hexaspin_tests::jobs_api::JobsHarness;
use hexaspin_tests::prometheus::{Family, parse, value};

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn kinds() -> Vec<JobKind> {
    ["echo", "webhook"]
        .map(|k| JobKind::parse(k).expect("kind"))
        .to_vec()
}

fn series(counter: Counter, labels: &[&str]) -> Series {
    Series::new(counter, labels.iter().map(|l| (*l).to_owned()).collect()).expect("series")
}

/// Label name/value pairs of one sample.
type Labels<'a> = &'a [(&'a str, &'a str)];

/// A worker id with every character the format must escape, and some it must not trip on.
const AWKWARD_WORKER: &str = "pod \"a\\b\"\nline2,x=y{z}";

#[test]
fn the_exposition_is_valid_and_every_value_reads_back() {
    let snapshot = MetricsSnapshot {
        keys: vec![(KeyState::Active, 2), (KeyState::Revoked, 1)],
        jobs: vec![
            QueueDepth {
                state: JobState::Queued,
                priority: Priority::new(0).expect("priority"),
                count: 3,
            },
            QueueDepth {
                state: JobState::Dead,
                priority: Priority::new(9).expect("priority"),
                count: 1,
            },
        ],
        counters: vec![
            CounterValue {
                series: series(Counter::JobsEnqueued, &["echo"]),
                value: 40,
            },
            CounterValue {
                series: series(Counter::JobsFailed, &["echo", "dead"]),
                value: 2,
            },
            CounterValue {
                series: Series::quota_rejection("rate_limited"),
                value: 7,
            },
            CounterValue {
                series: Series::http_requests("jobs", 503),
                value: 5,
            },
        ],
        heartbeats: vec![Heartbeat {
            worker: AWKWARD_WORKER.to_owned(),
            at: Timestamp::from_millis(1_795_000_000_250),
        }],
    };
    let text = render(&snapshot, &kinds()).expect("render");
    let families = parse(&text);

    for family in &families {
        assert!(!family.help.is_empty(), "{} has HELP", family.name);
        assert!(
            family.name.starts_with("hexaspin_"),
            "{} is namespaced",
            family.name
        );
    }
    let kind_of = |name: &str| families.iter().find(|f| f.name == name).map(|f| f.kind.clone());
    assert_eq!(kind_of("hexaspin_api_keys").as_deref(), Some("gauge"));
    assert_eq!(kind_of("hexaspin_jobs_enqueued").as_deref(), Some("counter"));

    // Gauges: every key state and every state × priority, zeros included.
    assert_eq!(
        value(&families, "hexaspin_api_keys", &[("state", "active")]),
        Some(2.0)
    );
    assert_eq!(
        value(&families, "hexaspin_api_keys", &[("state", "expired")]),
        Some(0.0)
    );
    let jobs = families
        .iter()
        .find(|f| f.name == "hexaspin_jobs")
        .expect("jobs family");
    assert_eq!(jobs.samples.len(), JobState::ALL.len() * 10);
    let depth = |state, priority| {
        value(
            &families,
            "hexaspin_jobs",
            &[("state", state), ("priority", priority)],
        )
    };
    assert_eq!(depth("queued", "0"), Some(3.0));
    assert_eq!(depth("dead", "9"), Some(1.0));
    assert_eq!(depth("running", "5"), Some(0.0));

    // Counters as stored; configured kinds and every rejection reason start at zero.
    let expected: [(&str, Labels, f64); 8] = [
        ("hexaspin_jobs_enqueued_total", &[("kind", "echo")], 40.0),
        ("hexaspin_jobs_enqueued_total", &[("kind", "webhook")], 0.0),
        ("hexaspin_jobs_succeeded_total", &[("kind", "webhook")], 0.0),
        (
            "hexaspin_jobs_failed_total",
            &[("kind", "webhook"), ("state", "failed")],
            0.0,
        ),
        (
            "hexaspin_jobs_failed_total",
            &[("kind", "echo"), ("state", "dead")],
            2.0,
        ),
        (
            "hexaspin_quota_rejections_total",
            &[("reason", "uses_exhausted")],
            0.0,
        ),
        (
            "hexaspin_quota_rejections_total",
            &[("reason", "rate_limited")],
            7.0,
        ),
        (
            "hexaspin_http_requests_total",
            &[("component", "jobs"), ("status_class", "5xx")],
            5.0,
        ),
    ];
    for (name, labels, count) in expected {
        assert_eq!(value(&families, name, labels), Some(count), "{name} {labels:?}");
    }

    // The awkward label value survives escaping exactly.
    assert_eq!(
        value(
            &families,
            "hexaspin_worker_last_heartbeat_timestamp_seconds",
            &[("worker", AWKWARD_WORKER)]
        ),
        Some(1_795_000_000.25)
    );
}

#[test]
fn a_corrupted_exposition_is_rejected_by_the_parser() {
    // The independent check can fail: a broken line is refused, not read as something else.
    let text = render(&empty_snapshot(), &kinds()).expect("render");
    let broken = text.replacen(
        "hexaspin_api_keys{state=\"active\"} 0",
        "hexaspin_api_keys{state=\"active} 0",
        1,
    );
    assert_ne!(broken, text, "the sample line was found and broken");
    let parsed = std::panic::catch_unwind(|| parse(&broken));
    assert!(parsed.is_err(), "an unterminated label value must not parse");
}

fn empty_snapshot() -> MetricsSnapshot {
    MetricsSnapshot {
        keys: Vec::new(),
        jobs: Vec::new(),
        counters: Vec::new(),
        heartbeats: Vec::new(),
    }
}

async fn scrape<K, J>(
    keys: &K,
    jobs: &J,
    access: &MetricsAccess,
    headers: &[(&str, &str)],
) -> hexaspin_api::Response
where
    K: ApiKeyStore,
    J: JobStore + MetricsStore,
{
    send("GET", keys, jobs, access, headers).await
}

async fn send<K, J>(
    method: &str,
    keys: &K,
    jobs: &J,
    access: &MetricsAccess,
    headers: &[(&str, &str)],
) -> hexaspin_api::Response
where
    K: ApiKeyStore,
    J: JobStore + MetricsStore,
{
    let kinds = kinds();
    let api = MetricsApi {
        keys,
        jobs,
        metrics: jobs,
        access,
        kinds: &kinds,
    };
    api.handle(&build_request(method, "/metrics", headers, None), NOW)
        .await
}

fn exposition(response: hexaspin_api::Response) -> Vec<Family> {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(CONTENT_TYPE)
    );
    parse(&String::from_utf8(response.into_body()).expect("UTF-8"))
}

hexaspin_tests::on_both_deployments!(metrics_count_what_the_api_and_the_worker_did);

/// Dispatches through the API (two accepted, one rate-limited), a worker succeeds one job and
/// fails the other for good and beats its heart: the scrape shows each of those.
async fn metrics_count_what_the_api_and_the_worker_did<K, J>(api: &JobsHarness<'_, K, J>)
where
    K: ApiKeyStore + AuditLog,
    J: JobStore + JobQueue + RateLimiter + hexaspin_core::ports::KeyCache + MetricsStore,
{
    let limits = Limits {
        rate_per_sec: Some(1),
        burst: Some(2),
        ..Limits::default()
    };
    let key = api.key(&["jobs:write"], limits, None, NOW).await;
    let body = r#"{"kind":"echo","payload":{}}"#;
    let statuses = [
        api.with_key(&key, "POST", "/api/jobs", Some(body), NOW)
            .await
            .status,
        api.with_key(&key, "POST", "/api/jobs", Some(body), NOW)
            .await
            .status,
        api.with_key(&key, "POST", "/api/jobs", Some(body), NOW)
            .await
            .status,
    ];
    assert_eq!(statuses, [202, 202, 429]);
    let claimed = api
        .jobs
        .claim("worker-1", &echo_budget(2), 500, NOW)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    assert!(
        api.jobs
            .ack(&claimed[0].spec.id, "worker-1", "{}", NOW)
            .await
            .expect("ack")
    );
    let failed = &claimed[1].spec.id;
    assert!(
        api.jobs
            .fail(failed, "worker-1", "bad input", &FailOutcome::Fail, NOW)
            .await
            .expect("fail")
    );
    api.jobs.heartbeat("worker-1", NOW).await.expect("heartbeat");

    let families = exposition(scrape(api.keys, api.jobs, &MetricsAccess::Public, &[]).await);
    let at = |name: &str, labels: &[(&str, &str)]| value(&families, name, labels);
    assert_eq!(at("hexaspin_api_keys", &[("state", "active")]), Some(1.0));
    assert_eq!(at("hexaspin_jobs_enqueued_total", &[("kind", "echo")]), Some(2.0));
    assert_eq!(
        at("hexaspin_jobs_succeeded_total", &[("kind", "echo")]),
        Some(1.0)
    );
    assert_eq!(
        at(
            "hexaspin_jobs_failed_total",
            &[("kind", "echo"), ("state", "failed")]
        ),
        Some(1.0)
    );
    assert_eq!(
        at("hexaspin_quota_rejections_total", &[("reason", "rate_limited")]),
        Some(1.0)
    );
    let http = |class| {
        at(
            "hexaspin_http_requests_total",
            &[("component", "jobs"), ("status_class", class)],
        )
    };
    assert_eq!((http("2xx"), http("4xx")), (Some(2.0), Some(1.0)));
    let jobs = |state| at("hexaspin_jobs", &[("state", state), ("priority", "5")]);
    assert_eq!(
        (jobs("succeeded"), jobs("failed"), jobs("queued")),
        (Some(1.0), Some(1.0), Some(0.0))
    );
    assert_eq!(
        at(
            "hexaspin_worker_last_heartbeat_timestamp_seconds",
            &[("worker", "worker-1")]
        ),
        Some(NOW.as_millis() as f64 / 1000.0)
    );
}

struct TokenConfig(&'static str);

impl ConfigSource for TokenConfig {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        // As every source does, an empty value counts as unset.
        Ok((name == "metrics_token" && !self.0.is_empty()).then(|| self.0.to_owned()))
    }
}

#[tokio::test]
async fn a_configured_token_is_required_and_checked() {
    let keys = TestStore::sqlite().await;
    let jobs = SqliteTestJobs::new().await;
    let token = MetricsToken::load(&TokenConfig("scrape-secret-0123456789abcdefghij"))
        .expect("valid")
        .expect("configured");
    let token = MetricsAccess::Token(token);
    let missing = Reply::from(scrape(&keys.store, &jobs.store, &token, &[]).await);
    assert_eq!((missing.status, missing.code()), (401, "missing_token"));
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"metrics\"")
    );
    for wrong in [
        "Bearer scrape-secret-0123456789abcdefghi",
        "Bearer scrape-secret-0123456789abcdefghijk",
        "Basic x",
    ] {
        let reply = Reply::from(scrape(&keys.store, &jobs.store, &token, &[("authorization", wrong)]).await);
        assert_eq!((reply.status, reply.code()), (401, "invalid_token"), "{wrong}");
    }
    let right = [("authorization", "Bearer scrape-secret-0123456789abcdefghij")];
    let families = exposition(scrape(&keys.store, &jobs.store, &token, &right).await);
    assert!(!families.is_empty());
    jobs.finish().await;
    keys.finish().await;
}

#[tokio::test]
async fn without_a_token_metrics_are_closed_unless_opened_on_purpose() {
    struct Settings(&'static [(&'static str, &'static str)]);
    impl ConfigSource for Settings {
        fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
            Ok(self
                .0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned()))
        }
    }
    let keys = TestStore::sqlite().await;
    let jobs = SqliteTestJobs::new().await;
    let closed = MetricsAccess::load(&Settings(&[])).expect("settings");
    let refused = Reply::from(scrape(&keys.store, &jobs.store, &closed, &[]).await);
    assert_eq!((refused.status, refused.code()), (403, "metrics_closed"));
    let open = MetricsAccess::load(&Settings(&[("allow_public_metrics", "true")])).expect("settings");
    assert_eq!(scrape(&keys.store, &jobs.store, &open, &[]).await.status(), 200);
    let bad = MetricsAccess::load(&Settings(&[("allow_public_metrics", "yes")]));
    assert!(
        bad.is_err(),
        "a setting that is neither true nor false is refused"
    );
    jobs.finish().await;
    keys.finish().await;
}

#[test]
fn a_short_placeholder_or_repetitive_token_is_a_configuration_error_and_no_token_is_none() {
    let short = MetricsToken::load(&TokenConfig("too-short")).expect_err("short");
    assert!(short.to_string().contains("metrics_token"), "{short}");
    assert!(
        !short.to_string().contains("too-short"),
        "the value is never shown"
    );
    let placeholder =
        MetricsToken::load(&TokenConfig("CHANGE_ME_metrics_token_0123456789")).expect_err("placeholder");
    assert!(placeholder.to_string().contains("placeholder"), "{placeholder}");
    let repeated =
        MetricsToken::load(&TokenConfig("abababababababababababababababababab")).expect_err("low entropy");
    assert!(repeated.to_string().contains("entropy"), "{repeated}");
    assert!(
        MetricsToken::load(&TokenConfig(""))
            .expect("unset is fine")
            .is_none()
    );
}

#[tokio::test]
async fn a_key_store_that_does_not_answer_gives_503_and_other_methods_405() {
    let keys = TestStore::unmigrated_sqlite();
    let jobs = SqliteTestJobs::new().await;
    let reply = Reply::from(scrape(&keys.store, &jobs.store, &MetricsAccess::Public, &[]).await);
    assert_eq!((reply.status, reply.code()), (503, "store_unavailable"));
    let post = Reply::from(send("POST", &keys.store, &jobs.store, &MetricsAccess::Public, &[]).await);
    assert_eq!((post.status, post.code()), (405, "method_not_allowed"));
    jobs.finish().await;
    keys.finish().await;
}
