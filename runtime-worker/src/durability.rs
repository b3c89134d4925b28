//! Whether the Redis the queue lives in keeps what it is given. Jobs are Redis keys: with a
//! `maxmemory-policy` that evicts (anything but `noeviction`), a full Redis silently drops queued
//! jobs, leases and quota state instead of refusing writes; without the append-only file, a
//! restart loses everything written since the last RDB snapshot. Neither is something the worker
//! can fix, so at start-up it reads `INFO memory` and `INFO persistence` (which managed services
//! that refuse `CONFIG GET` still answer), logs each risk as an error-level line, exports it as
//! `hexaspin_worker_redis_unsafe_config{setting=…}` (1: at risk) and shows it on `/readyz`.
//!
//! Two things the check cannot see for itself:
//! - a managed Redis (ElastiCache, Memorystore, …) may keep its data through restarts by its own
//!   means (replicas, snapshots) and have no append-only file: `REDIS_DURABILITY=managed` says the
//!   operator vouches for that, and the append-only file is then not required (the eviction
//!   policy still is: every such service lets you set `noeviction`);
//! - a Redis that refuses INFO (an ACL without `+info`) leaves the settings unknown: that is a
//!   warning of its own on `/readyz` and `hexaspin_worker_redis_durability_unchecked` 1, never
//!   taken for safe.
//!
//! docs/runbook.md, "Redis for production", says what to set.

use hexaspin_native::NativeRedis;

use crate::telemetry;

/// The environment variable naming what the operator vouches for.
pub const SETTING: &str = "REDIS_DURABILITY";

/// What the check requires of Redis (`REDIS_DURABILITY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `check` (the default): `noeviction` and the append-only file.
    #[default]
    Check,
    /// `managed`: `noeviction`; persistence is the provider's, the append-only file not required.
    Managed,
}

impl Durability {
    /// Parses the setting's value; unset or empty is [`Durability::Check`].
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("" | "check") => Ok(Self::Check),
            Some("managed") => Ok(Self::Managed),
            Some(other) => Err(format!(
                "{SETTING}={other:?}: expected `check` (the default: noeviction and the append-only file) \
                 or `managed` (a managed Redis that persists by its own means: noeviction only)"
            )),
        }
    }

    /// The setting from the environment.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::var(SETTING).ok().as_deref())
    }
}

/// One setting found unsafe, or the check itself impossible: which, and what the operator should
/// read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// The metric's `setting` label (`maxmemory_policy`, `appendonly`), or `unchecked` when INFO
    /// was refused.
    pub setting: &'static str,
    /// The warning, naming the value found and what to set.
    pub warning: String,
}

/// The risks `info_memory` and `info_persistence` (the replies of `INFO memory` and
/// `INFO persistence`) show under `durability`.
pub fn risks(info_memory: &str, info_persistence: &str, durability: Durability) -> Vec<Risk> {
    let mut found = Vec::new();
    match field(info_memory, "maxmemory_policy") {
        Some("noeviction") => {}
        policy => found.push(Risk {
            setting: "maxmemory_policy",
            warning: format!(
                "Redis maxmemory-policy is {}: when Redis is full it evicts keys, and queued jobs, leases \
                 and quota state vanish without an error; set maxmemory-policy noeviction",
                policy.unwrap_or("not reported")
            ),
        }),
    }
    if durability == Durability::Check && field(info_persistence, "aof_enabled") != Some("1") {
        found.push(Risk {
            setting: "appendonly",
            warning: format!(
                "Redis runs without the append-only file (aof_enabled:0): a restart loses every job \
                 written since the last RDB snapshot; set appendonly yes (appendfsync everysec), or \
                 {SETTING}=managed if your provider keeps the data through restarts by other means"
            ),
        });
    }
    found
}

/// The value of `name` in an INFO reply (`name:value` lines).
fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|line| line.trim_end().strip_prefix(name)?.strip_prefix(':'))
}

