//! [`MetricsStore`] on Redis: counters in the hash `<prefix>counters`, heartbeats in
//! `<prefix>workers`; each call is one script, so one round trip.

use hexaspin_core::Timestamp;
use hexaspin_core::metrics::{CounterValue, Heartbeat, Series};
use hexaspin_core::ports::{MetricsStore, StoreError};

use crate::executor::{RedisExecutor, RedisValue};
use crate::{RedisJobs, scripts};

/// `{name, integer, name, integer, …}` read into pairs.
fn pairs(reply: &[RedisValue], what: &str) -> Result<Vec<(String, i64)>, StoreError> {
    if !reply.len().is_multiple_of(2) {
        return Err(StoreError::Corrupt(format!("an odd {what} reply")));
    }
    reply
        .chunks_exact(2)
        .map(|pair| {
            let value = pair[1]
                .int()
                .ok_or_else(|| StoreError::Corrupt(format!("a {what} value is not a number")))?;
            Ok((pair[0].text(), value))
        })
        .collect()
}

impl<E: RedisExecutor> MetricsStore for RedisJobs<E> {
    async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError> {
        if increments.is_empty() {
            return Ok(());
        }
        let mut args = Vec::with_capacity(increments.len() * 2);
        for (series, by) in increments {
            args.push(series.field());
            args.push(by.to_string());
        }
        self.run(&scripts::add_counts, &args).await.map(drop)
    }

    async fn counters(&self) -> Result<Vec<CounterValue>, StoreError> {
        let reply = self.run(&scripts::read_counters, &[]).await?;
        let mut counters = Vec::new();
        for (field, value) in pairs(&reply, "counter")? {
            let Some(series) = Series::parse_field(&field) else {
                continue;
            };
            let value = u64::try_from(value)
                .map_err(|_| StoreError::Corrupt(format!("counter {field} is negative")))?;
            counters.push(CounterValue { series, value });
        }
        counters.sort_by(|a, b| a.series.cmp(&b.series));
        Ok(counters)
    }

    async fn heartbeat(&self, worker: &str, now: Timestamp) -> Result<(), StoreError> {
        let args = [worker.to_owned(), now.as_millis().to_string()];
        self.run(&scripts::heartbeat, &args).await.map(drop)
    }

    async fn heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError> {
        let reply = self.run(&scripts::heartbeats, &[]).await?;
        let mut beats: Vec<Heartbeat> = pairs(&reply, "heartbeat")?
            .into_iter()
            .map(|(worker, at)| Heartbeat {
                worker,
                at: Timestamp::from_millis(at),
            })
            .collect();
        beats.sort_by(|a, b| a.worker.cmp(&b.worker));
        Ok(beats)
    }

    async fn forget_worker(&self, worker: &str) -> Result<bool, StoreError> {
        let reply = self.run(&scripts::forget_worker, &[worker.to_owned()]).await?;
        Ok(reply.first().and_then(RedisValue::int) == Some(1))
    }

    async fn forget_workers(&self, before: Timestamp) -> Result<u64, StoreError> {
        let reply = self
            .run(&scripts::forget_workers, &[before.as_millis().to_string()])
            .await?;
        let forgotten = reply
            .first()
            .and_then(RedisValue::int)
            .ok_or_else(|| StoreError::Corrupt("forget_workers returned no count".into()))?;
        Ok(u64::try_from(forgotten).unwrap_or(0))
    }
}
