//! A minimal HTTP/1.1 client for tests that talk to a real process on loopback (`spin up`, the
//! worker's admin port): one request per connection (`Connection: close`), no dependencies.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::api::Reply;

/// GETs `path` from `127.0.0.1:port`; returns the status (0 when nothing answers) and the raw text.
pub fn get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

/// Sends one request to `127.0.0.1:port` with `headers` (and `Content-Type: application/json`
/// when there is a body) and reads the whole answer. Panics when nothing answers within 30 s: a
/// test against a live process must not hang.
pub fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Reply {
    let raw = exchange(port, method, path, headers, body);
    parse(&raw).unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", String::from_utf8_lossy(&raw)))
}

/// Like [`send`] with `Authorization: Bearer <token>`.
pub fn send_bearer(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> Reply {
    let authorization = format!("Bearer {token}");
    send(port, method, path, &[("authorization", &authorization)], body)
}

/// Creates an API key over the admin API with `token` and returns its secret; panics with the
/// answer when it is not 201.
pub fn create_api_key(port: u16, token: &str, key: &serde_json::Value) -> String {
    let created = send_bearer(port, "POST", "/api/admin/api-keys", token, Some(key));
    assert_eq!(created.status, 201, "{}", created.json);
    created.json["key"].as_str().expect("key").to_owned()
}

/// Sends `total` requests from `clients` threads at once, request `n` made by `request(n)` (which
/// returns its status); returns how many answers had each status.
pub fn statuses_under_load(
    clients: usize,
    total: usize,
    request: impl Fn(usize) -> u16 + Sync,
) -> std::collections::BTreeMap<u16, usize> {
    let request = &request;
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    (client..total)
                        .step_by(clients)
                        .map(request)
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("client thread"))
            .collect()
    });
    let mut by_status = std::collections::BTreeMap::new();
    for status in statuses {
        *by_status.entry(status).or_insert(0) += 1;
    }
    by_status
}

fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("{method} {path}: nothing listens on {port}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("{method} {path}: no complete answer: {e}"));
    response
}

fn parse(raw: &[u8]) -> Result<Reply, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no end of headers")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let mut headers = http::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("a header without ':'")?;
        let name = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?;
        let value = http::HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?;
        headers.append(name, value);
    }
    let chunked = headers
        .get(http::header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    let json = if body.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body))
    };
    Ok(Reply {
        status,
        headers,
        json,
        // Counter marks never leave the server: over HTTP, read them from /metrics.
        counted: Vec::new(),
    })
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
