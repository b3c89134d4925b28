//! Spin adapters: what a hexaspin component uses to reach its stores and settings inside Spin.
//!
//! # Layout
//! - [`executor`]: [`SpinExecutor`], the store-sql executor over Spin's SQLite (`default`
//!   database) or Postgres (`pg4`, connections pooled by the host).
//! - [`http`]: the incoming request with its body read only within the route's limit.
//! - [`jobs`]: [`SpinJobs`], the job and metrics ports on SQLite or Redis as configured.
//! - [`redis`]: [`SpinRedis`], hexaspin's Redis scripts over Spin's outbound Redis.
//! - [`variables`]: [`SpinVariables`], settings from Spin variables.
//! - [`http_entry!`]: the component's export, same shape as `hexaspin_spin_p3::http_entry!`.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod executor;
pub mod http;
pub mod jobs;
pub mod redis;
pub mod variables;

pub use executor::{SpinExecutor, open_store};
pub use jobs::{SpinJobs, open_configured_jobs, open_jobs, open_jobs_checking_keys};
pub use redis::SpinRedis;
pub use variables::SpinVariables;

/// Exports `serve` (`async fn(hexaspin_api::Request, PendingBody) -> hexaspin_api::Response`) as
/// the component's `wasi:http/incoming-handler@0.2.0`, with the request's head split from its
/// unread body. The component depends on spin-sdk 5.2 itself (its macro names `::spin_sdk`).
#[macro_export]
macro_rules! http_entry {
    ($serve:ident) => {
        #[::spin_sdk::http_component]
        async fn __hexaspin_wasip2_http(
            incoming: ::spin_sdk::http::IncomingRequest,
        ) -> ::hexaspin_api::Response {
            let (request, body) = $crate::http::split_request(incoming);
            $serve(request, body).await
        }
    };
}
