//! hexaspin's HTTP edge, written once for the Spin components and tested natively.
//!
//! A component is a thin shell: it builds the store and settings from Spin variables, converts the
//! request to `http::Request<Vec<u8>>` and calls an API here. Everything a client can see (routes,
//! status codes, JSON shapes, problem+json errors) is decided in this crate.
//!
//! # Layout
//! - [`problem`]: the one place errors become `application/problem+json` responses.
//! - `routing`: the route tables, matched one way (404, 405 with `Allow`).
//! - [`response`]: JSON responses with the headers every route sends.
//! - `bearer`: `Authorization: Bearer …`, read one way for every credential.
//! - [`body`]: request bodies and query strings: size limit, JSON parsing, error mapping.
//! - [`component`]: the frame every counting Spin component shares (log, handler, count).
//! - [`admin_ui`]: the admin page's files (a single-page app) with strict headers.
//! - [`admin_keys`]: the admin API for API keys and the audit log.
//! - [`health`]: liveness and readiness.
//! - [`jobs`]: the jobs API: dispatch under quotas, read, cancel; admin queue views.
//! - [`metrics`]: `/metrics` in the Prometheus text format, rendered from store aggregates.
//! - [`users`]: the user service: sign-up, sign-in, rotating refresh tokens, accounts, admin views.
//! - [`openapi`]: the OpenAPI 3.1 document of every route, from the handlers' own types.
//! - [`docs`]: `/openapi.json` and the `/docs` page.
//! - [`log`]: one JSON line to stderr per notable event, never a secret.
//! - [`spin_method`]: [`spin_method!`], Spin's request method (both Spin SDKs).

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod admin_keys;
pub mod admin_ui;
mod bearer;
pub mod body;
mod client;
pub mod component;
pub mod docs;
pub mod health;
pub mod jobs;
pub mod log;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod response;
mod routing;
pub mod spin_method;
pub mod users;

pub use problem::ApiError;

/// The request type every API here takes.
pub type Request = http::Request<Vec<u8>>;
/// The response type every API here returns.
pub type Response = http::Response<Vec<u8>>;
