//! [`RedisJobs`]: the job ports on Redis.

use hexaspin_core::Timestamp;
use hexaspin_core::job::row::{JOB_COLUMNS, JobRow, column_index, job_from_row};
use hexaspin_core::job::{Job, JobId, JobState, NewJob, Priority};
use hexaspin_core::ports::{
    ClaimBudget, DeadJobRetry, DispatchOutcome, DispatchRequest, FailOutcome, JobDeletion, JobFilter,
    JobQueue, JobStore, KeyedDispatch, QueueDepth, RateBucket, RateLimiter, StoreError,
};
use hexaspin_core::quota::{Decision, QuotaRules, RejectReason, StorageCaps};

use crate::executor::{RedisExecutor, RedisValue};
use crate::scripts;

/// Fields per job in script replies: the job row, in `JOB_COLUMNS` order (`push_job` in
/// `lib_jobs.lua`).
const JOB_FIELDS: usize = JOB_COLUMNS.len();
/// How many finished jobs one clean call removes at most.
const CLEAN_BATCH: u32 = 1000;

/// Jobs, quota state and idempotency keys under one key prefix of one Redis.
#[derive(Debug, Clone)]
pub struct RedisJobs<E> {
    executor: E,
    prefix: String,
    server_clock: bool,
}

/// Index entries one `list_jobs` script call looks at, at most, when it filters a key's jobs by
/// state: about 0.4 ms of Redis time however long the key's history is (measured with
/// `hexaspin-bench list-stall`: other clients' dispatch p99 0.6 ms while a key with 10⁵ jobs is
/// listed in a loop, against 209 ms with one unbounded script; 1 000 entries gave 2.1 ms).
pub const LIST_SCAN_BUDGET: u32 = 250;

impl<E: RedisExecutor> RedisJobs<E> {
    /// The 17 arguments of one dispatch (`lib_dispatch.lua`'s `DISPATCH_ARGS`).
    fn dispatch_args(&self, request: &DispatchRequest, now: Timestamp) -> [String; 17] {
        let job = &request.job;
        [
            job.id.to_string(),
            job.key_id.to_string(),
            job.kind.as_str().to_owned(),
            job.payload.clone(),
            job.priority.get().to_string(),
            job.max_attempts.get().to_string(),
            job.timeout.as_millis().to_string(),
            opt(job.concurrency_limit),
            opt(job.run_at.map(Timestamp::as_millis)),
            self.decision_now(now),
            opt(request.idempotency_key.as_ref().map(|k| k.as_str())),
            request.idempotency_ttl_ms.to_string(),
            opt(request.rules.rate.map(|r| r.emission_interval_us())),
            opt(request.rules.rate.map(|r| r.burst())),
            opt(request.rules.daily_quota),
            opt(request.caps.max_scheduled_jobs),
            opt(request.caps.max_stored_bytes),
        ]
    }

    /// The 17 dispatch arguments of a keyed dispatch: the key's terms left for the script.
    pub(crate) fn keyed_dispatch_args(&self, call: &KeyedDispatch<'_>, now: Timestamp) -> [String; 17] {
        let request = DispatchRequest {
            job: NewJob {
                concurrency_limit: None,
                ..call.job.clone()
            },
            rules: QuotaRules::default(),
            caps: StorageCaps::default(),
            idempotency_key: call.idempotency_key.cloned(),
            idempotency_ttl_ms: call.idempotency_ttl_ms,
        };
        self.dispatch_args(&request, now)
    }

