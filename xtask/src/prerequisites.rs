//! The `HEXASPIN_REQUIRE_*` flags a full run passes to the tests (tests/src/prerequisites.rs reads
//! them, by the same rule as [`flag_is_on`]), and the up-front checks of what those flags make
//! mandatory, so that a missing browser or server program fails before the long build, naming
//! the flag that would skip its tests on purpose.

use std::path::PathBuf;

/// What a full run requires: it builds the wasm components and installs the Python tools itself,
/// and checks the rest up front ([`require_machine_tools`], `deploy_tools::require`). Spin's flag
/// is `.ci/run`'s to set (with Spin on PATH), Docker's the caller's.
pub const REQUIRED_BY_A_FULL_RUN: [&str; 5] = [
    "HEXASPIN_REQUIRE_WASM",
    "HEXASPIN_REQUIRE_CHROMIUM",
    "HEXASPIN_REQUIRE_DEPLOY_TOOLS",
    "HEXASPIN_REQUIRE_PYTHON_TOOLS",
    "HEXASPIN_REQUIRE_SERVER_PROGRAMS",
];

pub use crate::flag_rule::flag_is_on;

/// The caller's environment, as the functions below read it (a parameter, for their tests).
pub type Caller<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's own environment.
pub fn environment(flag: &str) -> Option<String> {
    std::env::var(flag).ok()
}

/// Whether a full run requires `flag`'s prerequisite: yes unless the caller turned it off.
pub fn required_in_a_full_run(flag: &str, caller: Caller<'_>) -> bool {
    caller(flag).is_none_or(|value| flag_is_on(Some(&value)))
}

/// The flags a full run sets: each one the caller left unset, as `1`. A flag the caller set is
/// left as it is (`HEXASPIN_REQUIRE_CHROMIUM=0` skips the browser tests on purpose).
pub fn flags_for_a_full_run(caller: Caller<'_>) -> Vec<(&'static str, String)> {
    REQUIRED_BY_A_FULL_RUN
        .into_iter()
        .filter(|flag| caller(flag).is_none())
        .map(|flag| (flag, "1".to_owned()))
        .collect()
}

/// The flags the caller turned off: their tests may print SKIPPED, which a passing `cargo test`
/// does not show, so the run says so up front.
pub fn turned_off(caller: Caller<'_>) -> Vec<&'static str> {
    REQUIRED_BY_A_FULL_RUN
        .into_iter()
        .filter(|flag| !required_in_a_full_run(flag, caller))
        .collect()
}

/// Chromium and the server programs (`redis-server`, PostgreSQL's `initdb` and `pg_ctl`), when
/// the run requires them: a failure naming every missing one, how to install it and the flag that
/// skips its tests instead.
pub fn require_machine_tools(caller: Caller<'_>) -> Result<(), String> {
    let mut missing = Vec::new();
    if required_in_a_full_run("HEXASPIN_REQUIRE_CHROMIUM", caller)
        && !["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .any(on_path)
    {
        missing.push(
            "Chromium (for /docs and the admin page; Debian: apt-get install chromium), \
             or HEXASPIN_REQUIRE_CHROMIUM=0 to skip those tests",
        );
    }
    if required_in_a_full_run("HEXASPIN_REQUIRE_SERVER_PROGRAMS", caller) {
        if !on_path("redis-server") {
            missing.push(
                "`redis-server` (Debian: apt-get install redis-server), or \
                 HEXASPIN_REQUIRE_SERVER_PROGRAMS=0 to skip the TLS and durability tests",
            );
        }
        if postgres_server_programs().is_none() {
            missing.push(
                "PostgreSQL's `initdb` and `pg_ctl` (Debian: apt-get install postgresql), or \
                 HEXASPIN_REQUIRE_SERVER_PROGRAMS=0 to skip the TLS tests",
            );
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the tests need:\n{}", missing.join("\n")))
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

/// Where `initdb` and `pg_ctl` are, found as the tests find them (`pg_config --bindir`, else
/// Debian's /usr/lib/postgresql/<version>/bin).
fn postgres_server_programs() -> Option<PathBuf> {
    let from_pg_config = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin"));
    from_pg_config
        .into_iter()
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller_with(set: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |flag| {
            set.iter()
                .find(|(name, _)| *name == flag)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn a_full_run_requires_every_prerequisite_it_prepared_unless_the_caller_said_otherwise() {
        let nothing_set = caller_with(&[]);
        let all = flags_for_a_full_run(&nothing_set);
        assert_eq!(all.len(), REQUIRED_BY_A_FULL_RUN.len());
        assert!(all.iter().all(|(_, value)| value == "1"));
        assert!(turned_off(&nothing_set).is_empty());

        let without_chromium = caller_with(&[("HEXASPIN_REQUIRE_CHROMIUM", "0")]);
        let flags: Vec<_> = flags_for_a_full_run(&without_chromium)
            .into_iter()
            .map(|(flag, _)| flag)
            .collect();
        assert!(
            !flags.contains(&"HEXASPIN_REQUIRE_CHROMIUM"),
            "left as the caller set it"
        );
        assert!(flags.contains(&"HEXASPIN_REQUIRE_WASM"));
        assert_eq!(turned_off(&without_chromium), vec!["HEXASPIN_REQUIRE_CHROMIUM"]);
        assert!(!required_in_a_full_run(
            "HEXASPIN_REQUIRE_CHROMIUM",
            &without_chromium
        ));

        let said_yes = caller_with(&[("HEXASPIN_REQUIRE_CHROMIUM", "1")]);
        assert!(required_in_a_full_run("HEXASPIN_REQUIRE_CHROMIUM", &said_yes));
        assert!(turned_off(&said_yes).is_empty());
    }

    #[test]
    fn nothing_is_checked_for_prerequisites_the_caller_turned_off() {
        let everything_off = caller_with(&[
            ("HEXASPIN_REQUIRE_CHROMIUM", "0"),
            ("HEXASPIN_REQUIRE_SERVER_PROGRAMS", ""),
        ]);
        assert_eq!(require_machine_tools(&everything_off), Ok(()));
    }
}
