//! The worker's services, driven through `run_once()` on real stores (SQLite and Redis) with real
//! job components: success, retries with backoff, dead jobs, final failures, runaway jobs,
//! cancellation, periodic de-duplication across workers, graceful shutdown.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hexaspin_config::os::system_now;
use hexaspin_core::Timestamp;
use hexaspin_core::job::{JobKind, JobState, JobTimeout, MaxAttempts, NewJob};
use hexaspin_core::ports::{DispatchOutcome, JobFilter, JobStore, MetricsStore};
use hexaspin_native::NativeJobs;
use hexaspin_runtime_worker::Worker;
use hexaspin_runtime_worker::config::WorkerConfig;
use hexaspin_tests::contract::jobs::{new_job, request};
use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

fn wasm_dir() -> Option<PathBuf> {
    hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm", "hexaspin_chaos.wasm"])
}

/// A worker configuration with echo and chaos, fast service periods and a 50 ms backoff base.
pub fn config(id: &str, extra: &str) -> Option<WorkerConfig> {
    config_with_chaos_cap(id, extra, 25)
}

/// Like [`config`], with a cap on the chaos kind's attempts.
pub fn config_with_chaos_cap(id: &str, extra: &str, chaos_attempts: u32) -> Option<WorkerConfig> {
    config_of(id, extra, chaos_attempts, 4)
}

/// Like [`config`], with `echo` allowed this many attempts in flight.
fn config_with_echo_concurrency(id: &str, echo_concurrency: u32) -> Option<WorkerConfig> {
    config_of(id, "", 25, echo_concurrency)
}

fn config_of(id: &str, extra: &str, chaos_attempts: u32, echo_concurrency: u32) -> Option<WorkerConfig> {
    let dir = wasm_dir()?;
    let text = format!(
        r#"
[worker]
id = "{id}"
concurrency = 4
poll_interval_ms = 20
lease_grace_ms = 300
shutdown_grace_ms = 300
cancel_check_ms = 50
{extra}

[backoff]
base_ms = 50
max_ms = 200

[kinds.echo]
component = "hexaspin_echo.wasm"
concurrency = {echo_concurrency}

[kinds.chaos]
component = "hexaspin_chaos.wasm"
memory_mb = 16
max_attempts = {chaos_attempts}

[[periodic]]
name = "every-second"
cron = "* * * * * *"
kind = "echo"
payload = {{ tick = true }}
"#
    );
    Some(WorkerConfig::parse(&text, &dir).expect("test configuration"))
}

fn job(kind: &str, payload: &str, max_attempts: i64, timeout_ms: i64) -> NewJob {
    let mut spec = new_job(42, 5);
    spec.kind = JobKind::parse(kind).expect("kind");
    spec.payload = payload.into();
    spec.max_attempts = MaxAttempts::new(max_attempts).expect("attempts");
    spec.timeout = JobTimeout::from_millis(timeout_ms).expect("timeout");
    spec
}

async fn enqueue(jobs: &NativeJobs, spec: NewJob) -> NewJob {
    match jobs
        .dispatch(&request(spec.clone()), system_now())
        .await
        .expect("dispatch")
    {
        DispatchOutcome::Accepted { .. } => spec,
        other => panic!("{other:?}"),
    }
}

async fn state(jobs: &NativeJobs, spec: &NewJob) -> hexaspin_core::job::Job {
    jobs.find_job(&spec.id).await.expect("find").expect("job")
}

macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() {
                let fixture = super::SqliteTestJobs::new().await;
                super::$test(super::NativeJobs::Sqlite(fixture.store.clone())).await;
                fixture.finish().await;
            })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() {
                let fixture = super::RedisTestJobs::new().await;
                super::$test(super::NativeJobs::Redis(fixture.store.clone())).await;
                fixture.finish().await;
            })*
        }
    };
}