    /// One bounded step of a listing: the jobs found among at most `budget` index entries, and
    /// the sequence number to continue before when the step stopped for its budget (`None` when
    /// the listing is complete). `list_jobs` calls it until done.
    pub async fn list_jobs_step(
        &self,
        filter: &JobFilter,
        budget: u32,
    ) -> Result<(Vec<Job>, Option<i64>), StoreError> {
        let args = [
            opt(filter.key_id.as_ref()),
            opt(filter.state.map(JobState::as_str)),
            opt(filter.before_seq),
            filter.limit.to_string(),
            budget.max(1).to_string(),
        ];
        let reply = self.run(&scripts::list_jobs, &args).await?;
        let resume = match reply.get(1).map(RedisValue::text).as_deref() {
            None | Some("") => None,
            Some(score) => Some(
                score
                    .parse::<i64>()
                    .map_err(|_| StoreError::Corrupt(format!("list resume position {score:?}")))?,
            ),
        };
        let mut rest = Vec::with_capacity(reply.len().saturating_sub(1));
        rest.push(reply.first().cloned().unwrap_or(RedisValue::Int(0)));
        rest.extend(reply.iter().skip(2).cloned());
        Ok((jobs_from_reply(&rest)?, resume))
    }

    /// Jobs under `prefix` (e.g. `hx:`) on `executor`. Quota decisions are taken at the `now` the
    /// caller passes (deterministic, for tests).
    pub fn new(executor: E, prefix: impl Into<String>) -> Self {
        Self {
            executor,
            prefix: prefix.into(),
            server_clock: false,
        }
    }

    /// Like [`new`](Self::new), with quota decisions (dispatch, the rate limiter) taken at the
    /// Redis server's clock when the script runs: one clock for every app host however skewed
    /// theirs are, read after any wait, so a request is never judged "too early" by the time
    /// it read before waiting.
    pub fn with_server_clock(executor: E, prefix: impl Into<String>) -> Self {
        Self {
            server_clock: true,
            ..Self::new(executor, prefix)
        }
    }

    /// The `now_ms` argument of a quota script: `now`, or `server` for Redis's clock.
    pub(crate) fn decision_now(&self, now: Timestamp) -> String {
        if self.server_clock {
            "server".to_owned()
        } else {
            now.as_millis().to_string()
        }
    }

    /// The executor.
    pub fn executor(&self) -> &E {
        &self.executor
    }

    pub(crate) async fn run(
        &self,
        script: &scripts::Script,
        args: &[String],
    ) -> Result<Vec<RedisValue>, StoreError> {
        let mut argv = Vec::with_capacity(args.len() + 1);
        argv.push(self.prefix.clone());
        argv.extend_from_slice(args);
        self.executor.run_script(script, &argv).await
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A job's fields as a script returns them: strings, `''` for unset.
struct RedisJobRow<'a>(&'a [RedisValue]);

impl RedisJobRow<'_> {
    fn field(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        let index =
            column_index(column).ok_or_else(|| StoreError::Corrupt(format!("no job field {column}")))?;
        let text = self.0.get(index).map(RedisValue::text).unwrap_or_default();
        Ok((!text.is_empty()).then_some(text))
    }
}

impl JobRow for RedisJobRow<'_> {
    fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        self.field(column)?
            .map(|text| {
                text.parse()
                    .map_err(|_| StoreError::Corrupt(format!("job field {column} is not a number")))
            })
            .transpose()
    }

    fn text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.field(column)
    }
}

/// One job from `JOB_FIELDS` reply values.
fn job_from_fields(fields: &[RedisValue]) -> Result<Job, StoreError> {
    if fields.len() != JOB_FIELDS {
        return Err(StoreError::Corrupt(format!(
            "a job reply has {} fields, not {JOB_FIELDS}",
            fields.len()
        )));
    }
    job_from_row(&RedisJobRow(fields))
}

/// `{n, job…×n}` to jobs.
fn jobs_from_reply(reply: &[RedisValue]) -> Result<Vec<Job>, StoreError> {
    let count = reply.first().and_then(RedisValue::int).unwrap_or(0) as usize;
    let body = reply.get(1..).unwrap_or_default();
    if body.len() != count * JOB_FIELDS {
        return Err(StoreError::Corrupt("job list reply has the wrong length".into()));
    }
    body.chunks(JOB_FIELDS).map(job_from_fields).collect()
}

