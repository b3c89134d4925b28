//! End to end through a real `spin up`: mint an admin token, create a key, read it, rotate and
//! revoke it, read the audit log. Needs `spin` (>= 3.6) on PATH and the wasm components built
//! (`cargo xtask test` builds them); otherwise it prints SKIPPED with the reason.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hexaspin_api::system::system_now;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::spin_up::start_app;
use serde_json::{Value, json};

/// One HTTP/1.1 request with `Connection: close`; returns status and JSON body.
fn call(port: u16, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let (status, _, json) = call_with_headers(port, method, path, token, body);
    (status, json)
}

/// Like [`call`], also returning the response headers (lower-cased names).
fn call_with_headers(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to spin");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let (head, rest) = text.split_once("\r\n\r\n").expect("headers end");
    let json_text = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (
        status,
        headers,
        serde_json::from_str(&json_text).unwrap_or(Value::Null),
    )
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

#[tokio::test]
async fn the_admin_api_works_through_spin_up_on_the_embedded_database() {
    let app = match start_app(&[]).await {
        Ok(app) => app,
        Err(why) => return println!("SKIPPED: {why}"),
    };
    let port = app.port;
    let token = admin_token("e2e", system_now());
    let (status, created) = call(
        port,
        "POST",
        "/api/admin/api-keys",
        &token,
        Some(&json!({"name": "e2e", "owner": "acme"})),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(created["key"].as_str().expect("key").starts_with("hx_"));

    let (status, listed) = call(port, "GET", "/api/admin/api-keys?owner=acme", &token, None);
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["id"], json!(id));

    let (status, rotated) = call(
        port,
        "POST",
        &format!("/api/admin/api-keys/{id}/rotate"),
        &token,
        Some(&json!({"grace_seconds": 30})),
    );
    assert_eq!(status, 200, "{rotated}");
    let (status, revoked) = call(
        port,
        "POST",
        &format!("/api/admin/api-keys/{id}/revoke"),
        &token,
        None,
    );
    assert_eq!((status, &revoked["state"]), (200, &json!("revoked")));

    let (status, audit) = call(
        port,
        "GET",
        &format!("/api/admin/audit?key_id={id}"),
        &token,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(audit["items"].as_array().expect("items").len(), 3);

    let (status, problem) = call(port, "GET", "/api/admin/api-keys", "not-a-token", None);
    assert_eq!((status, &problem["code"]), (401, &json!("invalid_token")));
}

#[tokio::test]
async fn dispatch_through_spin_up_is_limited_with_retry_after_and_accepted_again() {
    let app = match start_app(&[]).await {
        Ok(app) => app,
        Err(why) => return println!("SKIPPED: {why}"),
    };
    let port = app.port;
    let token = admin_token("e2e", system_now());
    let body = json!({"name": "burst", "scopes": ["jobs:read", "jobs:write"], "limits": {"rate_per_sec": 1, "burst": 3}});
    let (status, created) = call(port, "POST", "/api/admin/api-keys", &token, Some(&body));
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().expect("key").to_owned();
    let job = json!({"kind": "echo", "payload": {"hello": "spin"}});
    let mut accepted = 0;
    let refused = loop {
        let (status, headers, reply) = call_with_headers(port, "POST", "/api/jobs", &key, Some(&job));
        match status {
            202 => accepted += 1,
            429 => break (headers, reply),
            other => panic!("unexpected {other}: {reply}"),
        }
        assert!(accepted <= 3, "the burst of 3 must be enforced");
    };
    let (headers, problem) = refused;
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(problem["code"], json!("rate_limited"));
    assert_eq!(header("ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(header("ratelimit-remaining").as_deref(), Some("0"));
    let wait: u64 = header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    std::thread::sleep(Duration::from_secs(wait));
    let (status, again) = call(port, "POST", "/api/jobs", &key, Some(&job));
    assert_eq!(status, 202, "{again}");
}
