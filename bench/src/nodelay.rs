//! The `LD_PRELOAD` shim that sets TCP_NODELAY on every connection Spin accepts
//! (`nodelay/nodelay.c`), compiled into the bench's scratch folder with `cc`.
//!
//! Spin's HTTP trigger does not set TCP_NODELAY on accepted connections. A WASIp3 response leaves
//! in more than one write (head, then the body from the component's stream), so with Nagle on, a
//! keep-alive client's next request waits for its delayed ACK of the first segment (~40 ms). The
//! shim measures what the one-line upstream change would give (docs/benchmarks.md).

use std::path::{Path, PathBuf};

use anyhow::Context;

const SOURCE: &str = include_str!("nodelay/nodelay.c");

/// Builds the shim in `scratch`; returns the path of the shared object.
pub fn build(scratch: &Path) -> anyhow::Result<PathBuf> {
    let source = scratch.join("nodelay.c");
    let object = scratch.join("nodelay.so");
    std::fs::write(&source, SOURCE)?;
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = std::process::Command::new(&compiler)
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&object)
        .arg(&source)
        .arg("-ldl")
        .status()
        .with_context(|| format!("running {compiler} to build the TCP_NODELAY shim"))?;
    anyhow::ensure!(
        status.success(),
        "{compiler} failed to build the TCP_NODELAY shim ({status})"
    );
    Ok(object)
}
