//! The contract of [`KeyCache`]: a cached key is never older than the last fence raised for it,
//! whatever order a change and a late fill arrive in; a cache may keep nothing (every lookup a
//! miss), never something stale. The lookup shares its round trip with the failed-verification
//! charge, so it is charged like [`hexaspin_core::ports::RateLimiter::take`].

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, SecretHash};
use hexaspin_core::ports::{KeyCache, RateBucket};
use hexaspin_core::quota::RateRule;

use crate::samples::full_key;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

/// A hash no key has (a guess).
fn wrong_secret() -> SecretHash {
    SecretHash::from_hex(&"00".repeat(32)).expect("hash")
}

async fn lookup<S: KeyCache>(cache: &S, key: &ApiKey) -> Option<ApiKey> {
    cache
        .take_and_find_key(&[], &key.id, &wrong_secret(), T0)
        .await
        .expect("lookup")
        .cached
}

fn at_version(key: &ApiKey, version: i64) -> ApiKey {
    let mut changed = key.clone();
    changed.version = version;
    changed
}

/// What a lookup returns is what was put, or nothing; never another key's record.
pub async fn a_lookup_returns_the_record_put_or_nothing<S: KeyCache>(cache: &S) {
    let key = full_key(1, T0);
    let other = full_key(2, T0);
    assert_eq!(lookup(cache, &key).await, None, "nothing was put");
    cache.put_key(&key).await.expect("put");
    cache.put_key(&other).await.expect("put");
    for (wanted, found) in [
        (&key, lookup(cache, &key).await),
        (&other, lookup(cache, &other).await),
    ] {
        assert!(found.is_none() || found.as_ref() == Some(wanted), "{found:?}");
    }
}

/// The race a cache exists to survive: a verification read version 1 from the key store, a
/// revocation then fenced version 2 and changed the key, and only then does the verification's fill
/// arrive. It is refused, whether or not the revocation's own write-through landed.
pub async fn a_fill_that_read_the_key_before_a_change_cannot_bring_it_back<S: KeyCache>(cache: &S) {
    let read_before = full_key(3, T0);
    let mut revoked = at_version(&read_before, read_before.version + 1);
    revoked.revoked_at = Some(T0);
    cache.put_key(&read_before).await.expect("put");

    cache
        .fence_key(&revoked.id, revoked.version)
        .await
        .expect("fence");
    assert_eq!(
        lookup(cache, &read_before).await,
        None,
        "the fence drops the older record"
    );
    cache.put_key(&read_before).await.expect("late fill");
    assert_eq!(
        lookup(cache, &read_before).await,
        None,
        "the late fill is refused"
    );

    cache.put_key(&revoked).await.expect("write-through");
    cache.put_key(&read_before).await.expect("later fill");
    let found = lookup(cache, &read_before).await;
    assert!(found.is_none() || found == Some(revoked.clone()), "{found:?}");
}

/// Versions only move forward: an older record never replaces a newer one, and a fence never falls
/// (a fence raised by a change that then failed keeps older records out all the same).
pub async fn an_older_record_never_replaces_a_newer_one_and_a_fence_never_falls<S: KeyCache>(cache: &S) {
    let v5 = at_version(&full_key(4, T0), 5);
    cache.put_key(&v5).await.expect("put");
    cache.put_key(&at_version(&v5, 4)).await.expect("older put");
    let found = lookup(cache, &v5).await;
    assert!(found.is_none() || found == Some(v5.clone()), "{found:?}");

    cache.fence_key(&v5.id, 8).await.expect("fence");
    cache.fence_key(&v5.id, 6).await.expect("lower fence");
    cache
        .put_key(&at_version(&v5, 7))
        .await
        .expect("put under the fence");
    assert_eq!(lookup(cache, &v5).await, None, "7 is under the fence at 8");
    let v8 = at_version(&v5, 8);
    cache.put_key(&v8).await.expect("put at the fence");
    let found = lookup(cache, &v5).await;
    assert!(found.is_none() || found == Some(v8), "{found:?}");
}

/// A fence drops the cached copy even when the copy is newer than the coming version: a cache
/// ahead of a key store that lost writes (restored from a backup) must not outlive the change.
pub async fn a_fence_drops_even_a_copy_newer_than_the_change<S: KeyCache>(cache: &S) {
    let ahead = at_version(&full_key(8, T0), 5);
    cache.put_key(&ahead).await.expect("put");
    cache
        .fence_key(&ahead.id, 4)
        .await
        .expect("fence for the restored store's next version");
    assert_eq!(lookup(cache, &ahead).await, None);
    let changed = at_version(&ahead, 4);
    cache
        .put_key(&changed)
        .await
        .expect("write-through of the change");
    let found = lookup(cache, &ahead).await;
    assert!(found.is_none() || found == Some(changed), "{found:?}");
}

