//! The contract of [`RateLimiter`]: buckets charged all-or-none before the work they guard, and
//! tokens given back, on every adapter, under concurrent callers.

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::ports::{RateBucket, RateLimiter};
use hexaspin_core::quota::{RatePeriod, RateRule, RejectReason};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn bucket(name: &str, rule: RateRule) -> RateBucket {
    RateBucket {
        name: name.to_owned(),
        rule,
    }
}

/// A bucket admits its burst, then refuses with the time until its next token; buckets are apart.
pub async fn a_bucket_admits_its_burst_then_refuses_until_its_next_token<S: RateLimiter>(store: &S) {
    let one = [bucket("test:10.0.0.1", RateRule::new(1, 3).expect("rule"))];
    for expected_left in [2, 1, 0] {
        let decision = store.take(&one, T0).await.expect("take");
        assert_eq!((decision.rejected, decision.remaining), (None, expected_left));
    }
    let refused = store.take(&one, T0).await.expect("take");
    assert_eq!(
        (refused.rejected, refused.retry_after_us),
        (Some(RejectReason::RateLimited), 1_000_000)
    );
    let other = [bucket("test:10.0.0.2", RateRule::new(1, 3).expect("rule"))];
    assert!(
        store.take(&other, T0).await.expect("take").rejected.is_none(),
        "buckets are apart"
    );
    let later = store.take(&one, T0.plus_seconds(1)).await.expect("take");
    assert!(later.rejected.is_none(), "one token a second");
}

/// When one of an attempt's buckets is empty the attempt is refused and no bucket is charged.
pub async fn one_empty_bucket_refuses_the_attempt_and_charges_none<S: RateLimiter>(store: &S) {
    let loose = bucket("test:loose", RateRule::new(1, 5).expect("rule"));
    let tight = bucket("test:tight", RateRule::new(1, 1).expect("rule"));
    let both = [loose.clone(), tight.clone()];
    let first = store.take(&both, T0).await.expect("take");
    assert_eq!(
        (first.rejected, first.remaining),
        (None, 0),
        "the tight bucket is reported"
    );
    for _ in 0..3 {
        let refused = store.take(&both, T0).await.expect("take");
        assert_eq!(refused.rejected, Some(RejectReason::RateLimited));
    }
    let loose_alone = store.take(&[loose], T0).await.expect("take");
    assert_eq!(
        loose_alone.remaining, 3,
        "only the first attempt took from the loose bucket"
    );
}

/// A token given back can be taken again; giving back to a full bucket adds nothing.
pub async fn a_token_given_back_can_be_taken_again_and_never_overfills<S: RateLimiter>(store: &S) {
    let one = [bucket("test:give-back", RateRule::new(1, 2).expect("rule"))];
    store
        .give_back(&one, T0)
        .await
        .expect("give back to a fresh bucket");
    for _ in 0..2 {
        assert!(store.take(&one, T0).await.expect("take").rejected.is_none());
    }
    assert!(
        store.take(&one, T0).await.expect("take").rejected.is_some(),
        "the burst is 2, not 3"
    );
    store.give_back(&one, T0).await.expect("give back");
    assert!(store.take(&one, T0).await.expect("take").rejected.is_none());
    assert!(store.take(&one, T0).await.expect("take").rejected.is_some());
}

/// A per-hour rule admits its burst, then one attempt per interval (here 72 s).
pub async fn an_hourly_rule_refills_one_token_per_interval<S: RateLimiter>(store: &S) {
    let hourly = [bucket(
        "test:hourly",
        RateRule::per(50, RatePeriod::Hour, 2).expect("rule"),
    )];
    for _ in 0..2 {
        assert!(store.take(&hourly, T0).await.expect("take").rejected.is_none());
    }
    let refused = store.take(&hourly, T0).await.expect("take");
    assert_eq!(refused.retry_after_us, 72_000_000);
    assert!(
        store
            .take(&hourly, T0.plus_seconds(71))
            .await
            .expect("take")
            .rejected
            .is_some()
    );
    assert!(
        store
            .take(&hourly, T0.plus_seconds(72))
            .await
            .expect("take")
            .rejected
            .is_none()
    );
}

/// Fifty attempts at once on two buckets: exactly the smaller burst are admitted, and each bucket
/// was charged exactly that many times (no attempt slipped between a read and a write).
pub async fn fifty_concurrent_attempts_get_exactly_the_smaller_burst<S: RateLimiter>(store: &S) {
    let per_account = bucket(
        "test:concurrent:account",
        RateRule::per(10, RatePeriod::Hour, 5).expect("rule"),
    );
    let per_client = bucket(
        "test:concurrent:client",
        RateRule::per(10, RatePeriod::Hour, 8).expect("rule"),
    );
    let both = [per_account.clone(), per_client.clone()];
    let decisions = join_all((0..50).map(|_| store.take(&both, T0))).await;
    let admitted = decisions
        .into_iter()
        .map(|d| d.expect("take"))
        .filter(|d| d.rejected.is_none())
        .count();
    assert_eq!(admitted, 5);
    let left = store.take(&[per_client], T0).await.expect("take");
    assert_eq!(
        left.remaining, 2,
        "the client bucket was charged 5 times, then this once"
    );
}
