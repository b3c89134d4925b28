//! What both of hexaspin's edges read the same way: the Spin components (through Spin variables)
//! and the native worker and CLI (through the environment).
//!
//! # Layout
//! - [`settings`]: typed settings from a [`settings::ConfigSource`]; secrets never in errors or
//!   `Debug` output.
//! - [`client_address`]: which client a request comes from (peer, or a trusted proxy header).
//! - [`system`]: the OS clock and CSPRNG (WASI clocks and random inside Spin).

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod client_address;
pub mod settings;
pub mod system;
