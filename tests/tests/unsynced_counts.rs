//! On the embedded default, counts written on their own (a job read's, those added after an
//! answer) are committed without waiting for the disk; a dispatch's or a cancellation's counts
//! stay in the fully synced transaction of its job and quota charge. Checked by recording which
//! statements reach the executor's `query_unsynced`.

use std::sync::{Arc, Mutex};

use hexaspin_config::os::system_now;
use hexaspin_core::api_key::{ApiKey, Limits};
use hexaspin_core::job::JobId;
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

/// A key that settles a request alone (no use budget, no expiry, the deployment's default limits),
/// stored in `keys`.
async fn settled_key_in(keys: &hexaspin_tests::fixtures::TestStore, seed: u8) -> ApiKey {
    let mut key = hexaspin_tests::samples::full_key(seed, hexaspin_core::Timestamp::from_millis(0));
    key.remaining = None;
    key.refill = None;
    key.expires_at = None;
    key.limits = Limits::default();
    keys.store
        .insert_key(&key, &hexaspin_tests::samples::test_entry(&key))
        .await
        .expect("insert");
    key
}

/// What a job read's answer counts: 2xx when the job is there, 404 when not.
fn read_counts() -> AccessCounts {
    AccessCounts {
        found: vec![Series::http_requests("jobs", 200)],
        absent: vec![Series::http_requests("jobs", 404)],
    }
}

/// `key` reads its own `job` through `store`; the store settles and counts the read.
async fn read_own_job<E: TransactionalExecutor>(
    store: &SqliteJobs<E>,
    key: &ApiKey,
    job: &JobId,
    access: JobAccess,
    counts: &AccessCounts,
) {
    let read = KeyedJobAccess {
        buckets: &[],
        key_id: &key.id,
        presented: &key.secret_hash,
        scope: if access == JobAccess::Find {
            "jobs:read"
        } else {
            "jobs:write"
        },
        job,
        access,
        counts,
    };
    let reply = store
        .access_job_with_cached_key(&read, system_now())
        .await
        .expect("access");
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
}

#[tokio::test]
async fn only_counts_written_on_their_own_skip_the_wait_for_the_disk() {
    let keys = hexaspin_tests::fixtures::TestStore::sqlite().await;
    let key = settled_key_in(&keys, 9).await;
    let recording = Recording {
        inner: SqliteExecutor::open(&keys.sqlite_path().expect("a file")).expect("open"),
        unsynced: Mutex::new(Vec::new()),
    };
    let store = SqliteJobs::with_clock(recording, system_now).reading_keys_here();
    let take = |store: &SqliteJobs<Recording>| store.executor().take();

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
    assert!(take(&store).is_empty(), "a dispatch's counts commit with its job");

    read_own_job(&store, &key, &job.id, JobAccess::Find, &read_counts()).await;
    let unsynced = take(&store);
    assert_eq!(unsynced.len(), 1, "a read writes its counts alone: {unsynced:?}");
    assert!(unsynced[0].contains("metric_counters"), "{unsynced:?}");

    read_own_job(&store, &key, &job.id, JobAccess::Cancel, &read_counts()).await;
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

/// Reads on several connections at once, each counting its answer in a statement of its own that
/// may find the database locked and be tried again: every answer is counted exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_on_several_connections_are_each_counted_once() {
    const CONNECTIONS: usize = 4;
    const READERS_PER_CONNECTION: usize = 4;
    const READS_EACH: usize = 25;
    let keys = hexaspin_tests::fixtures::TestStore::sqlite().await;
    let path = keys.sqlite_path().expect("a file");
    let key = settled_key_in(&keys, 11).await;
    let open =
        || SqliteJobs::with_clock(SqliteExecutor::open(&path).expect("open"), system_now).reading_keys_here();
    let first = open();
    let mut job = new_job(11, 5);
    job.key_id = key.id.clone();
    let request = hexaspin_tests::contract::jobs::request(job.clone());
    hexaspin_tests::contract::jobs::accept(&first, &request, system_now()).await;
    let (key, job) = (Arc::new(key), Arc::new(job));
    let mut readers = Vec::new();
    for _ in 0..CONNECTIONS {
        let store = Arc::new(open());
        for _ in 0..READERS_PER_CONNECTION {
            let (store, key, job) = (store.clone(), key.clone(), job.clone());
            readers.push(tokio::spawn(async move {
                let counts = read_counts();
                for _ in 0..READS_EACH {
                    read_own_job(&store, &key, &job.id, JobAccess::Find, &counts).await;
                }
            }));
        }
    }
    for reader in readers {
        reader.await.expect("reader");
    }
    let counters = first.counters().await.expect("counters");
    let read = counters
        .iter()
        .find(|c| c.series == Series::http_requests("jobs", 200))
        .map(|c| c.value);
    let expected = (CONNECTIONS * READERS_PER_CONNECTION * READS_EACH) as u64;
    assert_eq!(read, Some(expected), "{counters:?}");
    keys.finish().await;
}
