//! The contract of [`ApiKeyStore`]: what every adapter must do, checked against a real database.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, KeyState, Owner};
use hexaspin_core::api_key::{Refill, RefillInterval};
use hexaspin_core::pagination::KeyCursor;
use hexaspin_core::ports::{ApiKeyStore, KeyFilter, StoreError, UseCharge, UsePeriods};

use crate::samples::{full_key, minimal_key, test_entry};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn all(limit: u32) -> KeyFilter {
    KeyFilter {
        owner: None,
        state: None,
        after: None,
        limit,
    }
}

fn ids(keys: &[ApiKey]) -> Vec<String> {
    keys.iter().map(|k| k.id.to_string()).collect()
}

/// Every field, including the optional ones, survives the round trip.
pub async fn a_key_with_every_field_reads_back_identically<S: ApiKeyStore>(store: &S) {
    let key = full_key(1, T0);
    store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    assert_eq!(store.find_key(&key.id).await.expect("find"), Some(key));
}

/// Absent optional fields stay absent.
pub async fn a_key_with_only_required_fields_reads_back_identically<S: ApiKeyStore>(store: &S) {
    let key = minimal_key(2, T0);
    store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    assert_eq!(store.find_key(&key.id).await.expect("find"), Some(key));
}

/// Unknown ids are `None`, not an error.
pub async fn an_unknown_id_is_not_found<S: ApiKeyStore>(store: &S) {
    let id = ApiKeyId::from_random([9; 8]);
    assert_eq!(store.find_key(&id).await.expect("find"), None);
}

/// A second insert with the same id is a conflict and leaves the first untouched.
pub async fn inserting_an_existing_id_is_a_conflict<S: ApiKeyStore>(store: &S) {
    let first = minimal_key(3, T0);
    store
        .insert_key(&first, &test_entry(&first))
        .await
        .expect("insert");
    let mut second = full_key(3, T0);
    second.id = first.id.clone();
    let error = store
        .insert_key(&second, &test_entry(&second))
        .await
        .expect_err("duplicate id must fail");
    assert!(
        matches!(error, StoreError::Conflict(_)),
        "expected a conflict, got {error:?}"
    );
    assert_eq!(store.find_key(&first.id).await.expect("find"), Some(first));
}

/// An update applies only over the version that was read (optimistic locking).
pub async fn an_update_replaces_only_the_version_that_was_read<S: ApiKeyStore>(store: &S) {
    let original = minimal_key(4, T0);
    store
        .insert_key(&original, &test_entry(&original))
        .await
        .expect("insert");
    let mut changed = full_key(4, T0);
    changed.version = original.version + 1;
    assert!(
        store
            .update_key(&changed, original.version, &test_entry(&changed))
            .await
            .expect("update")
    );
    // Usage counters belong to consume_use, not to admin updates: they keep their stored values.
    changed.remaining = original.remaining;
    changed.last_refill_at = original.last_refill_at;
    assert_eq!(
        store.find_key(&original.id).await.expect("find"),
        Some(changed.clone())
    );

    let mut stale = changed.clone();
    stale.name = hexaspin_core::api_key::KeyName::parse("lost update").expect("name");
    stale.version = changed.version + 1;
    assert!(
        !store
            .update_key(&stale, original.version, &test_entry(&stale))
            .await
            .expect("stale update runs")
    );
    assert_eq!(store.find_key(&original.id).await.expect("find"), Some(changed));
}

/// Updating a key that does not exist changes nothing and says so.
pub async fn updating_an_unknown_key_reports_no_change<S: ApiKeyStore>(store: &S) {
    let ghost = minimal_key(5, T0);
    assert!(
        !store
            .update_key(&ghost, 1, &test_entry(&ghost))
            .await
            .expect("update runs")
    );
    assert_eq!(store.find_key(&ghost.id).await.expect("find"), None);
}

