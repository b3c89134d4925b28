//! [`JobStore`] on SQLite.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, SecretHash};
use hexaspin_core::job::{JobId, JobState, NewJob, Priority};
use hexaspin_core::ports::{
    DeadJobRetry, DispatchOutcome, DispatchRequest, JobAccess, JobDeletion, JobFilter, JobStore, KeyCache,
    KeyLookup, KeyedDispatch, KeyedDispatchReply, KeyedJobAccess, KeyedJobReply, QueueDepth, RateBucket,
    RateLimiter, SettledOutcome, StoreError,
};
use hexaspin_core::quota::{
    Decision, KeyStorage, QuotaRules, QuotaState, check_storage, decide, give_back, take_all,
};
use hexaspin_core::use_cases::key_terms;

use super::codec::{job_from_row, jobs_from_rows};
use super::metrics::add_counts_in;
use super::{SqliteJobs, queries};
use crate::codec::key_from_row;
use crate::value::Columns;
use crate::value::Row;
use crate::{Dialect, SqlExecutor, SqlTransaction, SqlValue, TransactionalExecutor};

fn text(value: &impl ToString) -> SqlValue {
    SqlValue::Text(value.to_string())
}

/// Reads the bucket's state, decides with the core's rules and writes the new state when accepted.
async fn charge_quota<T: SqlTransaction>(
    tx: &T,
    bucket: &SqlValue,
    rules: QuotaRules,
    now: Timestamp,
) -> Result<Decision, StoreError> {
    let stored = tx
        .query(queries::read_quota, std::slice::from_ref(bucket))
        .await?;
    let state = match stored.first() {
        Some(row) => {
            let c = Columns::new(row);
            QuotaState {
                tat_us: c.int(0)?,
                day: c.int(1)?,
                day_count: c.opt_u64(2)?.unwrap_or(0),
            }
        }
        None => QuotaState::default(),
    };
    let (decision, next) = decide(state, rules, now.as_millis().saturating_mul(1000));
    if decision.rejected.is_none() {
        let params = [
            bucket.clone(),
            SqlValue::Int(next.tat_us),
            SqlValue::Int(next.day),
            SqlValue::Int(i64::try_from(next.day_count).unwrap_or(i64::MAX)),
        ];
        tx.query(queries::write_quota, &params).await?;
    }
    Ok(decision)
}

/// Buckets share the quota table with keys; the prefix keeps them apart from key ids.
fn bucket_row(bucket: &str) -> SqlValue {
    SqlValue::Text(format!("bucket:{bucket}"))
}

/// Each bucket's stored TAT (0 when it has no row), in order.
async fn bucket_tats<T: SqlTransaction>(tx: &T, buckets: &[RateBucket]) -> Result<Vec<i64>, StoreError> {
    let mut tats = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let stored = tx.query(queries::read_quota, &[bucket_row(&bucket.name)]).await?;
        tats.push(match stored.first() {
            Some(row) => Columns::new(row).int(0)?,
            None => 0,
        });
    }
    Ok(tats)
}

async fn write_tat<T: SqlTransaction>(tx: &T, bucket: &RateBucket, tat_us: i64) -> Result<(), StoreError> {
    let params = [
        bucket_row(&bucket.name),
        SqlValue::Int(tat_us),
        SqlValue::Int(0),
        SqlValue::Int(0),
    ];
    tx.query(queries::write_quota, &params).await.map(drop)
}

/// Both calls are one write transaction: no other request reads a bucket between our read and
/// our write.
impl<E: TransactionalExecutor> RateLimiter for SqliteJobs<E> {
    async fn take(&self, buckets: &[RateBucket], now: Timestamp) -> Result<Decision, StoreError> {
        let tx = self.executor.begin_write().await?;
        let now_us = self.decision_time(now).as_millis().saturating_mul(1000);
        let (decision, next) = take_all(&rules_and_tats(&tx, buckets).await?, now_us);
        if let Some(next) = next {
            for (bucket, tat_us) in buckets.iter().zip(next) {
                write_tat(&tx, bucket, tat_us).await?;
            }
            tx.commit().await?;
        }
        Ok(decision)
    }

    async fn give_back(&self, buckets: &[RateBucket], now: Timestamp) -> Result<(), StoreError> {
        let tx = self.executor.begin_write().await?;
        let now_us = self.decision_time(now).as_millis().saturating_mul(1000);
        let tats = bucket_tats(&tx, buckets).await?;
        for (bucket, tat_us) in buckets.iter().zip(tats) {
            // A full bucket is written as TAT 0 (the cleaner forgets it).
            write_tat(&tx, bucket, give_back(tat_us, bucket.rule, now_us).unwrap_or(0)).await?;
        }
        tx.commit().await
    }
}

