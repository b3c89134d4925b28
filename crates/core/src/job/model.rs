//! The job record and its states.

use serde::Serialize;

use super::{JobId, JobKind, JobTimeout, MaxAttempts, Priority};
use crate::api_key::ApiKeyId;
use crate::{DomainError, Timestamp};

/// Where a job is in its life (see the module table for who moves it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its `run_at`.
    Scheduled,
    /// Ready to be claimed.
    Queued,
    /// Claimed by a worker, under a lease.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error the handler declared final.
    Failed,
    /// Waiting for its next attempt after an error.
    Retrying,
    /// Out of attempts.
    Dead,
    /// Cancelled by its key or an admin.
    Cancelled,
}

impl JobState {
    /// Every state.
    pub const ALL: [Self; 8] = [
        Self::Scheduled,
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Retrying,
        Self::Dead,
        Self::Cancelled,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a state name.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| DomainError::invalid("state", "is not a job state"))
    }

    /// Whether the job will not run again by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Dead | Self::Cancelled
        )
    }
}

/// What dispatch stores for a new job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Its id, chosen by the use case.
    pub id: JobId,
    /// The key that dispatched it.
    pub key_id: ApiKeyId,
    /// Which job component runs it.
    pub kind: JobKind,
    /// JSON payload, as sent.
    pub payload: String,
    /// 0 (first) to 9: higher-priority jobs are claimed before older lower-priority ones.
    pub priority: Priority,
    /// Earliest start; `None` means now.
    pub run_at: Option<Timestamp>,
    /// Attempts allowed.
    pub max_attempts: MaxAttempts,
    /// Per-attempt timeout.
    pub timeout: JobTimeout,
    /// The key's concurrency limit at dispatch, enforced when workers claim.
    pub concurrency_limit: Option<u32>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// What was dispatched.
    pub spec: NewJob,
    /// Dispatch order (increasing), also the list cursor.
    pub seq: i64,
    /// Current state.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: u32,
    /// When it was dispatched.
    pub created_at: Timestamp,
    /// Last state change.
    pub updated_at: Timestamp,
    /// When the current or last attempt started.
    pub started_at: Option<Timestamp>,
    /// When it reached a final state.
    pub finished_at: Option<Timestamp>,
    /// Output of a successful run (JSON text).
    pub result: Option<String>,
    /// Last error message.
    pub last_error: Option<String>,
    /// Cancellation asked while running; the worker honours it.
    pub cancel_requested: bool,
    /// The worker holding the job while it runs.
    pub lease_owner: Option<String>,
    /// When that worker's lease ends.
    pub lease_expires_at: Option<Timestamp>,
}
