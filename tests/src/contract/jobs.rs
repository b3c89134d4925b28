//! The contract of [`JobStore`] and [`JobQueue`]: what the SQLite and Redis adapters must both do.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::job::{
    IdempotencyKey, JobId, JobKind, JobState, JobTimeout, MaxAttempts, NewJob, Priority,
};
use hexaspin_core::ports::{
    ClaimBudget, DispatchOutcome, DispatchRequest, FailOutcome, JobFilter, JobQueue, JobStore, QueueDepth,
};
use hexaspin_core::quota::{QuotaRules, RateRule, RejectReason};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const DAY_MS: i64 = 86_400_000;

fn job_id() -> JobId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("randomness");
    JobId::from_random(bytes)
}

/// A job of key `key` with `priority`, queued unless `run_at` is later than dispatch.
pub fn new_job(key: u8, priority: u8) -> NewJob {
    NewJob {
        id: job_id(),
        key_id: ApiKeyId::from_random([key; 8]),
        kind: JobKind::parse("echo").expect("kind"),
        payload: format!(r#"{{"key":{key},"priority":{priority},"text":"ü \"q\""}}"#),
        priority: Priority::new(i64::from(priority)).expect("priority"),
        run_at: None,
        max_attempts: MaxAttempts::new(2).expect("attempts"),
        timeout: JobTimeout::from_millis(1000).expect("timeout"),
        concurrency_limit: None,
    }
}

/// A claim of up to `total` jobs of the one kind the suite's jobs have (`echo`), with as many
/// slots for it.
pub fn echo_budget(total: u32) -> ClaimBudget {
    ClaimBudget::new(total, [(JobKind::parse("echo").expect("kind"), total)])
}

/// A request without quota rules or idempotency key.
pub fn request(job: NewJob) -> DispatchRequest {
    DispatchRequest {
        caps: Default::default(),
        job,
        rules: QuotaRules::default(),
        idempotency_key: None,
        idempotency_ttl_ms: DAY_MS,
    }
}

pub async fn accept<S: JobStore>(
    store: &S,
    request: &DispatchRequest,
    now: Timestamp,
) -> hexaspin_core::job::Job {
    match store.dispatch(request, now).await.expect("dispatch") {
        DispatchOutcome::Accepted { job, .. } => job,
        other => panic!("expected the job to be accepted, got {other:?}"),
    }
}

fn ids(jobs: &[hexaspin_core::job::Job]) -> Vec<JobId> {
    jobs.iter().map(|j| j.spec.id.clone()).collect()
}

/// A dispatched job is stored as sent, queued, and reads back identically.
pub async fn a_dispatched_job_is_stored_and_queued<S: JobStore + JobQueue>(store: &S) {
    let spec = new_job(1, 3);
    let job = accept(store, &request(spec.clone()), T0).await;
    assert_eq!(job.spec, spec);
    assert_eq!(
        (job.state, job.attempts, job.created_at),
        (JobState::Queued, 0, T0)
    );
    assert!(job.seq > 0);
    assert_eq!(store.find_job(&spec.id).await.expect("find"), Some(job));
    assert_eq!(store.find_job(&job_id()).await.expect("find unknown"), None);
}

/// A job for later waits as `scheduled` until promotion finds it due.
pub async fn a_future_job_waits_until_promoted_when_due<S: JobStore + JobQueue>(store: &S) {
    let mut spec = new_job(1, 5);
    spec.run_at = Some(T0.plus_seconds(60));
    let job = accept(store, &request(spec.clone()), T0).await;
    assert_eq!(job.state, JobState::Scheduled);
    assert_eq!(
        store
            .promote_due(T0.plus_seconds(59), 100)
            .await
            .expect("promote"),
        0
    );
    assert!(
        store
            .claim("w", &echo_budget(10), 1000, T0.plus_seconds(59))
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        store
            .promote_due(T0.plus_seconds(60), 100)
            .await
            .expect("promote"),
        1
    );
    let claimed = store
        .claim("w", &echo_budget(10), 1000, T0.plus_seconds(60))
        .await
        .expect("claim");
    assert_eq!(ids(&claimed), vec![spec.id]);
}

/// A repeated idempotency key returns the original job and charges nothing; the key expires.
pub async fn a_repeated_idempotency_key_returns_the_original_job<S: JobStore + JobQueue>(store: &S) {
    let rules = QuotaRules {
        rate: Some(RateRule::new(1, 1).expect("rule")),
        daily_quota: None,
    };
    let key = Some(IdempotencyKey::parse("order-42").expect("idempotency key"));
    let first = DispatchRequest {
        caps: Default::default(),
        job: new_job(2, 5),
        rules,
        idempotency_key: key.clone(),
        idempotency_ttl_ms: 60_000,
    };
    let original = accept(store, &first, T0).await;
    let repeat = DispatchRequest {
        job: new_job(2, 5),
        ..first.clone()
    };
    match store.dispatch(&repeat, T0).await.expect("repeat") {
        DispatchOutcome::Duplicate { job } => assert_eq!(job, original),
        other => panic!("expected the original job, got {other:?}"),
    }
    // The quota was charged once: a new key is now refused by the rate (burst 1).
    let other = DispatchRequest {
        job: new_job(2, 5),
        idempotency_key: None,
        ..first.clone()
    };
    assert!(matches!(
        store.dispatch(&other, T0).await.expect("other"),
        DispatchOutcome::Rejected { .. }
    ));
    // After the retention window the key is forgotten: a new job is created.
    let later = T0.plus_seconds(61);
    let fresh = accept(
        store,
        &DispatchRequest {
            job: new_job(2, 5),
            ..first
        },
        later,
    )
    .await;
    // `accept` insists on Accepted (not Duplicate); both jobs are now stored side by side.
    assert!(store.find_job(&original.spec.id).await.expect("find").is_some());
    assert_eq!(
        store
            .find_job(&fresh.spec.id)
            .await
            .expect("find")
            .map(|j| j.spec.id),
        Some(fresh.spec.id.clone())
    );
    assert_eq!(store.list_jobs(&JobFilter::all(10)).await.expect("list").len(), 2);
}

/// Concurrent repeats of one idempotency key, sent over two connections to one store (as two
/// app instances do), create exactly one job.
pub async fn concurrent_repeats_on_two_connections_create_one_job<S: JobStore + JobQueue>(
    store: &S,
    other: &S,
) {
    let key = Some(IdempotencyKey::parse("concurrent").expect("idempotency key"));
    let requests: Vec<_> = (0..16)
        .map(|_| DispatchRequest {
            caps: Default::default(),
            job: new_job(3, 5),
            rules: QuotaRules::default(),
            idempotency_key: key.clone(),
            idempotency_ttl_ms: DAY_MS,
        })
        .collect();
    let outcomes = futures::future::join_all(requests.iter().enumerate().map(|(n, r)| {
        let connection = if n % 2 == 0 { store } else { other };
        connection.dispatch(r, T0)
    }))
    .await;
    let mut job_ids: Vec<_> = outcomes
        .into_iter()
        .map(|o| match o.expect("dispatch") {
            DispatchOutcome::Accepted { job, .. } | DispatchOutcome::Duplicate { job } => job.spec.id,
            DispatchOutcome::Rejected { .. } => panic!("nothing limits this key"),
        })
        .collect();
    job_ids.sort_by_key(ToString::to_string);
    job_ids.dedup();
    assert_eq!(job_ids.len(), 1, "every repeat names the same job");
    let all = store.list_jobs(&JobFilter::all(100)).await.expect("list");
    assert_eq!(all.len(), 1);
}

/// The GCRA burst admits `burst` jobs at once, refuses the next with a retry time, and stores
/// nothing for the refused one.
pub async fn the_rate_limit_refuses_beyond_the_burst_and_stores_nothing<S: JobStore + JobQueue>(store: &S) {
    let rules = QuotaRules {
        rate: Some(RateRule::new(2, 2).expect("rule")),
        daily_quota: None,
    };
    let mut remaining = Vec::new();
    for _ in 0..2 {
        match store
            .dispatch(
                &DispatchRequest {
                    rules,
                    ..request(new_job(4, 5))
                },
                T0,
            )
            .await
            .expect("dispatch")
        {
            DispatchOutcome::Accepted { decision, .. } => remaining.push(decision.remaining),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(remaining, [1, 0]);
    let refused = DispatchRequest {
        rules,
        ..request(new_job(4, 5))
    };
    match store.dispatch(&refused, T0).await.expect("dispatch") {
        DispatchOutcome::Rejected { decision } => {
            assert_eq!(decision.rejected, Some(RejectReason::RateLimited));
            assert_eq!(
                (decision.limit, decision.remaining, decision.retry_after_us),
                (2, 0, 500_000)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.find_job(&refused.job.id).await.expect("find"), None);
    let half_a_second_later = Timestamp::from_millis(T0.as_millis() + 500);
    assert!(matches!(
        store
            .dispatch(&refused, half_a_second_later)
            .await
            .expect("dispatch"),
        DispatchOutcome::Accepted { .. }
    ));
}

/// The daily quota refuses with `quota_exhausted` until the next UTC day.
pub async fn the_daily_quota_refuses_until_the_next_day<S: JobStore + JobQueue>(store: &S) {
    let rules = QuotaRules {
        rate: None,
        daily_quota: Some(2),
    };
    for _ in 0..2 {
        accept(
            store,
            &DispatchRequest {
                rules,
                ..request(new_job(5, 5))
            },
            T0,
        )
        .await;
    }
    match store
        .dispatch(
            &DispatchRequest {
                rules,
                ..request(new_job(5, 5))
            },
            T0,
        )
        .await
        .expect("dispatch")
    {
        DispatchOutcome::Rejected { decision } => {
            assert_eq!(decision.rejected, Some(RejectReason::QuotaExhausted))
        }
        other => panic!("{other:?}"),
    }
    let tomorrow = Timestamp::from_millis((T0.as_millis() / DAY_MS + 1) * DAY_MS);
    accept(
        store,
        &DispatchRequest {
            rules,
            ..request(new_job(5, 5))
        },
        tomorrow,
    )
    .await;
    // Another key is not affected by this key's quota.
    accept(
        store,
        &DispatchRequest {
            rules,
            ..request(new_job(6, 5))
        },
        T0,
    )
    .await;
}

/// A batch dispatches each job in turn, each judged and charged on its own: a job over the rate
/// is refused (and not stored) while the others are stored; an idempotency key repeated inside
/// the batch gives the first job back; the outcomes are in the order sent.
pub async fn a_batch_judges_and_stores_each_job_on_its_own<S: JobStore + JobQueue>(store: &S) {
    let limited = |job| DispatchRequest {
        rules: QuotaRules {
            rate: Some(RateRule::new(1, 2).expect("rule")),
            daily_quota: None,
        },
        ..request(job)
    };
    let idempotent = |job| DispatchRequest {
        idempotency_key: Some(IdempotencyKey::parse("batch-7").expect("idempotency key")),
        ..request(job)
    };
    let requests = vec![
        limited(new_job(36, 5)),
        limited(new_job(36, 5)),
        limited(new_job(36, 5)),
        idempotent(new_job(37, 5)),
        idempotent(new_job(37, 5)),
    ];
    let outcomes = store.dispatch_batch(&requests, T0).await.expect("batch");
    assert_eq!(outcomes.len(), 5);
    let mut stored = Vec::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        match (index, outcome) {
            (0 | 1 | 3, DispatchOutcome::Accepted { job, .. }) => {
                assert_eq!(job.spec, requests[index].job);
                stored.push(job.spec.id.clone());
            }
            (2, DispatchOutcome::Rejected { decision }) => {
                assert_eq!(decision.rejected, Some(RejectReason::RateLimited));
            }
            (4, DispatchOutcome::Duplicate { job }) => {
                assert_eq!(job.spec.id, requests[3].job.id, "the first job of the key");
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    for id in &stored {
        assert!(store.find_job(id).await.expect("find").is_some());
    }
    for refused in [&requests[2], &requests[4]] {
        assert_eq!(store.find_job(&refused.job.id).await.expect("find"), None);
    }
    let claimed = store.claim("w", &echo_budget(10), 500, T0).await.expect("claim");
    assert_eq!(ids(&claimed), stored, "queued in the order sent");
    assert!(
        store
            .dispatch_batch(&[], T0)
            .await
            .expect("empty batch")
            .is_empty()
    );
}

/// Claims go by priority (0 first), then dispatch order, and start an attempt under a lease.
pub async fn claims_follow_priority_then_dispatch_order<S: JobStore + JobQueue>(store: &S) {
    let mut expected = Vec::new();
    for priority in [5u8, 0, 9, 0, 5] {
        let job = accept(store, &request(new_job(7, priority)), T0).await;
        expected.push((priority, job.seq, job.spec.id));
    }
    expected.sort();
    let mut claimed = store.claim("w1", &echo_budget(3), 500, T0).await.expect("claim");
    claimed.extend(store.claim("w1", &echo_budget(10), 500, T0).await.expect("claim"));
    assert_eq!(
        ids(&claimed),
        expected.into_iter().map(|(_, _, id)| id).collect::<Vec<_>>()
    );
    let first = &claimed[0];
    assert_eq!(
        (first.state, first.attempts, first.lease_owner.as_deref()),
        (JobState::Running, 1, Some("w1"))
    );
    assert_eq!(
        first.lease_expires_at,
        Some(Timestamp::from_millis(T0.as_millis() + 1000 + 500))
    );
    assert!(
        store
            .claim("w1", &echo_budget(10), 500, T0)
            .await
            .expect("claim")
            .is_empty()
    );
}

/// A key at its concurrency limit is skipped without holding back other keys' jobs.
pub async fn claims_respect_per_key_concurrency_without_blocking_other_keys<S: JobStore + JobQueue>(
    store: &S,
) {
    let mut limited = Vec::new();
    for _ in 0..3 {
        let mut spec = new_job(8, 0);
        spec.concurrency_limit = Some(1);
        limited.push(accept(store, &request(spec), T0).await);
    }
    let free = accept(store, &request(new_job(9, 9)), T0).await;
    let claimed = store.claim("w", &echo_budget(10), 500, T0).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![limited[0].spec.id.clone(), free.spec.id.clone()]
    );
    assert!(
        store
            .claim("w", &echo_budget(10), 500, T0)
            .await
            .expect("claim")
            .is_empty(),
        "the key is at its limit"
    );
    assert!(store.ack(&limited[0].spec.id, "w", "{}", T0).await.expect("ack"));
    let next = store.claim("w", &echo_budget(10), 500, T0).await.expect("claim");
    assert_eq!(ids(&next), vec![limited[1].spec.id.clone()]);
}

fn kind(name: &str) -> JobKind {
    JobKind::parse(name).expect("kind")
}

fn job_of_kind(key: u8, priority: u8, name: &str) -> NewJob {
    NewJob {
        kind: kind(name),
        ..new_job(key, priority)
    }
}

/// A claim takes only the kinds the worker has loaded: a job of another kind, even one that
/// comes first, stays queued, untouched, for a worker that has its kind.
pub async fn claims_take_only_the_kinds_the_worker_has_loaded<S: JobStore + JobQueue>(store: &S) {
    let other = accept(store, &request(job_of_kind(30, 0, "webhook")), T0).await;
    let echo = accept(store, &request(job_of_kind(30, 5, "echo")), T0).await;
    let claimed = store.claim("w", &echo_budget(10), 500, T0).await.expect("claim");
    assert_eq!(ids(&claimed), vec![echo.spec.id.clone()]);
    let waiting = store.find_job(&other.spec.id).await.expect("find").expect("job");
    assert_eq!((waiting.state, waiting.attempts), (JobState::Queued, 0));
    let budget = ClaimBudget::new(10, [(kind("webhook"), 1)]);
    let claimed = store.claim("w2", &budget, 500, T0).await.expect("claim");
    assert_eq!(ids(&claimed), vec![other.spec.id.clone()]);
}

/// A claim takes no more jobs of a kind than the worker has free slots for that kind, and no
/// more in all than its total, in priority order across the kinds.
pub async fn claims_take_no_more_of_a_kind_than_its_free_slots<S: JobStore + JobQueue>(store: &S) {
    let mut echo = Vec::new();
    let mut webhook = Vec::new();
    for _ in 0..3 {
        echo.push(accept(store, &request(job_of_kind(31, 1, "echo")), T0).await);
        webhook.push(accept(store, &request(job_of_kind(31, 2, "webhook")), T0).await);
    }
    let budget = ClaimBudget::new(10, [(kind("echo"), 1), (kind("webhook"), 2)]);
    let claimed = store.claim("w", &budget, 500, T0).await.expect("claim");
    assert_eq!(
        ids(&claimed),
        vec![
            echo[0].spec.id.clone(),
            webhook[0].spec.id.clone(),
            webhook[1].spec.id.clone()
        ]
    );
    let budget = ClaimBudget::new(1, [(kind("echo"), 5), (kind("webhook"), 5)]);
    let claimed = store.claim("w", &budget, 500, T0).await.expect("claim");
    assert_eq!(ids(&claimed), vec![echo[1].spec.id.clone()], "the total caps it");
    let nothing = ClaimBudget::new(5, [(kind("echo"), 0)]);
    assert!(
        store
            .claim("w", &nothing, 500, T0)
            .await
            .expect("claim")
            .is_empty()
    );
}

/// How many jobs of a key at its concurrency limit sit in front of another key's job in the
/// starvation test: more than one claim looks at (Redis: 1 000), fewer than a slow test needs.
const CAPPED_BACKLOG: usize = 1_200;

/// A key at its concurrency limit with a long backlog never keeps another key's job from being
/// claimed: within a few claims (each looks at a bounded number of jobs) the other key's job,
/// queued behind the whole backlog and at the lowest priority, is taken; the backlog then runs
/// one at a time, in order, as its key's slot frees up.
pub async fn a_capped_keys_long_backlog_does_not_starve_other_keys<S: JobStore + JobQueue>(store: &S) {
    let mut backlog = Vec::new();
    for _ in 0..CAPPED_BACKLOG {
        let mut spec = new_job(32, 0);
        spec.concurrency_limit = Some(1);
        backlog.push(accept(store, &request(spec), T0).await);
    }
    let other = accept(store, &request(new_job(33, 9)), T0).await;
    let first = store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    assert_eq!(ids(&first), vec![backlog[0].spec.id.clone()]);
    let mut found = Vec::new();
    for _ in 0..3 {
        found.extend(store.claim("w", &echo_budget(1), 500, T0).await.expect("claim"));
        if !found.is_empty() {
            break;
        }
    }
    assert_eq!(
        ids(&found),
        vec![other.spec.id.clone()],
        "the other key's job is claimed within three claims"
    );
    assert!(
        store
            .claim("w", &echo_budget(5), 500, T0)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(store.ack(&backlog[0].spec.id, "w", "{}", T0).await.expect("ack"));
    let next = store.claim("w", &echo_budget(5), 500, T0).await.expect("claim");
    assert_eq!(
        ids(&next),
        vec![backlog[1].spec.id.clone()],
        "the backlog goes on in order"
    );
}

/// A waiting job of a key at its limit that is cancelled or deleted after a slot of its key
/// freed up hands that slot on: the key's next job is claimed, none is left behind.
pub async fn a_cancelled_or_deleted_waiting_job_hands_its_keys_free_slot_on<S: JobStore + JobQueue>(
    store: &S,
) {
    let mut jobs = Vec::new();
    for _ in 0..4 {
        let mut spec = new_job(34, 5);
        spec.concurrency_limit = Some(1);
        jobs.push(accept(store, &request(spec), T0).await);
    }
    let first = store.claim("w", &echo_budget(4), 500, T0).await.expect("claim");
    assert_eq!(ids(&first), vec![jobs[0].spec.id.clone()]);
    assert!(
        store
            .claim("w", &echo_budget(4), 500, T0)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(store.ack(&jobs[0].spec.id, "w", "{}", T0).await.expect("ack"));
    store
        .cancel_job(&jobs[1].spec.id, T0)
        .await
        .expect("cancel")
        .expect("job");
    let next = store.claim("w", &echo_budget(4), 500, T0).await.expect("claim");
    assert_eq!(ids(&next), vec![jobs[2].spec.id.clone()]);
    assert!(store.ack(&jobs[2].spec.id, "w", "{}", T0).await.expect("ack"));
    // Deleting a job must not delete the key's free slot with it.
    let mut spec = new_job(34, 5);
    spec.concurrency_limit = Some(1);
    let last = accept(store, &request(spec), T0).await;
    assert_eq!(
        store.delete_job(&jobs[3].spec.id).await.expect("delete"),
        hexaspin_core::ports::JobDeletion::Deleted
    );
    let next = store.claim("w", &echo_budget(4), 500, T0).await.expect("claim");
    assert_eq!(ids(&next), vec![last.spec.id.clone()]);
}

/// Only the lease holder can ack; an acked job is `succeeded` with its result.
pub async fn ack_records_success_for_the_lease_holder_only<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(10, 5)), T0).await;
    store.claim("w1", &echo_budget(1), 500, T0).await.expect("claim");
    assert!(
        !store
            .ack(&job.spec.id, "w2", "{}", T0)
            .await
            .expect("ack by another worker")
    );
    assert!(
        store
            .ack(&job.spec.id, "w1", r#"{"ok":true}"#, T0.plus_seconds(1))
            .await
            .expect("ack")
    );
    let done = store.find_job(&job.spec.id).await.expect("find").expect("job");
    assert_eq!(
        (done.state, done.result.as_deref(), done.finished_at),
        (
            JobState::Succeeded,
            Some(r#"{"ok":true}"#),
            Some(T0.plus_seconds(1))
        )
    );
    assert_eq!((done.lease_owner, done.lease_expires_at), (None, None));
    assert!(
        !store.ack(&job.spec.id, "w1", "{}", T0).await.expect("second ack"),
        "a finished job is not held"
    );
}

/// Failures retry at the given time until the attempts run out, then the job is dead; a final
/// failure is `failed` at once.
pub async fn failures_retry_until_attempts_run_out_then_the_job_is_dead<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(11, 5)), T0).await; // max_attempts = 2
    let id = &job.spec.id;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    let retry_at = T0.plus_seconds(10);
    assert!(
        store
            .fail(id, "w", "boom 1", &FailOutcome::RetryAt(retry_at), T0)
            .await
            .expect("fail")
    );
    let retrying = store.find_job(id).await.expect("find").expect("job");
    assert_eq!(
        (
            retrying.state,
            retrying.spec.run_at,
            retrying.last_error.as_deref()
        ),
        (JobState::Retrying, Some(retry_at), Some("boom 1"))
    );
    assert_eq!(store.promote_due(retry_at, 10).await.expect("promote"), 1);
    let second = store
        .claim("w", &echo_budget(1), 500, retry_at)
        .await
        .expect("claim");
    assert_eq!(second[0].attempts, 2);
    assert!(
        store
            .fail(
                id,
                "w",
                "boom 2",
                &FailOutcome::RetryAt(retry_at.plus_seconds(10)),
                retry_at
            )
            .await
            .expect("fail")
    );
    let dead = store.find_job(id).await.expect("find").expect("job");
    assert_eq!(
        (dead.state, dead.finished_at, dead.last_error.as_deref()),
        (JobState::Dead, Some(retry_at), Some("boom 2"))
    );

    let final_failure = accept(store, &request(new_job(11, 5)), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    assert!(
        store
            .fail(&final_failure.spec.id, "w", "bad input", &FailOutcome::Fail, T0)
            .await
            .expect("fail")
    );
    let failed = store
        .find_job(&final_failure.spec.id)
        .await
        .expect("find")
        .expect("job");
    assert_eq!(failed.state, JobState::Failed);
}

/// Releasing (graceful shutdown) puts the job back without counting the attempt.
pub async fn a_released_job_is_queued_again_without_using_an_attempt<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(12, 5)), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    assert!(
        !store
            .release(&job.spec.id, "other", T0)
            .await
            .expect("release by another")
    );
    assert!(store.release(&job.spec.id, "w", T0).await.expect("release"));
    let again = store.claim("w2", &echo_budget(1), 500, T0).await.expect("claim");
    assert_eq!((again[0].spec.id.clone(), again[0].attempts), (job.spec.id, 1));
}

/// A job whose cancellation was asked while it ran, and whose worker then died, ends
/// `cancelled` when its lease runs out: it is not run again.
pub async fn an_expired_lease_on_a_job_whose_cancel_was_asked_ends_it_cancelled<S: JobStore + JobQueue>(
    store: &S,
) {
    let job = accept(store, &request(new_job(13, 5)), T0).await;
    store
        .claim("crashed", &echo_budget(1), 500, T0)
        .await
        .expect("claim");
    let asked = store
        .cancel_job(&job.spec.id, T0)
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!((asked.state, asked.cancel_requested), (JobState::Running, true));
    let later = Timestamp::from_millis(T0.as_millis() + 1501);
    assert_eq!(store.rescue_expired(later, 100).await.expect("rescue"), 1);
    let ended = store.find_job(&job.spec.id).await.expect("find").expect("job");
    assert_eq!(
        (ended.state, ended.lease_owner.clone(), ended.finished_at),
        (JobState::Cancelled, None, Some(later))
    );
    assert!(
        store
            .claim("w", &echo_budget(1), 500, later)
            .await
            .expect("claim")
            .is_empty(),
        "nothing to run again"
    );
}

/// The rescuer takes back at most `limit` expired leases per call, so a crash of a worker that
/// held many jobs is cleared in several short calls.
pub async fn expired_leases_are_rescued_in_bounded_batches<S: JobStore + JobQueue>(store: &S) {
    for n in 0..5 {
        accept(store, &request(new_job(13, 5 + n)), T0).await;
    }
    assert_eq!(
        store
            .claim("crashed", &echo_budget(5), 500, T0)
            .await
            .expect("claim")
            .len(),
        5
    );
    let later = Timestamp::from_millis(T0.as_millis() + 1501);
    let mut batches = Vec::new();
    for _ in 0..4 {
        batches.push(store.rescue_expired(later, 2).await.expect("rescue"));
    }
    assert_eq!(batches, [2, 2, 1, 0]);
    let queued = store
        .list_jobs(&JobFilter {
            state: Some(JobState::Queued),
            ..JobFilter::all(10)
        })
        .await
        .expect("list");
    assert_eq!(queued.len(), 5, "every job is back in the queue");
}

/// Jobs whose lease expired go back to the queue as a new attempt, or die after the last one.
pub async fn expired_leases_are_rescued<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(13, 5)), T0).await; // timeout 1000 + grace 500
    store
        .claim("crashed", &echo_budget(1), 500, T0)
        .await
        .expect("claim");
    assert_eq!(
        store
            .rescue_expired(Timestamp::from_millis(T0.as_millis() + 1500), 100)
            .await
            .expect("rescue"),
        0,
        "the lease has not run out yet"
    );
    let later = Timestamp::from_millis(T0.as_millis() + 1501);
    assert_eq!(store.rescue_expired(later, 100).await.expect("rescue"), 1);
    let queued = store.find_job(&job.spec.id).await.expect("find").expect("job");
    assert_eq!(
        (queued.state, queued.lease_owner.clone()),
        (JobState::Queued, None)
    );
    assert!(
        !store
            .ack(&job.spec.id, "crashed", "{}", later)
            .await
            .expect("late ack"),
        "the old lease is void"
    );
    store
        .claim("w", &echo_budget(1), 500, later)
        .await
        .expect("second attempt");
    let much_later = later.plus_seconds(10);
    assert_eq!(store.rescue_expired(much_later, 100).await.expect("rescue"), 1);
    assert_eq!(
        store
            .find_job(&job.spec.id)
            .await
            .expect("find")
            .expect("job")
            .state,
        JobState::Dead
    );
}