/// Newest first, ties broken by id (descending), and cursors continue exactly where a page ended.
pub async fn keys_list_newest_first_and_page_by_cursor<S: ApiKeyStore>(store: &S) {
    let mut keys = Vec::new();
    for seed in 10..15u8 {
        // Seeds 13 and 14 share a creation instant to exercise the tie-break on id.
        let at = T0.plus_seconds(i64::from(seed.min(13)));
        let key = minimal_key(seed, at);
        store.insert_key(&key, &test_entry(&key)).await.expect("insert");
        keys.push(key);
    }
    let mut expected = keys.clone();
    expected.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));

    let everything = store.list_keys(&all(100), T0).await.expect("list");
    assert_eq!(ids(&everything), ids(&expected));

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_keys(
                &KeyFilter {
                    after: after.clone(),
                    ..all(2)
                },
                T0,
            )
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        let last = page.last().expect("non-empty page");
        after = Some(KeyCursor {
            created_at: last.created_at,
            id: last.id.clone(),
        });
        seen.extend(page);
    }
    assert_eq!(ids(&seen), ids(&expected));
}

/// The owner filter matches exactly.
pub async fn keys_filter_by_owner<S: ApiKeyStore>(store: &S) {
    let mut mine = minimal_key(20, T0);
    mine.owner = Some(Owner::parse("acme").expect("owner"));
    let mut theirs = minimal_key(21, T0);
    theirs.owner = Some(Owner::parse("acme-corp").expect("owner"));
    let nobodys = minimal_key(22, T0);
    for key in [&mine, &theirs, &nobodys] {
        store.insert_key(key, &test_entry(key)).await.expect("insert");
    }
    let filter = KeyFilter {
        owner: Some(Owner::parse("acme").expect("owner")),
        ..all(100)
    };
    assert_eq!(
        ids(&store.list_keys(&filter, T0).await.expect("list")),
        ids(&[mine])
    );
}

/// Inserts one key per seed, cycling through active, revoked, disabled, expired at `now` exactly,
/// and expiring a second later; the sixth is revoked and disabled and expired (revoked wins).
async fn insert_keys_in_every_state<S: ApiKeyStore>(
    store: &S,
    seeds: std::ops::Range<u8>,
    now: Timestamp,
) -> Vec<ApiKey> {
    let mut keys = Vec::new();
    for (n, seed) in seeds.enumerate() {
        let mut key = minimal_key(seed, T0.plus_seconds(i64::from(seed)));
        match n % 5 {
            0 => key.revoked_at = Some(T0),
            1 => key.enabled = false,
            2 => key.expires_at = Some(now),
            3 => key.expires_at = Some(now.plus_seconds(1)),
            _ => {}
        }
        if n == 5 {
            key.enabled = false;
            key.expires_at = Some(T0);
        }
        store.insert_key(&key, &test_entry(&key)).await.expect("insert");
        keys.push(key);
    }
    keys
}

/// The state filter selects exactly the keys whose [`ApiKey::state`] at `now` is that state: the
/// SQL and the domain rule agree, including at the expiry instant.
pub async fn keys_filter_by_state_exactly_as_the_domain_decides<S: ApiKeyStore>(store: &S) {
    let now = T0.plus_seconds(1000);
    let keys = insert_keys_in_every_state(store, 30..40, now).await;
    for state in [
        KeyState::Active,
        KeyState::Revoked,
        KeyState::Expired,
        KeyState::Disabled,
    ] {
        let mut expected: Vec<_> = keys.iter().filter(|k| k.state(now) == state).cloned().collect();
        expected.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        assert!(!expected.is_empty(), "the sample covers {state:?}");
        let filter = KeyFilter {
            state: Some(state),
            ..all(100)
        };
        let listed = store.list_keys(&filter, now).await.expect("list");
        assert_eq!(ids(&listed), ids(&expected), "state {state:?}");
    }
}

/// The limit caps the page.
pub async fn the_limit_caps_a_page<S: ApiKeyStore>(store: &S) {
    for seed in 40..45u8 {
        let key = minimal_key(seed, T0);
        store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    }
    assert_eq!(store.list_keys(&all(3), T0).await.expect("list").len(), 3);
}

