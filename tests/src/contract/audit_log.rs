//! The contract of [`AuditLog`].

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::audit::{AuditAction, NewAuditEntry};
use hexaspin_core::pagination::AuditCursor;
use hexaspin_core::ports::AuditLog;
use serde_json::json;

fn entry(n: i64, key: Option<&ApiKeyId>) -> NewAuditEntry {
    NewAuditEntry {
        at: Timestamp::from_millis(1_795_000_000_000 + n),
        actor: format!("admin-{n}"),
        action: AuditAction::KeyUpdated,
        key_id: key.cloned(),
        detail: json!({ "n": n, "name": "ü \"quoted\"", "nested": { "list": [1, 2] } }),
    }
}

/// Entries come back newest first with increasing sequence numbers and every field intact.
pub async fn entries_list_newest_first_with_every_field<S: AuditLog>(store: &S) {
    let key = ApiKeyId::from_random([1; 8]);
    let written: Vec<_> = (0..3).map(|n| entry(n, Some(&key))).collect();
    for e in &written {
        store.append_audit(e).await.expect("append");
    }
    let listed = store.list_audit(None, None, 10).await.expect("list");
    let entries: Vec<_> = listed.iter().map(|e| e.entry.clone()).collect();
    let mut expected = written;
    expected.reverse();
    assert_eq!(entries, expected);
    assert!(
        listed.windows(2).all(|w| w[0].seq > w[1].seq),
        "sequence numbers decrease down the list"
    );
}

/// A cursor continues after the last entry seen; a key filter keeps only that key's entries.
pub async fn entries_page_by_cursor_and_filter_by_key<S: AuditLog>(store: &S) {
    let a = ApiKeyId::from_random([2; 8]);
    let b = ApiKeyId::from_random([3; 8]);
    for n in 0..5 {
        let key = if n % 2 == 0 { &a } else { &b };
        store.append_audit(&entry(n, Some(key))).await.expect("append");
    }
    store
        .append_audit(&entry(99, None))
        .await
        .expect("append without key");

    let first = store.list_audit(None, None, 4).await.expect("first page");
    let rest = store
        .list_audit(None, Some(AuditCursor(first.last().expect("entries").seq)), 4)
        .await
        .expect("second page");
    assert_eq!(first.len() + rest.len(), 6);
    assert!(first.iter().all(|f| rest.iter().all(|r| r.seq < f.seq)));

    let only_a = store.list_audit(Some(&a), None, 10).await.expect("by key");
    assert_eq!(only_a.len(), 3);
    assert!(only_a.iter().all(|e| e.entry.key_id.as_ref() == Some(&a)));
}
