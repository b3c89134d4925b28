//! The contract of [`MetricsStore`] and of the job lifecycle counters the job stores keep: what
//! the SQLite and Redis adapters must both do.

use std::collections::BTreeMap;

use hexaspin_core::Timestamp;
use hexaspin_core::job::{JobKind, JobState};
use hexaspin_core::metrics::{Heartbeat, JobMove, Series, outcome_series};
use hexaspin_core::ports::{ClaimBudget, DeadJobRetry, FailOutcome, JobQueue, JobStore, MetricsStore};

use super::jobs::{echo_budget, new_job, request};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

async fn counters<S: MetricsStore>(store: &S) -> BTreeMap<String, u64> {
    store
        .counters()
        .await
        .expect("counters")
        .into_iter()
        .map(|c| (c.series.field(), c.value))
        .collect()
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(f, v)| ((*f).to_owned(), *v)).collect()
}

/// Dispatch, success, retry, final failure, giving up, cancellation and rescue each count once,
/// by kind; a shutdown handing a job back and an admin retry count nothing: exactly what the
/// counting rules (`hexaspin_core::metrics::outcome_of`) say of the moves made here.
pub async fn job_outcomes_are_counted_by_kind<S: JobStore + JobQueue + MetricsStore>(store: &S) {
    assert!(counters(store).await.is_empty(), "a fresh store counts nothing");
    let mut jobs = Vec::new();
    for n in 0..7u8 {
        let mut spec = new_job(n, 5);
        if n == 6 {
            spec.kind = JobKind::parse("webhook").expect("kind");
        }
        store
            .dispatch(&request(spec.clone()), T0)
            .await
            .expect("dispatch");
        jobs.push(spec.id);
    }
    store.cancel_job(&jobs[5], T0).await.expect("cancel queued");
    let both_kinds = ClaimBudget::new(
        6,
        ["echo", "webhook"].map(|kind| (JobKind::parse(kind).expect("kind"), 6)),
    );
    let claimed = store.claim("w", &both_kinds, 500, T0).await.expect("claim");
    assert_eq!(claimed.len(), 6);
    let held = |i: usize| &jobs[i];
    assert!(store.ack(held(0), "w", "{}", T0).await.expect("ack"));
    let retry_at = T0.plus_seconds(1);
    assert!(
        store
            .fail(held(1), "w", "boom", &FailOutcome::RetryAt(retry_at), T0)
            .await
            .expect("retry")
    );
    assert!(
        store
            .fail(held(2), "w", "bad", &FailOutcome::Fail, T0)
            .await
            .expect("fail")
    );
    assert!(
        store
            .fail(held(3), "w", "cap", &FailOutcome::GiveUp, T0)
            .await
            .expect("give up")
    );
    assert!(store.release(held(4), "w", T0).await.expect("release"));
    assert!(store.ack(held(6), "w", "{}", T0).await.expect("ack webhook"));
    // Job 4 again, then its worker dies: the rescuer retries it (counted).
    assert_eq!(
        store
            .claim("dies", &echo_budget(1), 500, T0)
            .await
            .expect("reclaim")
            .len(),
        1
    );
    assert_eq!(
        store
            .rescue_expired(T0.plus_seconds(10), 100)
            .await
            .expect("rescue"),
        1
    );
    // An admin retry of the dead job is not an outcome.
    assert!(matches!(
        store.retry_dead_job(held(3), T0).await.expect("admin retry"),
        DeadJobRetry::Retried(_)
    ));

    use JobState::*;
    let changed = |from, to, attempt_kept| JobMove::Changed {
        from,
        to,
        attempt_kept,
    };
    let echo = JobKind::parse("echo").expect("kind");
    let webhook = JobKind::parse("webhook").expect("kind");
    let moves = [
        (JobMove::Stored, &echo, 6),
        (JobMove::Stored, &webhook, 1),
        (changed(Queued, Cancelled, false), &echo, 1),
        (changed(Queued, Running, false), &echo, 5),
        (changed(Queued, Running, false), &webhook, 1),
        (changed(Running, Succeeded, true), &echo, 1),
        (changed(Running, Retrying, true), &echo, 1),
        (changed(Running, Failed, true), &echo, 1),
        (changed(Running, Dead, true), &echo, 1),
        (changed(Running, Queued, false), &echo, 1),
        (changed(Running, Succeeded, true), &webhook, 1),
        (changed(Queued, Running, false), &echo, 1),
        (changed(Running, Queued, true), &echo, 1),
        (changed(Dead, Queued, false), &echo, 1),
    ];
    let mut by_the_rules = BTreeMap::new();
    for (change, kind, times) in moves {
        if let Some(series) = outcome_series(change, kind) {
            *by_the_rules.entry(series.field()).or_insert(0) += times;
        }
    }
    assert_eq!(
        counters(store).await,
        by_the_rules,
        "the store counts as the rules say"
    );
    assert_eq!(
        by_the_rules,
        expect(&[
            ("jobs_cancelled|echo", 1),
            ("jobs_enqueued|echo", 6),
            ("jobs_enqueued|webhook", 1),
            ("jobs_failed|echo|dead", 1),
            ("jobs_failed|echo|failed", 1),
            ("jobs_retried|echo", 2),
            ("jobs_succeeded|echo", 1),
            ("jobs_succeeded|webhook", 1),
        ])
    );
}

/// A batch of increments lands in one call and adds to what is there, a series named twice in
/// one batch twice.
pub async fn request_counts_add_up<S: MetricsStore>(store: &S) {
    store.add_counts(&[]).await.expect("an empty batch is fine");
    let ok = Series::http_requests("jobs", 202);
    let limited = Series::quota_rejection("rate_limited");
    store
        .add_counts(&[(ok.clone(), 1), (limited.clone(), 2), (ok.clone(), 5)])
        .await
        .expect("add");
    store.add_counts(&[(ok.clone(), 3)]).await.expect("add again");
    let read = store.counters().await.expect("counters");
    let value = |series: &Series| read.iter().find(|c| &c.series == series).map(|c| c.value);
    assert_eq!(value(&ok), Some(9));
    assert_eq!(value(&limited), Some(2));
    assert_eq!(read.len(), 2);
}

/// The latest heartbeat of each worker is kept; workers silent since before a cut-off are forgotten.
pub async fn heartbeats_keep_the_latest_instant_per_worker<S: MetricsStore>(store: &S) {
    assert!(store.heartbeats().await.expect("none").is_empty());
    store.heartbeat("worker-a", T0).await.expect("beat");
    store.heartbeat("worker-b", T0).await.expect("beat");
    store
        .heartbeat("worker-a", T0.plus_seconds(5))
        .await
        .expect("beat again");
    assert_eq!(
        store.heartbeats().await.expect("beats"),
        vec![
            Heartbeat {
                worker: "worker-a".into(),
                at: T0.plus_seconds(5)
            },
            Heartbeat {
                worker: "worker-b".into(),
                at: T0
            },
        ]
    );
    assert_eq!(store.forget_workers(T0.plus_seconds(1)).await.expect("forget"), 1);
    let left: Vec<_> = store
        .heartbeats()
        .await
        .expect("beats")
        .into_iter()
        .map(|h| h.worker)
        .collect();
    assert_eq!(left, ["worker-a"]);
    assert!(store.forget_worker("worker-a").await.expect("forget one"));
    assert!(
        !store.forget_worker("worker-a").await.expect("forget again"),
        "already forgotten"
    );
    assert!(store.heartbeats().await.expect("beats").is_empty());
}
