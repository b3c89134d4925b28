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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::api_key::ApiKeyId;
    use crate::audit::AuditEntry;
    use crate::job::{JobKind, NewJob};
    use crate::pagination::AuditCursor;
    use crate::ports::{DispatchOutcome, DispatchRequest, JobFilter, QueueDepth};

    const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    fn job(state: JobState) -> Job {
        Job {
            spec: NewJob {
                id: JobId::from_random([7; 16]),
                key_id: ApiKeyId::from_random([1; 8]),
                kind: JobKind::parse("echo").unwrap(),
                payload: "{}".into(),
                priority: Default::default(),
                run_at: None,
                max_attempts: Default::default(),
                timeout: Default::default(),
                concurrency_limit: None,
            },
            seq: 1,
            state,
            attempts: 0,
            created_at: NOW,
            updated_at: NOW,
            started_at: None,
            finished_at: None,
            result: None,
            last_error: None,
            cancel_requested: false,
            lease_owner: None,
            lease_expires_at: None,
        }
    }

    /// A store whose job is read in one state and then, by the time the change arrives, has
    /// moved on (a worker claimed it, another admin deleted it): the change answers `then`.
    struct MovedOn {
        read: Job,
        retry: DeadJobRetry,
        deletion: JobDeletion,
    }

    impl JobStore for MovedOn {
        async fn dispatch(&self, _: &DispatchRequest, _: Timestamp) -> Result<DispatchOutcome, StoreError> {
            unreachable!("admin actions do not dispatch")
        }
        async fn dispatch_batch(
            &self,
            _: &[DispatchRequest],
            _: Timestamp,
        ) -> Result<Vec<DispatchOutcome>, StoreError> {
            unreachable!("admin actions do not dispatch")
        }
        async fn find_job(&self, _: &JobId) -> Result<Option<Job>, StoreError> {
            Ok(Some(self.read.clone()))
        }
        async fn list_jobs(&self, _: &JobFilter) -> Result<Vec<Job>, StoreError> {
            unreachable!("admin actions do not list")
        }
        async fn cancel_job(&self, _: &JobId, _: Timestamp) -> Result<Option<Job>, StoreError> {
            unreachable!("admin actions do not cancel")
        }
        async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
            unreachable!("admin actions do not count")
        }
        async fn retry_dead_job(&self, _: &JobId, _: Timestamp) -> Result<DeadJobRetry, StoreError> {
            Ok(self.retry.clone())
        }
        async fn delete_job(&self, _: &JobId) -> Result<JobDeletion, StoreError> {
            Ok(self.deletion)
        }
    }

    #[derive(Default)]
    struct Audit(Mutex<Vec<NewAuditEntry>>);

    impl AuditLog for Audit {
        async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
            self.0.lock().unwrap().push(entry.clone());
            Ok(())
        }
        async fn list_audit(
            &self,
            _: Option<&ApiKeyId>,
            _: Option<AuditCursor>,
            _: u32,
        ) -> Result<Vec<AuditEntry>, StoreError> {
            unreachable!("admin actions do not read the log")
        }
    }

    fn moved_on(read: JobState, retry: DeadJobRetry, deletion: JobDeletion) -> MovedOn {
        MovedOn {
            read: job(read),
            retry,
            deletion,
        }
    }

    #[tokio::test]
    async fn a_job_gone_between_the_read_and_the_change_is_not_found_not_a_conflict() {
        let audit = Audit::default();
        let id = JobId::from_random([7; 16]);
        let gone = moved_on(JobState::Dead, DeadJobRetry::Missing, JobDeletion::Missing);
        let retried = retry_dead_job(&gone, &audit, &id, "ops", NOW).await;
        assert!(matches!(retried, Err(JobAdminError::NotFound)), "{retried:?}");
        let deleted = delete_job(&gone, &audit, &id, "ops", NOW).await;
        assert!(matches!(deleted, Err(JobAdminError::NotFound)), "{deleted:?}");
        assert_eq!(
            audit.0.lock().unwrap().len(),
            2,
            "each asked action is audited first"
        );
    }

    #[tokio::test]
    async fn a_job_a_worker_took_between_the_read_and_the_change_is_a_conflict() {
        let audit = Audit::default();
        let id = JobId::from_random([7; 16]);
        let taken = moved_on(JobState::Dead, DeadJobRetry::NotDead, JobDeletion::Running);
        let retried = retry_dead_job(&taken, &audit, &id, "ops", NOW).await;
        assert!(matches!(retried, Err(JobAdminError::NotDead)), "{retried:?}");
        let deleted = delete_job(&taken, &audit, &id, "ops", NOW).await;
        assert!(matches!(deleted, Err(JobAdminError::Running)), "{deleted:?}");
    }

    #[tokio::test]
    async fn a_retry_that_applied_answers_the_job_as_it_is_now() {
        let audit = Audit::default();
        let id = JobId::from_random([7; 16]);
        let requeued = job(JobState::Queued);
        let store = moved_on(
            JobState::Dead,
            DeadJobRetry::Retried(Box::new(requeued.clone())),
            JobDeletion::Deleted,
        );
        let retried = retry_dead_job(&store, &audit, &id, "ops", NOW).await;
        assert_eq!(retried.ok(), Some(requeued));
        assert!(delete_job(&store, &audit, &id, "ops", NOW).await.is_ok());
    }
}