on_both_stores!(
    a_queued_job_runs_and_its_output_is_stored,
    a_failing_job_is_retried_with_backoff_until_it_is_dead,
    a_final_failure_is_not_retried,
    a_runaway_job_fails_its_attempt_and_the_next_job_runs,
    a_running_job_is_stopped_when_its_cancellation_is_asked,
    periodic_ticks_are_enqueued_once_across_two_workers,
    a_periodic_tick_is_not_enqueued_when_the_random_number_generator_fails,
    graceful_shutdown_releases_jobs_that_did_not_finish_and_the_heartbeat,
    two_workers_share_a_queue_without_running_a_job_twice,
    the_kind_attempt_cap_beats_the_job_max_attempts,
    the_worker_beats_its_heart_and_silent_workers_are_forgotten,
    a_job_of_a_kind_the_worker_has_not_loaded_waits_for_a_worker_that_has_it,
    a_kind_at_its_concurrency_is_not_claimed_so_no_lease_ticks_while_it_waits,
);

async fn the_worker_beats_its_heart_and_silent_workers_are_forgotten(jobs: NativeJobs) {
    let Some(config) = config("w-heart", "") else {
        return;
    };
    let long_gone = system_now().plus_seconds(-2 * 86_400);
    jobs.heartbeat("w-gone", long_gone)
        .await
        .expect("an old heartbeat");
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    let before = system_now();
    worker.heartbeat_once().await.expect("heartbeat");
    let beats = jobs.heartbeats().await.expect("heartbeats");
    let mine = beats
        .iter()
        .find(|b| b.worker == "w-heart")
        .expect("this worker's heartbeat");
    assert!(mine.at >= before && mine.at <= system_now());
    worker.clean_once().await.expect("clean");
    let left: Vec<_> = jobs
        .heartbeats()
        .await
        .expect("heartbeats")
        .into_iter()
        .map(|b| b.worker)
        .collect();
    assert_eq!(left, ["w-heart"], "the worker silent for two days is forgotten");
}

