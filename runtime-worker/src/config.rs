//! The worker's configuration: a TOML file (`--config`), validated at start-up.
//!
//! ```toml
//! [worker]
//! concurrency = 16            # attempts in flight, and wasm instances in the pool
//! admin_listen = "127.0.0.1:9090"
//!
//! [kinds.echo]
//! component = "target/wasm32-wasip2/release/hexaspin_echo.wasm"   # relative to this file
//! timeout_ms = 30000          # the most any attempt of this kind may run
//! memory_mb = 64
//! allowed_hosts = []          # outbound HTTP origins: "https://host", "http://host:port" (bare host: https:443)
//! allow_private_networks = false  # may listed names resolve to loopback/private/link-local addresses?
//! max_output_bytes = 65536    # a larger output fails the attempt (no retry)
//! max_error_bytes = 4096      # longer error messages are cut
//! max_log_lines = 100         # log lines per attempt; the rest are dropped and counted
//! max_host_resources = 256    # wasi:http fields/bodies/streams an instance may hold on the host at once
//! max_header_bytes = 16384    # bytes one set of header fields may hold on the host
//! max_body_chunk_bytes = 16384  # bytes per chunk of an unsent outgoing body, two chunks at most: call handle before writing more
//! concurrency = 8             # attempts of this kind in flight (default: the worker's)
//! max_attempts = 5            # cap on attempts, whatever a job asked for (default: no cap)
//!
//! [[periodic]]
//! name = "heartbeat"
//! cron = "0 */5 * * * *"      # sec min hour day month weekday (UTC)
//! kind = "echo"
//! payload = { ping = true }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use hexaspin_core::job::{JobKind, Priority};
use hexaspin_core::retry::Backoff;
use hexaspin_job_host::{HostBounds, KindConfig, OutputBounds, SandboxConfig};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    worker: WorkerSection,
    #[serde(default)]
    backoff: BackoffSection,
    #[serde(default)]
    kinds: BTreeMap<String, KindSection>,
    #[serde(default)]
    periodic: Vec<PeriodicSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WorkerSection {
    id: Option<String>,
    concurrency: u32,
    poll_interval_ms: u64,
    lease_grace_ms: u64,
    shutdown_grace_ms: u64,
    admin_listen: String,
    job_retention_hours: u64,
    promote_interval_ms: u64,
    rescue_interval_ms: u64,
    clean_interval_ms: u64,
    heartbeat_interval_ms: u64,
    cancel_check_ms: u64,
}

