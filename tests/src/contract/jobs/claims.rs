//! Claims: priority and order, per-key concurrency, kinds and their free slots, fairness.

use super::*;

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
