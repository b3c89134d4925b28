//! On the embedded default, counts written on their own (a job read's, those added after an
//! answer) are committed without waiting for the disk; a dispatch's or a cancellation's counts
//! stay in the fully synced transaction of its job and quota charge. Checked by recording which
//! statements reach the executor's `query_unsynced`.

use std::sync::Mutex;

use hexaspin_config::system::system_now;
use hexaspin_core::api_key::Limits;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{
    AccessCounts, ApiKeyStore, DispatchOutcome, JobAccess, KeyCache, KeyedDispatch, KeyedDispatchReply,
    KeyedJobAccess, KeyedJobReply, MetricsStore, OutcomeCounts, SettledOutcome, StoreError,
};
use hexaspin_native::SqliteExecutor;
use hexaspin_store_sql::jobs::SqliteJobs;
use hexaspin_store_sql::value::Row;
use hexaspin_store_sql::{Dialect, SqlExecutor, SqlValue, TransactionalExecutor};
use hexaspin_tests::contract::jobs::new_job;

/// The native executor, noting every statement sent through `query_unsynced`.
struct Recording {
    inner: SqliteExecutor,
    unsynced: Mutex<Vec<String>>,
}

impl SqlExecutor for Recording {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.inner.query(sql, params).await
    }
}

impl TransactionalExecutor for Recording {
    type Transaction<'a> = <SqliteExecutor as TransactionalExecutor>::Transaction<'a>;

    async fn begin_write(&self) -> Result<Self::Transaction<'_>, StoreError> {
        self.inner.begin_write().await
    }

    async fn query_unsynced(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.unsynced.lock().expect("lock").push(sql.to_owned());
        self.inner.query(sql, params).await
    }
}

impl Recording {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.unsynced.lock().expect("lock"))
    }
}

#[tokio::test]
async fn only_counts_written_on_their_own_skip_the_wait_for_the_disk() {
    let keys = hexaspin_tests::fixtures::TestStore::sqlite().await;
    let path = keys.sqlite_path().expect("a file");
    let mut key = hexaspin_tests::samples::full_key(9, hexaspin_core::Timestamp::from_millis(0));
    key.remaining = None;
    key.refill = None;
    key.expires_at = None;
    key.limits = Limits::default();
    keys.store
        .insert_key(&key, &hexaspin_tests::samples::test_entry(&key))
        .await
        .expect("insert");
    let recording = Recording {
        inner: SqliteExecutor::open(&path).expect("open"),
        unsynced: Mutex::new(Vec::new()),
    };
    let store = SqliteJobs::with_clock(recording, system_now).reading_keys_here();

    let mut job = new_job(9, 5);
    job.key_id = key.id.clone();
    let accepted = Series::http_requests("jobs", 202);
    let counts = OutcomeCounts(vec![(SettledOutcome::Accepted, vec![accepted.clone()])]);
    let defaults = Limits::default();
    let call = KeyedDispatch {
        buckets: &[],
        presented: &key.secret_hash,
        scope: "jobs:write",
        job: &job,
        idempotency_key: None,
        idempotency_ttl_ms: 60_000,
        defaults: &defaults,
        counts: &counts,
    };
    let reply = store
        .dispatch_with_cached_key(&call, system_now())
        .await
        .expect("dispatch");
    assert!(
        matches!(
            reply,
            KeyedDispatchReply::Dispatched {
                outcome: DispatchOutcome::Accepted { .. },
                counted: true,
                ..
            }
        ),
        "{reply:?}"
    );
    let take = |store: &SqliteJobs<Recording>| store.executor().take();
    assert!(take(&store).is_empty(), "a dispatch's counts commit with its job");

    let found = Series::http_requests("jobs", 200);
    let access_counts = AccessCounts {
        found: vec![found.clone()],
        absent: vec![Series::http_requests("jobs", 404)],
    };
    let read = KeyedJobAccess {
        buckets: &[],
        key_id: &key.id,
        presented: &key.secret_hash,
        scope: "jobs:read",
        job: &job.id,
        access: JobAccess::Find,
        counts: &access_counts,
    };
    let reply = store
        .access_job_with_cached_key(&read, system_now())
        .await
        .expect("read");
    assert!(
        matches!(
            reply,
            KeyedJobReply::Settled {
                job: Some(_),
                counted: true,
                ..
            }
        ),
        "{reply:?}"
    );
    let unsynced = take(&store);
    assert_eq!(unsynced.len(), 1, "a read writes its counts alone: {unsynced:?}");
    assert!(unsynced[0].contains("metric_counters"), "{unsynced:?}");

    let cancel = KeyedJobAccess {
        access: JobAccess::Cancel,
        ..read
    };
    store
        .access_job_with_cached_key(&cancel, system_now())
        .await
        .expect("cancel");
    assert!(take(&store).is_empty(), "a cancellation's counts commit with it");

    store
        .add_counts(&[(Series::http_requests("health", 200), 1)])
        .await
        .expect("count");
    assert_eq!(take(&store).len(), 1, "a request counted after its answer");

    let counters = store.counters().await.expect("counters");
    let value = |series: &Series| counters.iter().find(|c| &c.series == series).map(|c| c.value);
    // 202 and 200 are one series (`2xx`): the dispatch, the read and the cancellation.
    assert_eq!(value(&accepted), Some(3), "{counters:?}");
    assert_eq!(
        value(&Series::http_requests("health", 200)),
        Some(1),
        "{counters:?}"
    );
    keys.finish().await;
}