/// Nothing to cache: where this database also holds the keys (the embedded default,
/// [`SqliteJobs::reading_keys_here`]) a check reads the key itself, in the limiter's transaction,
/// and a keyed dispatch is settled with the key read so;
/// elsewhere (keys on Postgres, queue on SQLite) every lookup misses. Fences and fills have nothing
/// to do either way: the record read is the key store's own.
impl<E: TransactionalExecutor> KeyCache for SqliteJobs<E> {
    async fn fence_key(&self, _id: &ApiKeyId, _version: i64) -> Result<(), StoreError> {
        Ok(())
    }

    async fn put_key(&self, _key: &ApiKey) -> Result<(), StoreError> {
        Ok(())
    }

    async fn take_and_find_key(
        &self,
        buckets: &[RateBucket],
        id: &ApiKeyId,
        presented: &SecretHash,
        now: Timestamp,
    ) -> Result<KeyLookup, StoreError> {
        if !self.keys_here {
            let decision = self.take(buckets, now).await?;
            let charged = decision.rejected.is_none();
            return Ok(KeyLookup {
                decision,
                cached: None,
                charged,
            });
        }
        // The core's rule (the Redis script mirrors it); the core verifies the record in full
        // either way.
        let verifies =
            |key: &Option<ApiKey>| key.as_ref().is_some_and(|key| key.verifies_hash(presented, now));
        // First without the write lock: a key that verifies, with room in its buckets, writes
        // nothing, so the common request takes no lock at all. Anything else is decided again
        // under the lock.
        let unlocked = Unlocked(&self.executor);
        let read_at_us = self.decision_time(now).as_millis().saturating_mul(1000);
        if let (decision, Some(_)) = take_all(&rules_and_tats(&unlocked, buckets).await?, read_at_us) {
            let key = key_row(&unlocked, id).await?;
            if verifies(&key) {
                return Ok(KeyLookup {
                    decision,
                    cached: key,
                    charged: false,
                });
            }
        }
        let tx = self.executor.begin_write().await?;
        let now_us = self.decision_time(now).as_millis().saturating_mul(1000);
        let (decision, next) = take_all(&rules_and_tats(&tx, buckets).await?, now_us);
        let Some(next) = next else {
            // Refused: nothing looked up, nothing written (the transaction rolls back).
            return Ok(KeyLookup {
                decision,
                cached: None,
                charged: false,
            });
        };
        let key = key_row(&tx, id).await?;
        let verifies = verifies(&key);
        if !verifies {
            for (bucket, tat_us) in buckets.iter().zip(next) {
                write_tat(&tx, bucket, tat_us).await?;
            }
            tx.commit().await?;
        }
        Ok(KeyLookup {
            decision,
            cached: key,
            charged: !verifies,
        })
    }

    /// Where the keys are in this database: the lookup as [`Self::take_and_find_key`] makes it
    /// (no lock for a key that verifies), then the dispatch under the key's terms and the
    /// answer's counts in one write transaction, the only one the request takes.
    async fn dispatch_with_cached_key(
        &self,
        call: &KeyedDispatch<'_>,
        now: Timestamp,
    ) -> Result<KeyedDispatchReply, StoreError> {
        if !self.keys_here {
            return Ok(KeyedDispatchReply::NotOffered);
        }
        let lookup = self
            .take_and_find_key(call.buckets, &call.job.key_id, call.presented, now)
            .await?;
        if !settles_alone(&lookup, call.scope) {
            return Ok(KeyedDispatchReply::Looked(lookup));
        }
        let tx = self.executor.begin_write().await?;
        // Judged when the write lock is held, never at a time read before waiting for it.
        let at = self.decision_time(now);
        let key = match key_again(&tx, &call.job.key_id, call.presented, call.scope, at).await? {
            Ok(key) => key,
            Err(changed) => {
                return Ok(KeyedDispatchReply::Looked(KeyLookup {
                    cached: changed,
                    ..lookup
                }));
            }
        };
        let terms = key_terms(&key.limits, call.defaults);
        let request = DispatchRequest {
            job: NewJob {
                concurrency_limit: terms.concurrency,
                ..call.job.clone()
            },
            rules: terms.rules,
            caps: terms.caps,
            idempotency_key: call.idempotency_key.cloned(),
            idempotency_ttl_ms: call.idempotency_ttl_ms,
        };
        let outcome = dispatch_in(&tx, &request, at).await?;
        let settled = SettledOutcome::of(&outcome);
        let counts = call.counts.0.iter().find(|(outcome, _)| *outcome == settled);
        add_counts_in(
            &tx,
            counts
                .iter()
                .flat_map(|(_, series)| series)
                .map(|series| (series, 1)),
        )
        .await?;
        // A refusal writes nothing but its counts (none: nothing to commit).
        if counts.is_some() || matches!(outcome, DispatchOutcome::Accepted { .. }) {
            tx.commit().await?;
        }
        Ok(KeyedDispatchReply::Dispatched {
            key: Some(Box::new(key)),
            at,
            outcome,
            counted: counts.is_some(),
        })
    }

