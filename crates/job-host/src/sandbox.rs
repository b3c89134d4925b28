//! [`Sandbox`]: loads each kind's component once, runs attempts in fresh instances.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable, ResourceTableError};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::allow_list::AllowList;
use crate::bindings::hexaspin::jobs::types::{Job, JobError};
use crate::bindings::{Handler as JobWorld, HandlerPre as JobPre};
use crate::config::bounded_message;
use crate::config::{KindConfig, SandboxConfig};
use crate::policy::{OutboundPolicy, RefusedCall};
use crate::state::LogBudget;
use crate::state::{AttemptState, MemoryCap};

/// One attempt to run.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The job's id.
    pub job_id: String,
    /// Its kind (must be loaded).
    pub kind: String,
    /// The payload, JSON text.
    pub payload: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The job's own timeout (capped by the kind's).
    pub timeout: Duration,
}

/// Why an attempt did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureCause {
    /// The handler returned `retry`.
    HandlerRetry,
    /// The handler returned `fail`.
    HandlerFail,
    /// The (wall-clock) deadline passed.
    Timeout,
    /// The instance tried to grow memory past its cap.
    MemoryLimit,
    /// The instance trapped (panic, unreachable, …).
    Trap,
    /// The handler called a host it is not allowed to.
    ForbiddenHost(String),
    /// The kind is not loaded.
    UnknownKind,
    /// The component could not be instantiated.
    Instantiation,
    /// The output was larger than the kind allows.
    OutputTooLarge,
    /// The instance held more host resources (HTTP fields, bodies, streams) than its kind allows.
    HostResourceLimit,
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Why the attempt failed: it decides whether the job is retried.
    pub cause: FailureCause,
    /// Whether another attempt could succeed.
    pub retryable: bool,
    /// What to record as the job's last error.
    pub message: String,
}

/// What an attempt produced and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// The output (JSON text), or why there is none.
    pub outcome: Result<String, Failure>,
    /// Time to instantiate the component.
    pub instantiate: Duration,
    /// Time inside `run`.
    pub call: Duration,
}

struct LoadedKind {
    config: KindConfig,
    allowed: Arc<AllowList>,
    pre: JobPre<AttemptState>,
}

