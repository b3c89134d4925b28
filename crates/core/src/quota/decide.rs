//! One quota decision over all of a key's rules, and the state to store if it is accepted.

use super::DAY_US;
use super::gcra::{RateRule, gcra};

/// The rules that apply to one key (its own limits, else the server defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaRules {
    /// GCRA rate and burst.
    pub rate: Option<RateRule>,
    /// Jobs per UTC day.
    pub daily_quota: Option<u64>,
}

/// What a store keeps per key between decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaState {
    /// GCRA theoretical arrival time (µs), 0 when never used.
    pub tat_us: i64,
    /// UTC day number the count belongs to.
    pub day: i64,
    /// Jobs accepted on `day`.
    pub day_count: u64,
}

/// Which limit refused the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Too fast: the GCRA rate/burst.
    RateLimited,
    /// The daily quota is used up.
    QuotaExhausted,
    /// The key has as many jobs waiting for a future time as it may.
    ScheduledLimit,
    /// The key's stored payloads would exceed the bytes it may keep.
    StorageLimit,
}

impl RejectReason {
    /// The stable code used in problem+json and stored counters.
    pub fn code(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::QuotaExhausted => "quota_exhausted",
            Self::ScheduledLimit => "scheduled_limit_reached",
            Self::StorageLimit => "storage_limit_reached",
        }
    }
}

/// The decision, with what the `RateLimit-*` headers report: the most constraining limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// `None` when accepted.
    pub rejected: Option<RejectReason>,
    /// `RateLimit-Limit`: the burst, or the daily quota if there is no rate rule.
    pub limit: u64,
    /// `RateLimit-Remaining`.
    pub remaining: u64,
    /// `RateLimit-Reset`, µs until the reported limit is fully available again.
    pub reset_after_us: i64,
    /// `Retry-After`, µs (0 when accepted).
    pub retry_after_us: i64,
}

/// Decides one request at `now_us`; the returned state is what to store if accepted (on rejection
/// it equals `state`, so storing it is harmless).
pub fn decide(state: QuotaState, rules: QuotaRules, now_us: i64) -> (Decision, QuotaState) {
    let today = now_us.div_euclid(DAY_US);
    let used_today = if state.day == today { state.day_count } else { 0 };
    let until_midnight = (today + 1) * DAY_US - now_us;

    if let Some(quota) = rules.daily_quota
        && used_today >= quota
    {
        let decision = Decision {
            rejected: Some(RejectReason::QuotaExhausted),
            limit: quota,
            remaining: 0,
            reset_after_us: until_midnight,
            retry_after_us: until_midnight,
        };
        return (decision, state);
    }
    let daily_left = rules.daily_quota.map(|q| q - used_today - 1);
    let mut next = QuotaState {
        tat_us: state.tat_us,
        day: today,
        day_count: used_today + 1,
    };
    let decision = match rules.rate {
        Some(rule) => {
            let out = gcra(state.tat_us, now_us, rule);
            if !out.allowed {
                let decision = Decision {
                    rejected: Some(RejectReason::RateLimited),
                    limit: u64::from(rule.burst()),
                    remaining: 0,
                    reset_after_us: out.reset_after_us,
                    retry_after_us: out.retry_after_us,
                };
                return (decision, state);
            }
            next.tat_us = out.new_tat_us;
            let rate_remaining = u64::from(out.remaining);
            match daily_left {
                Some(left) if left < rate_remaining => Decision {
                    rejected: None,
                    limit: rules.daily_quota.unwrap_or_default(),
                    remaining: left,
                    reset_after_us: until_midnight,
                    retry_after_us: 0,
                },
                _ => Decision {
                    rejected: None,
                    limit: u64::from(rule.burst()),
                    remaining: rate_remaining,
                    reset_after_us: out.reset_after_us,
                    retry_after_us: 0,
                },
            }
        }
        None => Decision {
            rejected: None,
            limit: rules.daily_quota.unwrap_or(u64::MAX),
            remaining: daily_left.unwrap_or(u64::MAX),
            reset_after_us: if rules.daily_quota.is_some() {
                until_midnight
            } else {
                0
            },
            retry_after_us: 0,
        },
    };
    (decision, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 20_000 * DAY_US + DAY_US / 2;

    #[test]
    fn the_daily_quota_refuses_until_midnight_then_resets() {
        let rules = QuotaRules {
            rate: None,
            daily_quota: Some(2),
        };
        let mut state = QuotaState::default();
        for expected_left in [1, 0] {
            let (d, next) = decide(state, rules, NOON);
            assert_eq!((d.rejected, d.remaining), (None, expected_left));
            state = next;
        }
        let (refused, unchanged) = decide(state, rules, NOON);
        assert_eq!(refused.rejected, Some(RejectReason::QuotaExhausted));
        assert_eq!(refused.retry_after_us, DAY_US / 2);
        assert_eq!(unchanged, state);
        let (tomorrow, _) = decide(state, rules, NOON + DAY_US / 2);
        assert_eq!(tomorrow.rejected, None);
    }

    #[test]
    fn a_rate_rejection_does_not_use_up_the_daily_quota() {
        let rules = QuotaRules {
            rate: Some(RateRule::new(1, 1).unwrap()),
            daily_quota: Some(10),
        };
        let (first, state) = decide(QuotaState::default(), rules, NOON);
        assert_eq!(first.rejected, None);
        let (second, after) = decide(state, rules, NOON + 1);
        assert_eq!(second.rejected, Some(RejectReason::RateLimited));
        assert_eq!(after.day_count, 1);
    }

    #[test]
    fn without_rules_everything_is_accepted() {
        let (d, _) = decide(QuotaState::default(), QuotaRules::default(), NOON);
        assert_eq!(d.rejected, None);
    }
}
