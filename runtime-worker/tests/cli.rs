//! The operator CLI as an operator runs it: the real binary, real files, real exit codes.

use std::process::{Command, Output};

use hexaspin_config::os::system_now;
use hexaspin_core::admin_auth::{AdminAuthConfig, authenticate_admin};

const SECRET: &str = "hexaspin-cli-test-0123456789abcdefghij";

fn worker(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
        .args(args)
        .env_remove("JWT_SECRET")
        .env_remove("JWT_MAX_TTL_SECONDS")
        .env_remove("STORE")
        .env_remove("PG_URL")
        .envs(env.iter().copied())
        .output()
        .expect("runtime-worker runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn admin_token_prints_a_token_the_admin_api_accepts() {
    let output = worker(
        &["admin-token", "--sub", "ops", "--ttl", "120", "--kid", "k1"],
        &[("JWT_SECRET", SECRET)],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout).trim().to_owned();
    let config = AdminAuthConfig::new(SECRET.as_bytes(), Some("k1".into())).expect("config");
    let claims = authenticate_admin(&config, &token, system_now()).expect("the minted token is valid");
    assert_eq!(claims.sub, "ops");
}

#[test]
fn openapi_prints_the_document_the_app_serves_without_any_setting() {
    let output = worker(&["openapi"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let served: serde_json::Value =
        serde_json::from_str(&hexaspin_api::openapi::document_json()).expect("JSON");
    assert_eq!(printed, served);
    assert_eq!(printed["openapi"], "3.1.0");
}

#[test]
fn admin_token_refuses_a_lifetime_the_app_would_refuse() {
    let a_day_and_a_second = worker(
        &["admin-token", "--sub", "ops", "--ttl", "86401"],
        &[("JWT_SECRET", SECRET)],
    );
    assert!(!a_day_and_a_second.status.success());
    assert!(
        text(&a_day_and_a_second.stderr).contains("at most 86400 seconds"),
        "{}",
        text(&a_day_and_a_second.stderr)
    );
    let over_the_configured_limit = worker(
        &["admin-token", "--sub", "ops", "--ttl", "120"],
        &[("JWT_SECRET", SECRET), ("JWT_MAX_TTL_SECONDS", "60")],
    );
    assert!(!over_the_configured_limit.status.success());
    assert!(text(&over_the_configured_limit.stderr).contains("at most 60 seconds"));
}

#[test]
fn admin_token_refuses_a_short_placeholder_or_missing_secret_with_a_clear_message() {
    let short = worker(&["admin-token", "--sub", "ops"], &[("JWT_SECRET", "short")]);
    assert!(!short.status.success());
    assert!(
        text(&short.stderr).contains("at least 32 bytes"),
        "{}",
        text(&short.stderr)
    );
    assert!(
        !text(&short.stderr).contains("short\""),
        "the secret is not echoed"
    );
    let placeholder = worker(
        &["admin-token", "--sub", "ops"],
        &[("JWT_SECRET", "CHANGE_ME_TO_32_OR_MORE_RANDOM_BYTES")],
    );
    assert!(!placeholder.status.success());
    assert!(
        text(&placeholder.stderr).contains("placeholder"),
        "{}",
        text(&placeholder.stderr)
    );
    let missing = worker(&["admin-token", "--sub", "ops"], &[]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("JWT_SECRET"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn migrate_applies_reports_and_reverts_on_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/app.db");
    let path = path.to_str().expect("utf-8 path");
    let sqlite = [("SQLITE_PATH", path)];
    let up = worker(&["migrate", "up"], &sqlite);
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert!(text(&up.stdout).contains("applied 0001"), "{}", text(&up.stdout));
    let again = worker(&["migrate"], &sqlite);
    assert!(text(&again.stdout).contains("up to date"));
    let status = worker(&["migrate", "status"], &sqlite);
    assert!(
        text(&status.stdout).contains("0001 api_keys"),
        "{}",
        text(&status.stdout)
    );
    assert!(!text(&status.stdout).contains("pending"));
    let newest = hexaspin_store_sql::migrate::migrations(hexaspin_store_sql::Dialect::Sqlite)
        .last()
        .expect("SQLite has migrations")
        .version;
    let down = worker(&["migrate", "down"], &sqlite);
    assert!(
        text(&down.stdout).contains(&format!("reverted {newest:04}")),
        "the newest goes first: {}",
        text(&down.stdout)
    );
    let status = worker(&["migrate", "status"], &sqlite);
    assert!(text(&status.stdout).contains("pending"));
    let rest = worker(&["migrate", "down", "--steps", "99"], &sqlite);
    assert!(
        text(&rest.stdout).contains("reverted 0001"),
        "{}",
        text(&rest.stdout)
    );
    let none = worker(&["migrate", "down"], &sqlite);
    assert!(
        text(&none.stdout).contains("nothing to revert"),
        "{}",
        text(&none.stdout)
    );
}

#[test]
fn migrate_against_an_unreachable_postgres_fails_without_leaking_the_password() {
    let output = worker(
        &["--store", "postgres", "migrate", "status"],
        &[(
            "PG_URL",
            "postgres://app:s3cret-pw@127.0.0.1:1/db?connect_timeout=2",
        )],
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot connect to Postgres"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
}

#[test]
fn an_unknown_store_is_a_usage_error() {
    let output = worker(&["--store", "mongo", "migrate"], &[]);
    assert_eq!(output.status.code(), Some(2));
}