/// Uses are taken one at a time down to zero, then refused; a refund gives one back.
pub async fn uses_are_consumed_down_to_zero_and_refunded<S: ApiKeyStore>(store: &S) {
    let mut key = minimal_key(50, T0);
    key.remaining = Some(2);
    store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    let periods = UsePeriods::at(T0);
    assert_eq!(
        store.consume_use(&key.id, &periods).await.expect("use"),
        UseCharge::Charged { remaining: 1 }
    );
    assert_eq!(
        store.consume_use(&key.id, &periods).await.expect("use"),
        UseCharge::Charged { remaining: 0 }
    );
    assert_eq!(
        store.consume_use(&key.id, &periods).await.expect("use"),
        UseCharge::Exhausted
    );
    store.refund_use(&key.id).await.expect("refund");
    assert_eq!(
        store.consume_use(&key.id, &periods).await.expect("use"),
        UseCharge::Charged { remaining: 0 }
    );
    let stored = store.find_key(&key.id).await.expect("find").expect("key");
    assert_eq!(
        (stored.remaining, stored.version),
        (Some(0), key.version),
        "usage does not bump the admin version"
    );
}

/// A key whose refill period began after its last refill is refilled before the use is taken.
pub async fn uses_are_refilled_when_a_new_period_began<S: ApiKeyStore>(store: &S) {
    let mut key = minimal_key(51, T0);
    key.remaining = Some(0);
    key.refill = Some(Refill {
        interval: RefillInterval::Daily,
        amount: 5,
    });
    key.last_refill_at = Some(T0);
    store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    assert_eq!(
        store
            .consume_use(&key.id, &UsePeriods::at(T0))
            .await
            .expect("use"),
        UseCharge::Exhausted
    );
    let tomorrow = T0.plus_seconds(86_400);
    assert_eq!(
        store
            .consume_use(&key.id, &UsePeriods::at(tomorrow))
            .await
            .expect("use"),
        UseCharge::Charged { remaining: 4 }
    );
    assert_eq!(
        store
            .consume_use(&key.id, &UsePeriods::at(tomorrow))
            .await
            .expect("use"),
        UseCharge::Charged { remaining: 3 }
    );
    let stored = store.find_key(&key.id).await.expect("find").expect("key");
    assert_eq!(stored.last_refill_at, Some(tomorrow));
}

/// Keys without a budget are unlimited; unknown keys are exhausted.
pub async fn keys_without_a_budget_are_unlimited<S: ApiKeyStore>(store: &S) {
    let key = minimal_key(52, T0);
    store.insert_key(&key, &test_entry(&key)).await.expect("insert");
    assert_eq!(
        store
            .consume_use(&key.id, &UsePeriods::at(T0))
            .await
            .expect("use"),
        UseCharge::Unlimited
    );
    let ghost = ApiKeyId::from_random([53; 8]);
    assert_eq!(
        store.consume_use(&ghost, &UsePeriods::at(T0)).await.expect("use"),
        UseCharge::Exhausted
    );
}

/// Keys are counted in every state exactly as the domain decides, zeros included.
pub async fn keys_are_counted_by_state_as_the_domain_decides<S: ApiKeyStore>(store: &S) {
    let now = T0.plus_seconds(1000);
    let empty = store.count_keys(now).await.expect("count empty");
    assert_eq!(empty, KeyState::ALL.map(|state| (state, 0)).to_vec());
    let keys = insert_keys_in_every_state(store, 60..73, now).await;
    let counted = store.count_keys(now).await.expect("count");
    let expected: Vec<_> = KeyState::ALL
        .iter()
        .map(|&state| {
            (
                state,
                keys.iter().filter(|k| k.state(now) == state).count() as u64,
            )
        })
        .collect();
    assert_eq!(counted, expected);
    assert!(
        expected.iter().all(|(_, n)| *n > 0),
        "the sample covers every state"
    );
}
