//! [`MetricsStore`] on SQLite: counters and heartbeats in the jobs database. Job lifecycle
//! counters are written by triggers (migration 0003); this adds request counts and heartbeats.

use hexaspin_core::Timestamp;
use hexaspin_core::metrics::{CounterValue, Heartbeat, Series};
use hexaspin_core::ports::{MetricsStore, StoreError};

use super::{SqliteJobs, queries};
use crate::value::Columns;
use crate::{SqlTransaction, SqlValue, TransactionalExecutor};

fn amount(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Failed("a counter increment beyond i64".into()))
}

/// Adds `increments` to their counters in one statement (`add_counts.sql`), inside `tx` or, through
/// an unlocked executor, as a statement of its own. Nothing to add runs nothing.
pub(super) async fn add_counts_in<'a, T: SqlTransaction>(
    tx: &T,
    increments: impl IntoIterator<Item = (&'a Series, u64)>,
) -> Result<(), StoreError> {
    let mut pairs = Vec::new();
    for (series, by) in increments {
        pairs.push(serde_json::json!([series.field(), amount(by)?]));
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let pairs = SqlValue::Text(serde_json::Value::Array(pairs).to_string());
    tx.query(queries::add_counts, &[pairs]).await.map(drop)
}

impl<E: TransactionalExecutor> MetricsStore for SqliteJobs<E> {
    async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError> {
        // One statement: one lock and one commit, not waiting for the disk, for the whole batch.
        let unsynced = super::store::Unsynced(&self.executor);
        add_counts_in(&unsynced, increments.iter().map(|(series, by)| (series, *by))).await
    }

    async fn counters(&self) -> Result<Vec<CounterValue>, StoreError> {
        let rows = self.executor.query(queries::read_counters, &[]).await?;
        let mut counters = Vec::with_capacity(rows.len());
        for row in &rows {
            let columns = Columns::new(row);
            let Some(series) = Series::parse_field(&columns.text(0)?) else {
                continue;
            };
            let value = u64::try_from(columns.int(1)?)
                .map_err(|_| StoreError::Corrupt("a negative counter".into()))?;
            counters.push(CounterValue { series, value });
        }
        counters.sort_by(|a, b| a.series.cmp(&b.series));
        Ok(counters)
    }

    async fn heartbeat(&self, worker: &str, now: Timestamp) -> Result<(), StoreError> {
        let params = [SqlValue::Text(worker.to_owned()), SqlValue::Int(now.as_millis())];
        self.executor.query(queries::heartbeat, &params).await.map(drop)
    }

    async fn heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError> {
        let rows = self.executor.query(queries::heartbeats, &[]).await?;
        rows.iter()
            .map(|row| {
                let columns = Columns::new(row);
                Ok(Heartbeat {
                    worker: columns.text(0)?,
                    at: Timestamp::from_millis(columns.int(1)?),
                })
            })
            .collect()
    }

    async fn forget_worker(&self, worker: &str) -> Result<bool, StoreError> {
        let rows = self
            .executor
            .query(queries::forget_worker, &[SqlValue::Text(worker.to_owned())])
            .await?;
        Ok(!rows.is_empty())
    }

    async fn forget_workers(&self, before: Timestamp) -> Result<u64, StoreError> {
        let rows = self
            .executor
            .query(queries::forget_workers, &[SqlValue::Int(before.as_millis())])
            .await?;
        Ok(rows.len() as u64)
    }
}