/// The job sandbox: one engine, one pre-instantiated component per kind.
pub struct Sandbox {
    engine: Engine,
    kinds: HashMap<String, LoadedKind>,
    admission: Arc<Semaphore>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Sandbox {
    /// Builds the engine and compiles every kind's component (once).
    pub fn new(config: &SandboxConfig, kinds: &[KindConfig]) -> anyhow::Result<Self> {
        let engine = engine(config)?;
        let mut linker: Linker<AttemptState> = Linker::new(&engine);
        context(
            wasmtime_wasi::p2::add_to_linker_async(&mut linker),
            "linking WASI",
        )?;
        context(
            wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker),
            "linking wasi:http",
        )?;
        context(
            JobWorld::add_to_linker::<_, HasSelf<AttemptState>>(&mut linker, |state| state),
            "linking hexaspin:jobs",
        )?;
        let mut loaded = HashMap::new();
        for kind in kinds {
            anyhow::ensure!(
                kind.memory_bytes <= config.max_memory_bytes,
                "kind {} asks for {} bytes of memory, more than the pool's {}",
                kind.name,
                kind.memory_bytes,
                config.max_memory_bytes
            );
            let allowed = AllowList::parse(&kind.allowed_hosts, kind.allow_private_networks)
                .map_err(|e| anyhow::anyhow!("kind {}: {e}", kind.name))?;
            let component = context(
                Component::from_file(&engine, &kind.component),
                format!("compiling {} for kind {}", kind.component.display(), kind.name),
            )?;
            let pre = context(
                linker.instantiate_pre(&component),
                format!(
                    "kind {}: the component does not fit the hexaspin:jobs world",
                    kind.name
                ),
            )?;
            let pre = context(JobPre::new(pre), format!("kind {}: missing exports", kind.name))?;
            loaded.insert(
                kind.name.clone(),
                LoadedKind {
                    config: kind.clone(),
                    allowed: Arc::new(allowed),
                    pre,
                },
            );
        }
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), config.epoch_tick, ticker_stop.clone());
        Ok(Self {
            engine,
            kinds: loaded,
            admission: Arc::new(Semaphore::new(config.max_instances as usize)),
            ticker_stop,
        })
    }

    /// The kinds loaded.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Runs one attempt in a fresh instance. Waits for an instance slot first.
    pub async fn run(&self, attempt: &Attempt) -> AttemptReport {
        let Some(kind) = self.kinds.get(&attempt.kind) else {
            let failure = Failure {
                cause: FailureCause::UnknownKind,
                retryable: false,
                message: format!("no component is configured for kind {:?}", attempt.kind),
            };
            return AttemptReport {
                outcome: Err(failure),
                instantiate: Duration::ZERO,
                call: Duration::ZERO,
            };
        };
        let _permit = self.admission.acquire().await;
        self.run_loaded(kind, attempt).await
    }

    async fn run_loaded(&self, kind: &LoadedKind, attempt: &Attempt) -> AttemptReport {
        let timeout = attempt.timeout.min(kind.config.max_timeout);
        let exceeded = Arc::new(AtomicBool::new(false));
        let policy = OutboundPolicy::new(kind.allowed.clone(), kind.config.host.max_body_chunk_bytes);
        let refused = policy.refused.clone();
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(kind.config.host.max_header_bytes);
        let mut table = ResourceTable::new();
        table.set_max_capacity(kind.config.host.max_resources);
        let state = AttemptState {
            // No preopened directories, no environment, no arguments: a job sees nothing of the host.
            wasi: WasiCtxBuilder::new().build(),
            http,
            table,
            policy,
            memory: MemoryCap {
                limit: kind.config.memory_bytes,
                exceeded: exceeded.clone(),
            },
            job_id: attempt.job_id.clone(),
            kind: attempt.kind.clone(),
            log: LogBudget::new(kind.config.bounds.max_log_lines),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        // Every epoch tick the guest yields to the async runtime. That is what lets the deadline
        // below (and a cancellation, or a shutdown) stop a guest stuck in a loop: a future that
        // never yields could not be dropped.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        let deadline = tokio::time::Instant::now() + timeout;

        let started = Instant::now();
        let instance = tokio::time::timeout_at(deadline, kind.pre.instantiate_async(&mut store)).await;
        let instantiate = started.elapsed();
        let instance = match instance {
            Ok(Ok(instance)) => instance,
            Err(_elapsed) => {
                return AttemptReport {
                    outcome: Err(timed_out()),
                    instantiate,
                    call: Duration::ZERO,
                };
            }
            Ok(Err(error)) => {
                let failure = classify(&error, &exceeded, &refused, FailureCause::Instantiation, kind);
                return AttemptReport {
                    outcome: Err(failure),
                    instantiate,
                    call: Duration::ZERO,
                };
            }
        };
        let job = Job {
            id: attempt.job_id.clone(),
            kind: attempt.kind.clone(),
            payload: attempt.payload.clone(),
            attempt: attempt.attempt,
            deadline_ms: deadline_ms(timeout),
        };
        let started = Instant::now();
        // Dropping the call at the deadline stops the guest wherever it is: computing (it yields
        // every tick) or waiting in a host call such as an HTTP request.
        let result = tokio::time::timeout_at(deadline, instance.call_run(&mut store, &job)).await;
        let call = started.elapsed();
        let outcome = match result {
            Err(_elapsed) => Err(timed_out()),
            Ok(result) => match result {
                Ok(Ok(output)) => Ok(output),
                Ok(Err(JobError::Retry(message))) => Err(handler_failure(
                    &refused,
                    FailureCause::HandlerRetry,
                    true,
                    message,
                )),
                Ok(Err(JobError::Fail(message))) => Err(handler_failure(
                    &refused,
                    FailureCause::HandlerFail,
                    false,
                    message,
                )),
                Err(error) => Err(classify(&error, &exceeded, &refused, FailureCause::Trap, kind)),
            },
        };
        let bounds = kind.config.bounds;
        let outcome = match outcome {
            Ok(output) if output.len() > bounds.max_output_bytes => Err(Failure {
                cause: FailureCause::OutputTooLarge,
                retryable: false,
                message: format!(
                    "the output has {} bytes, more than the kind's max_output_bytes ({})",
                    output.len(),
                    bounds.max_output_bytes
                ),
            }),
            Ok(output) => Ok(output),
            Err(failure) => Err(Failure {
                message: bounded_message(failure.message, bounds.max_error_bytes),
                ..failure
            }),
        };
        store.data().log.report_dropped(&attempt.job_id, &attempt.kind);
        AttemptReport {
            outcome,
            instantiate,
            call,
        }
    }
}

