//! The Generic Cell Rate Algorithm (as redis-cell and throttled implement it): one stored value per
//! key, the theoretical arrival time (TAT).
//!
//! With emission interval `T = 1 s / rate` and tolerance `τ = T·(burst − 1)`, a request at `now`
//! is allowed when `max(TAT, now) − now ≤ τ`; it then moves TAT to `max(TAT, now) + T`.

use crate::DomainError;

/// The highest sustained rate the limiter represents: its clock counts microseconds.
pub const MAX_RATE_PER_SEC: u32 = 1_000_000;

/// Sustained rate and burst of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    /// Requests per second, ≥ 1.
    pub rate_per_sec: u32,
    /// Requests allowed at once, ≥ 1.
    pub burst: u32,
}

impl RateRule {
    /// Checks both are positive and the rate is at most a million per second.
    pub fn new(rate_per_sec: u32, burst: u32) -> Result<Self, DomainError> {
        if !(1..=MAX_RATE_PER_SEC).contains(&rate_per_sec) {
            return Err(DomainError::invalid(
                "rate_per_sec",
                format!("must be from 1 to {MAX_RATE_PER_SEC}"),
            ));
        }
        if burst == 0 {
            return Err(DomainError::invalid("burst", "must be positive"));
        }
        Ok(Self { rate_per_sec, burst })
    }

    /// The rule for a stored rate and burst that may predate today's validation: an out-of-range
    /// rate becomes the nearest one the limiter represents, never "unlimited".
    pub fn clamped(rate_per_sec: u32, burst: u32) -> Self {
        Self {
            rate_per_sec: rate_per_sec.clamp(1, MAX_RATE_PER_SEC),
            burst: burst.max(1),
        }
    }

    /// `T`, in microseconds.
    pub fn emission_interval_us(self) -> i64 {
        1_000_000 / i64::from(self.rate_per_sec)
    }

    /// `τ`, in microseconds.
    pub fn tolerance_us(self) -> i64 {
        self.emission_interval_us() * (i64::from(self.burst) - 1)
    }
}

/// The outcome of one GCRA check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraOutcome {
    /// Whether the request conforms.
    pub allowed: bool,
    /// TAT to store if the request is accepted (unchanged if not).
    pub new_tat_us: i64,
    /// Requests still allowed right now after this one.
    pub remaining: u32,
    /// Until the bucket is full again.
    pub reset_after_us: i64,
    /// Until a request would be allowed (0 when allowed).
    pub retry_after_us: i64,
}

/// Checks one request at `now_us` against `tat_us` (0 for a fresh key).
pub fn gcra(tat_us: i64, now_us: i64, rule: RateRule) -> GcraOutcome {
    let interval = rule.emission_interval_us();
    let tolerance = rule.tolerance_us();
    let tat = tat_us.max(now_us);
    if tat - now_us > tolerance {
        return GcraOutcome {
            allowed: false,
            new_tat_us: tat_us,
            remaining: 0,
            reset_after_us: tat - now_us,
            retry_after_us: tat - now_us - tolerance,
        };
    }
    let new_tat = tat + interval;
    let used = new_tat - now_us;
    let remaining = (tolerance + interval - used) / interval;
    GcraOutcome {
        allowed: true,
        new_tat_us: new_tat,
        remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
        reset_after_us: used,
        retry_after_us: 0,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_stored_rate_out_of_range_is_clamped_never_dropped() {
        let rule = RateRule::clamped(4_000_000_000, 0);
        assert_eq!((rule.rate_per_sec, rule.burst), (MAX_RATE_PER_SEC, 1));
        assert_eq!(RateRule::clamped(0, 5).rate_per_sec, 1);
    }

    #[test]
    fn a_burst_is_allowed_at_once_and_then_one_per_interval() {
        let rule = RateRule::new(10, 3).unwrap();
        let mut tat = 0;
        let now = 1_000_000_000;
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let out = gcra(tat, now, rule);
            assert!(out.allowed);
            remaining.push(out.remaining);
            tat = out.new_tat_us;
        }
        assert_eq!(remaining, [2, 1, 0]);
        let denied = gcra(tat, now, rule);
        assert!(!denied.allowed);
        assert_eq!(denied.retry_after_us, 100_000);
        assert!(gcra(tat, now + 100_000, rule).allowed);
    }

    proptest! {
        #[test]
        fn no_window_admits_more_than_burst_plus_elapsed_intervals(
            rate in 1u32..200, burst in 1u32..20, gaps in proptest::collection::vec(0i64..50_000, 1..200)
        ) {
            let rule = RateRule::new(rate, burst).unwrap();
            let start = 1_800_000_000_000_000i64;
            let (mut now, mut tat, mut allowed_at) = (start, 0i64, Vec::new());
            for gap in gaps {
                now += gap;
                let out = gcra(tat, now, rule);
                if out.allowed {
                    tat = out.new_tat_us;
                    allowed_at.push(now);
                } else {
                    prop_assert!(out.retry_after_us > 0);
                    prop_assert!(gcra(tat, now + out.retry_after_us, rule).allowed, "retry_after is enough");
                }
            }
            // Over any span, at most burst + span/T requests pass.
            let t = rule.emission_interval_us();
            for (i, first) in allowed_at.iter().enumerate() {
                for (j, last) in allowed_at.iter().enumerate().skip(i) {
                    let admitted = (j - i + 1) as i64;
                    prop_assert!(admitted <= i64::from(burst) + (last - first) / t);
                }
            }
        }

        #[test]
        fn after_a_quiet_period_a_full_burst_is_available(rate in 1u32..1000, burst in 1u32..50, tat_ahead in 0i64..10_000_000) {
            let rule = RateRule::new(rate, burst).unwrap();
            let now = 1_800_000_000_000_000i64;
            let out = gcra(now + tat_ahead, now + tat_ahead + 1, rule);
            prop_assert!(out.allowed);
            prop_assert_eq!(out.remaining, burst - 1);
        }
    }
}
