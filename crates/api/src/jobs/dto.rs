//! JSON shapes of the jobs API.

use hexaspin_core::Timestamp;
use hexaspin_core::job::Job;
use hexaspin_core::ports::QueueDepth;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::openapi::schemas::job_state;

/// `POST /api/jobs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JobRequest)]
pub struct DispatchBody {
    /// Which job component runs it (one of the service's `job_kinds`).
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$", example = "echo")]
    pub kind: String,
    /// Any JSON, given to the job as is (at most `max_payload_bytes` serialised).
    #[serde(default)]
    #[schema(example = json!({"hello": "world"}))]
    pub payload: serde_json::Value,
    /// 0 runs first, 9 last; 5 by default.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 9)]
    pub priority: Option<i64>,
    /// Run no earlier than this (RFC 3339); not with `delay_ms`.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub run_at: Option<String>,
    /// Run no earlier than this many milliseconds from now (up to a year); not with `run_at`.
    #[serde(default)]
    // A float: utoipa keeps integer bounds in `isize`, which is 32 bits in wasm.
    #[schema(minimum = 0, maximum = 31_536_000_000.0)]
    pub delay_ms: Option<i64>,
    /// Attempts before the job is dead: 1–25, 3 by default.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 25)]
    pub max_attempts: Option<i64>,
    /// Deadline of one attempt: 100 ms to 15 min, 30 s by default.
    #[serde(default)]
    #[schema(minimum = 100, maximum = 900_000)]
    pub timeout_ms: Option<i64>,
}

/// `POST /api/jobs/batch`. Each job is read on its own (see [`BatchJobBody`]), so a job with a
/// wrong field is refused alone, not the batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JobBatchRequest)]
pub struct BatchBody {
    /// 1–500 jobs, each validated, charged and judged by the quota on its own.
    #[schema(value_type = Vec<BatchJobBody>, min_items = 1, max_items = 500)]
    pub jobs: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// One job of a batch, as the document describes it: a job request with its own idempotency
/// key. The handler reads `idempotency_key` off the object and the rest as a [`DispatchBody`]
/// (which refuses unknown fields); this type only names the shape.
#[derive(Debug, ToSchema)]
#[schema(as = BatchJobRequest)]
#[allow(dead_code)]
pub struct BatchJobBody {
    /// The job, as `POST /api/jobs` takes it.
    #[schema(inline)]
    #[serde(flatten)]
    pub job: DispatchBody,
    /// What the `Idempotency-Key` header is to one dispatch, for this job.
    #[schema(pattern = "^[\\x21-\\x7e]{1,255}$")]
    pub idempotency_key: Option<String>,
}

/// What became of the jobs of a batch.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JobBatchResults)]
pub struct BatchView {
    /// Jobs stored and queued (or scheduled) by this request.
    pub accepted: usize,
    /// Jobs refused (each result says why); replays are neither.
    pub refused: usize,
    /// One result per job, in the order sent.
    pub results: Vec<BatchResultView>,
}

/// What became of one job of a batch: the answer `POST /api/jobs` would have given it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JobBatchResult)]
pub struct BatchResultView {
    /// 202 accepted, 200 an idempotent replay, else the problem's status.
    pub status: u16,
    /// The job (accepted or replayed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobView>,
    /// The problem's stable `code` (refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// What went wrong, for a human (refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Seconds to wait before sending this job again (refused by a quota).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// `GET /api/jobs` and `GET /api/admin/jobs` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListJobsQuery {
    /// Only jobs in this state.
    #[param(schema_with = job_state)]
    pub state: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (50 by default).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// A job as clients see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    /// 32 hex digits.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    pub kind: String,
    #[schema(schema_with = job_state)]
    pub state: &'static str,
    pub priority: u8,
    /// Attempts started so far.
    pub attempts: u32,
    pub max_attempts: u32,
    pub timeout_ms: u32,
    pub payload: serde_json::Value,
    #[schema(format = DateTime)]
    pub run_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// What the job returned, once it succeeded.
    pub result: Option<serde_json::Value>,
    pub last_error: Option<String>,
    /// A cancel was asked for while the job ran; it ends `cancelled`.
    pub cancel_requested: bool,
    /// The key that dispatched it; only in admin views.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{16}$")]
    pub key_id: Option<String>,
}

fn json_or_text(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

impl JobView {
    /// The client view.
    pub fn of(job: &Job) -> Self {
        Self {
            id: job.spec.id.to_string(),
            kind: job.spec.kind.as_str().to_owned(),
            state: job.state.as_str(),
            priority: job.spec.priority.get(),
            attempts: job.attempts,
            max_attempts: job.spec.max_attempts.get(),
            timeout_ms: job.spec.timeout.as_millis(),
            payload: json_or_text(&job.spec.payload),
            run_at: job.spec.run_at.map(Timestamp::to_rfc3339),
            created_at: job.created_at.to_rfc3339(),
            updated_at: job.updated_at.to_rfc3339(),
            started_at: job.started_at.map(Timestamp::to_rfc3339),
            finished_at: job.finished_at.map(Timestamp::to_rfc3339),
            result: job.result.as_deref().map(json_or_text),
            last_error: job.last_error.clone(),
            cancel_requested: job.cancel_requested,
            key_id: None,
        }
    }

    /// The admin view: also names the key.
    pub fn for_admin(job: &Job) -> Self {
        Self {
            key_id: Some(job.spec.key_id.to_string()),
            ..Self::of(job)
        }
    }
}

/// `GET /api/admin/queues`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = QueueDepths)]
pub struct QueueDepthsView {
    /// Jobs by state and priority.
    pub depths: Vec<DepthView>,
}

/// One line of `GET /api/admin/queues`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = QueueDepth)]
pub struct DepthView {
    #[schema(schema_with = job_state)]
    pub state: &'static str,
    pub priority: u8,
    pub count: u64,
}

impl From<&QueueDepth> for DepthView {
    fn from(d: &QueueDepth) -> Self {
        Self {
            state: d.state.as_str(),
            priority: d.priority.get(),
            count: d.count,
        }
    }
}
