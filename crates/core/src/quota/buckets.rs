//! Several plain rate buckets charged as one: the attempt limits (sign-in per account, per
//! account and client, per client) take a token from every bucket that guards an attempt, or from
//! none, *before* the attempt's work is done, and give it back if the attempt turns out not to
//! count (a correct password). Taking first is what makes N parallel attempts see at most the
//! smallest burst checked; peeking first and charging after a failure lets them all through.

use super::decide::{Decision, RejectReason};
use super::gcra::{RateRule, gcra};

/// Takes one token from each bucket, given as (stored TAT in µs, 0 when absent; its rule), at
/// `now_us`. All or nothing: the new TATs to store, in the same order, are returned only when
/// every bucket allowed it.
///
/// The decision reports the most constraining bucket: when refused, the one the client must wait
/// longest for (`Retry-After` is when every bucket would allow it); when allowed, the one with the
/// fewest tokens left.
pub fn take_all(buckets: &[(i64, RateRule)], now_us: i64) -> (Decision, Option<Vec<i64>>) {
    let mut refused: Option<Decision> = None;
    let mut tightest: Option<Decision> = None;
    let mut next = Vec::with_capacity(buckets.len());
    for &(tat_us, rule) in buckets {
        let out = gcra(tat_us, now_us, rule);
        let decision = Decision {
            rejected: (!out.allowed).then_some(RejectReason::RateLimited),
            limit: u64::from(rule.burst()),
            remaining: u64::from(out.remaining),
            reset_after_us: out.reset_after_us,
            retry_after_us: out.retry_after_us,
        };
        if out.allowed {
            next.push(out.new_tat_us);
            if tightest.is_none_or(|t| decision.remaining < t.remaining) {
                tightest = Some(decision);
            }
        } else if refused.is_none_or(|r| decision.retry_after_us > r.retry_after_us) {
            refused = Some(decision);
        }
    }
    match (refused, tightest) {
        (Some(refused), _) => (refused, None),
        (None, Some(tightest)) => (tightest, Some(next)),
        (None, None) => (
            Decision {
                rejected: None,
                limit: u64::MAX,
                remaining: u64::MAX,
                reset_after_us: 0,
                retry_after_us: 0,
            },
            Some(next),
        ),
    }
}

/// Gives one token back to a bucket with stored TAT `tat_us`: the TAT to store, or `None` when
/// the bucket is full again at `now_us` (nothing needs storing). A token is never created out of
/// nothing: a bucket that is already full stays full.
pub fn give_back(tat_us: i64, rule: RateRule, now_us: i64) -> Option<i64> {
    let earlier = tat_us - rule.emission_interval_us();
    (earlier > now_us).then_some(earlier)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::quota::RatePeriod;

    const NOW: i64 = 1_800_000_000_000_000;

    #[test]
    fn one_refusing_bucket_refuses_all_and_charges_none() {
        let loose = RateRule::new(10, 10).unwrap();
        let tight = RateRule::new(1, 1).unwrap();
        let (first, stored) = take_all(&[(0, loose), (0, tight)], NOW);
        assert_eq!(first.rejected, None);
        let stored = stored.expect("both allowed");
        assert_eq!(first.remaining, 0, "the tight bucket is the one reported");
        let (second, none) = take_all(&[(stored[0], loose), (stored[1], tight)], NOW);
        assert_eq!(second.rejected, Some(RejectReason::RateLimited));
        assert_eq!(second.retry_after_us, 1_000_000);
        assert!(none.is_none(), "the loose bucket was not charged either");
    }

    #[test]
    fn retry_after_is_when_every_refusing_bucket_allows_again() {
        let per_second = RateRule::new(1, 1).unwrap();
        let per_minute = RateRule::per(1, RatePeriod::Minute, 1).unwrap();
        let (_, stored) = take_all(&[(0, per_second), (0, per_minute)], NOW);
        let stored = stored.expect("allowed");
        let (refused, _) = take_all(&[(stored[0], per_second), (stored[1], per_minute)], NOW);
        assert_eq!(refused.retry_after_us, 60_000_000);
    }

    #[test]
    fn a_token_given_back_can_be_taken_again_and_a_full_bucket_stays_full() {
        let rule = RateRule::new(1, 2).unwrap();
        let (_, stored) = take_all(&[(0, rule)], NOW);
        let tat = stored.expect("allowed")[0];
        let (_, stored) = take_all(&[(tat, rule)], NOW);
        let tat = stored.expect("second of the burst")[0];
        assert!(take_all(&[(tat, rule)], NOW).1.is_none(), "burst spent");
        let back = give_back(tat, rule, NOW).expect("one token back, not full");
        assert!(take_all(&[(back, rule)], NOW).1.is_some());
        assert_eq!(
            give_back(NOW + 1_000_000, rule, NOW),
            None,
            "one token short of full is full after a give-back"
        );
        assert_eq!(give_back(0, rule, NOW), None);
    }

    proptest! {
        #[test]
        fn taking_and_giving_back_leaves_a_bucket_as_it_was_for_every_later_decision(
            rate in 1u32..100, burst in 1u32..20, taken in 0u32..20, later in 0i64..5_000_000
        ) {
            let rule = RateRule::new(rate, burst).unwrap();
            let mut tat = 0;
            for _ in 0..taken {
                if let (_, Some(next)) = take_all(&[(tat, rule)], NOW) { tat = next[0]; }
            }
            let before = take_all(&[(tat, rule)], NOW + later).0;
            if let (_, Some(next)) = take_all(&[(tat, rule)], NOW) {
                let back = give_back(next[0], rule, NOW).unwrap_or(0);
                prop_assert_eq!(take_all(&[(back, rule)], NOW + later).0, before);
            }
        }
    }
}
