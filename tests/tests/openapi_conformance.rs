//! The OpenAPI document against the running app (under `spin up` when Spin is on PATH, else the
//! native stand-in): validated as OpenAPI 3.1 by an independent validator, every operation
//! exercised by schemathesis (examples, coverage, fuzzing and the stateful links) with its
//! conformance checks, and the `/docs` page rendered in Chromium.
//!
//! The Python tools come from a virtualenv `cargo xtask test` makes (`HEXASPIN_PYTHON_TOOLS`);
//! Chromium from PATH (`.ci/run` installs Debian's). Under `cargo xtask test` both are required;
//! a bare `cargo test` without them prints SKIPPED. Reports and the screenshot are written under
//! `target/test-output/openapi/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use hexaspin_config::os::system_now;
use hexaspin_core::quota::RateRule;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::create_api_key;
use hexaspin_tests::live_app::LiveApp;
use hexaspin_tests::prerequisites::Prerequisite;
use hexaspin_tests::spin_up::workspace_root;

/// The checks the issue names; every one must pass for every operation.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance";

/// Bad keys are schemathesis's bread and butter: the per-address limit on them must not turn
/// the rest of the run into 429s.
fn generous() -> RateRule {
    RateRule::new(100_000, 100_000).expect("rule")
}

/// The default limit, for tests that send no bad key.
fn default_rule() -> RateRule {
    RateRule::new(1, 10).expect("rule")
}

/// The virtualenv's `bin/`, or `None` after SKIPPED (a failure under
/// `HEXASPIN_REQUIRE_PYTHON_TOOLS`).
fn python_tools() -> Option<PathBuf> {
    match std::env::var_os("HEXASPIN_PYTHON_TOOLS").map(PathBuf::from) {
        Some(bin) if bin.join("schemathesis").is_file() => Some(bin),
        _ => {
            Prerequisite::PythonTools.missing(
                "HEXASPIN_PYTHON_TOOLS names no virtualenv with schemathesis \
                 (run `cargo xtask test`, which installs it)",
            );
            None
        }
    }
}

fn output_dir() -> PathBuf {
    let dir = std::env::var_os("HEXASPIN_TEST_OUTPUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/test-output"))
        .join("openapi");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_valid_openapi_3_1_and_the_published_copy() {
    let Some(tools) = python_tools() else { return };
    let app = LiveApp::start(default_rule()).await;
    let reply = hexaspin_tests::http::send(app.port(), "GET", "/openapi.json", &[], None);
    assert_eq!(reply.status, 200, "{}", reply.json);
    let served = reply.json;
    let file = output_dir().join("served.json");
    std::fs::write(&file, served.to_string()).expect("write");
    let published: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/openapi.json")).expect("docs/openapi.json"),
    )
    .expect("JSON");
    assert!(
        served == published,
        "the app serves a document other than docs/openapi.json (saved as {})",
        file.display()
    );
    assert_eq!(served["openapi"], "3.1.0");

    let (valid, text) = run(Command::new(tools.join("openapi-spec-validator")).arg(&file));
    println!("openapi-spec-validator ({}): {text}", app.runtime());
    assert!(valid, "{text}");
}

/// One schemathesis run over the operations `filter` selects, with the admin token and `key`;
/// returns whether it was clean and its output (also saved as `<name>.txt`).
fn schemathesis(
    tools: &Path,
    app: &LiveApp,
    name: &str,
    filter: &[&str],
    admin: &str,
    key: &str,
    user: &str,
) -> (bool, String) {
    let out = output_dir().join(name);
    std::fs::create_dir_all(&out).expect("output dir");
    let config = out.join("schemathesis.toml");
    std::fs::write(
        &config,
        "[auth.openapi.admin_jwt]\nbearer = \"${HX_ADMIN_TOKEN}\"\n\
         [auth.openapi.api_key]\nbearer = \"${HX_API_KEY}\"\n\
         [auth.openapi.api_key_header]\napi_key = \"${HX_API_KEY}\"\n\
         [auth.openapi.user_jwt]\nbearer = \"${HX_USER_TOKEN}\"\n",
    )
    .expect("config");
    let max_examples = std::env::var("HEXASPIN_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let max_time = std::env::var("HEXASPIN_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "75".into());
    let mut command = Command::new(tools.join("schemathesis"));
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/openapi.json", app.base_url()))
        .args(filter)
        .args(["--checks", CHECKS])
        .args(["--max-examples", &max_examples, "--max-time", &max_time])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--seed",
            "20261124",
            "--workers",
            "2",
            "--no-color",
            "--request-timeout",
            "30",
        ])
        .args(["--report", "junit", "--report-dir"])
        .arg(&out)
        .env("HX_ADMIN_TOKEN", admin)
        .env("HX_API_KEY", key)
        .env("HX_USER_TOKEN", user)
        .current_dir(&out);
    let (clean, text) = run(&mut command);
    std::fs::write(out.join(format!("{name}.txt")), &text).expect("write");
    println!(
        "schemathesis ({name}) against {} ({}):\n{text}",
        app.base_url(),
        app.runtime()
    );
    (clean, text)
}