pub(crate) fn optional_job(reply: &[RedisValue]) -> Result<Option<Job>, StoreError> {
    if reply.is_empty() {
        Ok(None)
    } else {
        job_from_fields(reply).map(Some)
    }
}

fn number(reply: &[RedisValue], index: usize) -> Result<i64, StoreError> {
    reply
        .get(index)
        .and_then(RedisValue::int)
        .ok_or_else(|| StoreError::Corrupt(format!("reply element {index} is not a number")))
}

/// -1 in a script reply means "no limit".
/// `buckets` as `lib_take.lua` reads them: name, interval, burst each.
pub(crate) fn push_buckets(args: &mut Vec<String>, buckets: &[RateBucket]) {
    for bucket in buckets {
        args.push(bucket.name.clone());
        args.push(bucket.rule.emission_interval_us().to_string());
        args.push(bucket.rule.burst().to_string());
    }
}

/// The decision at the head of a `lib_take.lua` reply.
pub(crate) fn take_decision(reply: &[RedisValue]) -> Result<Decision, StoreError> {
    Ok(Decision {
        rejected: (number(reply, 0)? == 0).then_some(RejectReason::RateLimited),
        limit: unlimited(number(reply, 1)?),
        remaining: unlimited(number(reply, 2)?),
        reset_after_us: number(reply, 3)?,
        retry_after_us: number(reply, 4)?,
    })
}

