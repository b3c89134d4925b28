//! `runtime-worker`: hexaspin's native process, as a library so tests drive its services directly.
//!
//! The worker drains the job queue (Redis, or the embedded SQLite file shared with `spin up`) and
//! runs every attempt in a fresh wasm instance (see `hexaspin-job-host`).
//!
//! # Layout
//! - [`config`]: the TOML configuration, validated.
//! - [`connect`]: reaching the store at start-up, with backoff and jitter.
//! - [`durability`]: whether the Redis holding the queue evicts keys or runs without its
//!   append-only file, said loudly at start-up, in a metric and on `/readyz`.
//! - [`telemetry`]: metric names and the Prometheus recorder.
//! - [`worker`]: the services — executor, promoter, rescuer, cleaner, periodic enqueuer, admin port —
//!   each with a `run_once()` tests call and a loop that stops on shutdown.

pub mod config;
pub mod connect;
pub mod durability;
pub mod telemetry;
pub mod worker;

pub use worker::{PeriodicError, Worker};
