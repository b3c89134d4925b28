//! The Spin end-to-end tests: which they are, their WASIp3 pass, and the closing line about them
//! from the report they write (`HEXASPIN_SPIN_REPORT`: one `<ran|skipped>\t<test>\t<detail>` line
//! per Spin start or skip).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::shell;

/// The test targets that run the app under `spin up`, by package.
const TARGETS: [(&str, &[&str]); 2] = [
    (
        "hexaspin-tests",
        &[
            "spin_harness",
            "spin_logs",
            "spin_quota_clock",
            "spin_request_bodies",
            "spin_users",
            "spin_tls_stores",
            "spin_instance_reuse",
            "openapi_conformance",
        ],
    ),
    (
        "hexaspin-runtime-worker",
        &["spin_deployments", "spin_faults", "admin_ui_browser"],
    ),
];

/// Where the Spin tests report.
pub fn report_path() -> PathBuf {
    shell::target_dir().join("spin-tests.tsv")
}

/// Runs [`TARGETS`] with `env` added; schemathesis gets 30 s per run (the full run gave the API
/// its 75 s; these runs are about the build and the Spin under it).
pub fn run(env: &[(&str, &str)]) -> Result<(), String> {
    let mut env = env.to_vec();
    if std::env::var_os("HEXASPIN_SCHEMATHESIS_SECONDS").is_none() {
        env.push(("HEXASPIN_SCHEMATHESIS_SECONDS", "30"));
    }
    for (package, targets) in TARGETS {
        let mut args = vec!["test", "-p", package];
        for target in targets {
            args.extend(["--test", target]);
        }
        shell::cargo_test(&args, &env)?;
    }
    Ok(())
}

/// The Spin end-to-end tests of the WASIp3 build, when the `spin` on PATH runs it (>= 4.1).
/// Without such a Spin: SKIPPED with the reason, a failure under `HEXASPIN_REQUIRE_SPIN=1`
/// unless `HEXASPIN_SKIP_WASIP3` gives the reason it cannot run there.
pub fn run_wasip3_pass(env: &[(&str, &str)]) -> Result<(), String> {
    let version = spin_version();
    if version.as_deref().is_some_and(runs_wasip3) {
        println!("== the Spin end-to-end tests again, on the WASIp3 build (spin.wasip3.toml)");
        let mut env = env.to_vec();
        env.push(("HEXASPIN_SPIN_BUILD", "wasip3"));
        return run(&env);
    }
    let found = version.unwrap_or_else(|| "no `spin` on PATH".to_owned());
    if let Ok(reason) = std::env::var("HEXASPIN_SKIP_WASIP3") {
        println!("SKIPPED the WASIp3 build's Spin tests ({found}): {reason}");
        return Ok(());
    }
    let why = format!("the WASIp3 build's Spin tests need Spin >= 4.1 on PATH; found {found}");
    if crate::prerequisites::flag_is_on(std::env::var("HEXASPIN_REQUIRE_SPIN").ok().as_deref()) {
        return Err(format!(
            "{why} (HEXASPIN_REQUIRE_SPIN is set; HEXASPIN_SKIP_WASIP3=<reason> skips this pass)"
        ));
    }
    println!("SKIPPED: {why}");
    Ok(())
}

fn spin_version() -> Option<String> {
    let output = std::process::Command::new("spin")
        .arg("--version")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Whether `spin --version`'s answer names a Spin that runs WASIp3 components (>= 4.1).
fn runs_wasip3(version: &str) -> bool {
    let Some(number) = version.strip_prefix("spin ") else {
        return false;
    };
    let mut parts = number.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (4, 1)
}

/// E.g. `spin tests: 8 ran on spin 4.1.0-pre0 (94a8fc8 2026-08-20), 0 skipped`, or the reasons
/// they were skipped.
pub fn summary(report: &Path) -> String {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    summarise(&text)
}

fn summarise(text: &str) -> String {
    let mut ran = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    let mut versions = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(outcome), Some(test), Some(detail)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        match outcome {
            "ran" => {
                ran.insert(test);
                // "spin 4.1.0 (…) (postgres+redis)": the version is all but the deployment.
                let version = detail.rsplit_once(" (").map_or(detail, |(version, _)| version);
                versions.insert(version);
            }
            _ => {
                skipped.insert(test);
                reasons.insert(detail);
            }
        }
    }
    let versions = if versions.is_empty() {
        "no Spin".to_owned()
    } else {
        versions.into_iter().collect::<Vec<_>>().join(", ")
    };
    let mut line = format!(
        "spin tests: {} ran on {versions}, {} SKIPPED",
        ran.len(),
        skipped.len()
    );
    for reason in reasons {
        line.push_str(&format!("\n  SKIPPED because {reason}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_4_1_and_later_run_the_wasip3_build_and_earlier_ones_do_not() {
        for version in [
            "spin 4.1.0-pre0 (94a8fc8 2026-08-21)",
            "spin 4.10.0",
            "spin 5.0.0",
            "spin 10.1.0",
        ] {
            assert!(runs_wasip3(version), "{version}");
        }
        for version in [
            "spin 3.6.3 (88d51cf 2026-04-09)",
            "spin 4.0.2",
            "spin 4",
            "no spin",
        ] {
            assert!(!runs_wasip3(version), "{version}");
        }
    }

    #[test]
    fn tests_that_started_spin_several_times_count_once_and_versions_are_named() {
        let report = "ran\ta::one\tspin 4.1.0 (abc 2026-08-20) (sqlite+sqlite)\n\
                      ran\ta::one\tspin 4.1.0 (abc 2026-08-20) (postgres+redis)\n\
                      ran\tb::two\tspin 4.1.0 (abc 2026-08-20) (postgres+redis)\n";
        assert_eq!(
            summarise(report),
            "spin tests: 2 ran on spin 4.1.0 (abc 2026-08-20), 0 SKIPPED"
        );
    }

    #[test]
    fn skipped_tests_are_counted_with_their_reasons() {
        let report = "skipped\ta::one\t`spin` is not on PATH\nskipped\tb::two\t`spin` is not on PATH\n";
        assert_eq!(
            summarise(report),
            "spin tests: 0 ran on no Spin, 2 SKIPPED\n  SKIPPED because `spin` is not on PATH"
        );
    }
}
