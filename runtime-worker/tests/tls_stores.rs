//! The native tools over TLS, against stores of the test's own that refuse anything else, with a
//! private CA made here (trusted through `SSL_CERT_FILE`, as in production): `runtime-worker
//! migrate` on a PostgreSQL cluster with `ssl = on` and `hostssl`-only access, for each `sslmode`,
//! and `runtime-worker run` on `redis-server --tls-port` with a `rediss://` URL.

use std::path::Path;
use std::process::{Command, Output};

use hexaspin_tests::deploy::printed;
use hexaspin_tests::tls_servers::{TestCa, TestRedis, TlsPostgres};
use support::{readiness, start_redis_worker, stop};

mod support;

/// `runtime-worker migrate up` against `url`, trusting the CA in `ca_file`.
fn migrate(url: &str, ca_file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
        .args(["migrate", "up"])
        .env("STORE", "postgres")
        .env("PG_URL", url)
        .env("SSL_CERT_FILE", ca_file)
        .env_remove("SSL_CERT_DIR")
        .output()
        .expect("runtime-worker migrate runs")
}

#[test]
fn migrate_reaches_a_tls_only_postgres_in_each_sslmode_that_allows_it_and_is_refused_in_the_others() {
    // The certificate names localhost only, so 127.0.0.1 passes verify-ca but not verify-full.
    let ca = TestCa::new(&["localhost"]);
    let stranger = TestCa::new(&["localhost"]);
    let Some(postgres) = TlsPostgres::start(&ca) else {
        return;
    };
    let trusted = ca.ca_file();
    for (host, mode, ok, says) in [
        // The default (prefer) now negotiates TLS: before, the native client never did.
        ("localhost", None, true, ""),
        ("localhost", Some("require"), true, ""),
        ("localhost", Some("verify-full"), true, ""),
        ("127.0.0.1", Some("verify-ca"), true, ""),
        ("127.0.0.1", Some("verify-full"), false, "not valid for name"),
        // Require checks the host name too, as Spin's client does.
        ("127.0.0.1", Some("require"), false, "not valid for name"),
        ("localhost", Some("disable"), false, "no encryption"),
    ] {
        let output = migrate(&postgres.url(host, mode), &trusted);
        let printed = printed(&output);
        assert_eq!(output.status.success(), ok, "{host} sslmode={mode:?}:\n{printed}");
        assert!(
            printed.contains(says),
            "{host} sslmode={mode:?}: {says:?} not in:\n{printed}"
        );
        if ok {
            assert!(
                printed.contains("store: postgres")
                    && (printed.contains("applied") || printed.contains("up to date")),
                "{printed}"
            );
        }
    }
    // A CA that did not sign the server's certificate: refused, saying how to trust the right one.
    let output = migrate(
        &postgres.url("localhost", Some("verify-full")),
        &stranger.ca_file(),
    );
    let printed = printed(&output);
    assert!(!output.status.success(), "{printed}");
    assert!(
        printed.contains("invalid peer certificate") && printed.contains("SSL_CERT_FILE"),
        "{printed}"
    );
}

#[test]
fn the_worker_is_ready_on_a_tls_only_redis_through_rediss_when_its_ca_is_trusted_and_not_otherwise() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    let ca = TestCa::new(&["localhost", "127.0.0.1"]);
    let stranger = TestCa::new(&["localhost"]);
    let Some(redis) = TestRedis::start(
        Some(&ca),
        &["--maxmemory-policy", "noeviction", "--appendonly", "yes"],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("rediss://localhost:{}/0", redis.port);

    let (worker, port) = start_redis_worker(dir.path(), &url, Some(&ca.ca_file()));
    let (status, body) = readiness(port, 30);
    let logs = stop(worker);
    assert_eq!(status, 200, "{body}\n{logs}");
    assert_eq!(body, "ready\n", "a safe Redis gives no warning:\n{logs}");

    for (url, trusted, why) in [
        (url.as_str(), stranger.ca_file(), "certificate"),
        (
            &format!("redis://localhost:{}/0", redis.port),
            ca.ca_file(),
            "cannot reach the job store",
        ),
    ] {
        let (worker, port) = start_redis_worker(dir.path(), url, Some(&trusted));
        let (status, body) = readiness(port, 3);
        let logs = stop(worker);
        assert_eq!(status, 503, "{url}: {body}\n{logs}");
        assert!(body.contains("connecting to the job store"), "{body}");
        assert!(
            logs.to_ascii_lowercase().contains(why),
            "{url}: {why:?} not in:\n{logs}"
        );
    }
}
