//! Typed settings from Spin variables (components) or environment variables (worker, CLI).
//!
//! Names are Spin variable names (`jwt_secret`); [`EnvSource`] reads the same names upper-cased
//! (`JWT_SECRET`). An empty value counts as unset, because Spin variables need a default. Secret
//! values never appear in errors or `Debug` output.

use hexaspin_core::DomainError;
use hexaspin_core::admin_auth::AdminAuthConfig;
use hexaspin_core::api_key::KeyHasher;
use hexaspin_core::secret_quality::check_url_password;

/// Where settings come from.
pub trait ConfigSource {
    /// The value of `name`, `None` when unset or empty.
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError>;
}

/// Settings only native processes have, never asked of Spin: Spin serves its own `default`
/// SQLite database (and every variable read is a host call, see `docs/benchmarks.md`).
pub const NATIVE_ONLY_SETTINGS: &[&str] = &["sqlite_path"];

/// Every setting a component may read, as declared under `[variables]` in `spin.toml` and
/// `services/users/spin.toml` (a test keeps the three in step). The WASIp3 build reads them all
/// once per instance, as its variable reads are asynchronous and [`ConfigSource`] is not.
pub const SPIN_VARIABLES: &[&str] = &[
    "allow_public_docs",
    "allow_public_metrics",
    "auth_failure_burst",
    "auth_failure_rate_per_sec",
    "client_ip_header",
    "client_ip_trusted_hops",
    "default_burst",
    "default_concurrency",
    "default_daily_quota",
    "default_max_scheduled_jobs",
    "default_max_stored_bytes",
    "default_rate_per_sec",
    "email_change_limit",
    "idempotency_ttl_seconds",
    "job_kinds",
    "jwt_audience",
    "jwt_issuer",
    "jwt_kid",
    "jwt_max_ttl_seconds",
    "jwt_previous_kid",
    "jwt_previous_secret",
    "jwt_secret",
    "key_pepper",
    "max_payload_bytes",
    "metrics_token",
    "password_hash_iterations",
    "password_hash_memory_kib",
    "pg_host",
    "pg_url",
    "queue",
    "redis_host",
    "redis_prefix",
    "redis_url",
    "signin_failure_burst",
    "signin_failure_rate_per_sec",
    "signin_limit_per_account",
    "signin_limit_per_account_client",
    "signin_limit_per_client",
    "signup_burst",
    "signup_rate_per_sec",
    "store",
    "user_access_ttl_seconds",
    "user_jwt_audience",
    "user_jwt_issuer",
    "user_jwt_secret",
    "user_refresh_ttl_seconds",
    "user_session_max_seconds",
];

/// Reads `NAME` from the process environment for setting `name`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSource;

impl ConfigSource for EnvSource {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(std::env::var(name.to_ascii_uppercase())
            .ok()
            .filter(|v| !v.is_empty()))
    }
}

/// A setting that is missing or wrong. Names the setting, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is unset.
    #[error("setting {0} is required but not set")]
    Missing(&'static str),
    /// A setting has an unusable value.
    #[error("setting {name} is invalid: {reason}")]
    Invalid {
        /// Which setting.
        name: &'static str,
        /// What is wrong with the value, for the operator.
        reason: String,
    },
    /// The source could not be read.
    #[error("setting {name} could not be read: {reason}")]
    Unreadable {
        /// Which setting.
        name: String,
        /// What is wrong with the value, for the operator.
        reason: String,
    },
}

pub(crate) fn required(source: &dyn ConfigSource, name: &'static str) -> Result<String, ConfigError> {
    source.get(name)?.ok_or(ConfigError::Missing(name))
}

/// Which database holds keys, users and the audit log.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// The embedded default: Spin's `default` SQLite database, or for native processes the file at
    /// `path` (setting `sqlite_path`, default `.spin/sqlite_db.db`, the file `spin up` uses).
    Sqlite {
        /// Database file for native processes.
        path: String,
    },
    /// Postgres at `url` (setting `pg_url`, may hold a password).
    Postgres {
        /// Connection URL.
        url: String,
    },
}

impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Self::Postgres { .. } => f.write_str("Postgres { url: <redacted> }"),
        }
    }
}

