//! Request bodies under a real `spin up`: a body larger than its route allows is refused without
//! being buffered. A declared `Content-Length` over the limit is answered 413 before the client
//! sends a byte of it; a chunked body is cut off at the limit, so a client streaming 64 MiB gets
//! its 413 after sending not much more than the limit (plus what socket buffers hold); a route
//! that takes no body answers without reading one; an admin route refuses a bad token, and a
//! batch a bad API key, before reading the body.
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hexaspin_config::os::system_now;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::create_api_key;
use hexaspin_tests::spin_up::{Deployment, spin_app};
use serde_json::json;

const MIB: usize = 1024 * 1024;

/// Writes `head` (request line and headers, ending in the blank line) and reads what comes back
/// within 10 s, without sending any body.
fn answer_to_head_only(port: u16, head: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    let mut answer = vec![0u8; 4096];
    let n = stream
        .read(&mut answer)
        .expect("an answer before any of the declared body was sent");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// Streams a chunked body of up to `total` bytes while reading the answer; returns the answer
/// and how many body bytes the client managed to send before the server stopped taking them.
fn stream_chunked(port: u16, head: &str, total: usize) -> (String, usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        let chunk = vec![b' '; 64 * 1024];
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        let mut sent = 0;
        while sent < total {
            // A refused write (reset, or stalled for 5 s) means the server stopped reading.
            if writer.write_all(&framed).is_err() {
                return sent;
            }
            sent += chunk.len();
        }
        let _ = writer.write_all(b"0\r\n\r\n");
        sent
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let sent = sender.join().expect("sender");
    (String::from_utf8_lossy(&answer).into_owned(), sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_without_being_buffered() {
    let Some(app) = spin_app(Deployment::EMBEDDED, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("bodies", system_now());
    let key = create_api_key(
        port,
        &token,
        &json!({"name": "bodies", "scopes": ["jobs:read", "jobs:write"]}),
    );

    // 1. A dispatch declaring 100 MiB: 413 before any of it is sent.
    let declared = answer_to_head_only(
        port,
        &format!(
            "POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            100 * MIB
        ),
    );
    assert!(declared.starts_with("HTTP/1.1 413"), "{declared}");
    assert!(declared.contains("payload_too_large"), "{declared}");

    // 1b. The same with a key shaped right but wrong: the key's 401 comes first, as for a
    //     malformed body (a dispatch's key is otherwise checked with the dispatch, after its body).
    let mut wrong = key.clone();
    wrong.pop();
    wrong.push(if key.ends_with('A') { 'B' } else { 'A' });
    let wrong_key = answer_to_head_only(
        port,
        &format!(
            "POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {wrong}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            100 * MIB
        ),
    );
    assert!(wrong_key.starts_with("HTTP/1.1 401"), "{wrong_key}");
    assert!(wrong_key.contains("invalid_api_key"), "{wrong_key}");

    // 2. The same through the admin API, with a bad token: 401 before the body.
    let unauthenticated = answer_to_head_only(
        port,
        &format!(
            "POST /api/admin/api-keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            100 * MIB
        ),
    );
    assert!(unauthenticated.starts_with("HTTP/1.1 401"), "{unauthenticated}");

    // 3. An 8 MiB batch (its limit) with a key that does not verify: 401 before any of the body.
    let last = if key.ends_with('A') { 'B' } else { 'A' };
    let guess = format!("{}{last}", &key[..key.len() - 1]);
    let bad_key = answer_to_head_only(
        port,
        &format!(
            "POST /api/jobs/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {guess}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            8 * MIB
        ),
    );
    assert!(bad_key.starts_with("HTTP/1.1 401"), "{bad_key}");
    assert!(bad_key.contains("invalid_api_key"), "{bad_key}");
    // A streamed one too: the client gets its 401 having sent little of its 8 MiB.
    let (answer, sent) = stream_chunked(
        port,
        "POST /api/jobs/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hx_0123456789abcdef_nope\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        8 * MIB,
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    println!(
        "chunked batch with a bad key: the client sent {} KiB before the answer",
        sent / 1024
    );

    // 4. A route without a body answers without waiting for the 100 MiB it was promised.
    let health = answer_to_head_only(
        port,
        &format!(
            "GET /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            100 * MIB
        ),
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // 5. A chunked 64 MiB dispatch: cut off at the limit (256 KiB + 4 KiB by default).
    let (answer, sent) = stream_chunked(
        port,
        &format!(
            "POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ),
        64 * MIB,
    );
    println!("chunked: the client sent {} KiB before the answer", sent / 1024);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        sent < 16 * MIB,
        "the server read {} MiB of a body limited to 260 KiB",
        sent / MIB
    );
    app.stop();
}

/// Sixteen batches near the batch body limit (7.3 MiB each) sent at once, three times over:
/// every one is accepted. The WASIp3 build serves them in instances that take 16 requests at
/// once within one memory cap (64 MiB here, as `cargo xtask dev` and the README set it); before
/// it bounded the bodies an instance holds at once, such a wave ran an instance out of memory
/// and the trap failed every request in it (500s and cut connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_near_limit_batches_at_once_are_all_accepted_within_the_instance_memory_cap() {
    let Some(app) = spin_app(Deployment::EMBEDDED, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("big-batches", system_now());
    let key = create_api_key(
        port,
        &token,
        &json!({"name": "big batches", "scopes": ["jobs:write"],
                "limits": {"rate_per_sec": 1000000, "burst": 1000000,
                           "max_stored_bytes": 1_000_000_000_000u64}}),
    );
    // 30 jobs at the payload limit (256 KiB, less the JSON around the blob).
    let job = json!({"kind": "echo", "payload": {"blob": "x".repeat(250 * 1024)}});
    let batch = json!({"jobs": vec![job; 30]});
    assert!(batch.to_string().len() > 7 * MIB);
    for wave in 0..3 {
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let senders: Vec<_> = (0..16)
                .map(|_| {
                    scope.spawn(|| {
                        hexaspin_tests::http::send_bearer(port, "POST", "/api/jobs/batch", &key, Some(&batch))
                            .status
                    })
                })
                .collect();
            senders.into_iter().map(|s| s.join().expect("sender")).collect()
        });
        assert!(
            statuses.iter().all(|status| *status == 200),
            "wave {wave}: {statuses:?}"
        );
    }
    app.stop();
}

/// Sends `count` small POSTs to `path` on one kept-alive connection (a new one only where the
/// server said `Connection: close`); returns what went wrong: answers cut off or connections
/// reset before the answer was read whole.
fn kept_alive_posts(port: u16, path: &str, count: usize) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let connect = || {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        BufReader::new(stream)
    };
    let mut connection = connect();
    let mut failures = Vec::new();
    for n in 0..count {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nnull"
        );
        let answered = (|| -> Result<bool, String> {
            connection
                .get_mut()
                .write_all(request.as_bytes())
                .map_err(|e| format!("write: {e}"))?;
            let (mut length, mut chunked, mut close, mut line) = (None, false, false, String::new());
            connection
                .read_line(&mut line)
                .map_err(|e| format!("status: {e}"))?;
            if !line.starts_with("HTTP/1.1 ") {
                return Err(format!("status line {line:?}"));
            }
            loop {
                line.clear();
                connection
                    .read_line(&mut line)
                    .map_err(|e| format!("head: {e}"))?;
                let header = line.trim_end().to_ascii_lowercase();
                if header.is_empty() {
                    break;
                }
                if let Some(value) = header.strip_prefix("content-length:") {
                    length = value.trim().parse::<usize>().ok();
                }
                close |= header == "connection: close";
                chunked |= header == "transfer-encoding: chunked";
            }
            if !chunked {
                let mut body = vec![0; length.ok_or("neither content-length nor chunked")?];
                connection
                    .read_exact(&mut body)
                    .map_err(|e| format!("body: {e}"))?;
                return Ok(close);
            }
            loop {
                line.clear();
                connection
                    .read_line(&mut line)
                    .map_err(|e| format!("chunk size: {e}"))?;
                let size =
                    usize::from_str_radix(line.trim_end(), 16).map_err(|_| format!("chunk size {line:?}"))?;
                // The chunk and its CRLF (after the last, empty chunk: the CRLF ending the body).
                let mut chunk = vec![0; size + 2];
                connection
                    .read_exact(&mut chunk)
                    .map_err(|e| format!("chunk: {e}"))?;
                if size == 0 {
                    return Ok(close);
                }
            }
        })();
        match answered {
            Ok(false) => {}
            Ok(true) => connection = connect(),
            Err(failure) => {
                failures.push(format!("request {n}: {failure}"));
                connection = connect();
            }
        }
    }
    failures
}

/// A request refused from its head leaves its (small) body unread. On the WASIp3 build that cut
/// answers off now and then under load (seen from schemathesis twice, and from 8 kept-alive Python
/// clients with two CPU burners: 6 of 4 800 answers cut off; with the body drained first, 0 of
/// 11 200). Eight kept-alive clients post 100 times each here. This test did not reproduce the
/// cut on demand without the drain (two runs, with CPU burners then): it guards the property;
/// the stress figures in `crates/spin-p3/src/http.rs` are the evidence for the fix. (No burners
/// now: they starved the test beside it, which waits at most 5 s for body room.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_to_requests_whose_body_is_left_unread_arrive_whole_on_kept_alive_connections() {
    let Some(app) = spin_app(Deployment::EMBEDDED, &[]).await else {
        return;
    };
    let port = app.port;
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                kept_alive_posts(port, "/api/admin/api-keys/904a8cfdfcfeaf3a/rotate", 100)
            })
        })
        .collect();
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|client| client.join().expect("client"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of 800: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
