//! The docs page's Swagger UI files: installed from npm (`docs-ui/package-lock.json`) and staged
//! in `target/docs-ui`, the folder spin.toml mounts into the `docs` component.

use std::path::Path;
use std::process::Command;

use crate::shell;

/// The files the page loads, as `swagger-ui-dist` names them (the component serves only these).
const FILES: [&str; 2] = ["swagger-ui-bundle.js", "swagger-ui.css"];
/// Where spin.toml mounts them from, relative to the workspace root.
pub const STAGED_DIR: &str = "target/docs-ui";

/// Stages the files when Node >= 20 is on PATH; without it, leaves an empty folder (so `spin up`
/// still starts and `/docs` says how to build the page) and says so. `Ok(false)` when not staged.
pub fn stage() -> Result<bool, String> {
    let staged = shell::root().join(STAGED_DIR);
    std::fs::create_dir_all(&staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    if let Err(why) = node_is_usable() {
        eprintln!("xtask: the /docs page is not built: {why}");
        return Ok(false);
    }
    let sources = shell::root().join("docs-ui");
    install(&sources)?;
    for file in FILES {
        let from = sources.join("node_modules/swagger-ui-dist").join(file);
        std::fs::copy(&from, staged.join(file)).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    Ok(true)
}

/// Fails when Node cannot stage the files: the tests render the page, so [`stage`] must not
/// fall back to the "not built" page there.
pub fn require_node() -> Result<(), String> {
    node_is_usable().map_err(|why| format!("the docs page tests need Node >= 20 and npm: {why}"))
}

/// `npm ci` when `node_modules` is missing or older than the lock file.
pub(crate) fn install(sources: &Path) -> Result<(), String> {
    let lock = sources.join("package-lock.json");
    let installed = sources.join("node_modules/.package-lock.json");
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if let (Some(installed), Some(lock)) = (modified(&installed), modified(&lock))
        && installed >= lock
    {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(sources)
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm ci` in {} failed ({status})", sources.display()))
    }
}

pub(crate) fn node_is_usable() -> Result<(), String> {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|_| "`node` is not on PATH".to_owned())?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!("Node {version} is older than 20"));
    }
    Command::new("npm")
        .arg("--version")
        .output()
        .map(drop)
        .map_err(|_| "`npm` is not on PATH".to_owned())
}