/// Reads the settings from `redis`, logs and exports each risk, and returns them (empty when
/// Redis is safe). A Redis that refuses INFO is one risk, `unchecked`: logged, exported as
/// `hexaspin_worker_redis_durability_unchecked` 1 and returned for `/readyz`.
pub async fn check(redis: &NativeRedis, durability: Durability) -> Vec<Risk> {
    let info = |section: &'static str| async move {
        redis
            .command(&["INFO", section])
            .await
            .map(|reply| reply.iter().map(|value| value.text()).collect::<String>())
    };
    let (memory, persistence) = match (info("memory").await, info("persistence").await) {
        (Ok(memory), Ok(persistence)) => (memory, persistence),
        (Err(error), _) | (_, Err(error)) => {
            metrics::gauge!(telemetry::REDIS_DURABILITY_UNCHECKED).set(1.0);
            let risk = Risk {
                setting: "unchecked",
                warning: format!(
                    "Redis refused INFO ({error}): whether it evicts keys or keeps them through a restart \
                     is unchecked; allow INFO to the worker's Redis user (ACL SETUSER <user> +info)"
                ),
            };
            tracing::error!(
                setting = risk.setting,
                "REDIS UNCHECKED FOR A JOB QUEUE: {}",
                risk.warning
            );
            return vec![risk];
        }
    };
    metrics::gauge!(telemetry::REDIS_DURABILITY_UNCHECKED).set(0.0);
    if durability == Durability::Managed {
        tracing::info!(
            "{SETTING}=managed: the append-only file is not required (the provider persists the data)"
        );
    }
    let found = risks(&memory, &persistence, durability);
    for setting in ["maxmemory_policy", "appendonly"] {
        let at_risk = found.iter().any(|risk| risk.setting == setting);
        metrics::gauge!(telemetry::REDIS_UNSAFE_CONFIG, "setting" => setting)
            .set(f64::from(u8::from(at_risk)));
    }
    for risk in &found {
        tracing::error!(
            setting = risk.setting,
            "UNSAFE REDIS FOR A JOB QUEUE: {}",
            risk.warning
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noeviction_with_the_append_only_file_is_safe() {
        let memory = "# Memory\r\nused_memory:1\r\nmaxmemory_policy:noeviction\r\n";
        let persistence = "# Persistence\r\nloading:0\r\naof_enabled:1\r\n";
        assert_eq!(risks(memory, persistence, Durability::Check), []);
    }

    #[test]
    fn an_evicting_policy_and_a_missing_append_only_file_are_each_a_risk() {
        let found = risks(
            "maxmemory_policy:allkeys-lru\r\n",
            "aof_enabled:0\r\n",
            Durability::Check,
        );
        let settings: Vec<_> = found.iter().map(|r| r.setting).collect();
        assert_eq!(settings, ["maxmemory_policy", "appendonly"]);
        assert!(found[0].warning.contains("allkeys-lru"), "{found:?}");
        assert!(found[0].warning.contains("noeviction"), "{found:?}");
    }

    #[test]
    fn a_reply_without_the_fields_counts_as_unsafe_rather_than_safe() {
        let settings: Vec<_> = risks("", "", Durability::Check)
            .iter()
            .map(|r| r.setting)
            .collect();
        assert_eq!(settings, ["maxmemory_policy", "appendonly"]);
    }

    #[test]
    fn a_managed_redis_needs_no_append_only_file_but_still_noeviction() {
        assert_eq!(
            risks(
                "maxmemory_policy:noeviction\r\n",
                "aof_enabled:0\r\n",
                Durability::Managed
            ),
            []
        );
        let settings: Vec<_> = risks(
            "maxmemory_policy:volatile-lru\r\n",
            "aof_enabled:0\r\n",
            Durability::Managed,
        )
        .iter()
        .map(|r| r.setting)
        .collect();
        assert_eq!(settings, ["maxmemory_policy"]);
    }

    #[test]
    fn the_setting_takes_check_or_managed_and_refuses_anything_else() {
        assert_eq!(Durability::parse(None), Ok(Durability::Check));
        assert_eq!(Durability::parse(Some("")), Ok(Durability::Check));
        assert_eq!(Durability::parse(Some("check")), Ok(Durability::Check));
        assert_eq!(Durability::parse(Some("managed")), Ok(Durability::Managed));
        let refused = Durability::parse(Some("off")).expect_err("off is not a value");
        assert!(
            refused.contains("REDIS_DURABILITY") && refused.contains("managed"),
            "{refused}"
        );
    }
}
