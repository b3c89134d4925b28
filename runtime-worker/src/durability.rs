//! Whether the Redis the queue lives in keeps what it is given. Jobs are Redis keys: with a
//! `maxmemory-policy` that evicts (anything but `noeviction`), a full Redis silently drops queued
//! jobs, leases and quota state instead of refusing writes; without the append-only file, a
//! restart loses everything written since the last RDB snapshot. Neither is something the worker
//! can fix, so at start-up it reads `INFO memory` and `INFO persistence` (which managed services
//! that refuse `CONFIG GET` still answer), logs each risk as an error-level line, exports it as
//! `hexaspin_worker_redis_unsafe_config{setting=…}` (1: at risk) and shows it on `/readyz`.
//! docs/runbook.md, "Redis for production", says what to set.

use hexaspin_native::NativeRedis;

use crate::telemetry;

/// One setting found unsafe: which, and what the operator should read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// The metric's `setting` label: `maxmemory_policy` or `appendonly`.
    pub setting: &'static str,
    /// The warning, naming the value found and what to set.
    pub warning: String,
}

/// The risks `info_memory` and `info_persistence` (the replies of `INFO memory` and
/// `INFO persistence`) show.
pub fn risks(info_memory: &str, info_persistence: &str) -> Vec<Risk> {
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
    if field(info_persistence, "aof_enabled") != Some("1") {
        found.push(Risk {
            setting: "appendonly",
            warning: "Redis runs without the append-only file (aof_enabled:0): a restart loses every job \
                      written since the last RDB snapshot; set appendonly yes (appendfsync everysec)"
                .to_owned(),
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
/// Redis is safe). A Redis that does not answer INFO is logged as unchecked.
pub async fn check(redis: &NativeRedis) -> Vec<Risk> {
    let info = |section: &'static str| async move {
        redis
            .command(&["INFO", section])
            .await
            .map(|reply| reply.iter().map(|value| value.text()).collect::<String>())
    };
    let (memory, persistence) = match (info("memory").await, info("persistence").await) {
        (Ok(memory), Ok(persistence)) => (memory, persistence),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "cannot read Redis's INFO: its eviction policy and persistence are unchecked");
            return Vec::new();
        }
    };
    let found = risks(&memory, &persistence);
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
        assert_eq!(risks(memory, persistence), []);
    }

    #[test]
    fn an_evicting_policy_and_a_missing_append_only_file_are_each_a_risk() {
        let found = risks("maxmemory_policy:allkeys-lru\r\n", "aof_enabled:0\r\n");
        let settings: Vec<_> = found.iter().map(|r| r.setting).collect();
        assert_eq!(settings, ["maxmemory_policy", "appendonly"]);
        assert!(found[0].warning.contains("allkeys-lru"), "{found:?}");
        assert!(found[0].warning.contains("noeviction"), "{found:?}");
    }

    #[test]
    fn a_reply_without_the_fields_counts_as_unsafe_rather_than_safe() {
        let settings: Vec<_> = risks("", "").iter().map(|r| r.setting).collect();
        assert_eq!(settings, ["maxmemory_policy", "appendonly"]);
    }
}
