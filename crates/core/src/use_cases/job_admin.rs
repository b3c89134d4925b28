//! Admin actions on jobs: retry a dead job, delete a job that is not running. Each is audited.
//!
//! The jobs live in the job store (Redis, or SQLite) and the audit log with the keys (Postgres,
//! or SQLite): two stores, so no transaction spans both. The entry is written *before* the change,
//! once the job is known to be in a state that allows it: a change is never without its entry. If
//! the job changes state in between (a worker, another admin), the store refuses the change, the
//! answer says so, and the entry stands for an action that was asked for and found nothing to do.

use serde_json::json;

use crate::Timestamp;
use crate::audit::{AuditAction, NewAuditEntry};
use crate::job::{Job, JobId, JobState};
use crate::ports::{AuditLog, DeadJobRetry, JobDeletion, JobStore, StoreError};

/// Why an admin action on a job was refused.
#[derive(Debug, thiserror::Error)]
pub enum JobAdminError {
    /// No such job.
    #[error("no job with that id")]
    NotFound,
    /// Only dead jobs can be retried.
    #[error("only dead jobs can be retried")]
    NotDead,
    /// A running job cannot be deleted.
    #[error("a running job cannot be deleted; cancel it first")]
    Running,
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Puts a dead job back in the queue with a fresh set of attempts.
pub async fn retry_dead_job<J: JobStore, A: AuditLog>(
    jobs: &J,
    audit: &A,
    id: &JobId,
    actor: &str,
    now: Timestamp,
) -> Result<Job, JobAdminError> {
    let job = jobs.find_job(id).await?.ok_or(JobAdminError::NotFound)?;
    if job.state != JobState::Dead {
        return Err(JobAdminError::NotDead);
    }
    audit
        .append_audit(&entry(AuditAction::JobRetried, &job, actor, now))
        .await?;
    match jobs.retry_dead_job(id, now).await? {
        DeadJobRetry::Retried(job) => Ok(*job),
        DeadJobRetry::NotDead => Err(JobAdminError::NotDead),
        DeadJobRetry::Missing => Err(JobAdminError::NotFound),
    }
}

/// Removes a job that is not running.
pub async fn delete_job<J: JobStore, A: AuditLog>(
    jobs: &J,
    audit: &A,
    id: &JobId,
    actor: &str,
    now: Timestamp,
) -> Result<(), JobAdminError> {
    let job = jobs.find_job(id).await?.ok_or(JobAdminError::NotFound)?;
    if job.state == JobState::Running {
        return Err(JobAdminError::Running);
    }
    audit
        .append_audit(&entry(AuditAction::JobDeleted, &job, actor, now))
        .await?;
    match jobs.delete_job(id).await? {
        JobDeletion::Deleted => Ok(()),
        JobDeletion::Running => Err(JobAdminError::Running),
        JobDeletion::Missing => Err(JobAdminError::NotFound),
    }
}

fn entry(action: AuditAction, job: &Job, actor: &str, now: Timestamp) -> NewAuditEntry {
    NewAuditEntry {
        at: now,
        actor: actor.to_owned(),
        action,
        key_id: Some(job.spec.key_id.clone()),
        detail: json!({
            "job_id": job.spec.id.to_string(),
            "kind": job.spec.kind.as_str(),
            "state": job.state.as_str(),
        }),
    }
}
