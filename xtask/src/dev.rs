//! `cargo xtask dev`: the whole app on a laptop, with no database or Redis running.
//!
//! 1. Makes local-only secrets once (`.spin/dev.env`, git-ignored): `jwt_secret`, `key_pepper`,
//!    `user_jwt_secret`.
//! 2. Builds the wasm components.
//! 3. Migrates the embedded SQLite database at `.spin/sqlite_db.db`, the file `spin up` serves.
//! 4. Starts the worker (`runtime-worker run --config worker.toml`) on the same database file.
//! 5. Prints an admin token and runs `spin up` with the secrets as `SPIN_VARIABLE_*` (on
//!    `spin.wasip3.toml` with `--wasip3`); when it exits, stops the worker.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::shell;

const DEV_ENV: &str = ".spin/dev.env";
const SECRETS: &[&str] = &["jwt_secret", "key_pepper", "user_jwt_secret"];

pub fn run(args: &[String]) -> Result<(), String> {
    // `--wasip3`: the WASIp3 build's manifest (Spin >= 4.1); the rest goes to `spin up`.
    let wasip3 = args.iter().any(|arg| arg == "--wasip3");
    let spin_args: Vec<&String> = args.iter().filter(|arg| *arg != "--wasip3").collect();
    let root = shell::root();
    let secrets = load_or_create_secrets(&root.join(DEV_ENV))?;
    crate::build_wasm(if wasip3 {
        crate::Wasip3::Too
    } else {
        crate::Wasip3::No
    })?;
    shell::cargo(&worker_cli(&["--store", "sqlite", "migrate", "up"]), &[])?;
    let jwt_secret = secrets.get("jwt_secret").map(String::as_str).unwrap_or_default();
    shell::cargo(
        &worker_cli(&[
            "admin-token",
            "--sub",
            "dev-admin",
            "--ttl",
            "86400",
            "--url",
            "http://127.0.0.1:3000",
        ]),
        &[("JWT_SECRET", jwt_secret)],
    )
    .map_err(|e| format!("could not mint a dev admin token: {e}"))?;
    println!(
        "xtask: ^ an admin token for 24 h and the admin page's sign-in link (mint more with: JWT_SECRET=… cargo run -p hexaspin-runtime-worker -- admin-token --sub you --url http://127.0.0.1:3000)"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut worker = Command::new(&cargo)
        .args(worker_cli(&["run", "--config", "worker.toml"]))
        .current_dir(&root)
        .spawn()
        .map_err(|e| format!("cannot start the worker: {e}"))?;
    println!("xtask: worker started (admin port http://127.0.0.1:9090/metrics)");
    println!("xtask: local secrets are in {DEV_ENV}; starting spin up on http://127.0.0.1:3000");
    let mut spin = Command::new("spin");
    spin.arg("up").current_dir(&root);
    if wasip3 {
        spin.args(["-f", "spin.wasip3.toml"]);
    }
    spin.args(spin_args);
    // A per-instance memory cap (Spin's --max-instance-memory), unless the caller chose one.
    if std::env::var_os("SPIN_MAX_INSTANCE_MEMORY").is_none() {
        spin.env("SPIN_MAX_INSTANCE_MEMORY", "67108864");
    }
    for (name, value) in &secrets {
        spin.env(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()), value);
    }
    let status = spin.status();
    // The worker's own SIGTERM handling matters in production; a dev loop can just stop it.
    let _ = worker.kill();
    let _ = worker.wait();
    let status = status.map_err(|e| {
        format!(
            "cannot run `spin` ({e}): install Spin >= 3.6 (>= 4.1 with --wasip3; https://spinframework.dev/install) and retry"
        )
    })?;
    if status.success() {
        Ok(())
    } else {
        let hint = if wasip3 {
            " (the WASIp3 build needs Spin >= 4.1)"
        } else {
            ""
        };
        Err(format!("spin up exited with {status}{hint}"))
    }
}

/// Reads `name=value` lines, adding a fresh 32-byte random hex secret for any that is missing.
fn load_or_create_secrets(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut secrets = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines() {
            if let Some((name, value)) = line.split_once('=') {
                secrets.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
    let mut changed = false;
    for name in SECRETS {
        if !secrets.contains_key(*name) {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
            secrets.insert(
                (*name).to_owned(),
                bytes.iter().map(|b| format!("{b:02x}")).collect(),
            );
            changed = true;
        }
    }
    if changed {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let text: String = secrets.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        restrict_permissions(path);
    }
    Ok(secrets)
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

/// The package of the `runtime-worker` binary (checked against its manifest by a test below).
const WORKER_PACKAGE: &str = "hexaspin-runtime-worker";

/// `cargo` arguments that run the `runtime-worker` binary with `args`.
fn worker_cli<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["run", "--quiet", "-p", WORKER_PACKAGE, "--"];
    all.extend_from_slice(args);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_package_named_here_is_the_one_in_the_workspace() {
        // A rename of the package once broke `cargo xtask dev` (the README's first command)
        // without any test noticing.
        let manifest = std::fs::read_to_string(crate::shell::root().join("runtime-worker/Cargo.toml"))
            .expect("runtime-worker/Cargo.toml");
        let name = manifest
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = "))
            .map(|n| n.trim_matches('"'));
        assert_eq!(name, Some(WORKER_PACKAGE));
    }
}
