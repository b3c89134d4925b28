//! Every identifier a client sends as text: API keys, job ids, idempotency keys, cursors. Each
//! parses or is refused, never panics; what parses prints back to something that parses the same.
#![no_main]

use hexaspin_core::api_key::PresentedKey;
use hexaspin_core::job::{IdempotencyKey, JobId, JobState};
use hexaspin_core::pagination::{AuditCursor, JobCursor, KeyCursor, PageSize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = PresentedKey::parse(text);
    if let Ok(id) = JobId::parse(text) {
        assert_eq!(JobId::parse(&id.to_string()).ok(), Some(id));
    }
    let _ = IdempotencyKey::parse(text);
    let _ = JobState::parse(text);
    let _ = PageSize::parse(text);
    let _ = KeyCursor::decode(text);
    let _ = AuditCursor::decode(text);
    let _ = JobCursor::decode(text);
});
