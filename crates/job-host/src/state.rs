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
    pub log: LogBudget,
}

/// How many more lines this attempt may log; the rest are counted and reported once.
pub struct LogBudget {
    left: u32,
    dropped: u64,
}

impl LogBudget {
    pub fn new(lines: u32) -> Self {
        Self {
            left: lines,
            dropped: 0,
        }
    }

    /// Takes one line from the budget; `false` when it is used up.
    fn take(&mut self) -> bool {
        if self.left == 0 {
            self.dropped += 1;
            return false;
        }
        self.left -= 1;
        true
    }

    /// One warning for the lines dropped, if any.
    pub fn report_dropped(&self, job_id: &str, kind: &str) {
        if self.dropped > 0 {
            tracing::warn!(
                job_id,
                kind,
                dropped = self.dropped,
                "the attempt logged more lines than its kind allows; the rest were dropped"
            );
        }
    }
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
        if !self.log.take() {
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_budget_admits_its_lines_then_counts_the_rest() {
        let mut budget = LogBudget::new(3);
        let admitted = (0..10).filter(|_| budget.take()).count();
        assert_eq!((admitted, budget.dropped), (3, 7));
    }
}
