//! Per-key limits and the usage counter with its refill rule.
//!
//! The limits are stored here and enforced by the dispatch quota (GCRA rate + burst, concurrency,
//! daily quota); `remaining` with `refill` is a usage budget that resets each UTC day or month.

use serde::{Deserialize, Serialize};
use time::{Date, Time};

use crate::quota::MAX_RATE_PER_SEC;
use crate::{DomainError, Timestamp};

/// Rate, burst, concurrency, daily quota and storage caps of one key; `None` means "use the server
/// default".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Sustained requests per second.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub rate_per_sec: Option<u32>,
    /// Requests allowed at once above the sustained rate (needs a rate).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub burst: Option<u32>,
    /// Jobs of this key running at the same time.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub concurrency: Option<u32>,
    /// Jobs per UTC day.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub daily_quota: Option<u64>,
    /// Jobs of this key waiting for a future time (`run_at`, `delay_ms`) at once.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_scheduled_jobs: Option<u64>,
    /// Bytes of payload this key's stored jobs may hold together (until finished jobs are
    /// cleaned away).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_stored_bytes: Option<u64>,
}

impl Limits {
    /// Checks that every limit given is positive and that a burst comes with a rate.
    pub fn validate(self) -> Result<Self, DomainError> {
        let positive = |value: Option<u64>, field| match value {
            Some(0) => Err(DomainError::invalid(field, "must be positive")),
            _ => Ok(()),
        };
        positive(self.rate_per_sec.map(u64::from), "limits.rate_per_sec")?;
        positive(self.burst.map(u64::from), "limits.burst")?;
        positive(self.concurrency.map(u64::from), "limits.concurrency")?;
        positive(self.daily_quota, "limits.daily_quota")?;
        positive(self.max_scheduled_jobs, "limits.max_scheduled_jobs")?;
        positive(self.max_stored_bytes, "limits.max_stored_bytes")?;
        for (value, field) in [
            (self.max_scheduled_jobs, "limits.max_scheduled_jobs"),
            (self.max_stored_bytes, "limits.max_stored_bytes"),
        ] {
            if value.is_some_and(|v| v > i64::MAX as u64) {
                return Err(DomainError::invalid(field, "is too large"));
            }
        }
        if self.rate_per_sec.is_some_and(|r| r > MAX_RATE_PER_SEC) {
            return Err(DomainError::invalid(
                "limits.rate_per_sec",
                format!(
                    "must be at most {MAX_RATE_PER_SEC} (higher is not unlimited: omit the limit instead)"
                ),
            ));
        }
        if self.daily_quota.is_some_and(|q| q > i64::MAX as u64) {
            return Err(DomainError::invalid("limits.daily_quota", "is too large"));
        }
        if self.burst.is_some() && self.rate_per_sec.is_none() {
            return Err(DomainError::invalid("limits.burst", "needs limits.rate_per_sec"));
        }
        Ok(self)
    }
}

/// How often `remaining` is reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RefillInterval {
    /// At 00:00 UTC every day.
    Daily,
    /// At 00:00 UTC on the first of every month.
    Monthly,
}

impl RefillInterval {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Monthly => "monthly",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text {
            "daily" => Ok(Self::Daily),
            "monthly" => Ok(Self::Monthly),
            _ => Err(DomainError::invalid(
                "refill.interval",
                "must be \"daily\" or \"monthly\"",
            )),
        }
    }

    /// The start of the period that contains `now`.
    pub fn period_start(self, now: Timestamp) -> Timestamp {
        let date = now.to_datetime().date();
        let first = match self {
            Self::Daily => date,
            Self::Monthly => Date::from_calendar_date(date.year(), date.month(), 1).unwrap_or(date),
        };
        Timestamp::from_datetime(first.with_time(Time::MIDNIGHT).assume_utc())
    }
}

/// Resets `remaining` to `amount` at the start of every interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Refill {
    /// How often `remaining` is reset.
    pub interval: RefillInterval,
    /// To how many uses.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub amount: u64,
}

impl Refill {
    /// Checks the amount is positive and storable.
    pub fn validate(self) -> Result<Self, DomainError> {
        if self.amount == 0 || self.amount > i64::MAX as u64 {
            return Err(DomainError::invalid("refill.amount", "must be positive"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn a_daily_period_starts_at_utc_midnight() {
        let start = RefillInterval::Daily.period_start(at("2026-11-21T23:59:59Z"));
        assert_eq!(start, at("2026-11-21T00:00:00Z"));
    }

    #[test]
    fn a_monthly_period_starts_on_the_first() {
        let start = RefillInterval::Monthly.period_start(at("2026-02-28T12:00:00Z"));
        assert_eq!(start, at("2026-02-01T00:00:00Z"));
    }

    #[test]
    fn zero_limits_a_rate_above_the_maximum_and_a_burst_without_rate_are_rejected() {
        let zero_rate = Limits {
            rate_per_sec: Some(0),
            ..Limits::default()
        };
        assert_eq!(zero_rate.validate().unwrap_err().field, "limits.rate_per_sec");
        let burst_only = Limits {
            burst: Some(5),
            ..Limits::default()
        };
        assert_eq!(burst_only.validate().unwrap_err().field, "limits.burst");
        let too_fast = Limits {
            rate_per_sec: Some(MAX_RATE_PER_SEC + 1),
            ..Limits::default()
        };
        assert_eq!(too_fast.validate().unwrap_err().field, "limits.rate_per_sec");
        let full = Limits {
            rate_per_sec: Some(10),
            burst: Some(20),
            concurrency: Some(2),
            daily_quota: Some(1000),
            max_scheduled_jobs: Some(50),
            max_stored_bytes: Some(1 << 20),
        };
        assert_eq!(full.validate().unwrap(), full);
    }

    proptest::proptest! {
        #[test]
        fn a_period_starts_at_or_before_now_and_within_its_length(millis in 0i64..4_102_444_800_000) {
            let now = Timestamp::from_millis(millis);
            let day = RefillInterval::Daily.period_start(now);
            let month = RefillInterval::Monthly.period_start(now);
            proptest::prop_assert!(day <= now && now.as_millis() - day.as_millis() < 86_400_000);
            proptest::prop_assert!(month <= day && day.as_millis() - month.as_millis() < 31 * 86_400_000);
            proptest::prop_assert_eq!(day.as_millis() % 86_400_000, 0);
        }
    }
}