/// The SQLite file `spin up` creates for `sqlite_databases = ["default"]`.
pub const DEFAULT_SQLITE_PATH: &str = ".spin/sqlite_db.db";

impl StoreSettings {
    /// Reads `store` (`sqlite`, the default, or `postgres`), `pg_url` and `sqlite_path`.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        match source.get("store")?.as_deref() {
            None | Some("sqlite") => Ok(Self::Sqlite {
                path: source
                    .get("sqlite_path")?
                    .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned()),
            }),
            Some("postgres") => {
                let url = required(source, "pg_url")?;
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(ConfigError::Invalid {
                        name: "pg_url",
                        reason: "must start with postgres:// or postgresql://".into(),
                    });
                }
                check_url_password("pg_url", &url).map_err(invalid)?;
                Ok(Self::Postgres { url })
            }
            Some(_) => Err(ConfigError::Invalid {
                name: "store",
                reason: "must be \"sqlite\" or \"postgres\"".into(),
            }),
        }
    }
}

/// Where jobs, quota state and idempotency keys live.
#[derive(Clone, PartialEq, Eq)]
pub enum QueueSettings {
    /// The embedded default: the same SQLite database as the keys (`sqlite_path` natively).
    Sqlite {
        /// Database file for native processes.
        path: String,
    },
    /// Redis at `url` (setting `redis_url`), keys under `prefix` (setting `redis_prefix`, `hx:`).
    Redis {
        /// Connection URL (may hold a password).
        url: String,
        /// Key prefix.
        prefix: String,
    },
}

impl std::fmt::Debug for QueueSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Self::Redis { prefix, .. } => f
                .debug_struct("Redis")
                .field("prefix", prefix)
                .finish_non_exhaustive(),
        }
    }
}

impl QueueSettings {
    /// Reads `queue` (`sqlite`, the default, or `redis`), `redis_url`, `redis_prefix`, `sqlite_path`.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        match source.get("queue")?.as_deref() {
            None | Some("sqlite") => Ok(Self::Sqlite {
                path: source
                    .get("sqlite_path")?
                    .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned()),
            }),
            Some("redis") => {
                let url = required(source, "redis_url")?;
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    return Err(ConfigError::Invalid {
                        name: "redis_url",
                        reason: "must start with redis:// or rediss://".into(),
                    });
                }
                check_url_password("redis_url", &url).map_err(invalid)?;
                Ok(Self::Redis {
                    url,
                    prefix: source.get("redis_prefix")?.unwrap_or_else(|| "hx:".to_owned()),
                })
            }
            Some(_) => Err(ConfigError::Invalid {
                name: "queue",
                reason: "must be \"sqlite\" or \"redis\"".into(),
            }),
        }
    }
}

/// A domain rule refused a setting: the same error as any invalid setting.
pub(crate) fn invalid(error: DomainError) -> ConfigError {
    ConfigError::Invalid {
        name: error.field,
        reason: error.reason,
    }
}

/// Reads a positive whole number, or `default` when unset.
pub(crate) fn number<T: std::str::FromStr + PartialOrd + Default>(
    source: &dyn ConfigSource,
    name: &'static str,
    default: Option<T>,
) -> Result<Option<T>, ConfigError> {
    match source.get(name)? {
        None => Ok(default),
        Some(text) => match text.trim().parse::<T>() {
            Ok(value) if value > T::default() => Ok(Some(value)),
            _ => Err(ConfigError::Invalid {
                name,
                reason: "must be a positive whole number".into(),
            }),
        },
    }
}

/// A per-key default that bounds what one key can cost everyone: `default` unless set, a positive
/// number, or `unlimited`.
fn default_cap(
    source: &dyn ConfigSource,
    name: &'static str,
    default: u64,
) -> Result<Option<u64>, ConfigError> {
    match source.get(name)? {
        Some(text) if text.trim() == "unlimited" => Ok(None),
        _ => number(source, name, Some(default)),
    }
}

/// Jobs a key may dispatch per UTC day unless it says otherwise.
pub const DEFAULT_DAILY_QUOTA: u64 = 100_000;
/// Jobs a key may have waiting for a future time unless it says otherwise.
pub const DEFAULT_MAX_SCHEDULED_JOBS: u64 = 10_000;
/// Bytes of payload a key's stored jobs may hold unless it says otherwise (64 MiB).
pub const DEFAULT_MAX_STORED_BYTES: u64 = 64 * 1024 * 1024;