fn unlimited(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn flag(reply: &[RedisValue]) -> Result<bool, StoreError> {
    number(reply, 0).map(|n| n == 1)
}

/// One dispatch's reply (`lib_dispatch.lua`) as its outcome.
pub(crate) fn outcome_from_reply(reply: &[RedisValue]) -> Result<DispatchOutcome, StoreError> {
    let outcome = reply.first().map(RedisValue::text).unwrap_or_default();
    match outcome.as_str() {
        "duplicate" => Ok(DispatchOutcome::Duplicate {
            job: job_from_fields(&reply[1..])?,
        }),
        "rejected" => {
            let reason = match reply.get(1).map(RedisValue::text).as_deref() {
                Some("rate_limited") => RejectReason::RateLimited,
                Some("quota_exhausted") => RejectReason::QuotaExhausted,
                Some("scheduled_limit_reached") => RejectReason::ScheduledLimit,
                Some("storage_limit_reached") => RejectReason::StorageLimit,
                other => return Err(StoreError::Corrupt(format!("unknown rejection {other:?}"))),
            };
            let decision = Decision {
                rejected: Some(reason),
                limit: unlimited(number(reply, 2)?),
                remaining: unlimited(number(reply, 3)?),
                reset_after_us: number(reply, 4)?,
                retry_after_us: number(reply, 5)?,
            };
            Ok(DispatchOutcome::Rejected { decision })
        }
        "accepted" => {
            let decision = Decision {
                rejected: None,
                limit: unlimited(number(reply, 1)?),
                remaining: unlimited(number(reply, 2)?),
                reset_after_us: number(reply, 3)?,
                retry_after_us: number(reply, 4)?,
            };
            Ok(DispatchOutcome::Accepted {
                job: job_from_fields(&reply[5..])?,
                decision,
            })
        }
        other => Err(StoreError::Corrupt(format!(
            "unexpected dispatch reply {other:?}"
        ))),
    }
}

impl<E: RedisExecutor> JobStore for RedisJobs<E> {
    async fn dispatch(
        &self,
        request: &DispatchRequest,
        now: Timestamp,
    ) -> Result<DispatchOutcome, StoreError> {
        let reply = self
            .run(&scripts::dispatch, &self.dispatch_args(request, now))
            .await?;
        outcome_from_reply(&reply)
    }

    async fn dispatch_batch(
        &self,
        requests: &[DispatchRequest],
        now: Timestamp,
    ) -> Result<Vec<DispatchOutcome>, StoreError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let args: Vec<String> = requests
            .iter()
            .flat_map(|request| self.dispatch_args(request, now))
            .collect();
        let reply = self.run(&scripts::dispatch_batch, &args).await?;
        // Each job's reply, after its length.
        let mut outcomes = Vec::with_capacity(requests.len());
        let mut rest = reply.as_slice();
        while let Some((length, tail)) = rest.split_first() {
            let length = length
                .int()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n <= tail.len())
                .ok_or_else(|| StoreError::Corrupt("dispatch batch reply length".into()))?;
            outcomes.push(outcome_from_reply(&tail[..length])?);
            rest = &tail[length..];
        }
        if outcomes.len() != requests.len() {
            return Err(StoreError::Corrupt(format!(
                "{} outcomes for {} jobs",
                outcomes.len(),
                requests.len()
            )));
        }
        Ok(outcomes)
    }

    async fn find_job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        optional_job(&self.run(&scripts::find_job, &[id.to_string()]).await?)
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, StoreError> {
        // Bounded steps (see `list_jobs_step`): other clients' commands run between them.
        let mut jobs = Vec::new();
        let mut before = filter.before_seq;
        loop {
            let remaining = filter.limit.saturating_sub(jobs.len() as u32);
            let step = JobFilter {
                before_seq: before,
                limit: remaining,
                ..filter.clone()
            };
            let (found, resume) = self.list_jobs_step(&step, LIST_SCAN_BUDGET).await?;
            jobs.extend(found);
            match resume {
                Some(seq) if (jobs.len() as u32) < filter.limit => before = Some(seq),
                _ => return Ok(jobs),
            }
        }
    }

    async fn cancel_job(&self, id: &JobId, now: Timestamp) -> Result<Option<Job>, StoreError> {
        optional_job(
            &self
                .run(
                    &scripts::cancel_job,
                    &[id.to_string(), now.as_millis().to_string()],
                )
                .await?,
        )
    }

    async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let reply = self.run(&scripts::queue_depths, &[]).await?;
        let mut depths = reply
            .chunks(2)
            .map(|pair| {
                let name = pair[0].text();
                let (state, priority) = name
                    .split_once(':')
                    .ok_or_else(|| StoreError::Corrupt(format!("depth field {name:?}")))?;
                Ok(QueueDepth {
                    state: JobState::parse(state).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    priority: priority
                        .parse()
                        .ok()
                        .and_then(|p| Priority::new(p).ok())
                        .ok_or_else(|| StoreError::Corrupt(format!("depth field {name:?}")))?,
                    count: pair.get(1).and_then(RedisValue::int).map_or(0, unlimited),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        depths.sort_by_key(|d| (d.state.as_str(), d.priority));
        Ok(depths)
    }

    async fn retry_dead_job(&self, id: &JobId, now: Timestamp) -> Result<DeadJobRetry, StoreError> {
        let reply = self
            .run(
                &scripts::retry_dead_job,
                &[id.to_string(), now.as_millis().to_string()],
            )
            .await?;
        match reply.first().map(RedisValue::text).as_deref() {
            Some("retried") => Ok(DeadJobRetry::Retried(Box::new(job_from_fields(&reply[1..])?))),
            Some("not_dead") => Ok(DeadJobRetry::NotDead),
            Some("missing") => Ok(DeadJobRetry::Missing),
            other => Err(StoreError::Corrupt(format!("retry_dead_job answered {other:?}"))),
        }
    }

    async fn delete_job(&self, id: &JobId) -> Result<JobDeletion, StoreError> {
        let reply = self.run(&scripts::delete_job, &[id.to_string()]).await?;
        match reply.first().map(RedisValue::text).as_deref() {
            Some("deleted") => Ok(JobDeletion::Deleted),
            Some("running") => Ok(JobDeletion::Running),
            Some("missing") => Ok(JobDeletion::Missing),
            other => Err(StoreError::Corrupt(format!("delete_job answered {other:?}"))),
        }
    }
}

impl<E: RedisExecutor> JobQueue for RedisJobs<E> {
    async fn promote_due(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        let reply = self
            .run(
                &scripts::promote_due,
                &[now.as_millis().to_string(), limit.to_string()],
            )
            .await?;
        number(&reply, 0).map(unlimited)
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
        let mut args = vec![
            worker.to_owned(),
            budget.total().to_string(),
            lease_grace_ms.to_string(),
            now.as_millis().to_string(),
        ];
        for (kind, free) in budget.kinds() {
            args.push(kind.as_str().to_owned());
            args.push(free.to_string());
        }
        jobs_from_reply(&self.run(&scripts::claim, &args).await?)
    }

    async fn ack(&self, id: &JobId, worker: &str, result: &str, now: Timestamp) -> Result<bool, StoreError> {
        let args = [
            id.to_string(),
            worker.to_owned(),
            result.to_owned(),
            now.as_millis().to_string(),
        ];
        flag(&self.run(&scripts::ack, &args).await?)
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
        let mut args = vec![worker.to_owned(), now.as_millis().to_string()];
        for (id, result) in done {
            args.push(id.to_string());
            args.push(result.clone());
        }
        let reply = self.run(&scripts::ack_many, &args).await?;
        if reply.len() != done.len() {
            return Err(StoreError::Corrupt(format!(
                "{} ack flags for {} jobs",
                reply.len(),
                done.len()
            )));
        }
        Ok(reply.iter().map(|flag| flag.int() == Some(1)).collect())
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
            FailOutcome::RetryAt(at) => (at.as_millis().to_string(), "0"),
            FailOutcome::Fail => (String::new(), "0"),
            FailOutcome::GiveUp => (String::new(), "1"),
        };
        let args = [
            id.to_string(),
            worker.to_owned(),
            error.to_owned(),
            retry_at,
            now.as_millis().to_string(),
            give_up.to_owned(),
        ];
        flag(&self.run(&scripts::fail, &args).await?)
    }

    async fn cancelled(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        let args = [id.to_string(), worker.to_owned(), now.as_millis().to_string()];
        flag(&self.run(&scripts::cancelled, &args).await?)
    }

    async fn release(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        let args = [id.to_string(), worker.to_owned(), now.as_millis().to_string()];
        flag(&self.run(&scripts::release, &args).await?)
    }

    async fn rescue_expired(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        number(
            &self
                .run(
                    &scripts::rescue_expired,
                    &[now.as_millis().to_string(), limit.to_string()],
                )
                .await?,
            0,
        )
        .map(unlimited)
    }

    async fn reconcile_depths(&self) -> Result<u64, StoreError> {
        let states: Vec<String> = JobState::ALL.iter().map(|s| s.as_str().to_owned()).collect();
        let reply = self.run(&scripts::reconcile_depths, &states).await?;
        number(&reply, 0).map(unlimited)
    }

    async fn clean_finished(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let reply = self
                .run(
                    &scripts::clean_finished,
                    &[before.as_millis().to_string(), CLEAN_BATCH.to_string()],
                )
                .await?;
            let removed = number(&reply, 0).map(unlimited)?;
            total += removed;
            if removed < u64::from(CLEAN_BATCH) {
                return Ok(total);
            }
        }
    }
}

impl<E: RedisExecutor> RateLimiter for RedisJobs<E> {
    async fn take(&self, buckets: &[RateBucket], now: Timestamp) -> Result<Decision, StoreError> {
        let mut args = vec![self.decision_now(now)];
        push_buckets(&mut args, buckets);
        let reply = self.run(&scripts::take, &args).await?;
        take_decision(&reply)
    }

    async fn give_back(&self, buckets: &[RateBucket], now: Timestamp) -> Result<(), StoreError> {
        let mut args = vec![self.decision_now(now)];
        for bucket in buckets {
            args.push(bucket.name.clone());
            args.push(bucket.rule.emission_interval_us().to_string());
        }
        self.run(&scripts::give_back, &args).await.map(drop)
    }
}
