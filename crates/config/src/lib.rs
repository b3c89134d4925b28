//! What both of hexaspin's edges read the same way: the Spin components (through Spin variables)
//! and the native worker and CLI (through the environment).
//!
//! # Layout
//! - [`settings`]: typed settings from a [`settings::ConfigSource`]; secrets never in errors or
//!   `Debug` output.
//! - [`client_address`]: which client a request comes from (peer, or a trusted proxy header).
//! - [`users`]: the user service's settings (token secret and lifetimes, password hash cost).
//! - [`os`]: the OS clock and CSPRNG (WASI clocks and random inside Spin).

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]

pub mod client_address;
pub mod os;
pub mod settings;
pub mod users;

/// Settings given as a map, for the tests of this crate.
#[cfg(test)]
mod test_source {
    use std::collections::HashMap;

    use crate::settings::{ConfigError, ConfigSource};

    /// Each name's value; an empty one counts as unset, as in every source.
    pub struct Map(pub HashMap<&'static str, &'static str>);

    impl ConfigSource for Map {
        fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
            Ok(self.0.get(name).filter(|v| !v.is_empty()).map(|v| v.to_string()))
        }
    }
}
