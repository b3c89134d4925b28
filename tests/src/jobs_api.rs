//! Drives the jobs API in-process, exactly as the `jobs` component does, on real stores.

use hexaspin_api::admin_keys::AdminApi;
use hexaspin_api::jobs::{JobsApi, JobsSettings};
use hexaspin_api::metrics::requests::count_request;
use hexaspin_config::client_address::ClientAddressSource;
use hexaspin_config::os::OsEntropy;
use hexaspin_config::settings::{AdminSettings, AuthFailureSettings};
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{KeyName, Limits, Scopes};
use hexaspin_core::job::JobKind;
use hexaspin_core::ports::{ApiKeyStore, AuditLog, JobStore, KeyCache, MetricsStore, RateLimiter};
use hexaspin_core::quota::RateRule;
use hexaspin_core::use_cases::{AdminContext, DispatchSettings, NewKey, create_api_key};

use crate::api::{Reply, TestConfig, admin_token, build_request};

/// The dispatch settings tests run with: kinds `echo` and `webhook`, 1 KiB payloads, no default
/// limits (each test sets its key's own).
pub fn test_dispatch_settings() -> DispatchSettings {
    DispatchSettings {
        kinds: vec![
            JobKind::parse("echo").expect("kind"),
            JobKind::parse("webhook").expect("kind"),
        ],
        max_payload_bytes: 1024,
        defaults: Limits::default(),
        idempotency_ttl_ms: 86_400_000,
    }
}

/// The jobs API over a key store and a job store.
pub struct JobsHarness<'a, K, J> {
    pub keys: &'a K,
    pub jobs: &'a J,
    /// Admin settings (pepper, JWT).
    pub admin: AdminSettings,
    pub settings: DispatchSettings,
    /// Failed verifications per address.
    pub auth_failures: AuthFailureSettings,
}

impl<'a, K, J> JobsHarness<'a, K, J>
where
    K: ApiKeyStore + AuditLog,
    J: JobStore + RateLimiter + KeyCache + MetricsStore,
{
    /// A harness with the test settings.
    pub fn new(keys: &'a K, jobs: &'a J) -> Self {
        Self {
            keys,
            jobs,
            admin: AdminSettings::load(&TestConfig).expect("settings"),
            settings: test_dispatch_settings(),
            auth_failures: AuthFailureSettings {
                rule: RateRule::new(1, 5).expect("rule"),
                client_address: ClientAddressSource::Peer,
            },
        }
    }

    /// Creates a key with `scopes`, `limits` and `remaining`; returns its plaintext.
    pub async fn key(
        &self,
        scopes: &[&str],
        limits: Limits,
        remaining: Option<u64>,
        now: Timestamp,
    ) -> String {
        let ctx = AdminContext {
            store: self.keys,
            cache: self.jobs,
            entropy: &OsEntropy,
            hasher: &self.admin.hasher,
            actor: "test",
            now,
        };
        let new = NewKey {
            name: KeyName::parse("client").expect("name"),
            owner: None,
            scopes: Scopes::parse(scopes).expect("scopes"),
            expires_at: None,
            remaining,
            refill: None,
            limits,
        };
        create_api_key(&ctx, new).await.expect("key").plaintext
    }

    /// Sends a request with `headers` at `now`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        now: Timestamp,
    ) -> Reply {
        // Every request comes from one client address unless the test names another.
        let default_address = [("spin-client-addr", "203.0.113.7:50000")];
        let named = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("spin-client-addr"));
        let all: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .chain(default_address.into_iter().filter(|_| !named))
            .collect();
        let request = build_request(method, path, &all, body);
        let settings = JobsSettings::loaded(
            self.admin.clone(),
            self.settings.clone(),
            self.auth_failures.clone(),
        );
        let api = JobsApi {
            keys: self.keys,
            jobs: self.jobs,
            entropy: &OsEntropy,
            settings: &settings,
        };
        // Counted after answering, exactly as the component does.
        let response = api.handle(&request, now).await;
        count_request(self.jobs, "jobs", &response).await;
        Reply::from(response)
    }

    /// Sends a request with an API key.
    pub async fn with_key(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
        now: Timestamp,
    ) -> Reply {
        let bearer = format!("Bearer {key}");
        self.send(method, path, &[("authorization", &bearer)], body, now)
            .await
    }

    /// Sends a request with an admin token to the admin API for keys, with this harness's queue
    /// store as the key cache, exactly as the `admin-keys` component does.
    pub async fn to_key_admin(&self, method: &str, path: &str, body: Option<&str>, now: Timestamp) -> Reply {
        let bearer = format!("Bearer {}", admin_token("ops", now));
        let request = build_request(method, path, &[("authorization", &bearer)], body);
        let api = AdminApi {
            store: self.keys,
            cache: self.jobs,
            entropy: &OsEntropy,
            settings: &self.admin,
        };
        Reply::from(api.handle(&request, now).await)
    }

    /// Sends a request with an admin token.
    pub async fn as_admin(&self, method: &str, path: &str, body: Option<&str>, now: Timestamp) -> Reply {
        let bearer = format!("Bearer {}", admin_token("ops", now));
        self.send(method, path, &[("authorization", &bearer)], body, now)
            .await
    }
}

/// Runs each `async fn(&JobsHarness)` on both deployments' stores: `embedded` (keys and jobs on
/// SQLite, in two files), `embedded_one_file` (one SQLite file whose job store reads the keys, as
/// `spin up` runs the embedded default) and `production` (keys on Postgres, jobs on Redis), each on
/// fresh databases.
#[macro_export]
macro_rules! on_both_deployments {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            use super::*;
            $(#[tokio::test] async fn $test() {
                let keys = $crate::fixtures::TestStore::sqlite().await;
                let jobs = $crate::fixtures::SqliteTestJobs::new().await;
                super::$test(&$crate::jobs_api::JobsHarness::new(&keys.store, &jobs.store)).await;
                jobs.finish().await;
                keys.finish().await;
            })*
        }
        mod embedded_one_file {
            use super::*;
            $(#[tokio::test] async fn $test() {
                let keys = $crate::fixtures::TestStore::sqlite().await;
                let jobs = $crate::fixtures::SqliteTestJobs::beside_keys(&keys);
                super::$test(&$crate::jobs_api::JobsHarness::new(&keys.store, &jobs.store)).await;
                jobs.finish().await;
                keys.finish().await;
            })*
        }
        mod production {
            use super::*;
            $(#[tokio::test] async fn $test() {
                let keys = $crate::fixtures::TestStore::postgres().await;
                let jobs = $crate::fixtures::RedisTestJobs::new().await;
                super::$test(&$crate::jobs_api::JobsHarness::new(&keys.store, &jobs.store)).await;
                jobs.finish().await;
                keys.finish().await;
            })*
        }
    };
}
