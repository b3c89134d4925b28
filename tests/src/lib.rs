//! Test support shared by hexaspin's integration tests: fresh real databases per test and the
//! port contract suites every store adapter must pass.
//!
//! # Layout
//! - [`fixtures`]: a migrated SQLite file or Postgres schema per test; Postgres must be running
//!   (a missing service fails the test with instructions, it is never skipped).
//! - [`cleanup`]: guards that remove a test's schema or Redis keys, also when the test fails.
//! - [`contract`]: the contract suites, generic over the port traits.
//! - [`deploy`]: the deployment tests' tools, the PrometheusRule derived from the rules file.
//! - [`fake_kubectl`]: a recording `kubectl` playing a cluster, for the deploy script's tests.
//! - [`cuttable_proxy`]: a TCP proxy a test can cut, to take a server away and bring it back.
//! - [`counting`]: a key store that counts the calls made to it.
//! - [`samples`]: domain values for tests.
//! - [`api`]: the admin API driven in-process on a test store.
//! - [`http`]: a one-shot HTTP GET for tests against real processes.
//! - [`jobs_api`]: the jobs API driven in-process on test stores.
//! - [`live_app`]: the app under `spin up`, or natively where Spin is missing.
//! - [`no_key_cache`]: a key cache that keeps nothing, for the admin API on a key store alone.
//! - [`on_every_store`]: [`on_every_store!`], one test function run once per store.
//! - [`native_app`]: the app's handlers served natively, routed as spin.toml does (no Spin needed).
//! - [`spin_up`]: a real `spin up` of the app in any deployment, for end-to-end tests.
//! - [`spin_process`]: `spin up` as a child process, stopped with every process it started.
//! - [`runbook`]: the commands of the runbook's `sh` blocks, for the runbook test.
//! - [`prometheus`]: an exposition read back by the Prometheus project's own parser.
//! - [`prerequisites`]: what a test needs beyond PostgreSQL and Redis, and its `HEXASPIN_REQUIRE_*`
//!   flag: SKIPPED when missing, a failure when required.
//! - [`tls_servers`]: redis-server and a PostgreSQL cluster speaking TLS with a test-made CA.

pub mod api;
pub mod cleanup;
pub mod contract;
pub mod counting;
pub mod cuttable_proxy;
pub mod deploy;
pub mod fake_kubectl;
pub mod fixtures;
pub mod http;
pub mod jobs_api;
pub mod live_app;
pub mod native_app;
pub mod no_key_cache;
pub mod on_every_store;
pub mod pausing;
pub mod prerequisites;
pub mod prometheus;
pub mod runbook;
pub mod samples;
pub mod spin_process;
pub mod spin_up;
pub mod tls_servers;
pub mod users_api;
