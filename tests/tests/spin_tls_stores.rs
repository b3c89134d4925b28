//! The app under a real `spin up` on stores that speak only TLS, configured as the production
//! example Secret writes them (`pg_url` with `sslmode=require`, `redis_url` with `rediss://`, the
//! hosts with their ports): ready when Spin trusts the stores' CA (`SSL_CERT_FILE`, as README,
//! "Postgres and TLS" says), not ready when it does not. The CA and the stores (a PostgreSQL
//! cluster with `ssl = on` and hostssl-only access, `redis-server --tls-port`) are the test's own.
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use hexaspin_config::os::system_now;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate;
use hexaspin_tests::http::get;
use hexaspin_tests::spin_up::{Deployment, spin_app};
use hexaspin_tests::tls_servers::{TestCa, TestRedis, TlsPostgres};

/// `/readyz` of the app on `port`: status and body.
async fn readiness(port: u16) -> (u16, String) {
    tokio::task::spawn_blocking(move || get(port, "/readyz"))
        .await
        .expect("readyz")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_under_spin_is_ready_on_tls_only_stores_configured_as_the_production_example_when_it_trusts_their_ca()
 {
    let ca = TestCa::new(&["localhost"]);
    let stranger = TestCa::new(&["localhost"]);
    let Some(redis) = TestRedis::start(Some(&ca), &["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let Some(postgres) = TlsPostgres::start(&ca) else {
        return;
    };
    // Migrated natively (sslmode=prefer: TLS without checking the certificate, as libpq).
    let executor = NativeExecutor::postgres(&postgres.url("localhost", None))
        .await
        .expect("the native client reaches the TLS-only cluster");
    migrate::up_all(&executor, system_now())
        .await
        .expect("migrations apply");

    let pg_url = postgres.url("localhost", Some("require"));
    let pg_host = format!("localhost:{}", postgres.port);
    let redis_url = format!("rediss://localhost:{}/0", redis.port);
    let redis_host = format!("localhost:{}", redis.port);
    let trusted = ca.ca_file().to_string_lossy().into_owned();
    let untrusted = stranger.ca_file().to_string_lossy().into_owned();
    let postgres_env = [
        ("SPIN_VARIABLE_PG_URL", pg_url.as_str()),
        ("SPIN_VARIABLE_PG_HOST", pg_host.as_str()),
    ];
    let redis_env = [
        ("SPIN_VARIABLE_REDIS_URL", redis_url.as_str()),
        ("SPIN_VARIABLE_REDIS_HOST", redis_host.as_str()),
    ];
    let both: Vec<_> = postgres_env.iter().chain(&redis_env).copied().collect();
    // (deployment, its stores, the CA Spin trusts, the store readiness must name or none)
    let runs = [
        (Deployment::PRODUCTION, &both[..], &trusted, None),
        (Deployment::PRODUCTION, &both[..], &untrusted, Some("postgres")),
        (
            Deployment::SQLITE_KEYS_REDIS_QUEUE,
            &redis_env[..],
            &untrusted,
            Some("redis"),
        ),
    ];
    for (deployment, stores, ca_file, refused) in runs {
        let mut env = stores.to_vec();
        env.push(("SSL_CERT_FILE", ca_file.as_str()));
        let Some(app) = spin_app(deployment, &env).await else {
            return;
        };
        let (status, body) = readiness(app.port).await;
        let logs: Vec<String> = app
            .component_log_lines()
            .into_iter()
            .map(|(component, line)| format!("{component}: {line}"))
            .collect();
        app.stop();
        match refused {
            None => assert_eq!(status, 200, "{body}\n{}", logs.join("\n")),
            // A store whose certificate Spin cannot verify is not reached.
            Some(store) => {
                assert_eq!(status, 503, "{} with an untrusted CA: {body}", deployment.name());
                assert!(body.contains(&format!("{store} is not answering")), "{body}");
            }
        }
    }
}
