//! The Generic Cell Rate Algorithm (as redis-cell and throttled implement it): one stored value per
//! key, the theoretical arrival time (TAT).
//!
//! With emission interval `T = period / rate` and tolerance `τ = T·(burst − 1)`, a request at
//! `now` is allowed when `max(TAT, now) − now ≤ τ`; it then moves TAT to `max(TAT, now) + T`.
//! Over any span of time `d`, at most `burst + d / T` requests are allowed.

use crate::DomainError;

/// The highest sustained rate the limiter represents: its clock counts microseconds.
pub const MAX_RATE_PER_SEC: u32 = 1_000_000;

/// The unit a rate is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatePeriod {
    /// Per second (API key limits).
    Second,
    /// Per minute.
    Minute,
    /// Per hour (password guessing limits).
    Hour,
}

impl RatePeriod {
    /// The period's length in microseconds.
    pub fn micros(self) -> i64 {
        match self {
            Self::Second => 1_000_000,
            Self::Minute => 60_000_000,
            Self::Hour => 3_600_000_000,
        }
    }
}

/// Sustained rate and burst of one bucket: `rate` requests per `period`, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    interval_us: i64,
    burst: u32,
}

impl RateRule {
    /// `rate_per_sec` per second (1 to a million), `burst` at once (≥ 1).
    pub fn new(rate_per_sec: u32, burst: u32) -> Result<Self, DomainError> {
        if !(1..=MAX_RATE_PER_SEC).contains(&rate_per_sec) {
            return Err(DomainError::invalid(
                "rate_per_sec",
                format!("must be from 1 to {MAX_RATE_PER_SEC}"),
            ));
        }
        Self::per(rate_per_sec, RatePeriod::Second, burst)
    }

    /// `rate` per `span` periods (e.g. 10 per 15 minutes), `burst` at once. The interval between
    /// two requests at the sustained rate must come to at least a microsecond.
    pub fn per_span(rate: u32, span: u32, period: RatePeriod, burst: u32) -> Result<Self, DomainError> {
        if rate == 0 || span == 0 {
            return Err(DomainError::invalid("rate", "must be positive"));
        }
        if burst == 0 {
            return Err(DomainError::invalid("burst", "must be positive"));
        }
        let interval_us = i64::from(span) * period.micros() / i64::from(rate);
        if interval_us < 1 {
            return Err(DomainError::invalid(
                "rate",
                format!("must be at most {MAX_RATE_PER_SEC} per second"),
            ));
        }
        Ok(Self { interval_us, burst })
    }

    /// `rate` per `period`, `burst` at once.
    pub fn per(rate: u32, period: RatePeriod, burst: u32) -> Result<Self, DomainError> {
        Self::per_span(rate, 1, period, burst)
    }

    /// Parses `<rate>/<span><unit>` with unit `s`, `m` or `h` and an optional span (`10/15m`:
    /// ten per fifteen minutes, `50/h`: fifty per hour); the burst is the rate, so a client may
    /// spend a period's allowance at once and then waits `span / rate` per request.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("rate", "must look like 10/15m, 50/h or 5/s");
        let (rate, per) = text.trim().split_once('/').ok_or_else(invalid)?;
        let rate: u32 = rate.trim().parse().map_err(|_| invalid())?;
        let per = per.trim();
        let (span, unit) = per.split_at(per.len().saturating_sub(1));
        let span: u32 = if span.is_empty() {
            1
        } else {
            span.parse().map_err(|_| invalid())?
        };
        let period = match unit {
            "s" => RatePeriod::Second,
            "m" => RatePeriod::Minute,
            "h" => RatePeriod::Hour,
            _ => return Err(invalid()),
        };
        Self::per_span(rate, span, period, rate)
    }

    /// The rule for a stored rate and burst that may predate today's validation: an out-of-range
    /// rate becomes the nearest one the limiter represents, never "unlimited".
    pub fn clamped(rate_per_sec: u32, burst: u32) -> Self {
        Self {
            interval_us: 1_000_000 / i64::from(rate_per_sec.clamp(1, MAX_RATE_PER_SEC)),
            burst: burst.max(1),
        }
    }

    /// `T`, in microseconds.
    pub fn emission_interval_us(self) -> i64 {
        self.interval_us
    }

    /// Requests allowed at once.
    pub fn burst(self) -> u32 {
        self.burst
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
        assert_eq!((rule.emission_interval_us(), rule.burst()), (1, 1));
        assert_eq!(RateRule::clamped(0, 5).emission_interval_us(), 1_000_000);
    }

    #[test]
    fn rules_read_as_rate_per_span_with_the_rate_as_burst() {
        let ten_per_quarter_hour = RateRule::parse("10/15m").unwrap();
        assert_eq!(ten_per_quarter_hour.emission_interval_us(), 90_000_000);
        assert_eq!(ten_per_quarter_hour.burst(), 10);
        assert_eq!(
            RateRule::parse("50/h").unwrap().emission_interval_us(),
            72_000_000
        );
        assert_eq!(RateRule::parse(" 5/s ").unwrap(), RateRule::new(5, 5).unwrap());
        assert_eq!(
            RateRule::parse("2/1m").unwrap(),
            RateRule::per(2, RatePeriod::Minute, 2).unwrap()
        );
        for bad in [
            "",
            "10",
            "10/",
            "0/h",
            "10/0m",
            "10/15d",
            "x/h",
            "-1/h",
            "10/m15",
            "2000000/s",
        ] {
            assert!(RateRule::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_hourly_rule_admits_its_burst_then_one_request_per_interval() {
        let rule = RateRule::per(50, RatePeriod::Hour, 50).unwrap();
        let now = 1_800_000_000_000_000;
        let mut tat = 0;
        for _ in 0..50 {
            let out = gcra(tat, now, rule);
            assert!(out.allowed);
            tat = out.new_tat_us;
        }
        let refused = gcra(tat, now, rule);
        assert!(!refused.allowed);
        assert_eq!(
            refused.retry_after_us, 72_000_000,
            "one request per 72 s after the burst"
        );
        assert!(gcra(tat, now + 72_000_000, rule).allowed);
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