/// Reads the dispatch settings: `job_kinds` (comma-separated, default `echo,webhook`),
/// `max_payload_bytes` (262144), `default_rate_per_sec` (10), `default_burst` (20),
/// `default_concurrency` (none), `idempotency_ttl_seconds` (86400), and the per-key bounds on what
/// one key can make everyone store, each a number or `unlimited`: `default_daily_quota`
/// (100 000), `default_max_scheduled_jobs` (10 000), `default_max_stored_bytes` (64 MiB).
pub fn load_dispatch_settings(
    source: &dyn ConfigSource,
) -> Result<hexaspin_core::use_cases::DispatchSettings, ConfigError> {
    let kinds_text = source
        .get("job_kinds")?
        .unwrap_or_else(|| "echo,webhook".to_owned());
    let kinds = kinds_text
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(hexaspin_core::job::JobKind::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::Invalid {
            name: "job_kinds",
            reason: e.to_string(),
        })?;
    if kinds.is_empty() {
        return Err(ConfigError::Invalid {
            name: "job_kinds",
            reason: "must name at least one kind".into(),
        });
    }
    let defaults = hexaspin_core::api_key::Limits {
        rate_per_sec: number(source, "default_rate_per_sec", Some(10))?,
        burst: number(source, "default_burst", Some(20))?,
        concurrency: number(source, "default_concurrency", None)?,
        daily_quota: default_cap(source, "default_daily_quota", DEFAULT_DAILY_QUOTA)?,
        max_scheduled_jobs: default_cap(source, "default_max_scheduled_jobs", DEFAULT_MAX_SCHEDULED_JOBS)?,
        max_stored_bytes: default_cap(source, "default_max_stored_bytes", DEFAULT_MAX_STORED_BYTES)?,
    };
    let ttl: u32 = number(source, "idempotency_ttl_seconds", Some(86_400))?.unwrap_or(86_400);
    Ok(hexaspin_core::use_cases::DispatchSettings {
        kinds,
        max_payload_bytes: number(source, "max_payload_bytes", Some(256 * 1024))?.unwrap_or(256 * 1024),
        defaults,
        idempotency_ttl_ms: i64::from(ttl) * 1000,
    })
}

/// The limit on failed key verifications per client, and how the client is told apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailureSettings {
    /// Failures allowed per client: `auth_failure_rate_per_sec` (1) and `auth_failure_burst`
    /// (100). Every key is charged to its client's bucket while it is being checked and given
    /// back when it verifies, so the burst also bounds how many of one client's requests can be in
    /// their key check at the same moment: it must stay above a busy client's concurrency.
    pub rule: hexaspin_core::quota::RateRule,
    /// Where the client's address comes from.
    pub client_address: crate::client_address::ClientAddressSource,
}

/// Reads [`AuthFailureSettings`]: the rule, `client_ip_header` and `client_ip_trusted_hops`.
pub fn load_auth_failure_settings(source: &dyn ConfigSource) -> Result<AuthFailureSettings, ConfigError> {
    let rate = number(source, "auth_failure_rate_per_sec", Some(1))?.unwrap_or(1);
    let burst = number(source, "auth_failure_burst", Some(100))?.unwrap_or(100);
    let rule = hexaspin_core::quota::RateRule::new(rate, burst).map_err(|e| ConfigError::Invalid {
        name: "auth_failure_rate_per_sec",
        reason: e.to_string(),
    })?;
    Ok(AuthFailureSettings {
        rule,
        client_address: crate::client_address::ClientAddressSource::load(source)?,
    })
}

/// What the admin API needs: who may call it and how key secrets are hashed.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// Admin JWT validation.
    pub auth: AdminAuthConfig,
    /// Hashes key secrets with the pepper.
    pub hasher: KeyHasher,
}

