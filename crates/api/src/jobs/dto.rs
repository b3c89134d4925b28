//! JSON shapes of the jobs API.

use hexaspin_core::Timestamp;
use hexaspin_core::job::Job;
use hexaspin_core::ports::QueueDepth;
use serde::{Deserialize, Serialize};

/// `POST /api/jobs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchBody {
    pub kind: String,
    #[serde(default)]
    pub payload: serde_json::Value,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub run_at: Option<String>,
    #[serde(default)]
    pub delay_ms: Option<i64>,
    #[serde(default)]
    pub max_attempts: Option<i64>,
    #[serde(default)]
    pub timeout_ms: Option<i64>,
}

/// `GET /api/jobs` and `GET /api/admin/jobs` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListJobsQuery {
    pub state: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// A job as clients see it.
#[derive(Debug, Serialize)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub state: &'static str,
    pub priority: u8,
    pub attempts: u32,
    pub max_attempts: u32,
    pub timeout_ms: u32,
    pub payload: serde_json::Value,
    pub run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub result: Option<serde_json::Value>,
    pub last_error: Option<String>,
    pub cancel_requested: bool,
    /// Only in admin views.
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// One line of `GET /api/admin/queues`.
#[derive(Debug, Serialize)]
pub struct DepthView {
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
