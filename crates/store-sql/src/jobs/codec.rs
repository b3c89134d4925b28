//! SQLite job rows (the columns of [`JOB_COLUMNS`], in its order) to domain jobs, through the
//! core's one job-row decoder.

use hexaspin_core::job::Job;
use hexaspin_core::job::row::{JOB_COLUMNS, JobRow, column_index};
use hexaspin_core::ports::StoreError;

use crate::value::{Columns, SqlValue};

/// `JOB_COLUMNS` as an SQL column list, for the statements that return jobs
/// (`{job_columns}` in their text).
pub fn job_column_list() -> String {
    JOB_COLUMNS.join(", ")
}

/// A row of a statement that returns [`job_column_list`].
struct SqlJobRow<'a>(Columns<'a>);

impl SqlJobRow<'_> {
    fn index(column: &str) -> Result<usize, StoreError> {
        column_index(column).ok_or_else(|| StoreError::Corrupt(format!("no job column {column}")))
    }
}

impl JobRow for SqlJobRow<'_> {
    fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        // SQLite keeps cancel_requested as 0/1 like every other integer.
        self.0.opt_int(Self::index(column)?)
    }

    fn text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.0.opt_text(Self::index(column)?)
    }
}

/// A job from a row of any statement returning the job columns.
pub fn job_from_row(row: &[SqlValue]) -> Result<Job, StoreError> {
    if row.len() != JOB_COLUMNS.len() {
        return Err(StoreError::Corrupt(format!(
            "a job row has {} columns, not {}",
            row.len(),
            JOB_COLUMNS.len()
        )));
    }
    hexaspin_core::job::row::job_from_row(&SqlJobRow(Columns::new(row)))
}

/// Decodes every row.
pub fn jobs_from_rows(rows: &[Vec<SqlValue>]) -> Result<Vec<Job>, StoreError> {
    rows.iter().map(|row| job_from_row(row)).collect()
}
