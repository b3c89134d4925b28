//! What the sandbox runs and within which limits.

use std::path::PathBuf;
use std::time::Duration;

/// One job kind: its component and its limits.
#[derive(Debug, Clone)]
pub struct KindConfig {
    /// The kind name jobs are dispatched with.
    pub name: String,
    /// The component file (`.wasm`, built for wasm32-wasip2).
    pub component: PathBuf,
    /// The longest an attempt may run, whatever the job asks for.
    pub max_timeout: Duration,
    /// Linear memory cap per instance, in bytes.
    pub memory_bytes: usize,
    /// Origins the kind may call over HTTP (`https://host`, `http://host:port`; a bare `host`
    /// means `https://host:443`); empty: none. See [`crate::allow_list`].
    pub allowed_hosts: Vec<String>,
    /// Lets listed host names resolve to loopback, private or link-local addresses.
    pub allow_private_networks: bool,
}

/// The sandbox as a whole.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Instances that may exist at once (pool slots and admission permits).
    pub max_instances: u32,
    /// The largest memory cap of any kind; sizes the pool's memory slots.
    pub max_memory_bytes: usize,
    /// How often the epoch advances; deadlines are rounded up to it.
    pub epoch_tick: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            max_instances: 64,
            max_memory_bytes: 64 << 20,
            epoch_tick: Duration::from_millis(5),
        }
    }
}
