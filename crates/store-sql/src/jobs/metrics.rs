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

impl<E: TransactionalExecutor> MetricsStore for SqliteJobs<E> {
    async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError> {
        if increments.is_empty() {
            return Ok(());
        }
        // One transaction: one lock and one commit for the whole batch.
        let tx = self.executor.begin_write().await?;
        for (series, by) in increments {
            let params = [SqlValue::Text(series.field()), SqlValue::Int(amount(*by)?)];
            tx.query(queries::add_count, &params).await?;
        }
        tx.commit().await
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
