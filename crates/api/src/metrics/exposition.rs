//! The Prometheus text exposition (format 0.0.4) of a [`MetricsSnapshot`], encoded by the
//! `prometheus` crate (escaping, HELP/TYPE lines, ordering) rather than by hand.

use hexaspin_core::api_key::KeyState;
use hexaspin_core::job::{JobKind, JobState};
use hexaspin_core::metrics::{Counter, FAILED_STATES, QUOTA_REJECTION_REASONS, SIGN_IN_OUTCOMES, Series};
use hexaspin_core::use_cases::MetricsSnapshot;
use prometheus::core::Collector;
use prometheus::{Encoder, GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Priorities a job can have (0 runs first).
const PRIORITIES: std::ops::RangeInclusive<u8> = 0..=9;

/// The exposed name and help of each stored counter.
fn describe(counter: Counter) -> (&'static str, &'static str) {
    match counter {
        Counter::JobsEnqueued => (
            "hexaspin_jobs_enqueued_total",
            "Jobs stored by dispatch (API clients and periodic schedules), by kind.",
        ),
        Counter::JobsSucceeded => (
            "hexaspin_jobs_succeeded_total",
            "Job attempts that succeeded, by kind.",
        ),
        Counter::JobsRetried => (
            "hexaspin_jobs_retried_total",
            "Job attempts that failed and will be retried (including expired leases), by kind.",
        ),
        Counter::JobsFailed => (
            "hexaspin_jobs_failed_total",
            "Jobs that ended in failure, by kind and final state (failed: no retry; dead: attempts used up).",
        ),
        Counter::JobsCancelled => (
            "hexaspin_jobs_cancelled_total",
            "Jobs cancelled before they finished, by kind.",
        ),
        Counter::QuotaRejections => (
            "hexaspin_quota_rejections_total",
            "Dispatches refused by a key's quota, by reason.",
        ),
        Counter::HttpRequests => (
            "hexaspin_http_requests_total",
            "HTTP requests served by the Spin components, by component and status class.",
        ),
        Counter::UserSignUps => (
            "hexaspin_user_signups_total",
            "Accounts created through the user service's sign-up.",
        ),
        Counter::UserSignIns => (
            "hexaspin_user_signins_total",
            "Sign-in attempts at the user service, by outcome.",
        ),
        Counter::RefreshReuse => (
            "hexaspin_user_refresh_reuse_total",
            "Retired refresh tokens presented again; each revoked its whole token family.",
        ),
    }
}

/// Why the exposition could not be built: only a bug (a metric defined twice, a label mismatch).
#[derive(Debug, thiserror::Error)]
#[error("the metrics exposition could not be built: {0}")]
pub struct ExpositionError(#[from] prometheus::Error);

/// Renders `snapshot`. Counters of the `kinds` configured for dispatch and of every quota
/// rejection reason are shown at zero before anything happened.
pub fn render(snapshot: &MetricsSnapshot, kinds: &[JobKind]) -> Result<String, ExpositionError> {
    let registry = Registry::new();

    let keys = IntGaugeVec::new(Opts::new("hexaspin_api_keys", "API keys by state."), &["state"])?;
    for state in KeyState::ALL {
        keys.with_label_values(&[state.as_str()]).set(0);
    }
    for (state, count) in &snapshot.keys {
        keys.with_label_values(&[state.as_str()]).set(gauge_value(*count));
    }
    register(&registry, keys)?;

    let jobs = IntGaugeVec::new(
        Opts::new(
            "hexaspin_jobs",
            "Jobs by state and priority: queued is the queue depth; scheduled and retrying wait for their time.",
        ),
        &["state", "priority"],
    )?;
    for state in JobState::ALL {
        for priority in PRIORITIES {
            jobs.with_label_values(&[state.as_str(), &priority.to_string()])
                .set(0);
        }
    }
    for depth in &snapshot.jobs {
        let priority = depth.priority.get().to_string();
        jobs.with_label_values(&[depth.state.as_str(), &priority])
            .set(gauge_value(depth.count));
    }
    register(&registry, jobs)?;

    for counter in Counter::ALL {
        let (name, help) = describe(counter);
        let family = IntCounterVec::new(Opts::new(name, help), counter.label_names())?;
        for labels in known_series(counter, kinds) {
            family.with_label_values(&labels).inc_by(0);
        }
        for value in snapshot.counters.iter().filter(|c| c.series.counter() == counter) {
            family
                .with_label_values(&labels(&value.series))
                .inc_by(value.value);
        }
        register(&registry, family)?;
    }

    let beats = GaugeVec::new(
        Opts::new(
            "hexaspin_worker_last_heartbeat_timestamp_seconds",
            "When each runtime-worker last reported alive, in Unix seconds.",
        ),
        &["worker"],
    )?;
    for beat in &snapshot.heartbeats {
        beats
            .with_label_values(&[beat.worker.as_str()])
            .set(beat.at.as_millis() as f64 / 1000.0);
    }
    register(&registry, beats)?;

    let mut text = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut text)?;
    // The encoder writes only UTF-8 (names are ASCII, label values and help are Rust strings).
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// The series of `counter` known before anything is counted (shown at zero, so that rates and
/// alerts work from the first event): per configured kind, per rejection reason.
fn known_series(counter: Counter, kinds: &[JobKind]) -> Vec<Vec<&str>> {
    match counter {
        Counter::JobsEnqueued | Counter::JobsSucceeded | Counter::JobsRetried | Counter::JobsCancelled => {
            kinds.iter().map(|kind| vec![kind.as_str()]).collect()
        }
        Counter::JobsFailed => kinds
            .iter()
            .flat_map(|kind| FAILED_STATES.map(|state| vec![kind.as_str(), state]))
            .collect(),
        Counter::QuotaRejections => QUOTA_REJECTION_REASONS.map(|reason| vec![reason]).to_vec(),
        Counter::HttpRequests => Vec::new(),
        Counter::UserSignUps | Counter::RefreshReuse => vec![Vec::new()],
        Counter::UserSignIns => SIGN_IN_OUTCOMES.map(|outcome| vec![outcome]).to_vec(),
    }
}

fn labels(series: &Series) -> Vec<&str> {
    series.labels().iter().map(String::as_str).collect()
}

fn gauge_value(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn register<C: Collector + 'static>(registry: &Registry, collector: C) -> Result<(), ExpositionError> {
    Ok(registry.register(Box::new(collector))?)
}
