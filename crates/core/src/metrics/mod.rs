//! The counters hexaspin keeps in its store for `/metrics`.
//!
//! Spin instances live for one request, so nothing can be counted in component memory: every
//! counter is a field of one store-wide map (a Redis hash, an SQLite table) named by a
//! [`Series`], e.g. `jobs_enqueued|echo`. Job lifecycle counters are written by the store itself,
//! inside the same atomic step that moves the job (a Lua script, an SQLite trigger); request
//! counters are added by the components in one batch per request ([`crate::ports::MetricsStore`]).
//!
//! Storage names are stable: renaming one orphans what stores have counted.

mod outcomes;

pub use outcomes::{JobMove, counted_states, outcome_of, outcome_series};

use crate::DomainError;
use crate::Timestamp;

/// Separates the counter name and its label values in a stored field name.
pub const FIELD_SEPARATOR: char = '|';

/// The reasons a quota refuses a dispatch, as counted: the GCRA rate, the daily quota, the key's
/// `remaining` budget, its scheduled jobs, its stored bytes.
pub const QUOTA_REJECTION_REASONS: [&str; 5] = [
    "rate_limited",
    "quota_exhausted",
    "uses_exhausted",
    "scheduled_limit_reached",
    "storage_limit_reached",
];

/// The final states of a failed job, the `state` label of [`Counter::JobsFailed`].
pub const FAILED_STATES: [&str; 2] = ["failed", "dead"];

/// How a sign-in attempt ended, the `outcome` label of [`Counter::UserSignIns`].
pub const SIGN_IN_OUTCOMES: [&str; 4] = ["success", "invalid_credentials", "disabled", "rate_limited"];

/// A counter the stores keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    /// Jobs stored by dispatch (clients and the worker's periodic enqueuer). Labels: kind.
    JobsEnqueued,
    /// Attempts that succeeded. Labels: kind.
    JobsSucceeded,
    /// Attempts that failed and will be tried again (incl. leases that ran out). Labels: kind.
    JobsRetried,
    /// Jobs that ended in failure. Labels: kind, state (`failed` or `dead`).
    JobsFailed,
    /// Jobs cancelled before they finished. Labels: kind.
    JobsCancelled,
    /// Dispatches refused by a key's quota. Labels: reason.
    QuotaRejections,
    /// Requests served by a component. Labels: component, status class (`2xx` … `5xx`).
    HttpRequests,
    /// Accounts created by sign-up. No labels.
    UserSignUps,
    /// Sign-in attempts. Labels: outcome (one of [`SIGN_IN_OUTCOMES`]).
    UserSignIns,
    /// Retired refresh tokens presented again (their family was revoked). No labels.
    RefreshReuse,
}

impl Counter {
    /// Every counter, in exposition order.
    pub const ALL: [Counter; 10] = [
        Self::JobsEnqueued,
        Self::JobsSucceeded,
        Self::JobsRetried,
        Self::JobsFailed,
        Self::JobsCancelled,
        Self::QuotaRejections,
        Self::HttpRequests,
        Self::UserSignUps,
        Self::UserSignIns,
        Self::RefreshReuse,
    ];

    /// The name in the store (stable; also used by the Lua scripts and SQLite triggers).
    pub fn storage_name(self) -> &'static str {
        match self {
            Self::JobsEnqueued => "jobs_enqueued",
            Self::JobsSucceeded => "jobs_succeeded",
            Self::JobsRetried => "jobs_retried",
            Self::JobsFailed => "jobs_failed",
            Self::JobsCancelled => "jobs_cancelled",
            Self::QuotaRejections => "quota_rejections",
            Self::HttpRequests => "http_requests",
            Self::UserSignUps => "user_signups",
            Self::UserSignIns => "user_signins",
            Self::RefreshReuse => "refresh_reuse",
        }
    }

    /// The label names, in the order a series gives their values.
    pub fn label_names(self) -> &'static [&'static str] {
        match self {
            Self::JobsEnqueued | Self::JobsSucceeded | Self::JobsRetried | Self::JobsCancelled => &["kind"],
            Self::JobsFailed => &["kind", "state"],
            Self::QuotaRejections => &["reason"],
            Self::HttpRequests => &["component", "status_class"],
            Self::UserSignUps | Self::RefreshReuse => &[],
            Self::UserSignIns => &["outcome"],
        }
    }

    fn from_storage_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.storage_name() == name)
    }
}

/// One counter with its label values: one time series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Series {
    counter: Counter,
    labels: Vec<String>,
}

