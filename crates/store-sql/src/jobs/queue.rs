//! [`JobQueue`] on SQLite: the worker's side.

use hexaspin_core::Timestamp;
use hexaspin_core::job::{Job, JobId};
use hexaspin_core::ports::{ClaimBudget, FailOutcome, JobQueue, StoreError};

use super::codec::jobs_from_rows;
use super::{SqliteJobs, queries};
use crate::{SqlTransaction, SqlValue, TransactionalExecutor};

fn count(rows: Vec<Vec<SqlValue>>) -> u64 {
    rows.len() as u64
}

/// The budget as the claim statement reads it: `{"kind": free slots, …}`.
fn budget_json(budget: &ClaimBudget) -> String {
    let kinds: serde_json::Map<String, serde_json::Value> = budget
        .kinds()
        .iter()
        .map(|(kind, free)| (kind.as_str().to_owned(), (*free).into()))
        .collect();
    serde_json::Value::Object(kinds).to_string()
}

impl<E: TransactionalExecutor> JobQueue for SqliteJobs<E> {
    async fn promote_due(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        let params = [SqlValue::Int(now.as_millis()), SqlValue::Int(i64::from(limit))];
        self.executor
            .query(queries::promote_due, &params)
            .await
            .map(count)
    }

    async fn claim(
        &self,
        worker: &str,
        budget: &ClaimBudget,
        lease_grace_ms: i64,
        now: Timestamp,
    ) -> Result<Vec<Job>, StoreError> {
        if budget.is_empty() {
            return Ok(Vec::new());
        }
        // One statement, but inside an immediate transaction so that two workers on the same file
        // cannot both count the same key's running jobs before either claims.
        let tx = self.executor.begin_write().await?;
        let params = [
            SqlValue::Text(worker.to_owned()),
            SqlValue::Int(i64::from(budget.total())),
            SqlValue::Int(lease_grace_ms),
            SqlValue::Int(now.as_millis()),
            SqlValue::Text(budget_json(budget)),
        ];
        let rows = tx.query(&queries::claim, &params).await?;
        tx.commit().await?;
        let mut jobs = jobs_from_rows(&rows)?;
        // RETURNING gives rows in storage order: hand them out by priority, then dispatch order.
        jobs.sort_by_key(|job| (job.spec.priority, job.seq));
        Ok(jobs)
    }

    async fn ack(&self, id: &JobId, worker: &str, result: &str, now: Timestamp) -> Result<bool, StoreError> {
        let params = [
            SqlValue::Text(id.to_string()),
            SqlValue::Text(worker.to_owned()),
            SqlValue::Text(result.to_owned()),
            SqlValue::Int(now.as_millis()),
        ];
        Ok(!self.executor.query(queries::ack, &params).await?.is_empty())
    }

    async fn ack_many(
        &self,
        worker: &str,
        done: &[(JobId, String)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<[&str; 2]> = done
            .iter()
            .map(|(id, result)| [id.as_str(), result.as_str()])
            .collect();
        let params = [
            SqlValue::Text(worker.to_owned()),
            SqlValue::Int(now.as_millis()),
            SqlValue::Text(serde_json::to_string(&pairs).map_err(|e| StoreError::Failed(e.to_string()))?),
        ];
        let rows = self.executor.query(queries::ack_many, &params).await?;
        let held: std::collections::HashSet<String> = rows
            .iter()
            .map(|row| crate::value::Columns::new(row).text(0))
            .collect::<Result<_, _>>()?;
        Ok(done.iter().map(|(id, _)| held.contains(id.as_str())).collect())
    }

    async fn fail(
        &self,
        id: &JobId,
        worker: &str,
        error: &str,
        outcome: &FailOutcome,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (retry_at, give_up) = match outcome {
            FailOutcome::RetryAt(at) => (SqlValue::Int(at.as_millis()), 0),
            FailOutcome::Fail => (SqlValue::Null, 0),
            FailOutcome::GiveUp => (SqlValue::Null, 1),
        };
        let params = [
            SqlValue::Text(id.to_string()),
            SqlValue::Text(worker.to_owned()),
            SqlValue::Text(error.to_owned()),
            retry_at,
            SqlValue::Int(now.as_millis()),
            SqlValue::Int(give_up),
        ];
        Ok(!self.executor.query(queries::fail, &params).await?.is_empty())
    }

    async fn cancelled(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        let params = [
            SqlValue::Text(id.to_string()),
            SqlValue::Text(worker.to_owned()),
            SqlValue::Int(now.as_millis()),
        ];
        Ok(!self.executor.query(queries::cancelled, &params).await?.is_empty())
    }

    async fn release(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        let params = [
            SqlValue::Text(id.to_string()),
            SqlValue::Text(worker.to_owned()),
            SqlValue::Int(now.as_millis()),
        ];
        Ok(!self.executor.query(queries::release, &params).await?.is_empty())
    }

    async fn rescue_expired(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        self.executor
            .query(
                queries::rescue_expired,
                &[SqlValue::Int(now.as_millis()), SqlValue::Int(i64::from(limit))],
            )
            .await
            .map(count)
    }

    async fn reconcile_depths(&self) -> Result<u64, StoreError> {
        // Depths are counted from the jobs table on every read: there is no kept count to drift.
        Ok(0)
    }

    async fn clean_finished(&self, before: Timestamp) -> Result<u64, StoreError> {
        let removed = self
            .executor
            .query(queries::clean_finished, &[SqlValue::Int(before.as_millis())])
            .await
            .map(count)?;
        self.executor
            .query(queries::clean_idempotency, &[SqlValue::Int(before.as_millis())])
            .await?;
        self.executor
            .query(
                queries::clean_buckets,
                &[SqlValue::Int(before.as_millis().saturating_mul(1000))],
            )
            .await?;
        Ok(removed)
    }
}