/// Twenty fills of old versions racing one fence: once the fence has answered, no lookup finds a
/// record older than it.
pub async fn concurrent_late_fills_never_outlive_a_fence<S: KeyCache>(cache: &S) {
    let key = at_version(&full_key(5, T0), 1);
    cache.put_key(&key).await.expect("put");
    let fills = (0..20).map(|_| cache.put_key(&key));
    let (fence, fills) = futures::join!(cache.fence_key(&key.id, 2), join_all(fills));
    fence.expect("fence");
    assert!(fills.iter().all(Result::is_ok));
    cache.put_key(&key).await.expect("a fill after the fence");
    assert_eq!(lookup(cache, &key).await, None, "version 1 is under the fence");
}

/// The lookup is charged as a take for a secret that does not match: a refused charge looks
/// nothing up, and the burst holds for concurrent lookups.
pub async fn a_lookup_is_charged_to_its_buckets_and_refused_looks_nothing_up<S: KeyCache>(cache: &S) {
    let key = full_key(6, T0);
    cache.put_key(&key).await.expect("put");
    let buckets = [bucket("test:key-cache", 5)];
    let wrong = wrong_secret();
    let attempts = (0..20).map(|_| cache.take_and_find_key(&buckets, &key.id, &wrong, T0));
    let results: Vec<_> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("take"))
        .collect();
    let admitted = results.iter().filter(|l| l.decision.rejected.is_none()).count();
    assert_eq!(admitted, 5, "the burst, exactly");
    for lookup in &results {
        if lookup.decision.rejected.is_some() {
            assert_eq!(
                (&lookup.cached, lookup.charged),
                (&None, false),
                "refused: nothing looked up"
            );
        } else {
            assert!(lookup.charged, "a wrong secret is charged");
            assert!(lookup.cached.is_none() || lookup.cached.as_ref() == Some(&key));
        }
    }
}

/// Only a secret that matches the cached record (or its previous secret within the grace period)
/// goes uncharged; a cache that keeps nothing charges every lookup.
pub async fn only_a_secret_matching_the_cached_record_goes_uncharged<S: KeyCache>(cache: &S) {
    let key = full_key(7, T0);
    let previous = key.previous_secret_hash.clone().expect("a previous secret");
    let grace_end = key.previous_secret_expires_at.expect("a grace period");
    cache.put_key(&key).await.expect("put");
    let buckets = [bucket("test:key-cache-match", 10)];
    let mut revoked = at_version(&full_key(10, T0), 8);
    revoked.revoked_at = Some(T0);
    cache.put_key(&revoked).await.expect("put");
    let lookup = cache
        .take_and_find_key(&buckets, &revoked.id, &revoked.secret_hash, T0)
        .await
        .expect("lookup");
    assert!(
        lookup.charged,
        "a revoked key's right secret is charged like any guess"
    );
    let mut expired = at_version(&full_key(11, T0), 8);
    expired.expires_at = Some(T0);
    cache.put_key(&expired).await.expect("put");
    let lookup = cache
        .take_and_find_key(&buckets, &expired.id, &expired.secret_hash, T0)
        .await
        .expect("lookup");
    assert!(lookup.charged, "so is an expired key's");
    let cases = [
        ("the current secret", key.secret_hash.clone(), T0, false),
        (
            "the previous secret in its grace period",
            previous.clone(),
            T0,
            false,
        ),
        ("a wrong secret", wrong_secret(), T0, true),
        ("the previous secret after it", previous, grace_end, true),
    ];
    for (what, presented, at, must_charge) in cases {
        let lookup = cache
            .take_and_find_key(&buckets, &key.id, &presented, at)
            .await
            .expect("lookup");
        assert!(lookup.decision.rejected.is_none(), "{what}: the bucket has room");
        match &lookup.cached {
            Some(found) => {
                assert_eq!(found, &key, "{what}");
                assert_eq!(lookup.charged, must_charge, "{what}");
            }
            None => assert!(lookup.charged, "{what}: nothing cached, so charged"),
        }
    }
}

fn bucket(name: &str, burst: u32) -> RateBucket {
    RateBucket {
        name: name.to_owned(),
        rule: RateRule::new(1, burst).expect("rule"),
    }
}
