//! The data of one attempt's store: WASI, wasi:http with the outbound policy, the memory limiter
//! and the job's identity for log lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::hexaspin::jobs::log::{self, Level};
use crate::bindings::hexaspin::jobs::types;
use crate::policy::OutboundPolicy;

/// Caps linear memory and tables, and remembers that it refused, so a trap that follows can be
/// reported as "memory limit" rather than as a generic crash.
#[derive(Debug)]
pub struct MemoryCap {
    pub limit: usize,
    pub exceeded: Arc<AtomicBool>,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Everything one attempt's instance can reach.
pub struct AttemptState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub policy: OutboundPolicy,
    pub memory: MemoryCap,
    pub job_id: String,
    pub kind: String,
}

impl WasiView for AttemptState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for AttemptState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.policy,
        }
    }
}

impl types::Host for AttemptState {}

impl log::Host for AttemptState {
    fn write(&mut self, level: Level, message: String) {
        // Bounded: a job must not flood the worker's logs with one giant line.
        let message: String = message.chars().take(4096).collect();
        let (job_id, kind) = (self.job_id.as_str(), self.kind.as_str());
        match level {
            Level::Debug => tracing::debug!(job_id, kind, "{message}"),
            Level::Info => tracing::info!(job_id, kind, "{message}"),
            Level::Warn => tracing::warn!(job_id, kind, "{message}"),
            Level::Error => tracing::error!(job_id, kind, "{message}"),
        }
    }
}
