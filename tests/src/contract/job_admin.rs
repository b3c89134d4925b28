//! The contract of [`JobStore`]'s admin actions, retry of a dead job and deletion: each says what
//! it found in the same atomic step as the change, also when admins and workers race for the job.

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::job::{JobId, JobState};
use hexaspin_core::ports::{DeadJobRetry, FailOutcome, JobDeletion, JobQueue, JobStore};

use super::jobs::{accept, echo_budget, new_job, request};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

/// Runs the job's two attempts to failure, so that it is dead.
async fn fail_until_dead<S: JobStore + JobQueue>(store: &S, id: &JobId) {
    for attempt in 0..2 {
        store
            .promote_due(T0.plus_seconds(100), 10)
            .await
            .expect("promote");
        store
            .claim("w", &echo_budget(1), 500, T0.plus_seconds(100))
            .await
            .expect("claim");
        store
            .fail(
                id,
                "w",
                &format!("boom {attempt}"),
                &FailOutcome::RetryAt(T0),
                T0.plus_seconds(100),
            )
            .await
            .expect("fail");
    }
    assert_eq!(
        store.find_job(id).await.expect("find").expect("job").state,
        JobState::Dead
    );
}

/// A dead job can be put back in the queue, and a job that is not running can be deleted; each
/// answer tells a job in the wrong state from no job at all.
pub async fn dead_jobs_can_be_retried_and_jobs_deleted<S: JobStore + JobQueue>(store: &S) {
    let job = accept(store, &request(new_job(16, 5)), T0).await;
    let id = &job.spec.id;
    assert_eq!(
        store.retry_dead_job(id, T0).await.expect("retry"),
        DeadJobRetry::NotDead,
        "only dead jobs are retried"
    );
    fail_until_dead(store, id).await;
    let DeadJobRetry::Retried(revived) = store
        .retry_dead_job(id, T0.plus_seconds(200))
        .await
        .expect("retry")
    else {
        panic!("a dead job is retried");
    };
    assert_eq!(
        (revived.state, revived.attempts, revived.finished_at),
        (JobState::Queued, 0, None)
    );
    store
        .claim("w", &echo_budget(1), 500, T0.plus_seconds(200))
        .await
        .expect("claim");
    assert_eq!(
        store.delete_job(id).await.expect("delete running"),
        JobDeletion::Running,
        "a running job is not deleted"
    );
    store.ack(id, "w", "{}", T0.plus_seconds(200)).await.expect("ack");
    assert_eq!(store.delete_job(id).await.expect("delete"), JobDeletion::Deleted);
    assert_eq!(store.find_job(id).await.expect("find"), None);
    assert!(
        store.queue_depths().await.expect("depths").is_empty(),
        "deleting keeps the counters right"
    );
    assert_eq!(
        store.delete_job(id).await.expect("delete again"),
        JobDeletion::Missing
    );
    assert_eq!(
        store.retry_dead_job(id, T0).await.expect("retry a deleted job"),
        DeadJobRetry::Missing
    );
}

/// Admins racing for one job through two connections to the store: of 8 retries of a dead job
/// exactly one puts it back (the others find it no longer dead), and of 8 deletions exactly one
/// removes it (the others find nothing).
pub async fn concurrent_admin_actions_on_one_job_each_find_it_once<S: JobStore + JobQueue>(
    store: &S,
    other: &S,
) {
    let job = accept(store, &request(new_job(17, 5)), T0).await;
    let id = &job.spec.id;
    fail_until_dead(store, id).await;
    let either = |i: usize| if i.is_multiple_of(2) { store } else { other };
    let retries = join_all((0..8).map(|i| either(i).retry_dead_job(id, T0.plus_seconds(200)))).await;
    let retries: Vec<DeadJobRetry> = retries.into_iter().map(|r| r.expect("retry")).collect();
    let retried = retries
        .iter()
        .filter(|r| matches!(r, DeadJobRetry::Retried(_)))
        .count();
    assert_eq!(retried, 1, "{retries:?}");
    assert_eq!(
        retries.iter().filter(|r| **r == DeadJobRetry::NotDead).count(),
        7,
        "{retries:?}"
    );
    let deletions = join_all((0..8).map(|i| either(i).delete_job(id))).await;
    let deletions: Vec<JobDeletion> = deletions.into_iter().map(|d| d.expect("delete")).collect();
    assert_eq!(
        deletions.iter().filter(|d| **d == JobDeletion::Deleted).count(),
        1,
        "{deletions:?}"
    );
    assert_eq!(
        deletions.iter().filter(|d| **d == JobDeletion::Missing).count(),
        7,
        "{deletions:?}"
    );
    assert!(
        store.queue_depths().await.expect("depths").is_empty(),
        "one deletion, counted once"
    );
}