impl AdminSettings {
    /// Reads `jwt_secret`, `jwt_kid`, `jwt_previous_secret`, `jwt_previous_kid`, `jwt_issuer`,
    /// `jwt_audience`, `jwt_max_ttl_seconds` and `key_pepper`.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            auth: load_admin_auth(source)?,
            hasher: load_key_hasher(source)?,
        })
    }
}

/// Reads the admin JWT settings.
pub fn load_admin_auth(source: &dyn ConfigSource) -> Result<AdminAuthConfig, ConfigError> {
    let secret = required(source, "jwt_secret")?;
    let mut auth = AdminAuthConfig::new(secret.as_bytes(), source.get("jwt_kid")?).map_err(invalid)?;
    match (
        source.get("jwt_previous_secret")?,
        source.get("jwt_previous_kid")?,
    ) {
        (Some(previous), Some(kid)) => {
            auth = auth
                .with_additional_secret(previous.as_bytes(), kid)
                .map_err(invalid)?
        }
        (None, None) => {}
        (Some(_), None) => return Err(ConfigError::Missing("jwt_previous_kid")),
        (None, Some(_)) => return Err(ConfigError::Missing("jwt_previous_secret")),
    }
    let auth = match source.get("jwt_max_ttl_seconds")? {
        Some(seconds) => auth
            .with_max_ttl_seconds(parse_max_ttl(&seconds)?)
            .map_err(invalid)?,
        None => auth,
    };
    Ok(auth
        .with_issuer(source.get("jwt_issuer")?)
        .with_audience(source.get("jwt_audience")?))
}

/// Reads `jwt_max_ttl_seconds`, the longest admin-token lifetime, or the default (24 h).
pub fn load_max_token_ttl(source: &dyn ConfigSource) -> Result<i64, ConfigError> {
    source
        .get("jwt_max_ttl_seconds")?
        .map_or(Ok(hexaspin_core::admin_auth::DEFAULT_MAX_TTL_SECONDS), |s| {
            parse_max_ttl(&s)
        })
}

fn parse_max_ttl(text: &str) -> Result<i64, ConfigError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|seconds| *seconds > 0)
        .ok_or_else(|| ConfigError::Invalid {
            name: "jwt_max_ttl_seconds",
            reason: "must be a positive number of seconds".into(),
        })
}

/// Reads `allow_public_docs`: whether `/openapi.json` and `/docs` answer without an admin token.
/// Unset is `false`, so a deployment that forgets it does not publish its API description.
pub fn load_allow_public_docs(source: &dyn ConfigSource) -> Result<bool, ConfigError> {
    flag(source, "allow_public_docs")
}

/// Reads `allow_public_metrics`: whether `/metrics` answers without a token when no
/// `metrics_token` is set. Unset is `false`: a deployment that forgets the token does not publish
/// its counters (spin.toml sets it `true` for `spin up` on a laptop).
pub fn load_allow_public_metrics(source: &dyn ConfigSource) -> Result<bool, ConfigError> {
    flag(source, "allow_public_metrics")
}

/// A `true`/`false` setting, unset meaning `false`.
fn flag(source: &dyn ConfigSource, name: &'static str) -> Result<bool, ConfigError> {
    match source.get(name)?.as_deref().map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ConfigError::Invalid {
            name,
            reason: "must be true or false".into(),
        }),
    }
}