    /// Where the keys are in this database: the lookup as [`Self::take_and_find_key`] makes it,
    /// then the key's own job read (no lock) and the answer's counts in a write transaction; or,
    /// for a cancellation, the key read again, the cancellation and the counts in one.
    async fn access_job_with_cached_key(
        &self,
        call: &KeyedJobAccess<'_>,
        now: Timestamp,
    ) -> Result<KeyedJobReply, StoreError> {
        if !self.keys_here {
            return Ok(KeyedJobReply::NotOffered);
        }
        let lookup = self
            .take_and_find_key(call.buckets, call.key_id, call.presented, now)
            .await?;
        if !settles_alone(&lookup, call.scope) {
            return Ok(KeyedJobReply::Looked(lookup));
        }
        if call.access == JobAccess::Find {
            // A read takes the write lock only for its counts: holding it for the read too made
            // reads wait on dispatches (measured: 10–15 % fewer reads).
            let job = own_job_in(&Unlocked(&self.executor), call.job, call.key_id).await?;
            let series = if job.is_some() {
                &call.counts.found
            } else {
                &call.counts.absent
            };
            // One statement of its own, not waiting for the disk: the write lock for that
            // statement alone, and only counts to lose on a power cut. Counts that fail do not
            // fail the read: the answer is then counted after it, as any uncounted answer is.
            let counted = add_counts_in(&Unsynced(&self.executor), series.iter().map(|series| (series, 1)))
                .await
                .is_ok();
            return Ok(KeyedJobReply::Settled {
                key: lookup.cached.map(Box::new),
                at: self.decision_time(now),
                job,
                counted,
            });
        }
        let tx = self.executor.begin_write().await?;
        let at = self.decision_time(now);
        let key = match key_again(&tx, call.key_id, call.presented, call.scope, at).await? {
            Ok(key) => key,
            Err(changed) => {
                return Ok(KeyedJobReply::Looked(KeyLookup {
                    cached: changed,
                    ..lookup
                }));
            }
        };
        let owned = own_job_in(&tx, call.job, call.key_id).await?;
        let job = match (owned, call.access) {
            (Some(_), JobAccess::Cancel) => {
                let params = [text(call.job), SqlValue::Int(at.as_millis())];
                match tx.query(&queries::cancel_job, &params).await?.first() {
                    Some(row) => Some(job_from_row(row)?),
                    // Finished jobs are left as they are.
                    None => own_job_in(&tx, call.job, call.key_id).await?,
                }
            }
            (owned, _) => owned,
        };
        let series = if job.is_some() {
            &call.counts.found
        } else {
            &call.counts.absent
        };
        add_counts_in(&tx, series.iter().map(|series| (series, 1))).await?;
        tx.commit().await?;
        Ok(KeyedJobReply::Settled {
            key: Some(Box::new(key)),
            at,
            job,
            counted: true,
        })
    }
}

/// Whether the unlocked lookup found a key that settles a request needing `scope` alone: its
/// secret verified (so nothing was charged), it has the scope and no use budget.
fn settles_alone(lookup: &KeyLookup, scope: &str) -> bool {
    lookup.decision.rejected.is_none()
        && !lookup.charged
        && lookup
            .cached
            .as_ref()
            .is_some_and(|key| key.remaining.is_none() && key.scopes.contains(scope))
}

/// The key read again inside `tx`, under the write lock: a change committed since the unlocked
/// read is in force. `Err` with the key as it is now (or none) when it no longer settles the
/// request: the core then judges that record, and charges the attempt if it counts.
async fn key_again<T: SqlTransaction>(
    tx: &T,
    id: &ApiKeyId,
    presented: &SecretHash,
    scope: &str,
    at: Timestamp,
) -> Result<Result<ApiKey, Option<ApiKey>>, StoreError> {
    let key = key_row(tx, id).await?;
    let still = key.as_ref().is_some_and(|key| {
        key.verifies_hash(presented, at) && key.remaining.is_none() && key.scopes.contains(scope)
    });
    Ok(match key {
        Some(key) if still => Ok(key),
        other => Err(other),
    })
}

