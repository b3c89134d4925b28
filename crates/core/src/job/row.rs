//! The job row: the named fields every store keeps for a job and hands back for it, in one order.
//!
//! Defined once, here: the SQLite statements that return jobs list [`JOB_COLUMNS`] (their text is
//! built from it), the Redis scripts read a job's hash fields in this order (their `JOB_FIELDS` is
//! generated from it), and [`job_from_row`] is the one decoder both stores use. Only the stores
//! adapt values to it (SQLite integers, Redis strings), by column name.

use super::{Job, JobId, JobKind, JobState, JobTimeout, MaxAttempts, NewJob, Priority};
use crate::Timestamp;
use crate::api_key::ApiKeyId;
use crate::ports::StoreError;

/// The columns of the job row, in the order every store returns them.
pub const JOB_COLUMNS: [&str; 21] = [
    "seq",
    "id",
    "key_id",
    "kind",
    "payload",
    "priority",
    "state",
    "attempts",
    "max_attempts",
    "timeout_ms",
    "concurrency_limit",
    "run_at_ms",
    "created_at_ms",
    "updated_at_ms",
    "started_at_ms",
    "finished_at_ms",
    "result",
    "last_error",
    "cancel_requested",
    "lease_owner",
    "lease_expires_at_ms",
];

/// Where `column` stands in [`JOB_COLUMNS`].
pub fn column_index(column: &str) -> Option<usize> {
    JOB_COLUMNS.iter().position(|c| *c == column)
}

/// One job's row as a store read it, asked for by column name.
pub trait JobRow {
    /// An integer column; `None` when unset (NULL).
    fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError>;
    /// A text column; `None` when unset (NULL).
    fn text(&self, column: &'static str) -> Result<Option<String>, StoreError>;
}

/// The job a row stands for.
pub fn job_from_row(row: &impl JobRow) -> Result<Job, StoreError> {
    let int = |column| row.int(column)?.ok_or_else(|| unset(column));
    let text = |column| row.text(column)?.ok_or_else(|| unset(column));
    let instant = |column| Ok::<_, StoreError>(row.int(column)?.map(Timestamp::from_millis));
    let corrupt = |column: &str, e: crate::DomainError| StoreError::Corrupt(format!("job {column}: {e}"));
    let concurrency_limit = row
        .int("concurrency_limit")?
        .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt("job concurrency_limit".into())))
        .transpose()?;
    Ok(Job {
        seq: int("seq")?,
        spec: NewJob {
            id: JobId::parse(&text("id")?).map_err(|e| corrupt("id", e))?,
            key_id: ApiKeyId::parse(&text("key_id")?).map_err(|e| corrupt("key_id", e))?,
            kind: JobKind::parse(&text("kind")?).map_err(|e| corrupt("kind", e))?,
            payload: text("payload")?,
            priority: Priority::new(int("priority")?).map_err(|e| corrupt("priority", e))?,
            max_attempts: MaxAttempts::new(int("max_attempts")?).map_err(|e| corrupt("max_attempts", e))?,
            timeout: JobTimeout::from_millis(int("timeout_ms")?).map_err(|e| corrupt("timeout_ms", e))?,
            concurrency_limit,
            run_at: instant("run_at_ms")?,
        },
        state: JobState::parse(&text("state")?).map_err(|e| corrupt("state", e))?,
        attempts: u32::try_from(int("attempts")?).map_err(|_| StoreError::Corrupt("job attempts".into()))?,
        created_at: Timestamp::from_millis(int("created_at_ms")?),
        updated_at: Timestamp::from_millis(int("updated_at_ms")?),
        started_at: instant("started_at_ms")?,
        finished_at: instant("finished_at_ms")?,
        result: row.text("result")?,
        last_error: row.text("last_error")?,
        cancel_requested: match row.int("cancel_requested")? {
            None | Some(0) => false,
            Some(1) => true,
            Some(other) => return Err(StoreError::Corrupt(format!("job cancel_requested is {other}"))),
        },
        lease_owner: row.text("lease_owner")?,
        lease_expires_at: instant("lease_expires_at_ms")?,
    })
}

fn unset(column: &str) -> StoreError {
    StoreError::Corrupt(format!("job {column} is unset"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Map(HashMap<&'static str, &'static str>);

    impl JobRow for Map {
        fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
            self.0
                .get(column)
                .map(|v| v.parse().map_err(|_| StoreError::Corrupt(column.into())))
                .transpose()
        }

        fn text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
            Ok(self.0.get(column).map(|v| (*v).to_owned()))
        }
    }

    fn queued() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("seq", "7"),
            ("id", "0123456789abcdef0123456789abcdef"),
            ("key_id", "0123456789abcdef"),
            ("kind", "echo"),
            ("payload", "{}"),
            ("priority", "5"),
            ("state", "queued"),
            ("attempts", "0"),
            ("max_attempts", "3"),
            ("timeout_ms", "30000"),
            ("created_at_ms", "1000"),
            ("updated_at_ms", "1000"),
        ])
    }

    #[test]
    fn a_row_with_only_the_required_columns_is_a_job_with_nothing_optional() {
        let job = job_from_row(&Map(queued())).expect("job");
        assert_eq!((job.seq, job.state, job.attempts), (7, JobState::Queued, 0));
        assert_eq!((job.spec.run_at, job.result, job.lease_owner), (None, None, None));
        assert!(!job.cancel_requested);
    }

    #[test]
    fn an_unset_required_column_or_a_bad_value_is_corrupt_not_a_panic() {
        let mut row = queued();
        row.remove("state");
        assert!(matches!(job_from_row(&Map(row)), Err(StoreError::Corrupt(_))));
        let mut row = queued();
        row.insert("priority", "12");
        assert!(matches!(job_from_row(&Map(row)), Err(StoreError::Corrupt(_))));
    }

    /// Answers like [`Map`] and writes down every column asked for.
    struct Asked(Map, std::cell::RefCell<Vec<&'static str>>);

    impl JobRow for Asked {
        fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
            self.1.borrow_mut().push(column);
            self.0.int(column)
        }

        fn text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
            self.1.borrow_mut().push(column);
            self.0.text(column)
        }
    }

    #[test]
    fn the_decoder_reads_every_job_column_and_no_other() {
        let row = Asked(Map(queued()), Default::default());
        job_from_row(&row).expect("job");
        let mut asked = row.1.take();
        asked.sort_unstable();
        asked.dedup();
        let mut columns = JOB_COLUMNS.to_vec();
        columns.sort_unstable();
        assert_eq!(asked, columns);
        assert_eq!(column_index("lease_owner"), Some(19));
        assert_eq!(column_index("no_such_column"), None);
    }
}
