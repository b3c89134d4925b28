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
    /// What an attempt may keep: output, error message and log lines.
    pub bounds: OutputBounds,
    /// What an attempt may make the host hold for it outside its linear memory.
    pub host: HostBounds,
}

/// Host memory an instance can make the worker hold outside its own linear memory (which the
/// memory cap bounds): every `wasi:http` fields, request, response, body and stream is an entry in
/// the instance's resource table; each fields resource holds header bytes on the host, and each
/// outgoing body buffers what the job wrote to it until it is sent (one chunk waiting, one being
/// written). So the host side of one instance is bounded by about `max_resources ×
/// max(max_header_bytes, max_body_chunk_bytes)`; an instance that wants more resources fails its
/// attempt (no retry) with a message saying so, and a body write waits until its chunk is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostBounds {
    /// Host resources the instance may hold at once.
    pub max_resources: usize,
    /// Bytes one set of header fields may hold (wasmtime's in-memory measure, a little above the
    /// bytes on the wire).
    pub max_header_bytes: usize,
    /// Bytes one write to an outgoing request body may carry (wasmtime buffers one such chunk
    /// per body).
    pub max_body_chunk_bytes: usize,
}

impl Default for HostBounds {
    fn default() -> Self {
        Self {
            max_resources: 256,
            max_header_bytes: 16 * 1024,
            max_body_chunk_bytes: 16 * 1024,
        }
    }
}

/// The most an attempt may hand back to the worker: a job cannot fill the store or the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputBounds {
    /// Largest output (bytes of JSON); a larger one fails the attempt without retry.
    pub max_output_bytes: usize,
    /// Longest error message kept (bytes); longer ones are cut, marked `… (truncated)`.
    pub max_error_bytes: usize,
    /// Log lines one attempt may write; later ones are dropped and counted.
    pub max_log_lines: u32,
}

impl Default for OutputBounds {
    fn default() -> Self {
        Self {
            max_output_bytes: 64 * 1024,
            max_error_bytes: 4 * 1024,
            max_log_lines: 100,
        }
    }
}

/// `message` cut to at most `max` bytes at a character boundary, marked when cut.
pub fn bounded_message(message: String, max: usize) -> String {
    const MARK: &str = "… (truncated)";
    if message.len() <= max {
        return message;
    }
    let mut end = max.saturating_sub(MARK.len());
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &message[..end])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary_and_marked() {
        let cut = bounded_message("é".repeat(100), 51);
        assert!(cut.len() <= 51, "{}", cut.len());
        assert!(cut.ends_with("… (truncated)"));
        assert_eq!(bounded_message("short".into(), 51), "short");
    }
}
