//! Structured log lines on stderr, where Spin (and Fluent Bit after it) collects them: errors, and
//! one access line per request from every component.
//!
//! Callers pass errors whose `Display` carries no secret: store errors, config errors naming the
//! variable, never its value.
//!
//! Every line reaches stderr in ONE write: `eprintln!` of a formatted value writes it piece by
//! piece (the guest's stderr is unbuffered), and under concurrent instances Spin appends those
//! pieces to one log file interleaved with other requests' pieces.

use std::io::Write;

/// Logs an error event as one JSON line.
pub fn error(what: &str, error: &dyn std::fmt::Display) {
    write_line(&serde_json::json!({ "level": "error", "what": what, "error": error.to_string() }));
}

/// Logs that `jobs` jobs of one request were refused at one of the key's storage caps (`code`),
/// naming the key's id (never its secret): the 429 goes to the client, this line lets an operator
/// find the key. One line per request and cap, however many jobs a batch had refused: a refusal at
/// a cap spends no rate, so a line per job would let a key write 500 lines a request.
pub fn storage_cap_reached(key_id: &str, code: &str, jobs: usize) {
    write_line(&serde_json::json!({
        "level": "warn", "what": "storage_cap_reached", "key_id": key_id, "code": code, "jobs": jobs,
    }));
}

/// Serialises `line` completely, then hands it to stderr with its newline in a single write.
fn write_line(line: &serde_json::Value) {
    let mut bytes = line.to_string().into_bytes();
    bytes.push(b'\n');
    // A log line that cannot be written has nowhere else to go.
    let _ = std::io::stderr().lock().write_all(&bytes);
}

/// The access-log line of one request: component, method, path (never the query string, which
/// may carry filters), status, duration and request id. Headers (keys, tokens) are never read.
pub fn access_line(
    component: &str,
    request: &crate::Request,
    response: &crate::Response,
    duration: std::time::Duration,
    request_id: &str,
) -> serde_json::Value {
    serde_json::json!({
        "level": "info",
        "what": "request",
        "component": component,
        "method": request.method().as_str(),
        "route": request.uri().path(),
        "status": response.status().as_u16(),
        "duration_ms": (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        "request_id": request_id,
    })
}

/// The request's `x-request-id` if it sent a sane one, else a new random one.
pub fn request_id(request: &crate::Request) -> String {
    let sent = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()));
    match sent {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 8];
            let _ = getrandom::fill(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// Serves `request` with `handler`, then writes the access line to stderr and echoes the request id
/// in the response's `x-request-id`. Every component wraps its handler in this.
pub async fn with_access_log<F, Fut>(component: &str, request: crate::Request, handler: F) -> crate::Response
where
    F: FnOnce(crate::Request) -> Fut,
    Fut: Future<Output = crate::Response>,
{
    let started = std::time::Instant::now();
    let id = request_id(&request);
    let (parts, body) = request.into_parts();
    let shadow = http::Request::from_parts(parts.clone(), Vec::new());
    let mut response = handler(http::Request::from_parts(parts, body)).await;
    write_line(&access_line(
        component,
        &shadow,
        &response,
        started.elapsed(),
        &id,
    ));
    if let Ok(value) = http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_line_has_the_fields_and_no_secret() {
        let request = http::Request::builder()
            .method("POST")
            .uri("http://h/api/jobs?owner=acme")
            .header("authorization", "Bearer hx_0123456789abcdef_secretsecret")
            .body(Vec::new())
            .unwrap();
        let response = http::Response::builder().status(429).body(Vec::new()).unwrap();
        let line = access_line(
            "jobs",
            &request,
            &response,
            std::time::Duration::from_micros(1500),
            "abc",
        );
        assert_eq!(line["component"], "jobs");
        assert_eq!(line["route"], "/api/jobs");
        assert_eq!(line["status"], 429);
        assert_eq!(line["duration_ms"], 1.5);
        assert_eq!(line["request_id"], "abc");
        let text = line.to_string();
        assert!(!text.contains("secret") && !text.contains("acme"), "{text}");
    }

    #[test]
    fn a_sane_request_id_is_kept_and_a_bad_one_replaced() {
        let with = |id: &str| {
            http::Request::builder()
                .header("x-request-id", id)
                .body(Vec::new())
                .unwrap()
        };
        assert_eq!(request_id(&with("req-42")), "req-42");
        let replaced = request_id(&with("has space"));
        assert_eq!(replaced.len(), 16);
        assert!(replaced.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
