//! Wall-clock instants as milliseconds since the Unix epoch.
//!
//! Stores keep them as BIGINT milliseconds (the same in SQLite and Postgres) and the HTTP edge renders
//! them as RFC 3339; the core only compares and adds.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::DomainError;

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `seconds` (saturating: far-future values stay representable).
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Parses an RFC 3339 date-time such as `2026-11-21T10:00:00Z`.
    pub fn parse_rfc3339(text: &str) -> Result<Self, DomainError> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| DomainError::invalid("timestamp", "must be an RFC 3339 date-time"))?;
        let millis = parsed.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(millis)
            .map(Self)
            .map_err(|_| DomainError::invalid("timestamp", "is out of range"))
    }

    /// Renders as RFC 3339 in UTC with millisecond precision.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.to_string())
    }

    /// The same instant as a `time` date-time in UTC (clamped to the representable range).
    pub(crate) fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The instant for a `time` date-time.
    pub(crate) fn from_datetime(at: OffsetDateTime) -> Self {
        Self((at.unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_at_millisecond_precision() {
        let at = Timestamp::parse_rfc3339("2026-11-21T10:11:12.345Z").unwrap();
        assert_eq!(at.as_millis(), 1_795_255_872_345);
        assert_eq!(at.to_rfc3339(), "2026-11-21T10:11:12.345Z");
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let at = Timestamp::parse_rfc3339("2026-11-21T12:11:12+02:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-21T10:11:12Z");
    }

    #[test]
    fn text_that_is_not_a_date_is_rejected() {
        assert!(Timestamp::parse_rfc3339("tomorrow").is_err());
        assert!(Timestamp::parse_rfc3339("2026-13-01T00:00:00Z").is_err());
    }
}
