//! When a failed attempt runs again: exponential backoff with jitter, as a pure function.
//!
//! Attempt `n` (1-based, the one that just failed) waits `base · 2^(n−1)`, capped at `max`, then
//! "equal jitter" keeps half of that and draws the other half at random, so retries of many jobs
//! that failed together (an outage) spread out instead of arriving in waves, while no retry comes
//! sooner than half its nominal delay.

use crate::Timestamp;

/// The backoff policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure, in milliseconds.
    pub base_ms: u64,
    /// Longest delay, in milliseconds.
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 1_000,
            max_ms: 3_600_000,
        }
    }
}

impl Backoff {
    /// The nominal (un-jittered) delay after attempt `attempt` failed.
    pub fn nominal_ms(self, attempt: u32) -> u64 {
        let exponent = attempt.saturating_sub(1).min(62);
        self.base_ms.saturating_mul(1u64 << exponent).min(self.max_ms)
    }

    /// When the next attempt may start, given `random` (any u64 from a RNG).
    pub fn next_attempt_at(self, now: Timestamp, attempt: u32, random: u64) -> Timestamp {
        let nominal = self.nominal_ms(attempt);
        let half = nominal / 2;
        let jitter = if nominal - half == 0 {
            0
        } else {
            random % (nominal - half + 1)
        };
        let delay = i64::try_from(half + jitter).unwrap_or(i64::MAX);
        Timestamp::from_millis(now.as_millis().saturating_add(delay))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn delays_double_until_the_cap() {
        let policy = Backoff {
            base_ms: 100,
            max_ms: 1_000,
        };
        let nominal: Vec<_> = (1..=6).map(|n| policy.nominal_ms(n)).collect();
        assert_eq!(nominal, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(policy.nominal_ms(u32::MAX), 1_000);
    }

    proptest! {
        #[test]
        fn a_retry_waits_between_half_and_all_of_its_nominal_delay(
            base in 1u64..10_000, max in 1u64..10_000_000, attempt in 1u32..80, random: u64, now in 0i64..4_000_000_000_000
        ) {
            let policy = Backoff { base_ms: base, max_ms: max.max(base) };
            let nominal = policy.nominal_ms(attempt);
            let at = policy.next_attempt_at(Timestamp::from_millis(now), attempt, random);
            let delay = (at.as_millis() - now) as u64;
            prop_assert!(delay >= nominal / 2 && delay <= nominal, "{delay} not in [{}, {nominal}]", nominal / 2);
        }

        #[test]
        fn later_attempts_never_have_a_shorter_nominal_delay(base in 1u64..10_000, max in 1u64..10_000_000, attempt in 1u32..80) {
            let policy = Backoff { base_ms: base, max_ms: max.max(base) };
            prop_assert!(policy.nominal_ms(attempt + 1) >= policy.nominal_ms(attempt));
        }
    }
}