/// Reads the key pepper.
pub fn load_key_hasher(source: &dyn ConfigSource) -> Result<KeyHasher, ConfigError> {
    let pepper = required(source, "key_pepper")?;
    KeyHasher::new(pepper.as_bytes()).map_err(|e| ConfigError::Invalid {
        name: "key_pepper",
        reason: e.reason,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    use crate::test_source::Map;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn sqlite_is_the_default_store() {
        let settings = StoreSettings::load(&Map(HashMap::new())).unwrap();
        assert_eq!(
            settings,
            StoreSettings::Sqlite {
                path: DEFAULT_SQLITE_PATH.into()
            }
        );
    }

    #[test]
    fn docs_are_private_unless_allow_public_docs_says_true() {
        let with = |value| load_allow_public_docs(&Map(HashMap::from([("allow_public_docs", value)])));
        assert_eq!(load_allow_public_docs(&Map(HashMap::new())), Ok(false));
        assert_eq!(with("true"), Ok(true));
        assert_eq!(with("false"), Ok(false));
        assert!(matches!(
            with("yes"),
            Err(ConfigError::Invalid {
                name: "allow_public_docs",
                ..
            })
        ));
    }

    #[test]
    fn postgres_needs_a_postgres_url() {
        let missing = Map(HashMap::from([("store", "postgres")]));
        assert_eq!(StoreSettings::load(&missing), Err(ConfigError::Missing("pg_url")));
        let wrong = Map(HashMap::from([("store", "postgres"), ("pg_url", "mysql://x")]));
        assert!(matches!(
            StoreSettings::load(&wrong),
            Err(ConfigError::Invalid { name: "pg_url", .. })
        ));
        let unknown = Map(HashMap::from([("store", "mongo")]));
        assert!(matches!(
            StoreSettings::load(&unknown),
            Err(ConfigError::Invalid { name: "store", .. })
        ));
    }

    #[test]
    fn a_short_jwt_secret_is_reported_by_name_without_its_value() {
        let source = Map(HashMap::from([("jwt_secret", "hunter2"), ("key_pepper", SECRET)]));
        let error = AdminSettings::load(&source).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Invalid {
                name: "jwt_secret",
                ..
            }
        ));
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn the_example_placeholders_are_refused_for_every_secret_by_name() {
        let placeholder = "CHANGE_ME_TO_32_OR_MORE_RANDOM_BYTES";
        for (field, source) in [
            (
                "jwt_secret",
                [("jwt_secret", placeholder), ("key_pepper", SECRET)],
            ),
            (
                "key_pepper",
                [("jwt_secret", SECRET), ("key_pepper", placeholder)],
            ),
        ] {
            let error = AdminSettings::load(&Map(HashMap::from(source))).unwrap_err();
            assert!(
                matches!(&error, ConfigError::Invalid { name, reason } if *name == field && reason.contains("placeholder")),
                "{field}: {error}"
            );
        }
        let previous = Map(HashMap::from([
            ("jwt_secret", SECRET),
            ("key_pepper", SECRET),
            ("jwt_previous_secret", "a".repeat(40).leak() as &str),
            ("jwt_previous_kid", "old"),
        ]));
        assert!(matches!(
            AdminSettings::load(&previous).unwrap_err(),
            ConfigError::Invalid {
                name: "jwt_previous_secret",
                ..
            }
        ));
    }

    #[test]
    fn the_maximum_token_lifetime_defaults_to_a_day_and_must_be_positive() {
        let base = [("jwt_secret", SECRET), ("key_pepper", SECRET)];
        let default = AdminSettings::load(&Map(HashMap::from(base))).unwrap();
        assert_eq!(default.auth.max_ttl_seconds(), 86_400);
        let mut hour = HashMap::from(base);
        hour.insert("jwt_max_ttl_seconds", "3600");
        assert_eq!(
            AdminSettings::load(&Map(hour)).unwrap().auth.max_ttl_seconds(),
            3600
        );
        for bad in ["0", "-5", "a day"] {
            let mut wrong = HashMap::from(base);
            wrong.insert("jwt_max_ttl_seconds", bad);
            assert!(matches!(
                AdminSettings::load(&Map(wrong)).unwrap_err(),
                ConfigError::Invalid {
                    name: "jwt_max_ttl_seconds",
                    ..
                }
            ));
        }
    }

    #[test]
    fn a_previous_secret_needs_its_kid() {
        let source = Map(HashMap::from([
            ("jwt_secret", SECRET),
            ("key_pepper", SECRET),
            ("jwt_previous_secret", SECRET),
        ]));
        assert_eq!(
            AdminSettings::load(&source).unwrap_err(),
            ConfigError::Missing("jwt_previous_kid")
        );
    }

    #[test]
    fn the_pepper_is_required() {
        let source = Map(HashMap::from([("jwt_secret", SECRET)]));
        assert_eq!(
            AdminSettings::load(&source).unwrap_err(),
            ConfigError::Missing("key_pepper")
        );
    }

    #[test]
    fn debug_output_hides_the_postgres_url() {
        let settings = StoreSettings::Postgres {
            url: "postgres://u:pw@h/db".into(),
        };
        assert!(!format!("{settings:?}").contains("pw"));
    }
}
