//! Metrics: names in one place, recorded through the `metrics` facade, rendered in the Prometheus
//! text format by `metrics-exporter-prometheus` on the admin port.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Jobs claimed, by kind.
pub const CLAIMED: &str = "hexaspin_worker_jobs_claimed_total";
/// Attempts that succeeded, by kind.
pub const SUCCEEDED: &str = "hexaspin_worker_jobs_succeeded_total";
/// Attempts that failed, by kind and cause.
pub const FAILED: &str = "hexaspin_worker_jobs_failed_total";
/// Failed attempts scheduled for a retry, by kind.
pub const RETRIED: &str = "hexaspin_worker_jobs_retried_total";
/// Jobs that used their last attempt, by kind.
pub const DEAD: &str = "hexaspin_worker_jobs_dead_total";
/// Running jobs stopped because their cancellation was asked, by kind.
pub const CANCELLED: &str = "hexaspin_worker_jobs_cancelled_total";
/// Time inside the job's `run`, by kind.
pub const DURATION: &str = "hexaspin_worker_job_duration_seconds";
/// Time to instantiate the component, by kind.
pub const INSTANTIATE: &str = "hexaspin_worker_instantiate_seconds";
/// Jobs by state (sampled by the promoter).
pub const QUEUE_DEPTH: &str = "hexaspin_worker_queue_depth";
/// Attempts running in this worker.
pub const RUNNING: &str = "hexaspin_worker_running_jobs";
/// Jobs taken back from dead workers.
pub const RESCUED: &str = "hexaspin_worker_lease_rescues_total";
/// Job states whose kept depth count had drifted from the jobs and was recounted.
pub const DEPTH_RECOUNTS: &str = "hexaspin_worker_depth_recounts_total";
/// Finished jobs removed after their retention.
pub const CLEANED: &str = "hexaspin_worker_jobs_cleaned_total";
/// Periodic jobs enqueued.
pub const PERIODIC: &str = "hexaspin_worker_periodic_enqueued_total";
/// Store calls that failed, by operation.
pub const STORE_ERRORS: &str = "hexaspin_worker_store_errors_total";
/// Failed attempts to connect to the store at start-up.
pub const CONNECT_FAILURES: &str = "hexaspin_worker_store_connect_failures_total";
/// 1 when a Redis setting puts queued jobs at risk, by setting (`maxmemory_policy`, `appendonly`).
pub const REDIS_UNSAFE_CONFIG: &str = "hexaspin_worker_redis_unsafe_config";
/// 1 when Redis refused the INFO the durability check reads (its settings are unknown), else 0.
pub const REDIS_DURABILITY_UNCHECKED: &str = "hexaspin_worker_redis_durability_unchecked";

/// Installs the Prometheus recorder once per process and returns its handle.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test binary); ours still renders its own.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(CLAIMED, "Jobs claimed, by kind.");
    metrics::describe_counter!(SUCCEEDED, "Attempts that succeeded, by kind.");
    metrics::describe_counter!(FAILED, "Attempts that failed, by kind and cause.");
    metrics::describe_counter!(RETRIED, "Failed attempts scheduled for a retry, by kind.");
    metrics::describe_counter!(DEAD, "Jobs that failed their last attempt, by kind.");
    metrics::describe_counter!(CANCELLED, "Running jobs stopped on request, by kind.");
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time inside the job's run, by kind."
    );
    metrics::describe_histogram!(
        INSTANTIATE,
        metrics::Unit::Seconds,
        "Time to instantiate the component, by kind."
    );
    metrics::describe_gauge!(QUEUE_DEPTH, "Jobs by state.");
    metrics::describe_gauge!(RUNNING, "Attempts running in this worker.");
    metrics::describe_counter!(RESCUED, "Jobs taken back from workers whose lease expired.");
    metrics::describe_counter!(
        DEPTH_RECOUNTS,
        "Job states whose kept depth count had drifted from the jobs and was recounted."
    );
    metrics::describe_counter!(CLEANED, "Finished jobs removed after their retention.");
    metrics::describe_counter!(PERIODIC, "Periodic jobs enqueued.");
    metrics::describe_counter!(STORE_ERRORS, "Store calls that failed, by operation.");
    metrics::describe_counter!(
        CONNECT_FAILURES,
        "Failed attempts to connect to the store at start-up."
    );
    metrics::describe_gauge!(
        REDIS_UNSAFE_CONFIG,
        "1 when a Redis setting puts queued jobs at risk (an evicting maxmemory-policy, no append-only file)."
    );
    metrics::describe_gauge!(
        REDIS_DURABILITY_UNCHECKED,
        "1 when Redis refused INFO, so its eviction policy and persistence could not be checked."
    );
}
