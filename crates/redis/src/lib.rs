//! hexaspin's Redis stores, written once for the native (redis crate) and Spin (spin-sdk redis)
//! adapters.
//!
//! Every request-path operation is one Lua script call (`scripts/*.lua`, each prefixed with
//! `lib.lua`), so it is atomic and costs one round trip: dispatch checks the idempotency key,
//! charges the quota with the same arithmetic as [`hexaspin_core::quota::decide`] and queues the
//! job in a single `EVALSHA`. The exceptions are the admin listing (`list_jobs`) and the cleaner
//! (`clean_finished`): they call their script in bounded steps, so that one long scan never holds
//! Redis while other clients wait; each step is atomic, the whole is not.
//! Scripts return flat arrays because Spin's Redis interface flattens nested replies.
//!
//! # Layout
//! - [`executor`]: [`RedisExecutor`], what an adapter provides (run a script), and [`RedisValue`].
//! - [`failure`]: whether a failed call means "Redis is away for now" or "this call is wrong".
//! - [`scripts`]: the scripts and their SHA-1s.
//! - [`spin_values`]: [`spin_redis_conversion!`], Spin's Redis replies (both Spin SDKs).
//! - [`jobs`]: [`RedisJobs`], the job ports.
//! - [`key_cache`]: the key cache port on the same [`RedisJobs`] (API key records beside the
//!   failed-verification limiter, fenced before every admin change).
//! - [`metrics`]: the metrics port on the same [`RedisJobs`]; job lifecycle counters are kept by
//!   the job scripts themselves (`lib_jobs.lua`).

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod executor;
pub mod failure;
pub mod jobs;
pub mod key_cache;
pub mod metrics;
pub mod scripts;
pub mod spin_values;

pub use executor::{RedisExecutor, RedisValue};
pub use jobs::RedisJobs;
pub use scripts::Script;
