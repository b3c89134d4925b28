//! Listing a key's jobs by state on Redis never scans the key's whole history inside one script
//! call: each call looks at a bounded number of index entries and says where to go on, so other
//! clients' commands run in between.

use hexaspin_core::Timestamp;
use hexaspin_core::job::JobState;
use hexaspin_core::ports::{DispatchOutcome, JobFilter, JobStore};
use hexaspin_tests::contract::jobs::{new_job, request};
use hexaspin_tests::fixtures::RedisTestJobs;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

#[tokio::test]
async fn one_listing_step_looks_at_no_more_than_its_budget_and_says_where_to_go_on() {
    let fixture = RedisTestJobs::new().await;
    let store = &fixture.store;
    let mut future = new_job(31, 5);
    future.run_at = Some(T0.plus_seconds(3600));
    let DispatchOutcome::Accepted { job: scheduled, .. } =
        store.dispatch(&request(future), T0).await.expect("dispatch")
    else {
        panic!("refused");
    };
    for _ in 0..250 {
        store
            .dispatch(&request(new_job(31, 5)), T0)
            .await
            .expect("dispatch");
    }
    let filter = JobFilter {
        key_id: Some(scheduled.spec.key_id.clone()),
        state: Some(JobState::Scheduled),
        before_seq: None,
        limit: 10,
    };
    // 251 entries, 100 per step: the match (the oldest) is in the third step.
    let mut before = None;
    let mut steps = Vec::new();
    loop {
        let step = JobFilter {
            before_seq: before,
            ..filter.clone()
        };
        let (found, resume) = store.list_jobs_step(&step, 100).await.expect("step");
        steps.push(found.len());
        match resume {
            Some(seq) => before = Some(seq),
            None => {
                assert_eq!(
                    found.first().map(|j| j.spec.id.clone()),
                    Some(scheduled.spec.id.clone())
                );
                break;
            }
        }
        assert!(steps.len() < 10, "the steps never end: {steps:?}");
    }
    assert_eq!(steps, vec![0, 0, 1], "three bounded steps");
    assert_eq!(store.list_jobs(&filter).await.expect("list").len(), 1);
    fixture.finish().await;
}