/// Waiting jobs are cancelled at once, running ones are marked, finished ones are left alone.
pub async fn cancellation_depends_on_the_state<S: JobStore + JobQueue>(store: &S) {
    let queued = accept(store, &request(new_job(14, 5)), T0).await;
    let cancelled = store
        .cancel_job(&queued.spec.id, T0)
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!(
        (cancelled.state, cancelled.finished_at),
        (JobState::Cancelled, Some(T0))
    );
    assert!(
        store
            .claim("w", &echo_budget(10), 500, T0)
            .await
            .expect("claim")
            .is_empty(),
        "a cancelled job is not claimed"
    );

    let running = accept(store, &request(new_job(14, 5)), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    let marked = store
        .cancel_job(&running.spec.id, T0)
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!((marked.state, marked.cancel_requested), (JobState::Running, true));

    assert!(store.ack(&running.spec.id, "w", "{}", T0).await.expect("ack"));
    let finished = store
        .cancel_job(&running.spec.id, T0)
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!(finished.state, JobState::Succeeded);
    assert_eq!(
        store.cancel_job(&job_id(), T0).await.expect("cancel unknown"),
        None
    );
}

/// Depths count jobs by state and priority.
pub async fn queue_depths_count_jobs_by_state_and_priority<S: JobStore + JobQueue>(store: &S) {
    for priority in [1u8, 1, 2] {
        accept(store, &request(new_job(15, priority)), T0).await;
    }
    let mut later = new_job(15, 2);
    later.run_at = Some(T0.plus_seconds(5));
    accept(store, &request(later), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    let depth = |state, priority| QueueDepth {
        state,
        priority: Priority::new(priority).expect("p"),
        count: 0,
    };
    let mut expected = vec![
        QueueDepth {
            count: 1,
            ..depth(JobState::Queued, 1)
        },
        QueueDepth {
            count: 1,
            ..depth(JobState::Queued, 2)
        },
        QueueDepth {
            count: 1,
            ..depth(JobState::Running, 1)
        },
        QueueDepth {
            count: 1,
            ..depth(JobState::Scheduled, 2)
        },
    ];
    let mut depths = store.queue_depths().await.expect("depths");
    depths.sort_by_key(|d| (d.state.as_str(), d.priority));
    expected.sort_by_key(|d| (d.state.as_str(), d.priority));
    assert_eq!(depths, expected);
}

/// Reconciling depths that agree with the jobs changes nothing and recounts nothing.
pub async fn reconciling_correct_depths_changes_nothing<S: JobStore + JobQueue>(store: &S) {
    for priority in [1u8, 4, 4] {
        accept(store, &request(new_job(35, priority)), T0).await;
    }
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    let before = store.queue_depths().await.expect("depths");
    assert_eq!(store.reconcile_depths().await.expect("reconcile"), 0);
    assert_eq!(store.queue_depths().await.expect("depths"), before);
}

/// Lists are newest first, filter by key and state, and page by sequence number.
pub async fn lists_filter_by_key_and_state_and_page_newest_first<S: JobStore + JobQueue>(store: &S) {
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(accept(store, &request(new_job(17, 5)), T0).await);
    }
    accept(store, &request(new_job(18, 5)), T0).await;
    store.cancel_job(&mine[1].spec.id, T0).await.expect("cancel");
    let key = Some(mine[0].spec.key_id.clone());
    let all_mine = store
        .list_jobs(&JobFilter {
            key_id: key.clone(),
            state: None,
            before_seq: None,
            limit: 10,
        })
        .await
        .expect("list");
    assert_eq!(
        ids(&all_mine),
        vec![
            mine[2].spec.id.clone(),
            mine[1].spec.id.clone(),
            mine[0].spec.id.clone()
        ]
    );
    let page = store
        .list_jobs(&JobFilter {
            key_id: key.clone(),
            state: None,
            before_seq: Some(mine[2].seq),
            limit: 1,
        })
        .await
        .expect("page");
    assert_eq!(ids(&page), vec![mine[1].spec.id.clone()]);
    let queued = store
        .list_jobs(&JobFilter {
            key_id: key,
            state: Some(JobState::Queued),
            before_seq: None,
            limit: 10,
        })
        .await
        .expect("queued");
    assert_eq!(
        ids(&queued),
        vec![mine[2].spec.id.clone(), mine[0].spec.id.clone()]
    );
    let cancelled = store
        .list_jobs(&JobFilter {
            key_id: None,
            state: Some(JobState::Cancelled),
            before_seq: None,
            limit: 10,
        })
        .await
        .expect("cancelled");
    assert_eq!(ids(&cancelled), vec![mine[1].spec.id.clone()]);
}

/// Cleaning removes finished jobs older than the cut-off, and nothing else.
pub async fn cleaning_removes_only_old_finished_jobs<S: JobStore + JobQueue>(store: &S) {
    let old = accept(store, &request(new_job(19, 5)), T0).await;
    store.cancel_job(&old.spec.id, T0).await.expect("cancel");
    let recent = accept(store, &request(new_job(19, 5)), T0).await;
    store
        .cancel_job(&recent.spec.id, T0.plus_seconds(10))
        .await
        .expect("cancel");
    let waiting = accept(store, &request(new_job(19, 5)), T0).await;
    assert_eq!(store.clean_finished(T0.plus_seconds(5)).await.expect("clean"), 1);
    assert_eq!(store.find_job(&old.spec.id).await.expect("find"), None);
    assert!(store.find_job(&recent.spec.id).await.expect("find").is_some());
    assert!(store.find_job(&waiting.spec.id).await.expect("find").is_some());
}

/// A running job whose cancellation was asked ends `cancelled` when its worker stops it.
pub async fn a_worker_ends_a_cancelled_running_job_as_cancelled<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(20, 5)), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    store.cancel_job(&job.spec.id, T0).await.expect("ask");
    assert!(
        !store
            .cancelled(&job.spec.id, "other", T0)
            .await
            .expect("not the holder")
    );
    assert!(
        store
            .cancelled(&job.spec.id, "w", T0.plus_seconds(1))
            .await
            .expect("cancelled")
    );
    let done = store.find_job(&job.spec.id).await.expect("find").expect("job");
    assert_eq!(
        (done.state, done.finished_at),
        (JobState::Cancelled, Some(T0.plus_seconds(1)))
    );
    assert!(
        store
            .claim("w", &echo_budget(1), 500, T0)
            .await
            .expect("claim")
            .is_empty()
    );
    let depths = store.queue_depths().await.expect("depths");
    assert_eq!(
        depths.iter().map(|d| (d.state, d.count)).collect::<Vec<_>>(),
        vec![(JobState::Cancelled, 1)]
    );
}