async fn a_queued_job_runs_and_its_output_is_stored(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let spec = enqueue(&jobs, job("echo", r#"{"hello":"world"}"#, 3, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    assert_eq!(worker.run_once().await, 1);
    let done = state(&jobs, &spec).await;
    assert_eq!(
        (done.state, done.attempts, done.result.as_deref()),
        (JobState::Succeeded, 1, Some(r#"{"hello":"world"}"#))
    );
}

async fn a_failing_job_is_retried_with_backoff_until_it_is_dead(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let spec = enqueue(&jobs, job("chaos", r#"{"action":"retry"}"#, 2, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    let before = system_now();
    worker.run_once().await;
    let retrying = state(&jobs, &spec).await;
    assert_eq!(
        (retrying.state, retrying.last_error.as_deref()),
        (JobState::Retrying, Some("asked to retry"))
    );
    let wait = retrying.spec.run_at.expect("retry time").as_millis() - before.as_millis();
    assert!(
        (25..=1_000).contains(&wait),
        "backoff after the first attempt is 25-50 ms (+ run time), was {wait} ms"
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(worker.promote_once().await.expect("promote"), 1);
    worker.run_once().await;
    let dead = state(&jobs, &spec).await;
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 2));
}

async fn a_final_failure_is_not_retried(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let spec = enqueue(&jobs, job("chaos", r#"{"action":"fail"}"#, 5, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    worker.run_once().await;
    let failed = state(&jobs, &spec).await;
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 1));
}

async fn a_runaway_job_fails_its_attempt_and_the_next_job_runs(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let runaway = enqueue(&jobs, job("chaos", r#"{"action":"loop"}"#, 1, 200)).await;
    let bomb = enqueue(&jobs, job("chaos", r#"{"action":"alloc"}"#, 1, 5000)).await;
    let fine = enqueue(&jobs, job("echo", "7", 1, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    worker.run_once().await;
    let stopped = state(&jobs, &runaway).await;
    assert_eq!(
        stopped.state,
        JobState::Dead,
        "a timeout is retryable, but this was the last attempt"
    );
    assert!(
        stopped
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("deadline")),
        "{:?}",
        stopped.last_error
    );
    let capped = state(&jobs, &bomb).await;
    assert_eq!(capped.state, JobState::Failed, "a memory bomb is not retried");
    assert!(
        capped.last_error.as_deref().is_some_and(|e| e.contains("memory")),
        "{:?}",
        capped.last_error
    );
    assert_eq!(state(&jobs, &fine).await.state, JobState::Succeeded);
}

async fn a_running_job_is_stopped_when_its_cancellation_is_asked(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let spec = enqueue(&jobs, job("chaos", r#"{"action":"loop"}"#, 3, 20_000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_once().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state(&jobs, &spec).await.state, JobState::Running);
    jobs.cancel_job(&spec.id, system_now()).await.expect("cancel");
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stopped in time")
        .expect("task");
    let cancelled = state(&jobs, &spec).await;
    assert_eq!(cancelled.state, JobState::Cancelled);
}

/// A CSPRNG that always fails, as a broken host's would.
struct BrokenEntropy;

impl hexaspin_core::ports::Entropy for BrokenEntropy {
    fn fill(&self, _buf: &mut [u8]) -> Result<(), hexaspin_core::ports::EntropyUnavailable> {
        Err(hexaspin_core::ports::EntropyUnavailable(
            "no entropy on this host".into(),
        ))
    }
}

async fn a_periodic_tick_is_not_enqueued_when_the_random_number_generator_fails(jobs: NativeJobs) {
    let Some(config) = config("w-rng", "") else {
        return;
    };
    let worker = Worker::with_entropy(config, jobs.clone(), Box::new(BrokenEntropy)).expect("worker");
    let since = Timestamp::from_millis((system_now().as_millis() / 1000) * 1000 - 3000);
    let failed = worker.periodic_once(since, since.plus_seconds(3)).await;
    let error = failed.expect_err("a tick without a random id fails loudly");
    assert!(
        matches!(error, hexaspin_runtime_worker::PeriodicError::Entropy(_)),
        "{error}"
    );
    assert!(error.to_string().contains("random number generator"), "{error}");
    let all = jobs.list_jobs(&JobFilter::all(100)).await.expect("list");
    assert!(all.is_empty(), "no job with a made-up id: {all:?}");
}

async fn periodic_ticks_are_enqueued_once_across_two_workers(jobs: NativeJobs) {
    let (Some(first), Some(second)) = (config("w1", ""), config("w2", "")) else {
        return;
    };
    let a = Worker::new(first, jobs.clone()).expect("worker");
    let b = Worker::new(second, jobs.clone()).expect("worker");
    let since = Timestamp::from_millis((system_now().as_millis() / 1000) * 1000 - 3000);
    let now = since.plus_seconds(3);
    let (made_a, made_b) = tokio::join!(a.periodic_once(since, now), b.periodic_once(since, now));
    assert_eq!(
        made_a.expect("a") + made_b.expect("b"),
        3,
        "three ticks, each enqueued once"
    );
    let again = a.periodic_once(since, now).await.expect("again");
    assert_eq!(again, 0);
    let all = jobs.list_jobs(&JobFilter::all(100)).await.expect("list");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|j| j.spec.payload == r#"{"tick":true}"#));
}

async fn graceful_shutdown_releases_jobs_that_did_not_finish_and_the_heartbeat(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else { return };
    let spec = enqueue(&jobs, job("chaos", r#"{"action":"loop"}"#, 3, 20_000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let run = tokio::spawn({
        let worker: Arc<Worker> = worker.clone();
        async move { worker.run(shutdown).await }
    });
    for _ in 0..100 {
        if state(&jobs, &spec).await.state == JobState::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let beating = jobs.heartbeats().await.expect("heartbeats");
    assert!(
        beating.iter().any(|b| b.worker == "w1"),
        "the running worker beats"
    );
    stop.send(true).expect("signal");
    tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("stopped within the grace")
        .expect("task");
    let released = state(&jobs, &spec).await;
    assert_eq!(
        (released.state, released.attempts, released.lease_owner),
        (JobState::Queued, 0, None)
    );
    let after = jobs.heartbeats().await.expect("heartbeats");
    assert!(
        after.iter().all(|b| b.worker != "w1"),
        "a clean exit removes the heartbeat"
    );
}

async fn two_workers_share_a_queue_without_running_a_job_twice(jobs: NativeJobs) {
    let (Some(first), Some(second)) = (config("w1", ""), config("w2", "")) else {
        return;
    };
    let mut specs = Vec::new();
    for n in 0..300 {
        specs.push(enqueue(&jobs, job("echo", &n.to_string(), 3, 5000)).await);
    }
    let workers = [
        Worker::new(first, jobs.clone()).expect("w1"),
        Worker::new(second, jobs.clone()).expect("w2"),
    ];
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let runs: Vec<_> = workers
        .iter()
        .map(|w| {
            let (worker, shutdown) = (w.clone(), shutdown.clone());
            tokio::spawn(async move { worker.run(shutdown).await })
        })
        .collect();
    for _ in 0..500 {
        let all = jobs
            .list_jobs(&JobFilter {
                key_id: Some(specs[0].key_id.clone()),
                state: Some(JobState::Succeeded),
                before_seq: None,
                limit: 400,
            })
            .await
            .expect("list");
        if all.len() == specs.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).expect("stop");
    for run in runs {
        run.await.expect("worker");
    }
    // The periodic enqueuer runs too (the test configuration has one): count this key's jobs only.
    let all = jobs
        .list_jobs(&JobFilter {
            key_id: Some(specs[0].key_id.clone()),
            state: None,
            before_seq: None,
            limit: 400,
        })
        .await
        .expect("list");
    assert_eq!(all.len(), specs.len());
    assert!(
        all.iter()
            .all(|j| j.state == JobState::Succeeded && j.attempts == 1),
        "each job ran exactly once"
    );
}

async fn the_kind_attempt_cap_beats_the_job_max_attempts(jobs: NativeJobs) {
    let Some(config) = config_with_chaos_cap("w1", "", 1) else {
        return;
    };
    let spec = enqueue(&jobs, job("chaos", r#"{"action":"retry"}"#, 5, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    worker.run_once().await;
    let dead = state(&jobs, &spec).await;
    assert_eq!(
        (dead.state, dead.attempts),
        (JobState::Dead, 1),
        "the kind allows one attempt"
    );
}

async fn a_job_of_a_kind_the_worker_has_not_loaded_waits_for_a_worker_that_has_it(jobs: NativeJobs) {
    let Some(config) = config("w1", "") else {
        return;
    };
    let unknown = enqueue(&jobs, job("resize-image", "{}", 3, 5000)).await;
    let known = enqueue(&jobs, job("echo", r#"{"n":1}"#, 3, 5000)).await;
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    assert_eq!(worker.run_once().await, 1);
    assert_eq!(state(&jobs, &known).await.state, JobState::Succeeded);
    let waiting = state(&jobs, &unknown).await;
    assert_eq!(
        (waiting.state, waiting.attempts, waiting.last_error),
        (JobState::Queued, 0, None),
        "left for a worker that has the kind, not failed"
    );
    assert_eq!(worker.run_once().await, 0, "and not claimed again");
}

async fn a_kind_at_its_concurrency_is_not_claimed_so_no_lease_ticks_while_it_waits(jobs: NativeJobs) {
    let Some(config) = config_with_echo_concurrency("w1", 1) else {
        return;
    };
    let mut specs = Vec::new();
    for n in 0..3 {
        specs.push(enqueue(&jobs, job("echo", &format!(r#"{{"n":{n}}}"#), 3, 5000)).await);
    }
    let worker = Worker::new(config, jobs.clone()).expect("worker");
    assert_eq!(
        worker.run_once().await,
        1,
        "one echo slot: one claim, though four worker slots are free"
    );
    assert_eq!(state(&jobs, &specs[0]).await.state, JobState::Succeeded);
    for spec in &specs[1..] {
        let waiting = state(&jobs, spec).await;
        assert_eq!(
            (waiting.state, waiting.attempts, waiting.lease_expires_at),
            (JobState::Queued, 0, None)
        );
    }
    assert_eq!(worker.run_once().await, 1);
    assert_eq!(worker.run_once().await, 1);
    assert_eq!(worker.run_once().await, 0);
}
