//! Spin adapters: what a hexaspin component uses to reach its stores and settings inside Spin.
//!
//! # Layout
//! - [`executor`]: [`SpinExecutor`], the store-sql executor over Spin's SQLite (`default`
//!   database) or Postgres (`pg4`, connections pooled by the host).
//! - [`variables`]: [`SpinVariables`], settings from Spin variables.

pub mod executor;
pub mod variables;

pub use executor::{SpinExecutor, open_store};
pub use variables::SpinVariables;
