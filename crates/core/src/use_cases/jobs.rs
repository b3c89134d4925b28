//! Reading a key's jobs.

use crate::api_key::ApiKeyId;
use crate::job::{Job, JobState};
use crate::pagination::{JobCursor, Page, PageSize};
use crate::ports::{JobFilter, JobStore, StoreError};

/// Which of a key's jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobListQuery {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Continue after this sequence number (the cursor).
    pub before_seq: Option<i64>,
    /// Page size.
    pub size: PageSize,
}

/// One page of jobs, newest first; `key_id: None` lists every key's (admin).
pub async fn list_key_jobs<J: JobStore>(
    jobs: &J,
    key_id: Option<&ApiKeyId>,
    query: &JobListQuery,
) -> Result<Page<Job>, StoreError> {
    let filter = JobFilter {
        key_id: key_id.cloned(),
        state: query.state,
        before_seq: query.before_seq,
        limit: query.size.get() + 1,
    };
    let fetched = jobs.list_jobs(&filter).await?;
    Ok(Page::from_overfetch(fetched, query.size, |job| {
        JobCursor(job.seq).encode()
    }))
}
