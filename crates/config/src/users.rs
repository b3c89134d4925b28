//! The user service's settings: how user tokens are signed, how long sessions last, what a
//! password hash costs and how many failed sign-ins a client gets.

use hexaspin_core::attempts::PasswordAttemptRules;
use hexaspin_core::quota::RateRule;
use hexaspin_core::use_cases::{DEFAULT_REFRESH_TTL_SECONDS, DEFAULT_SESSION_MAX_SECONDS, SessionLifetimes};
use hexaspin_core::user::{PasswordHasher, PasswordParams, UserAuthConfig};

use crate::client_address::ClientAddressSource;
use crate::settings::{ConfigError, ConfigSource, invalid, number, required};

/// Everything the user service reads, once per request.
#[derive(Debug, Clone)]
pub struct UserSettings {
    /// Signs and checks user access tokens.
    pub auth: UserAuthConfig,
    /// How long refresh tokens (sliding) and sessions (absolute) live.
    pub sessions: SessionLifetimes,
    /// Argon2id with the configured cost.
    pub hasher: PasswordHasher,
    /// Password attempts allowed per account and client, per account, per client.
    pub password_attempts: PasswordAttemptRules,
    /// Sign-ups allowed per client.
    pub sign_ups: RateRule,
    /// Address changes allowed per account.
    pub email_changes: RateRule,
    /// Where the client's address comes from.
    pub client_address: ClientAddressSource,
}

impl UserSettings {
    /// Reads `user_jwt_secret` (required; must differ from `jwt_secret`), `user_jwt_issuer`,
    /// `user_jwt_audience`, `user_access_ttl_seconds` (900), `user_refresh_ttl_seconds` (7 days),
    /// `user_session_max_seconds` (30 days), `password_hash_memory_kib` (19456),
    /// `password_hash_iterations` (2), the password attempt limits
    /// `signin_limit_per_account_client` (`10/15m`), `signin_limit_per_account` (`50/h`: with its
    /// burst, at most 100 in any hour, OWASP ASVS 2.2.1) and `signin_limit_per_client` (`100/h`),
    /// `signup_rate_per_sec` (1) / `signup_burst` (10), `email_change_limit` (`5/h` per account),
    /// and the client address settings.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        refuse_retired(source)?;
        let secret = required(source, "user_jwt_secret")?;
        let auth = UserAuthConfig::new(secret.as_bytes()).map_err(invalid)?;
        // One secret for both kinds of token would leave the role claim as the only wall
        // between a user and the admin API; refuse it.
        let shared = [source.get("jwt_secret")?, source.get("jwt_previous_secret")?]
            .into_iter()
            .flatten()
            .any(|admin| auth.uses_secret(admin.as_bytes()));
        if shared {
            return Err(ConfigError::Invalid {
                name: "user_jwt_secret",
                reason: "must differ from jwt_secret and jwt_previous_secret".into(),
            });
        }
        let access_ttl = number(source, "user_access_ttl_seconds", Some(900_i64))?.unwrap_or(900);
        let auth = auth
            .with_access_ttl_seconds(access_ttl)
            .map_err(invalid)?
            .with_issuer(source.get("user_jwt_issuer")?)
            .with_audience(source.get("user_jwt_audience")?);
        let default = PasswordParams::DEFAULT;
        let params = PasswordParams {
            memory_kib: number(source, "password_hash_memory_kib", Some(default.memory_kib))?
                .unwrap_or(default.memory_kib),
            iterations: number(source, "password_hash_iterations", Some(default.iterations))?
                .unwrap_or(default.iterations),
            parallelism: default.parallelism,
        };
        Ok(Self {
            auth,
            sessions: sessions(source)?,
            hasher: PasswordHasher::new(params).map_err(|e| ConfigError::Invalid {
                name: "password_hash_memory_kib",
                reason: e.reason,
            })?,
            password_attempts: PasswordAttemptRules {
                per_account_client: limit(source, "signin_limit_per_account_client", "10/15m")?,
                per_account: limit(source, "signin_limit_per_account", "50/h")?,
                per_client: limit(source, "signin_limit_per_client", "100/h")?,
            },
            sign_ups: rule(source, "signup_rate_per_sec", "signup_burst", 1, 10)?,
            email_changes: limit(source, "email_change_limit", "5/h")?,
            client_address: ClientAddressSource::load(source)?,
        })
    }
}

/// Settings earlier releases read and this one does not: a deployment that still sets one would
/// silently get the new defaults instead, so it is refused, naming what replaced it.
fn refuse_retired(source: &dyn ConfigSource) -> Result<(), ConfigError> {
    for name in ["signin_failure_rate_per_sec", "signin_failure_burst"] {
        if source.get(name)?.is_some() {
            return Err(ConfigError::Invalid {
                name,
                reason: "is no longer read: failed sign-ins are limited by signin_limit_per_account_client, \
                         signin_limit_per_account and signin_limit_per_client (e.g. 10/15m); unset it"
                    .into(),
            });
        }
    }
    Ok(())
}