/// Job `id` inside `tx` if it is key `key_id`'s (another key's job is as good as absent).
async fn own_job_in<T: SqlTransaction>(
    tx: &T,
    id: &JobId,
    key_id: &ApiKeyId,
) -> Result<Option<hexaspin_core::job::Job>, StoreError> {
    let rows = tx.query(&queries::find_job, &[text(id)]).await?;
    let job = rows.first().map(|row| job_from_row(row)).transpose()?;
    Ok(job.filter(|job| job.spec.key_id == *key_id))
}

/// Each bucket's rule with its stored TAT, as [`take_all`] reads them.
async fn rules_and_tats<T: SqlTransaction>(
    tx: &T,
    buckets: &[RateBucket],
) -> Result<Vec<(i64, hexaspin_core::quota::RateRule)>, StoreError> {
    let tats = bucket_tats(tx, buckets).await?;
    Ok(tats.into_iter().zip(buckets.iter().map(|b| b.rule)).collect())
}

/// The key with this id from the key table of this database.
async fn key_row<T: SqlTransaction>(tx: &T, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
    let find_key = crate::queries::Queries::of(Dialect::Sqlite).find_key;
    let rows = tx.query(find_key, &[SqlValue::Text(id.to_string())]).await?;
    rows.first().map(|row| key_from_row(row)).transpose()
}

/// Reads outside any transaction, through the transaction interface (for the helpers above).
struct Unlocked<'a, E>(&'a E);

impl<E: SqlExecutor> SqlTransaction for Unlocked<'_, E> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.0.query(sql, params).await
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Request counts outside any transaction, each statement committed on its own without waiting
/// for the disk ([`TransactionalExecutor::query_unsynced`]).
pub(super) struct Unsynced<'a, E>(pub(super) &'a E);

impl<E: TransactionalExecutor> SqlTransaction for Unsynced<'_, E> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.0.query_unsynced(sql, params).await
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// One dispatch inside `tx` (idempotency, quota, insert), judged at `now`; commits nothing.
async fn dispatch_in<T: SqlTransaction>(
    tx: &T,
    request: &DispatchRequest,
    now: Timestamp,
) -> Result<DispatchOutcome, StoreError> {
    let job = &request.job;
    let key_id = text(&job.key_id);
    let now_ms = SqlValue::Int(now.as_millis());

    if let Some(idem) = &request.idempotency_key {
        let found = tx
            .query(
                queries::find_idempotent,
                &[key_id.clone(), text(&idem.as_str()), now_ms.clone()],
            )
            .await?;
        if let Some(row) = found.first() {
            let original = tx.query(&queries::find_job, &[row[0].clone()]).await?;
            if let Some(original) = original.first() {
                return Ok(DispatchOutcome::Duplicate {
                    job: job_from_row(original)?,
                });
            }
        }
    }

    let scheduled = job.run_at.filter(|at| *at > now);
    let held = tx
        .query(queries::read_key_storage, std::slice::from_ref(&key_id))
        .await?;
    let held = match held.first() {
        Some(row) => {
            let c = Columns::new(row);
            KeyStorage {
                scheduled_jobs: c.opt_u64(0)?.unwrap_or(0),
                stored_bytes: c.opt_u64(1)?.unwrap_or(0),
            }
        }
        None => KeyStorage::default(),
    };
    let bytes = u64::try_from(job.payload.len()).unwrap_or(u64::MAX);
    if let Some(decision) = check_storage(request.caps, held, bytes, scheduled.is_some()) {
        return Ok(DispatchOutcome::Rejected { decision });
    }

    let decision = charge_quota(tx, &key_id, request.rules, now).await?;
    if decision.rejected.is_some() {
        // A refused request writes nothing.
        return Ok(DispatchOutcome::Rejected { decision });
    }

    let state = if scheduled.is_some() {
        JobState::Scheduled
    } else {
        JobState::Queued
    };
    let insert = [
        text(&job.id),
        key_id.clone(),
        text(&job.kind.as_str()),
        SqlValue::Text(job.payload.clone()),
        SqlValue::Int(i64::from(job.priority.get())),
        SqlValue::Int(i64::from(job.max_attempts.get())),
        SqlValue::Int(i64::from(job.timeout.as_millis())),
        SqlValue::from(job.concurrency_limit.map(i64::from)),
        text(&state.as_str()),
        SqlValue::from(scheduled.map(Timestamp::as_millis)),
        now_ms,
    ];
    let inserted = tx.query(&queries::insert_job, &insert).await?;
    let stored_job = job_from_row(
        inserted
            .first()
            .ok_or_else(|| StoreError::Failed("insert returned no row".into()))?,
    )?;

    if let Some(idem) = &request.idempotency_key {
        let expires = now.as_millis().saturating_add(request.idempotency_ttl_ms);
        let params = [
            key_id,
            text(&idem.as_str()),
            text(&job.id),
            SqlValue::Int(expires),
        ];
        tx.query(queries::remember_idempotent, &params).await?;
    }
    Ok(DispatchOutcome::Accepted {
        job: stored_job,
        decision,
    })
}

