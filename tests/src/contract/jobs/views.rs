//! Cancellation and the admin's views: depths, listings, cleaning.

use super::*;

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
