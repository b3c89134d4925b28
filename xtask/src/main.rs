//! `cargo xtask`: the project's developer commands, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask dev [--wasip3]`: the main job on a laptop: secrets for local use, wasm build,
//!   migrated embedded SQLite database (`.spin/sqlite_db.db`), then `spin up` serving it (the
//!   WASIp3 build with `--wasip3`, Spin >= 4.1).
//! - `cargo xtask test`: every test: checks the services, builds the wasm components, runs
//!   `cargo test` with the wasm checks required, then the Spin end-to-end tests again on the
//!   WASIp3 build (Spin >= 4.1).
//! - `cargo xtask spin-e2e`: the Spin end-to-end tests alone, of the build `HEXASPIN_SPIN_BUILD`
//!   names, on the `spin` on PATH.
//! - `cargo xtask build-wasm [--wasip2]`: builds every Spin component for `wasm32-wasip2`, twice
//!   (the WASIp2 build for spin.toml, the WASIp3 build for the generated spin.wasip3.toml; only the
//!   first with `--wasip2`, what deployments use), the admin page and the docs page's files (from
//!   npm, when Node is on PATH).
//! - `cargo xtask build-docs`: the `docs` component and its page's files (spin.toml's build
//!   command for it).
//! - `cargo xtask build-ui`: the admin page (`admin-ui/`, Vite + React, when Node is on PATH) and
//!   the `admin-ui` component that serves it.
//! - `cargo xtask fuzz [seconds]`: the cargo-fuzz targets in `fuzz/`, each for a bounded time;
//!   `cargo xtask test` runs them too (after the tests, only when no test filter was given).

mod admin_ui;
mod deploy_tools;
mod dev;
mod docs_ui;
mod flag_rule;
mod fuzz;
mod prerequisites;
mod python_tools;
mod services;
mod shell;
mod spin_tests;
mod wasip3;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("build-wasm") => match args.get(1).map(String::as_str) {
            None => build_wasm(Wasip3::Too),
            Some("--wasip2") => build_wasm(Wasip3::No),
            Some(other) => Err(format!(
                "build-wasm takes no argument but --wasip2, not {other:?}"
            )),
        },
        // spin.toml's and spin.wasip3.toml's build commands for these two: both builds.
        Some("build-docs") => {
            docs_ui::stage().and_then(|_| build_wasm_packages(&["hexaspin-docs".to_owned()], Wasip3::Too))
        }
        Some("build-ui") => admin_ui::build()
            .and_then(|()| build_wasm_packages(&["hexaspin-admin-ui".to_owned()], Wasip3::Too)),
        Some("spin-e2e") => spin_e2e(),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("wasm-packages") => components().map(|names| println!("{}", names.join(" "))),
        Some("wasip3-packages") => {
            components().map(|names| println!("{}", wasip3::packages(&names).join(" ")))
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <dev [--wasip3]|test|spin-e2e|build-wasm [--wasip2]|build-docs|build-ui|fuzz> [args for spin up | cargo test | fuzz seconds]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where spin.toml expects the components, relative to the workspace root.
pub const WASM_DIR: &str = "target/wasm32-wasip2/release";

/// Where the wasm crates are.
const WASM_FOLDERS: [&str; 4] = [
    "components",
    "services/users",
    "job-components",
    "bench/components",
];

/// Every wasm crate: the Spin components under `components/`, the job components under
/// `job-components/` and the HTTP benchmark's baseline under `bench/components/` (package names
/// read from their manifests).
pub fn components() -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for folder in WASM_FOLDERS {
        let entries = std::fs::read_dir(shell::root().join(folder)).map_err(|e| format!("{folder}/: {e}"))?;
        for entry in entries {
            let manifest = entry.map_err(|e| e.to_string())?.path().join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest) {
                let name = text
                    .lines()
                    .find_map(|line| line.strip_prefix("name = "))
                    .map(|n| n.trim().trim_matches('"').to_owned())
                    .ok_or_else(|| format!("{}: no package name", manifest.display()))?;
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Whether the Spin components' WASIp3 build is made too (it is only needed to run
/// spin.wasip3.toml: the tests, `dev --wasip3`; deployments run the WASIp2 build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wasip3 {
    Too,
    No,
}

/// Builds every component and makes sure it is where spin.toml looks for it, also when
/// `CARGO_TARGET_DIR` points elsewhere (as CI's cache does); stages the docs page's files.
fn build_wasm(wasip3: Wasip3) -> Result<(), String> {
    docs_ui::stage()?;
    admin_ui::build()?;
    build_wasm_packages(&components()?, wasip3)
}

/// Builds these wasm packages and stages them where spin.toml looks for them; with
/// [`Wasip3::Too`], those with a WASIp3 build are built that way too, for spin.wasip3.toml
/// ([`wasip3`]).
fn build_wasm_packages(names: &[String], with_wasip3: Wasip3) -> Result<(), String> {
    ensure_wasm_target()?;
    let mut args = vec!["build", "--target", "wasm32-wasip2", "--release"];
    for name in names {
        args.extend(["-p", name.as_str()]);
    }
    shell::cargo(&args, &[])?;
    stage(
        &shell::target_dir().join("wasm32-wasip2/release"),
        &shell::root().join(WASM_DIR),
        names,
    )?;
    match with_wasip3 {
        Wasip3::Too => wasip3::build(&wasip3::packages(names)),
        Wasip3::No => Ok(()),
    }
}

/// Copies the packages' `.wasm` files from `built` to `staged` (when those differ).
fn stage(built: &std::path::Path, staged: &std::path::Path, names: &[String]) -> Result<(), String> {
    if built == staged {
        return Ok(());
    }
    std::fs::create_dir_all(staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    for name in names {
        let file = format!("{}.wasm", name.replace('-', "_"));
        std::fs::copy(built.join(&file), staged.join(&file)).map_err(|e| format!("staging {file}: {e}"))?;
    }
    Ok(())
}

/// The folder of the workspace package `name` (under one of [`WASM_FOLDERS`]).
fn package_dir(name: &str) -> Option<std::path::PathBuf> {
    WASM_FOLDERS.iter().find_map(|folder| {
        let entries = std::fs::read_dir(shell::root().join(folder)).ok()?;
        entries.flatten().map(|entry| entry.path()).find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|line| line == format!("name = \"{name}\"")))
        })
    })
}