impl Series {
    /// A series of `counter` with one value per label name; no value may contain
    /// [`FIELD_SEPARATOR`].
    pub fn new(counter: Counter, labels: Vec<String>) -> Result<Self, DomainError> {
        if labels.len() != counter.label_names().len() {
            return Err(DomainError::invalid(
                "labels",
                format!(
                    "{} takes {} label values",
                    counter.storage_name(),
                    counter.label_names().len()
                ),
            ));
        }
        if labels.iter().any(|v| v.contains(FIELD_SEPARATOR)) {
            return Err(DomainError::invalid(
                "labels",
                format!("must not contain '{FIELD_SEPARATOR}'"),
            ));
        }
        Ok(Self { counter, labels })
    }

    /// Requests a component answered with `status`, counted by status class.
    pub fn http_requests(component: &'static str, status: u16) -> Self {
        let class = format!("{}xx", (status / 100).clamp(1, 5));
        Self {
            counter: Counter::HttpRequests,
            labels: vec![component.to_owned(), class],
        }
    }

    /// Dispatches refused for `reason` (one of [`QUOTA_REJECTION_REASONS`]).
    pub fn quota_rejection(reason: &'static str) -> Self {
        Self {
            counter: Counter::QuotaRejections,
            labels: vec![reason.to_owned()],
        }
    }

    /// A new account.
    pub fn user_sign_up() -> Self {
        Self {
            counter: Counter::UserSignUps,
            labels: Vec::new(),
        }
    }

    /// A sign-in attempt ending in `outcome` (one of [`SIGN_IN_OUTCOMES`]).
    pub fn user_sign_in(outcome: &'static str) -> Self {
        Self {
            counter: Counter::UserSignIns,
            labels: vec![outcome.to_owned()],
        }
    }

    /// A replayed refresh token.
    pub fn refresh_reuse() -> Self {
        Self {
            counter: Counter::RefreshReuse,
            labels: Vec::new(),
        }
    }

    /// The counter.
    pub fn counter(&self) -> Counter {
        self.counter
    }

    /// The label values, in [`Counter::label_names`] order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The stored field name: `<storage name>|<value>|<value>`.
    pub fn field(&self) -> String {
        let mut field = self.counter.storage_name().to_owned();
        for value in &self.labels {
            field.push(FIELD_SEPARATOR);
            field.push_str(value);
        }
        field
    }

    /// Reads a stored field name back; `None` for a field this version does not know (a counter
    /// from a newer release, a manual edit), which readers skip rather than fail on.
    pub fn parse_field(field: &str) -> Option<Self> {
        let mut parts = field.split(FIELD_SEPARATOR);
        let counter = Counter::from_storage_name(parts.next()?)?;
        Self::new(counter, parts.map(str::to_owned).collect()).ok()
    }
}

/// A series and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterValue {
    /// The series.
    pub series: Series,
    /// How many so far.
    pub value: u64,
}

/// The last time a worker said it was alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The worker's id.
    pub worker: String,
    /// When it last beat.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_survives_the_round_trip_through_its_field_name() {
        let series = Series::new(Counter::JobsFailed, vec!["web.hook".into(), "dead".into()]).unwrap();
        assert_eq!(series.field(), "jobs_failed|web.hook|dead");
        assert_eq!(Series::parse_field(&series.field()), Some(series));
        for counter in Counter::ALL {
            let labels = counter.label_names().iter().map(|n| format!("v-{n}")).collect();
            let series = Series::new(counter, labels).unwrap();
            assert_eq!(Series::parse_field(&series.field()).unwrap(), series);
        }
    }

    #[test]
    fn unknown_or_malformed_fields_are_not_series() {
        for field in [
            "",
            "nope|x",
            "jobs_enqueued",
            "jobs_enqueued|a|b",
            "jobs_failed|a",
        ] {
            assert_eq!(Series::parse_field(field), None, "{field}");
        }
    }

    #[test]
    fn label_values_must_match_the_counter_and_not_hold_the_separator() {
        assert!(Series::new(Counter::HttpRequests, vec!["jobs".into()]).is_err());
        assert!(Series::new(Counter::JobsEnqueued, vec!["a|b".into()]).is_err());
    }

    #[test]
    fn statuses_are_counted_by_class() {
        let class = |status| Series::http_requests("jobs", status).labels()[1].clone();
        assert_eq!(class(200), "2xx");
        assert_eq!(class(204), "2xx");
        assert_eq!(class(429), "4xx");
        assert_eq!(class(503), "5xx");
        assert_eq!(class(101), "1xx");
    }
}
