//! hexaspin's job sandbox: runs job components (the `hexaspin:jobs/handler` world in `wit/`) in
//! wasmtime, one fresh instance per attempt.
//!
//! Following wasmtime's guidance for fast instantiation: one [`wasmtime::Engine`] with the pooling
//! allocator and epoch interruption, each kind's component compiled once at start-up into an
//! `InstancePre`, a fresh `Store` per attempt with a memory limiter and an epoch deadline, and a
//! semaphore sized to the pool for admission. A job that loops forever is stopped at its deadline,
//! one that allocates past its cap traps, one that traps or panics fails that attempt only, and
//! outbound HTTP reaches only the hosts allowed for its kind.
//!
//! # Layout
//! - [`config`]: [`SandboxConfig`] and [`KindConfig`], validated.
//! - `bindings`: the world's generated bindings (`bindgen!`, once).
//! - `state`: the per-attempt store data: WASI, wasi:http with the outbound policy, limits, log.
//! - [`allow_list`]: a kind's outbound HTTP allow-list (origins) and the internal-address rules.
//! - `policy`: the wasi:http hook that applies it to every outgoing request.
//! - [`sandbox`]: [`Sandbox`], which loads kinds and runs attempts.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod allow_list;
mod bindings;
pub mod config;
mod policy;
pub mod sandbox;
mod state;

pub use config::{HostBounds, KindConfig, OutputBounds, SandboxConfig};
pub use sandbox::{Attempt, AttemptReport, Failure, FailureCause, Sandbox};