impl<E: TransactionalExecutor> JobStore for SqliteJobs<E> {
    async fn dispatch(
        &self,
        request: &DispatchRequest,
        now: Timestamp,
    ) -> Result<DispatchOutcome, StoreError> {
        let tx = self.executor.begin_write().await?;
        let outcome = dispatch_in(&tx, request, self.decision_time(now)).await?;
        if matches!(outcome, DispatchOutcome::Accepted { .. }) {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    async fn dispatch_batch(
        &self,
        requests: &[DispatchRequest],
        now: Timestamp,
    ) -> Result<Vec<DispatchOutcome>, StoreError> {
        // One write transaction (one fsync) for the whole batch, each job judged in turn.
        let tx = self.executor.begin_write().await?;
        let now = self.decision_time(now);
        let mut outcomes = Vec::with_capacity(requests.len());
        for request in requests {
            outcomes.push(dispatch_in(&tx, request, now).await?);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn find_job(&self, id: &JobId) -> Result<Option<hexaspin_core::job::Job>, StoreError> {
        let rows = self.executor.query(&queries::find_job, &[text(id)]).await?;
        rows.first().map(|row| job_from_row(row)).transpose()
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<hexaspin_core::job::Job>, StoreError> {
        let params = [
            SqlValue::from(filter.key_id.as_ref().map(|k| k.as_str())),
            SqlValue::from(filter.state.map(JobState::as_str)),
            SqlValue::from(filter.before_seq),
            SqlValue::Int(i64::from(filter.limit)),
        ];
        jobs_from_rows(&self.executor.query(&queries::list_jobs, &params).await?)
    }

    async fn cancel_job(
        &self,
        id: &JobId,
        now: Timestamp,
    ) -> Result<Option<hexaspin_core::job::Job>, StoreError> {
        let rows = self
            .executor
            .query(&queries::cancel_job, &[text(id), SqlValue::Int(now.as_millis())])
            .await?;
        match rows.first() {
            Some(row) => job_from_row(row).map(Some),
            // Finished (or unknown) jobs are left as they are.
            None => self.find_job(id).await,
        }
    }

    async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let rows = self.executor.query(queries::queue_depths, &[]).await?;
        rows.iter()
            .map(|row| {
                let c = Columns::new(row);
                Ok(QueueDepth {
                    state: JobState::parse(&c.text(0)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    priority: Priority::new(c.int(1)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    count: c.opt_u64(2)?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// The change and, when it did not apply, the look at why, in one write transaction: no
    /// worker can move the job in between.
    async fn retry_dead_job(&self, id: &JobId, now: Timestamp) -> Result<DeadJobRetry, StoreError> {
        let tx = self.executor.begin_write().await?;
        let rows = tx
            .query(
                &queries::retry_dead_job,
                &[text(id), SqlValue::Int(now.as_millis())],
            )
            .await?;
        let outcome = match rows.first() {
            Some(row) => DeadJobRetry::Retried(Box::new(job_from_row(row)?)),
            None if tx.query(&queries::find_job, &[text(id)]).await?.is_empty() => DeadJobRetry::Missing,
            None => DeadJobRetry::NotDead,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// As [`Self::retry_dead_job`]: the deletion and the look at why it did not apply in one
    /// write transaction.
    async fn delete_job(&self, id: &JobId) -> Result<JobDeletion, StoreError> {
        let tx = self.executor.begin_write().await?;
        let outcome = if !tx.query(queries::delete_job, &[text(id)]).await?.is_empty() {
            JobDeletion::Deleted
        } else if tx.query(&queries::find_job, &[text(id)]).await?.is_empty() {
            JobDeletion::Missing
        } else {
            JobDeletion::Running
        };
        tx.commit().await?;
        Ok(outcome)
    }
}