/// A fresh machine has only the host target; adding one that is present is a quick no-op.
fn ensure_wasm_target() -> Result<(), String> {
    let status = std::process::Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`rustup target add wasm32-wasip2` failed ({s})")),
        // Without rustup (a distro toolchain) the target may still be installed: let cargo decide.
        Err(_) => Ok(()),
    }
}

/// What every test run needs before cargo runs: the services and tools checked, the wasm
/// components built (both builds); returns the environment the tests get.
fn prepare_tests(run_unit_tests_of_the_page: bool) -> Result<Vec<(&'static str, String)>, String> {
    let caller: prerequisites::Caller<'_> = &prerequisites::environment;
    services::require_all()?;
    services::require_prometheus_parser()?;
    docs_ui::require_node()?;
    admin_ui::require_node()?;
    if prerequisites::required_in_a_full_run("HEXASPIN_REQUIRE_DEPLOY_TOOLS", caller) {
        deploy_tools::require()?;
    }
    prerequisites::require_machine_tools(caller)?;
    for flag in prerequisites::turned_off(caller) {
        println!("xtask: {flag} is off: the tests that need it print SKIPPED and pass");
    }
    let python_tools = python_tools::ensure()?;
    build_wasm(Wasip3::Too)?; // stages the docs page's files and builds the admin page too
    // The admin page's own unit tests (Vitest); its browser tests run with the Rust tests. Like
    // the fuzz targets, they belong to the full run, not to a filtered one (`test -p …`).
    if run_unit_tests_of_the_page {
        admin_ui::unit_tests()?;
    }
    // The Spin tests record in the report whether they ran (and on which Spin) or were skipped.
    let mut env = vec![
        (
            "HEXASPIN_WASM_DIR",
            shell::root().join(WASM_DIR).to_string_lossy().into_owned(),
        ),
        (
            "HEXASPIN_SPIN_REPORT",
            spin_tests::report_path().to_string_lossy().into_owned(),
        ),
        (
            "HEXASPIN_PYTHON_TOOLS",
            python_tools.to_string_lossy().into_owned(),
        ),
    ];
    env.extend(prerequisites::flags_for_a_full_run(caller));
    Ok(env)
}

fn test(extra: &[String]) -> Result<(), String> {
    let env = prepare_tests(extra.is_empty())?;
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _ = std::fs::remove_file(spin_tests::report_path());
    let mut args = vec!["test"];
    args.extend(extra.iter().map(String::as_str));
    let result = shell::cargo_test(&args, &env);
    match &result {
        Ok(totals) => println!(
            "total: {} passed, {} failed, {} ignored",
            totals.passed, totals.failed, totals.ignored
        ),
        Err(_) => println!("total: the test run failed (see above)"),
    }
    // The full run also runs the Spin end-to-end tests of the WASIp3 build (Spin >= 4.1).
    let wasip3 = if extra.is_empty() && result.is_ok() {
        spin_tests::run_wasip3_pass(&env)
    } else {
        Ok(())
    };
    // One closing line for the Spin tests too: how many ran, on which Spin, how many skipped.
    println!("{}", spin_tests::summary(&spin_tests::report_path()));
    result?;
    wasip3?;
    // The fuzz targets belong to the full run; a filtered run (`cargo xtask test -p …`) is for
    // one area and skips them.
    if extra.is_empty() {
        fuzz::run(&[])?;
    }
    Ok(())
}

/// `cargo xtask spin-e2e`: the Spin end-to-end tests alone, of the build `HEXASPIN_SPIN_BUILD`
/// names, on the `spin` on PATH (`.ci/run` runs them again on Spin 3.6.3 this way).
fn spin_e2e() -> Result<(), String> {
    let env = prepare_tests(false)?;
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _ = std::fs::remove_file(spin_tests::report_path());
    let result = spin_tests::run(&env);
    println!("{}", spin_tests::summary(&spin_tests::report_path()));
    result
}