impl Default for WorkerSection {
    fn default() -> Self {
        Self {
            id: None,
            concurrency: 16,
            poll_interval_ms: 200,
            lease_grace_ms: 10_000,
            shutdown_grace_ms: 30_000,
            admin_listen: "127.0.0.1:9090".into(),
            job_retention_hours: 24 * 7,
            promote_interval_ms: 1_000,
            rescue_interval_ms: 5_000,
            clean_interval_ms: 60_000,
            heartbeat_interval_ms: 5_000,
            cancel_check_ms: 1_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BackoffSection {
    base_ms: u64,
    max_ms: u64,
}

impl Default for BackoffSection {
    fn default() -> Self {
        let policy = Backoff::default();
        Self {
            base_ms: policy.base_ms,
            max_ms: policy.max_ms,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindSection {
    component: PathBuf,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
    #[serde(default = "default_memory_mb")]
    memory_mb: usize,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    allow_private_networks: bool,
    #[serde(default)]
    max_output_bytes: Option<usize>,
    #[serde(default)]
    max_error_bytes: Option<usize>,
    #[serde(default)]
    max_log_lines: Option<u32>,
    #[serde(default)]
    max_host_resources: Option<usize>,
    #[serde(default)]
    max_header_bytes: Option<usize>,
    #[serde(default)]
    max_body_chunk_bytes: Option<usize>,
    #[serde(default)]
    concurrency: Option<u32>,
    #[serde(default)]
    max_attempts: Option<u32>,
}

fn default_timeout_ms() -> u64 {
    30_000
}

fn default_memory_mb() -> usize {
    64
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodicSection {
    name: String,
    cron: String,
    kind: String,
    #[serde(default)]
    payload: serde_json::Value,
    #[serde(default)]
    priority: Option<i64>,
}

/// One kind, as the worker runs it.
#[derive(Debug, Clone)]
pub struct KindSettings {
    /// What the sandbox loads.
    pub sandbox: KindConfig,
    /// Attempts of this kind in flight.
    pub concurrency: u32,
    /// Cap on attempts, whatever a job asked for at dispatch.
    pub max_attempts: Option<u32>,
}

/// A job the worker enqueues on a schedule.
#[derive(Debug, Clone)]
pub struct Periodic {
    /// Unique name; part of the idempotency key that makes each tick enqueue once.
    pub name: String,
    pub schedule: cron::Schedule,
    pub kind: JobKind,
    /// With which payload (JSON text).
    pub payload: String,
    /// At which priority.
    pub priority: Priority,
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This worker's name in leases and logs.
    pub id: String,
    /// Attempts in flight.
    pub concurrency: u32,
    /// Sleep when the queue was empty.
    pub poll_interval: Duration,
    /// Lease beyond an attempt's timeout before the rescuer takes the job back.
    pub lease_grace: Duration,
    /// How long running attempts may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `/healthz`, `/readyz`, `/metrics`.
    pub admin_listen: String,
    /// How long finished jobs are kept.
    pub job_retention: Duration,
    pub promote_interval: Duration,
    pub rescue_interval: Duration,
    pub clean_interval: Duration,
    /// How often the worker records that it is alive (shown by the `metrics` component).
    pub heartbeat_interval: Duration,
    /// How often a running job's cancellation flag is read.
    pub cancel_check: Duration,
    pub backoff: Backoff,
    /// Kinds by name.
    pub kinds: BTreeMap<String, KindSettings>,
    pub periodic: Vec<Periodic>,
}

impl WorkerConfig {
    /// Reads and validates `path`; relative component paths are relative to its folder.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).with_context(|| format!("invalid worker configuration {}", path.display()))
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text)?;
        let w = file.worker;
        if w.concurrency == 0 || w.concurrency > 10_000 {
            bail!("worker.concurrency must be from 1 to 10000");
        }
        if file.kinds.is_empty() {
            bail!("configure at least one job kind under [kinds.<name>]");
        }
        let mut kinds = BTreeMap::new();
        for (name, kind) in file.kinds {
            JobKind::parse(&name).map_err(|e| anyhow::anyhow!("kinds.{name}: {e}"))?;
            if !(1..=4096).contains(&kind.memory_mb) {
                bail!("kinds.{name}.memory_mb must be from 1 to 4096");
            }
            if !(100..=900_000).contains(&kind.timeout_ms) {
                bail!("kinds.{name}.timeout_ms must be from 100 to 900000");
            }
            let component = if kind.component.is_absolute() {
                kind.component
            } else {
                base.join(kind.component)
            };
            let sandbox = KindConfig {
                name: name.clone(),
                component,
                max_timeout: Duration::from_millis(kind.timeout_ms),
                memory_bytes: kind.memory_mb << 20,
                allowed_hosts: kind.allowed_hosts,
                allow_private_networks: kind.allow_private_networks,
                bounds: {
                    let default = OutputBounds::default();
                    OutputBounds {
                        max_output_bytes: kind.max_output_bytes.unwrap_or(default.max_output_bytes),
                        max_error_bytes: kind.max_error_bytes.unwrap_or(default.max_error_bytes).max(64),
                        max_log_lines: kind.max_log_lines.unwrap_or(default.max_log_lines),
                    }
                },
                host: {
                    let default = HostBounds::default();
                    HostBounds {
                        // Even the smallest job needs a few (its streams, its request's fields).
                        max_resources: kind.max_host_resources.unwrap_or(default.max_resources).max(16),
                        max_header_bytes: kind.max_header_bytes.unwrap_or(default.max_header_bytes),
                        // Writes smaller than this still work; 1 KiB keeps a write call useful.
                        max_body_chunk_bytes: kind
                            .max_body_chunk_bytes
                            .unwrap_or(default.max_body_chunk_bytes)
                            .max(1024),
                    }
                },
            };
            // Checked here too, so `migrate`/`smoke` users see a bad entry before the worker runs.
            hexaspin_job_host::allow_list::AllowList::parse(
                &sandbox.allowed_hosts,
                sandbox.allow_private_networks,
            )
            .map_err(|e| anyhow::anyhow!("kinds.{name}: {e}"))?;
            let concurrency = kind.concurrency.unwrap_or(w.concurrency).clamp(1, w.concurrency);
            if kind.max_attempts == Some(0) {
                bail!("kinds.{name}.max_attempts must be positive");
            }
            kinds.insert(
                name,
                KindSettings {
                    sandbox,
                    concurrency,
                    max_attempts: kind.max_attempts,
                },
            );
        }
        let mut periodic = Vec::new();
        for entry in file.periodic {
            let schedule = cron::Schedule::from_str(&entry.cron)
                .map_err(|e| anyhow::anyhow!("periodic {}: cron {:?}: {e}", entry.name, entry.cron))?;
            if !kinds.contains_key(&entry.kind) {
                bail!("periodic {}: kind {} is not configured", entry.name, entry.kind);
            }
            periodic.push(Periodic {
                kind: JobKind::parse(&entry.kind)
                    .map_err(|e| anyhow::anyhow!("periodic {}: {e}", entry.name))?,
                payload: entry.payload.to_string(),
                priority: entry.priority.map(Priority::new).transpose()?.unwrap_or_default(),
                name: entry.name,
                schedule,
            });
        }
        let id = w.id.unwrap_or_else(default_worker_id);
        Ok(Self {
            id,
            concurrency: w.concurrency,
            poll_interval: Duration::from_millis(w.poll_interval_ms.max(1)),
            lease_grace: Duration::from_millis(w.lease_grace_ms),
            shutdown_grace: Duration::from_millis(w.shutdown_grace_ms),
            admin_listen: w.admin_listen,
            job_retention: Duration::from_secs(w.job_retention_hours * 3600),
            promote_interval: Duration::from_millis(w.promote_interval_ms.max(10)),
            rescue_interval: Duration::from_millis(w.rescue_interval_ms.max(10)),
            clean_interval: Duration::from_millis(w.clean_interval_ms.max(10)),
            heartbeat_interval: Duration::from_millis(w.heartbeat_interval_ms.max(10)),
            cancel_check: Duration::from_millis(w.cancel_check_ms.max(10)),
            backoff: Backoff {
                base_ms: file.backoff.base_ms.max(1),
                max_ms: file.backoff.max_ms.max(file.backoff.base_ms.max(1)),
            },
            kinds,
            periodic,
        })
    }

    /// The sandbox's pool, sized to the concurrency and the largest memory cap.
    pub fn sandbox_config(&self) -> SandboxConfig {
        let max_memory_bytes = self
            .kinds
            .values()
            .map(|k| k.sandbox.memory_bytes)
            .max()
            .unwrap_or(64 << 20);
        SandboxConfig {
            max_instances: self.concurrency,
            max_memory_bytes,
            ..SandboxConfig::default()
        }
    }
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".into());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_file_gets_defaults_and_resolves_paths() {
        let config = WorkerConfig::parse(
            "[kinds.echo]\ncomponent = \"echo.wasm\"\n",
            Path::new("/etc/hexaspin"),
        )
        .unwrap();
        let echo = &config.kinds["echo"];
        assert_eq!(echo.sandbox.component, PathBuf::from("/etc/hexaspin/echo.wasm"));
        assert_eq!((echo.concurrency, config.concurrency), (16, 16));
        assert_eq!(echo.sandbox.memory_bytes, 64 << 20);
    }

    #[test]
    fn the_shipped_development_configuration_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../worker.toml");
        let config = WorkerConfig::load(&path).unwrap();
        assert!(config.kinds.contains_key("echo") && config.kinds.contains_key("webhook"));
        assert_eq!(
            config.kinds["webhook"].sandbox.allowed_hosts,
            ["http://127.0.0.1:8080"]
        );
    }

    #[test]
    fn the_kubernetes_configuration_is_valid_and_names_exactly_the_components_the_image_bakes_in() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/base/worker/worker.toml");
        let config = WorkerConfig::load(&path).unwrap();
        assert_eq!(
            config.admin_listen, "0.0.0.0:9090",
            "probes and Prometheus reach it"
        );
        let dockerfile = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/worker.Dockerfile"),
        )
        .unwrap();
        let mut named = std::collections::BTreeSet::new();
        for kind in config.kinds.values() {
            let component = &kind.sandbox.component;
            assert!(component.starts_with("/components"), "{}", component.display());
            named.insert(component.file_name().unwrap().to_string_lossy().into_owned());
        }
        let baked: std::collections::BTreeSet<String> = dockerfile
            .split(|c: char| c.is_whitespace() || c == '/')
            .filter(|word| word.starts_with("hexaspin_") && word.ends_with(".wasm"))
            .map(str::to_owned)
            .collect();
        assert_eq!(
            baked, named,
            "the production image carries the kinds production runs, and nothing else (no test components)"
        );
        assert!(
            !dockerfile.contains("chaos"),
            "the chaos test component stays out of the image"
        );
    }

    #[test]
    fn mistakes_are_reported_by_name() {
        let cases = [
            ("", "at least one job kind"),
            ("[kinds.Echo]\ncomponent = \"e.wasm\"\n", "kinds.Echo"),
            (
                "[kinds.echo]\ncomponent = \"e.wasm\"\nmemory_mb = 0\n",
                "memory_mb",
            ),
            (
                "[kinds.echo]\ncomponent = \"e.wasm\"\ncolour = 1\n",
                "unknown field",
            ),
            (
                "[kinds.echo]\ncomponent = \"e.wasm\"\n[[periodic]]\nname = \"p\"\ncron = \"every day\"\nkind = \"echo\"\n",
                "cron",
            ),
            (
                "[kinds.echo]\ncomponent = \"e.wasm\"\n[[periodic]]\nname = \"p\"\ncron = \"0 * * * * *\"\nkind = \"resize\"\n",
                "not configured",
            ),
        ];
        for (text, expected) in cases {
            let error = format!("{:#}", WorkerConfig::parse(text, Path::new(".")).unwrap_err());
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