/// Many acks in one call record each held job's success, refuse a job the worker does not hold,
/// and answer in the order asked.
pub async fn acks_in_one_call_record_each_held_job<S: JobStore + JobQueue>(store: &S) {
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(accept(store, &request(new_job(38, 5)), T0).await);
    }
    store.claim("w1", &echo_budget(2), 500, T0).await.expect("claim");
    store.claim("w2", &echo_budget(1), 500, T0).await.expect("claim");
    let done: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(n, job)| (job.spec.id.clone(), format!(r#"{{"n":{n}}}"#)))
        .collect();
    let held = store
        .ack_many("w1", &done, T0.plus_seconds(1))
        .await
        .expect("acks");
    assert_eq!(held, vec![true, true, false], "the third is w2's");
    for (job, result) in jobs[..2].iter().zip([r#"{"n":0}"#, r#"{"n":1}"#]) {
        let stored = store.find_job(&job.spec.id).await.expect("find").expect("job");
        assert_eq!(
            (stored.state, stored.result.as_deref(), stored.finished_at),
            (JobState::Succeeded, Some(result), Some(T0.plus_seconds(1)))
        );
    }
    let other = store
        .find_job(&jobs[2].spec.id)
        .await
        .expect("find")
        .expect("job");
    assert_eq!(other.state, JobState::Running);
    assert!(store.ack_many("w1", &[], T0).await.expect("no acks").is_empty());
}

/// A worker that gives up on a job (its kind's attempt cap) makes it `dead` even with attempts left.
pub async fn a_job_the_worker_gives_up_on_is_dead<S: JobStore + JobQueue>(store: &S) {
    let mut spec = new_job(21, 5);
    spec.max_attempts = MaxAttempts::new(5).expect("attempts");
    let job = accept(store, &request(spec), T0).await;
    store.claim("w", &echo_budget(1), 500, T0).await.expect("claim");
    assert!(
        store
            .fail(&job.spec.id, "w", "gave up", &FailOutcome::GiveUp, T0)
            .await
            .expect("fail")
    );
    let dead = store.find_job(&job.spec.id).await.expect("find").expect("job");
    assert_eq!(
        (dead.state, dead.attempts, dead.finished_at),
        (JobState::Dead, 1, Some(T0))
    );
    assert_eq!(
        store
            .promote_due(T0.plus_seconds(3600), 10)
            .await
            .expect("promote"),
        0
    );
}

/// Listing one state of a key with a long history of other states still finds the oldest match
/// (on Redis in bounded script steps, see `LIST_SCAN_BUDGET`), newest first, and pages.
pub async fn a_state_listing_over_a_long_history_finds_the_oldest_match<S: JobStore + JobQueue>(store: &S) {
    let mut future = new_job(21, 5);
    future.run_at = Some(T0.plus_seconds(3600));
    let scheduled = accept(store, &request(future), T0).await;
    for _ in 0..1_200 {
        accept(store, &request(new_job(21, 5)), T0).await;
    }
    let filter = JobFilter {
        key_id: Some(scheduled.spec.key_id.clone()),
        state: Some(JobState::Scheduled),
        before_seq: None,
        limit: 10,
    };
    let found = store.list_jobs(&filter).await.expect("list");
    assert_eq!(ids(&found), vec![scheduled.spec.id.clone()]);
    let queued = store
        .list_jobs(&JobFilter {
            state: Some(JobState::Queued),
            limit: 1_100,
            ..filter
        })
        .await
        .expect("queued");
    assert_eq!(queued.len(), 1_100);
    assert!(queued.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
}
