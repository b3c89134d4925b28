//! The admin page (`admin-ui/`, Vite + React + TypeScript from npm): built into `target/admin-ui`,
//! the folder spin.toml mounts into the `admin-ui` component, and unit-tested with Vitest.

use std::process::Command;

use crate::{docs_ui, shell};

/// Where the build goes (vite.config.ts `outDir`), relative to the workspace root.
pub const BUILT_DIR: &str = "target/admin-ui";

/// Builds the page when Node >= 20 is on PATH; without it, leaves an empty folder (so `spin up`
/// still starts and `/admin-ui` says how to build the page) and says so.
pub fn build() -> Result<(), String> {
    let built = shell::root().join(BUILT_DIR);
    std::fs::create_dir_all(&built).map_err(|e| format!("{}: {e}", built.display()))?;
    if let Err(why) = docs_ui::node_is_usable() {
        eprintln!("xtask: the /admin-ui page is not built: {why}");
        return Ok(());
    }
    npm(&["run", "build"])
}

/// Fails when Node cannot build the page: the browser tests need it.
pub fn require_node() -> Result<(), String> {
    docs_ui::node_is_usable()
        .map_err(|why| format!("the admin page and its tests need Node >= 20 and npm: {why}"))
}

/// The Vitest unit tests of the page's API client and session handling.
pub fn unit_tests() -> Result<(), String> {
    npm(&["test"])
}

/// Installs from the lock file when needed, then runs `npm <args>` in `admin-ui/`.
fn npm(args: &[&str]) -> Result<(), String> {
    let sources = shell::root().join("admin-ui");
    docs_ui::install(&sources)?;
    let status = Command::new("npm")
        .args(args)
        .current_dir(&sources)
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm {}` in admin-ui/ failed ({status})", args.join(" ")))
    }
}
