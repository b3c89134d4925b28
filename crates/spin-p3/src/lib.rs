//! Spin adapters for the WASIp3 build (spin-sdk 7, `wasi:http@0.3.0`, Spin ≥ 4.1): the same
//! ports and the same names as `hexaspin-spin`, so a component's code is the same for both
//! builds but for which of the two it `use`s.
//!
//! What differs is what lives how long. Spin 4.1 reuses a WASIp3 instance for many requests
//! (128 by default, 16 at once), so per *instance*:
//! - the Redis connection ([`redis`]): opened on first use, dropped when a call fails for want
//!   of Redis, opened again by the next call;
//! - the settings read from Spin variables ([`variables`]), read once, all together.
//!
//! Per *request*, as in the WASIp2 build: the SQLite and Postgres connections ([`executor`]).
//! A transaction belongs to its connection, and the requests an instance serves at once
//! interleave, so one shared connection would mix their transactions; Spin pools the Postgres
//! connections in the host anyway. Nothing a request computes (caller, key, claims, body) is
//! kept: every such value lives in the request's own future.
//!
//! # Layout
//! - [`executor`]: [`SpinExecutor`] over spin-sdk 7's `sqlite` and `pg`.
//! - [`http`]: the request split from its unread body, and the response handed over whole.
//! - [`jobs`]: [`SpinJobs`], the job and metrics ports on SQLite or Redis as configured.
//! - [`redis`]: [`SpinRedis`], hexaspin's Redis scripts on the instance's connection.
//! - [`variables`]: [`SpinVariables`], settings from Spin variables, read once per instance.
//! - [`http_entry!`]: the component's export, same shape as `hexaspin_spin::http_entry!`.

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

/// spin-sdk 7, for [`http_entry!`]'s expansion.
#[doc(hidden)]
pub use spin_sdk_p3 as sdk;

/// Exports `serve` (`async fn(hexaspin_api::Request, PendingBody) -> hexaspin_api::Response`) as
/// the component's `wasi:http/handler@0.3.0`: the settings are read first (once per instance),
/// then the request's head is split from its unread body, and the answer is handed back whole.
#[macro_export]
macro_rules! http_entry {
    ($serve:ident) => {
        mod __hexaspin_wasip3_http {
            struct Component;

            $crate::sdk::wasip3::http::service::export!(Component);

            impl $crate::sdk::wasip3::exports::http::handler::Guest for Component {
                async fn handle(
                    request: $crate::sdk::wasip3::http::types::Request,
                ) -> ::std::result::Result<
                    $crate::sdk::wasip3::http::types::Response,
                    $crate::sdk::wasip3::http::types::ErrorCode,
                > {
                    $crate::variables::read_once_per_instance().await;
                    let (request, body, _body_reservation, unread) = $crate::http::split_request(request)?;
                    let response = super::$serve(request, body).await;
                    unread.drain().await;
                    $crate::http::into_wasi_response(response)
                }
            }
        }
    };
}
