//! hexaspin's core: the domain, the use cases and the ports they are written against.
//!
//! Nothing here does I/O. Time comes in as a [`Timestamp`] argument, randomness through the
//! [`ports::Entropy`] port and storage through the store ports, so the same rules run inside a Spin
//! component (wasm), in the native worker and in tests.
//!
//! # Layout
//! - [`time`]: milliseconds since the Unix epoch, the one clock type.
//! - [`api_key`]: API keys: ids, secrets and their peppered hashes, limits, refill, state.
//! - [`attempts`]: attempt limits (passwords, key verifications, sign-ups), charged before the work.
//! - [`audit`]: what an admin did, to which key, when.
//! - [`admin_auth`]: validation of admin JWTs (HS256, pinned algorithm, key rotation by `kid`).
//! - [`hs256`]: the JWT verification admin and user tokens share (signature, claims, times).
//! - [`job`]: jobs, their fields and states.
//! - [`quota`]: GCRA rate + burst and daily quota, as pure functions.
//! - [`net`]: IPv6 forms that stand for an IPv4 address, judged as that address.
//! - [`metrics`]: the counters the stores aggregate for `/metrics`, and worker heartbeats.
//! - [`secret_quality`]: refuses placeholder and low-entropy secrets.
//! - [`retry`]: exponential backoff with jitter for failed attempts.
//! - [`pagination`]: opaque cursors for keyset pagination.
//! - [`ports`]: the traits adapters implement (stores, entropy) and their error type.
//! - [`use_cases`]: every operation the components and the worker perform, written against the
//!   ports: admin key management, key verification, dispatch (single, batch, keyed), job reads and
//!   admin, audit, metrics, user accounts and sessions.
//! - [`user`]: end users of the user service: accounts, passwords, refresh and access tokens.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod admin_auth;
pub mod api_key;
pub mod attempts;
pub mod audit;
pub mod error;
pub mod hs256;
pub mod job;
pub mod metrics;
pub mod net;
pub mod pagination;
pub mod ports;
pub mod quota;
pub mod retry;
pub mod secret_quality;
pub mod time;
pub mod use_cases;
pub mod user;

pub use error::DomainError;
pub use time::Timestamp;
