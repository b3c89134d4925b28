//! The ports on whichever store a deployment chooses, as one type: the embedded default keeps jobs,
//! quotas and counters in SQLite, production in Redis. The native adapter and the Spin adapter
//! each name [`AnyJobs`] with their own executors (`NativeJobs`, `SpinJobs`).
//!
//! # Layout
//! - [`any_jobs`]: [`AnyJobs`], SQLite or Redis jobs chosen at run time.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod any_jobs;

pub use any_jobs::AnyJobs;
