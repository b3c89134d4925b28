//! The contract of a key's storage caps on dispatch: what a key holds is counted exactly as its
//! jobs are stored, move out of `scheduled`, and are deleted or cleaned away, on every adapter.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{DispatchOutcome, DispatchRequest, JobDeletion, JobQueue, JobStore};
use hexaspin_core::quota::{RejectReason, StorageCaps};

use super::jobs::{accept, new_job, request};

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn capped(caps: StorageCaps, later: Option<Timestamp>) -> DispatchRequest {
    let mut job = new_job(42, 5);
    job.run_at = later;
    DispatchRequest { caps, ..request(job) }
}

async fn refusal<S: JobStore>(store: &S, request: &DispatchRequest, now: Timestamp) -> Option<RejectReason> {
    match store.dispatch(request, now).await.expect("dispatch") {
        DispatchOutcome::Rejected { decision } => decision.rejected,
        DispatchOutcome::Accepted { .. } => None,
        DispatchOutcome::Duplicate { .. } => panic!("no idempotency key was sent"),
    }
}

/// At its cap of scheduled jobs a key may still dispatch jobs that run now; its scheduled jobs
/// give their room back as they become due or are cancelled.
pub async fn a_key_at_its_scheduled_cap_gets_room_back_as_jobs_come_due_or_are_cancelled<S>(store: &S)
where
    S: JobStore + JobQueue,
{
    let caps = StorageCaps {
        max_scheduled_jobs: Some(2),
        max_stored_bytes: None,
    };
    let soon = Some(T0.plus_seconds(10));
    let later = Some(T0.plus_seconds(3_600));
    accept(store, &capped(caps, soon), T0).await;
    let cancelled = accept(store, &capped(caps, later), T0).await;
    assert_eq!(
        refusal(store, &capped(caps, later), T0).await,
        Some(RejectReason::ScheduledLimit)
    );
    assert_eq!(
        refusal(store, &capped(caps, None), T0).await,
        None,
        "a job for now still fits"
    );
    store
        .promote_due(T0.plus_seconds(10), 100)
        .await
        .expect("promote");
    assert_eq!(
        refusal(store, &capped(caps, later), T0.plus_seconds(10)).await,
        None,
        "the due job left"
    );
    assert_eq!(
        refusal(store, &capped(caps, later), T0.plus_seconds(10)).await,
        Some(RejectReason::ScheduledLimit)
    );
    store
        .cancel_job(&cancelled.spec.id, T0.plus_seconds(11))
        .await
        .expect("cancel");
    assert_eq!(
        refusal(store, &capped(caps, later), T0.plus_seconds(11)).await,
        None,
        "the cancelled one left"
    );
}

/// A key's stored payload bytes count every stored job, whatever its state, and come back when
/// its jobs are deleted or cleaned away.
pub async fn a_keys_stored_bytes_come_back_when_its_jobs_are_deleted_or_cleaned<S>(store: &S)
where
    S: JobStore + JobQueue,
{
    let payload = new_job(42, 5).payload.len() as u64;
    let caps = StorageCaps {
        max_scheduled_jobs: None,
        max_stored_bytes: Some(2 * payload),
    };
    let first = accept(store, &capped(caps, None), T0).await;
    let second = accept(store, &capped(caps, None), T0).await;
    assert_eq!(
        refusal(store, &capped(caps, None), T0).await,
        Some(RejectReason::StorageLimit)
    );
    store.cancel_job(&first.spec.id, T0).await.expect("cancel");
    assert_eq!(
        refusal(store, &capped(caps, None), T0).await,
        Some(RejectReason::StorageLimit),
        "a finished job still holds its payload until it is cleaned"
    );
    assert_eq!(
        store.delete_job(&first.spec.id).await.expect("delete"),
        JobDeletion::Deleted
    );
    let third = accept(store, &capped(caps, None), T0).await;
    store.cancel_job(&second.spec.id, T0).await.expect("cancel");
    store.clean_finished(T0.plus_seconds(1)).await.expect("clean");
    accept(store, &capped(caps, None), T0.plus_seconds(1)).await;
    assert_eq!(
        refusal(store, &capped(caps, None), T0.plus_seconds(1)).await,
        Some(RejectReason::StorageLimit)
    );
    assert!(store.find_job(&third.spec.id).await.expect("find").is_some());
}
