//! Job rows (the column list of `find_job.sql`) to domain jobs.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::job::{Job, JobId, JobKind, JobState, JobTimeout, MaxAttempts, NewJob, Priority};
use hexaspin_core::ports::StoreError;

use crate::value::{Columns, SqlValue};

/// A job from a row of any statement returning the job columns.
pub fn job_from_row(row: &[SqlValue]) -> Result<Job, StoreError> {
    let c = Columns::new(row);
    let corrupt = |what: &str, e: hexaspin_core::DomainError| StoreError::Corrupt(format!("{what}: {e}"));
    let millis = |i| c.opt_int(i).map(|v| v.map(Timestamp::from_millis));
    Ok(Job {
        seq: c.int(0)?,
        spec: NewJob {
            id: JobId::parse(&c.text(1)?).map_err(|e| corrupt("id", e))?,
            key_id: ApiKeyId::parse(&c.text(2)?).map_err(|e| corrupt("key_id", e))?,
            kind: JobKind::parse(&c.text(3)?).map_err(|e| corrupt("kind", e))?,
            payload: c.text(4)?,
            priority: Priority::new(c.int(5)?).map_err(|e| corrupt("priority", e))?,
            max_attempts: MaxAttempts::new(c.int(8)?).map_err(|e| corrupt("max_attempts", e))?,
            timeout: JobTimeout::from_millis(c.int(9)?).map_err(|e| corrupt("timeout_ms", e))?,
            concurrency_limit: c.opt_u32(10)?,
            run_at: millis(11)?,
        },
        state: JobState::parse(&c.text(6)?).map_err(|e| corrupt("state", e))?,
        attempts: u32::try_from(c.int(7)?).map_err(|_| StoreError::Corrupt("attempts".into()))?,
        created_at: Timestamp::from_millis(c.int(12)?),
        updated_at: Timestamp::from_millis(c.int(13)?),
        started_at: millis(14)?,
        finished_at: millis(15)?,
        result: c.opt_text(16)?,
        last_error: c.opt_text(17)?,
        cancel_requested: c.bool(18)?,
        lease_owner: c.opt_text(19)?,
        lease_expires_at: millis(20)?,
    })
}

/// Decodes every row.
pub fn jobs_from_rows(rows: &[Vec<SqlValue>]) -> Result<Vec<Job>, StoreError> {
    rows.iter().map(|row| job_from_row(row)).collect()
}