/// An access token of a fresh end user, for the user service's operations.
fn user_token(port: u16) -> String {
    let credentials =
        serde_json::json!({ "email": "schemathesis@example.com", "password": "schemathesis passphrase" });
    let up = hexaspin_tests::http::send(port, "POST", "/api/users", &[], Some(&credentials));
    assert_eq!(up.status, 202, "{}", up.json);
    let session = hexaspin_tests::http::send(port, "POST", "/api/auth/token", &[], Some(&credentials));
    assert_eq!(session.status, 200, "{}", session.json);
    session.json["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// Two runs, so that the admin operations (which schemathesis links to the keys it lists, and
/// so may revoke or rotate any key) cannot take away the key the client operations run with:
/// first every operation but the key admin, with a key made for it, then the key admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_operation_answering_as_documented() {
    let Some(tools) = python_tools() else { return };
    let app = LiveApp::start(generous()).await;
    let admin = admin_token("schemathesis", system_now());
    let key = create_api_key(
        app.port(),
        &admin,
        &serde_json::json!({
            "name": "schemathesis",
            "scopes": ["jobs:read", "jobs:write"],
            "limits": { "rate_per_sec": 100000, "burst": 100000 },
        }),
    );
    let user = user_token(app.port());
    let (clients_clean, _) = schemathesis(
        &tools,
        &app,
        "clients",
        &["--exclude-tag", "api-keys"],
        &admin,
        &key,
        &user,
    );
    let (admin_clean, _) = schemathesis(
        &tools,
        &app,
        "admin",
        &["--include-tag", "api-keys"],
        &admin,
        &key,
        &user,
    );
    assert!(
        clients_clean && admin_clean,
        "schemathesis found responses that break the document (above)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_renders_the_document_in_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(chromium) = chromium else {
        return Prerequisite::Chromium
            .missing("no Chromium on PATH (Debian: apt-get install chromium; `.ci/run` installs it)");
    };
    if !workspace_root()
        .join("target/docs-ui/swagger-ui-bundle.js")
        .is_file()
    {
        return Prerequisite::Wasm.missing(
            "the Swagger UI files are not staged in target/docs-ui (`cargo xtask build-wasm` stages them)",
        );
    }
    let app = LiveApp::start(default_rule()).await;
    let url = format!("{}/docs", app.base_url());
    let out = output_dir();
    let screenshot = out.join("docs.png");
    let _ = std::fs::remove_file(&screenshot);
    let profile = tempfile::tempdir().expect("profile dir");
    let headless = |extra: &[&str]| {
        let mut command = Command::new(chromium);
        command
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--window-size=1280,2400", "--virtual-time-budget=15000"])
            .args(extra)
            .arg(&url);
        command
    };
    let (rendered, output) = run(&mut headless(&["--dump-dom", "--enable-logging=stderr", "--v=0"]));
    assert!(rendered, "{output}");
    // The DOM (stdout) with Chromium's log (stderr). Swagger UI drew the operations from
    // /openapi.json: their ids are in the page.
    for operation in ["createApiKey", "dispatchJob", "readiness"] {
        assert!(output.contains(operation), "{operation} is rendered: {output}");
    }
    // Chromium writes every console message (CSP violations included: "… violates the following
    // Content Security Policy directive …") to stderr as `:CONSOLE` lines; the page has none.
    let console: Vec<&str> = output.lines().filter(|line| line.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let (shot, text) = run(&mut headless(&[&format!(
        "--screenshot={}",
        screenshot.display()
    )]));
    assert!(shot && screenshot.is_file(), "{text}");
    println!(
        "screenshot of {url} ({}): {}",
        app.runtime(),
        screenshot.display()
    );
}

/// The k8s manifests set `allow_public_docs = false`: then the description and the page want an
/// admin JWT, wired from the Spin variable through the `docs` component.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_docs_want_an_admin_token_under_spin() {
    let env = [("SPIN_VARIABLE_ALLOW_PUBLIC_DOCS", "false")];
    let Some(app) =
        hexaspin_tests::spin_up::spin_app(hexaspin_tests::spin_up::Deployment::EMBEDDED, &env).await
    else {
        return;
    };
    for path in ["/openapi.json", "/docs", "/docs/swagger-ui.css"] {
        let anonymous = hexaspin_tests::http::send(app.port, "GET", path, &[], None);
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "missing_token"),
            "{path}"
        );
    }
    let admin = admin_token("docs-reader", system_now());
    let reply = hexaspin_tests::http::send_bearer(app.port, "GET", "/openapi.json", &admin, None);
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["openapi"], "3.1.0");
}
