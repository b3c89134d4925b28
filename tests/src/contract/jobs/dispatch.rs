//! Dispatch: storing jobs, idempotency, the rate limit and the daily quota, batches.

use super::*;

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