fn engine(config: &SandboxConfig) -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    let slots = config.max_instances;
    pool.total_component_instances(slots);
    // A Rust wasm32-wasip2 component holds a few core instances (the program plus small shims).
    pool.max_core_instances_per_component(16);
    pool.total_core_instances(slots.saturating_mul(16));
    pool.max_memories_per_component(2);
    pool.total_memories(slots.saturating_mul(2));
    pool.max_tables_per_component(4);
    pool.total_tables(slots.saturating_mul(4));
    pool.max_memory_size(config.max_memory_bytes);
    let mut wasm = Config::new();
    wasm.wasm_component_model(true);
    wasm.epoch_interruption(true);
    // Reserve only what a memory may use, not the 4 GiB default per slot, so a pool of many
    // instances fits in the address space; bounds checks become explicit, which is the trade-off
    // wasmtime documents for dense pools.
    wasm.memory_reservation(config.max_memory_bytes as u64);
    wasm.memory_guard_size(64 << 10);
    wasm.memory_reservation_for_growth(0);
    wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    context(Engine::new(&wasm), "creating the wasmtime engine")
}

/// wasmtime has its own error type; the worker speaks anyhow at its edges.
fn context<T>(result: wasmtime::Result<T>, what: impl std::fmt::Display) -> anyhow::Result<T> {
    result.map_err(|error| anyhow::anyhow!("{what}: {error:?}"))
}

fn spawn_epoch_ticker(engine: Engine, tick: Duration, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("hexaspin-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                engine.increment_epoch();
            }
        })
        .map(drop)
        .unwrap_or_else(
            |error| tracing::error!(%error, "cannot start the epoch ticker: job deadlines will not fire"),
        );
}

fn timed_out() -> Failure {
    Failure {
        cause: FailureCause::Timeout,
        retryable: true,
        message: "the attempt ran past its deadline and was stopped".into(),
    }
}

fn deadline_ms(timeout: Duration) -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from((now + timeout).as_millis()).unwrap_or(u64::MAX)
}

fn handler_failure(
    refused: &std::sync::Mutex<Option<RefusedCall>>,
    cause: FailureCause,
    retryable: bool,
    message: String,
) -> Failure {
    // A handler that reports a failure after a refused call failed because of the policy: that is
    // not worth retrying, and the message should say so.
    if let Some(call) = refused.lock().ok().and_then(|r| r.clone()) {
        return Failure {
            message: format!(
                "outbound HTTP to {} is not allowed for this job kind: {} ({message})",
                call.origin, call.reason
            ),
            cause: FailureCause::ForbiddenHost(call.origin),
            retryable: false,
        };
    }
    Failure {
        cause,
        retryable,
        message,
    }
}

fn classify(
    error: &wasmtime::Error,
    exceeded: &AtomicBool,
    refused: &std::sync::Mutex<Option<RefusedCall>>,
    otherwise: FailureCause,
    kind: &LoadedKind,
) -> Failure {
    if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        return timed_out();
    }
    let table_full = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<ResourceTableError>(),
            Some(ResourceTableError::Full)
        )
    });
    if table_full {
        return Failure {
            cause: FailureCause::HostResourceLimit,
            retryable: false,
            message: format!(
                "the attempt held more than {} host resources (HTTP fields, bodies, streams) at once, \
                 more than its kind allows",
                kind.config.host.max_resources
            ),
        };
    }
    if exceeded.load(Ordering::Relaxed) {
        return Failure {
            cause: FailureCause::MemoryLimit,
            retryable: false,
            message: "the attempt tried to use more memory than its kind allows".into(),
        };
    }
    if let Some(call) = refused.lock().ok().and_then(|r| r.clone()) {
        return Failure {
            message: format!(
                "outbound HTTP to {} is not allowed for this job kind: {}",
                call.origin, call.reason
            ),
            cause: FailureCause::ForbiddenHost(call.origin),
            retryable: false,
        };
    }
    let retryable = otherwise == FailureCause::Trap;
    Failure {
        cause: otherwise,
        retryable,
        message: format!("the job crashed: {}", root_message(error)),
    }
}

/// The first line of the innermost error: wasmtime's backtraces are for the worker's log, not for
/// the job record.
fn root_message(error: &wasmtime::Error) -> String {
    let text = error.root_cause().to_string();
    text.lines().next().unwrap_or("trap").chars().take(500).collect()
}
