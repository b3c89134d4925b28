//! [`JobsSettings`]: what the jobs API reads from its configuration, each part read the first time
//! a request needs it.
//!
//! Inside Spin every setting is a host call that resolves a variable through the variables
//! providers; alone, a handful of them cost Spin more than a Redis round trip (the floors in
//! `docs/benchmarks.md`). So a route reads only what it uses: a key read needs `key_pepper` (besides
//! the store settings the component opens its stores with), a dispatch adds its seven, an admin
//! route the JWT settings, and every client route the failed-verification limit (checked before the key is).

use std::sync::OnceLock;

use hexaspin_core::admin_auth::AdminAuthConfig;
use hexaspin_core::api_key::KeyHasher;
use hexaspin_core::use_cases::DispatchSettings;

use hexaspin_config::settings::{
    AdminSettings, AuthFailureSettings, ConfigError, ConfigSource, load_admin_auth,
    load_auth_failure_settings, load_dispatch_settings, load_key_hasher,
};

/// The jobs API's settings: read on demand from a source, or given up front (tests).
pub struct JobsSettings<'a> {
    source: Option<&'a (dyn ConfigSource + Sync)>,
    hasher: OnceLock<KeyHasher>,
    admin_auth: OnceLock<AdminAuthConfig>,
    dispatch: OnceLock<DispatchSettings>,
    auth_failures: OnceLock<AuthFailureSettings>,
}

impl<'a> JobsSettings<'a> {
    /// Settings read from `source` when first needed, then kept for the request.
    pub fn on_demand(source: &'a (dyn ConfigSource + Sync)) -> Self {
        Self {
            source: Some(source),
            hasher: OnceLock::new(),
            admin_auth: OnceLock::new(),
            dispatch: OnceLock::new(),
            auth_failures: OnceLock::new(),
        }
    }

    /// Settings known up front.
    pub fn loaded(
        admin: AdminSettings,
        dispatch: DispatchSettings,
        auth_failures: AuthFailureSettings,
    ) -> Self {
        Self {
            source: None,
            hasher: OnceLock::from(admin.hasher),
            admin_auth: OnceLock::from(admin.auth),
            dispatch: OnceLock::from(dispatch),
            auth_failures: OnceLock::from(auth_failures),
        }
    }

    /// Key hashing (`key_pepper`): every client route.
    pub fn hasher(&self) -> Result<&KeyHasher, ConfigError> {
        self.get(&self.hasher, load_key_hasher)
    }

    /// Admin JWT validation (`jwt_*`): the admin routes.
    pub fn admin_auth(&self) -> Result<&AdminAuthConfig, ConfigError> {
        self.get(&self.admin_auth, load_admin_auth)
    }

    /// Kinds, payload limit, default limits, idempotency TTL: dispatching.
    pub fn dispatch(&self) -> Result<&DispatchSettings, ConfigError> {
        self.get(&self.dispatch, load_dispatch_settings)
    }

    /// Failed verifications allowed per client and how clients are told apart: every client
    /// route, since a limited client is refused before its key is verified.
    pub fn auth_failures(&self) -> Result<&AuthFailureSettings, ConfigError> {
        self.get(&self.auth_failures, load_auth_failure_settings)
    }

    fn get<'s, T>(
        &'s self,
        cell: &'s OnceLock<T>,
        load: fn(&dyn ConfigSource) -> Result<T, ConfigError>,
    ) -> Result<&'s T, ConfigError> {
        if let Some(value) = cell.get() {
            return Ok(value);
        }
        let source = self
            .source
            .ok_or(ConfigError::Missing("settings given up front"))?;
        let value = load(source)?;
        Ok(cell.get_or_init(|| value))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records which settings were read.
    struct Recording(Mutex<Vec<String>>);

    impl ConfigSource for Recording {
        fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
            self.0.lock().expect("lock").push(name.to_owned());
            Ok(match name {
                "key_pepper" | "jwt_secret" => Some("0123456789abcdef0123456789abcdef".to_owned()),
                _ => None,
            })
        }
    }

    #[test]
    fn only_the_parts_asked_for_are_read_and_each_only_once() {
        let source = Recording(Mutex::new(Vec::new()));
        let settings = JobsSettings::on_demand(&source);
        settings.hasher().expect("hasher");
        settings.hasher().expect("hasher again");
        assert_eq!(*source.0.lock().expect("lock"), ["key_pepper"]);
        settings.dispatch().expect("dispatch settings");
        let read = source.0.lock().expect("lock").clone();
        assert!(!read.iter().any(|name| name.starts_with("jwt_")), "{read:?}");
        assert!(
            !read.iter().any(|name| name.starts_with("auth_failure")),
            "{read:?}"
        );
    }
}
