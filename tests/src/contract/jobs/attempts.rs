//! Attempts ending: acks, failures and retries, releases, rescued leases, cancelled runs.

use super::*;

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
