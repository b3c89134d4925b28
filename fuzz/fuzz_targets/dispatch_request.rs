//! A dispatch request as a client may send it: any body, any content type, any
//! `Idempotency-Key`. Decoding answers a problem or a request, never panics, and a decoded
//! request's payload is JSON again.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "",
];

fuzz_target!(|input: (u8, String, Vec<u8>)| {
    let (selector, idempotency_key, body) = input;
    let mut builder = http::Request::builder().method("POST").uri("/api/jobs");
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    if selector & 0x80 != 0
        && let Ok(value) = http::HeaderValue::from_str(&idempotency_key)
    {
        builder = builder.header("idempotency-key", value);
    }
    let Ok(request) = builder.body(body) else { return };
    if let Ok(job) = hexaspin_api::jobs::parse_dispatch(&request, 4096) {
        assert!(serde_json::from_str::<serde_json::Value>(&job.payload).is_ok());
    }
});
