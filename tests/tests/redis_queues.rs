//! Redis keeps things the SQL store computes on every read: depth counters beside the per-state
//! indexes, and one ready queue per kind. These tests break them the way a bug, a hand edit or an
//! upgrade would, and check that the store puts them right.

use hexaspin_core::Timestamp;
use hexaspin_core::job::JobState;
use hexaspin_core::ports::{DispatchOutcome, JobQueue, JobStore};
use hexaspin_tests::contract::jobs::{echo_budget, new_job, request};
use hexaspin_tests::fixtures::{RedisTestJobs, test_redis};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

async fn dispatch(fixture: &RedisTestJobs, priority: u8) -> hexaspin_core::job::Job {
    match fixture
        .store
        .dispatch(&request(new_job(40, priority)), T0)
        .await
        .expect("dispatch")
    {
        DispatchOutcome::Accepted { job, .. } => job,
        other => panic!("refused: {other:?}"),
    }
}

#[tokio::test]
async fn drifted_depth_counts_are_recounted_from_the_jobs_and_a_second_check_finds_nothing() {
    let fixture = RedisTestJobs::new().await;
    for priority in [5, 5, 2] {
        dispatch(&fixture, priority).await;
    }
    fixture
        .store
        .claim("w", &echo_budget(1), 500, T0)
        .await
        .expect("claim");
    let truth = fixture.store.queue_depths().await.expect("depths");
    let redis = test_redis().await;
    let depth = format!("{}depth", fixture.prefix);
    redis
        .command(&["HINCRBY", &depth, "queued:5", "7"])
        .await
        .expect("drift");
    redis
        .command(&["HSET", &depth, "dead:3", "4"])
        .await
        .expect("drift");
    assert_ne!(fixture.store.queue_depths().await.expect("depths"), truth);

    assert_eq!(
        fixture.store.reconcile_depths().await.expect("reconcile"),
        2,
        "queued and dead are recounted"
    );
    assert_eq!(fixture.store.queue_depths().await.expect("depths"), truth);
    assert_eq!(fixture.store.reconcile_depths().await.expect("reconcile"), 0);
    assert!(truth.iter().any(|d| d.state == JobState::Running && d.count == 1));
    fixture.finish().await;
}

#[tokio::test]
async fn jobs_left_in_the_one_ready_queue_of_earlier_versions_move_to_their_kinds_queue() {
    let fixture = RedisTestJobs::new().await;
    let job = dispatch(&fixture, 5).await;
    let redis = test_redis().await;
    let id = job.spec.id.to_string();
    let (per_kind, legacy) = (
        format!("{}ready:echo", fixture.prefix),
        format!("{}ready", fixture.prefix),
    );
    let score = 5 * 100_000_000_000_000 + job.seq;
    redis.command(&["ZREM", &per_kind, &id]).await.expect("zrem");
    redis
        .command(&["ZADD", &legacy, &score.to_string(), &id])
        .await
        .expect("zadd");
    // Earlier versions could leave a cancelled job behind in that set: it must not come back.
    let cancelled = dispatch(&fixture, 5).await;
    fixture
        .store
        .cancel_job(&cancelled.spec.id, T0)
        .await
        .expect("cancel");
    let cancelled_score = (5 * 100_000_000_000_000 + cancelled.seq).to_string();
    redis
        .command(&["ZADD", &legacy, &cancelled_score, &cancelled.spec.id.to_string()])
        .await
        .expect("zadd");
    assert!(
        fixture
            .store
            .claim("w", &echo_budget(1), 500, T0)
            .await
            .expect("claim")
            .is_empty(),
        "a claim reads only the kinds' queues"
    );
    fixture.store.promote_due(T0, 100).await.expect("promote");
    let claimed = fixture
        .store
        .claim("w", &echo_budget(5), 500, T0)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|j| j.spec.id.clone()).collect::<Vec<_>>(),
        vec![job.spec.id]
    );
    fixture.finish().await;
}