fn sessions(source: &dyn ConfigSource) -> Result<SessionLifetimes, ConfigError> {
    let refresh_ttl_seconds = number(
        source,
        "user_refresh_ttl_seconds",
        Some(DEFAULT_REFRESH_TTL_SECONDS),
    )?
    .unwrap_or(DEFAULT_REFRESH_TTL_SECONDS);
    let max_seconds = number(
        source,
        "user_session_max_seconds",
        Some(DEFAULT_SESSION_MAX_SECONDS),
    )?
    .unwrap_or(DEFAULT_SESSION_MAX_SECONDS);
    if refresh_ttl_seconds < 1 || max_seconds < 1 {
        return Err(ConfigError::Invalid {
            name: "user_refresh_ttl_seconds",
            reason: "the refresh and session lifetimes must be positive".into(),
        });
    }
    Ok(SessionLifetimes {
        refresh_ttl_seconds,
        max_seconds,
    })
}

/// A limit written as `<rate>/<span><unit>` ([`RateRule::parse`]).
fn limit(source: &dyn ConfigSource, name: &'static str, default: &str) -> Result<RateRule, ConfigError> {
    let text = source.get(name)?.unwrap_or_else(|| default.to_owned());
    RateRule::parse(&text).map_err(|e| ConfigError::Invalid {
        name,
        reason: e.to_string(),
    })
}

fn rule(
    source: &dyn ConfigSource,
    rate_name: &'static str,
    burst_name: &'static str,
    rate: u32,
    burst: u32,
) -> Result<RateRule, ConfigError> {
    let rate = number(source, rate_name, Some(rate))?.unwrap_or(rate);
    let burst = number(source, burst_name, Some(burst))?.unwrap_or(burst);
    RateRule::new(rate, burst).map_err(|e| ConfigError::Invalid {
        name: rate_name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::test_source::Map;

    const USER_SECRET: &str = "user-secret-0123456789-abcdefghijklmnop";
    const ADMIN_SECRET: &str = "admin-secret-9876543210-zyxwvutsrqponml";

    #[test]
    fn defaults_apply_when_only_the_secret_is_set() {
        let settings = UserSettings::load(&Map(HashMap::from([("user_jwt_secret", USER_SECRET)]))).unwrap();
        assert_eq!(settings.auth.access_ttl_seconds(), 900);
        assert_eq!(settings.sessions, SessionLifetimes::default());
        assert_eq!(settings.hasher.params(), PasswordParams::DEFAULT);
        let attempts = settings.password_attempts;
        assert_eq!(attempts.per_account_client, RateRule::parse("10/15m").unwrap());
        assert_eq!(attempts.per_account, RateRule::parse("50/h").unwrap());
        let hour_us = 3_600_000_000;
        let at_most_in_an_hour =
            i64::from(attempts.per_account.burst()) + hour_us / attempts.per_account.emission_interval_us();
        assert!(at_most_in_an_hour <= 100, "ASVS 2.2.1: {at_most_in_an_hour}");
    }

    #[test]
    fn the_admin_secret_is_refused_as_the_user_secret() {
        let same = Map(HashMap::from([
            ("user_jwt_secret", ADMIN_SECRET),
            ("jwt_secret", ADMIN_SECRET),
        ]));
        let error = UserSettings::load(&same).unwrap_err();
        assert!(
            matches!(
                error,
                ConfigError::Invalid {
                    name: "user_jwt_secret",
                    ..
                }
            ),
            "{error}"
        );
        let previous = Map(HashMap::from([
            ("user_jwt_secret", ADMIN_SECRET),
            ("jwt_secret", USER_SECRET),
            ("jwt_previous_secret", ADMIN_SECRET),
        ]));
        assert!(UserSettings::load(&previous).is_err());
    }

    #[test]
    fn a_missing_secret_or_unusable_numbers_name_the_setting() {
        assert_eq!(
            UserSettings::load(&Map(HashMap::new())).unwrap_err(),
            ConfigError::Missing("user_jwt_secret")
        );
        let bad = Map(HashMap::from([
            ("user_jwt_secret", USER_SECRET),
            ("password_hash_memory_kib", "1"),
        ]));
        assert!(matches!(
            UserSettings::load(&bad).unwrap_err(),
            ConfigError::Invalid {
                name: "password_hash_memory_kib",
                ..
            }
        ));
        let ttl = Map(HashMap::from([
            ("user_jwt_secret", USER_SECRET),
            ("user_access_ttl_seconds", "999999"),
        ]));
        assert!(UserSettings::load(&ttl).is_err());
        let retired = Map(HashMap::from([
            ("user_jwt_secret", USER_SECRET),
            ("signin_failure_burst", "5"),
        ]));
        let error = UserSettings::load(&retired).unwrap_err();
        assert!(
            error.to_string().contains("signin_limit_per_account_client"),
            "a setting no longer read is refused, naming its replacement: {error}"
        );
        let limit = Map(HashMap::from([
            ("user_jwt_secret", USER_SECRET),
            ("signin_limit_per_account", "fifty an hour"),
        ]));
        assert!(matches!(
            UserSettings::load(&limit).unwrap_err(),
            ConfigError::Invalid {
                name: "signin_limit_per_account",
                ..
            }
        ));
    }
}
