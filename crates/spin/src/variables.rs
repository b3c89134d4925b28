//! Settings from Spin variables (`[variables]` in spin.toml, `SPIN_VARIABLE_*` in the environment).

use hexaspin_config::settings::{ConfigError, ConfigSource, NATIVE_ONLY_SETTINGS};
use spin_sdk::variables;

/// Reads settings with `spin_sdk::variables::get`; undefined and empty variables count as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinVariables;

impl ConfigSource for SpinVariables {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if NATIVE_ONLY_SETTINGS.contains(&name) {
            return Ok(None);
        }
        match variables::get(name) {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(variables::Error::Undefined(_)) => Ok(None),
            Err(error) => Err(ConfigError::Unreadable {
                name: name.to_owned(),
                reason: error.to_string(),
            }),
        }
    }
}
