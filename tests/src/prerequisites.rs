//! What a test needs from the machine beyond PostgreSQL and Redis (which are never optional), and
//! what happens when it is missing.
//!
//! Each prerequisite has one flag, `HEXASPIN_REQUIRE_<NAME>`, and every flag is read the same way:
//! set to anything but an empty string or `0`, the prerequisite is required. A test that finds a
//! prerequisite missing calls [`Prerequisite::missing`]: under the flag that is a failure naming
//! the flag; without it the test prints `SKIPPED: <reason>` and returns, so a bare `cargo test` on
//! a laptop without Chromium still runs everything else. `cargo xtask test` sets every flag but
//! [`Prerequisite::Spin`]'s and [`Prerequisite::Docker`]'s (it builds the components and installs
//! the Python tools itself, and checks the other tools before its build, xtask/src/prerequisites.rs);
//! `.ci/run` adds the Spin flag whenever `spin` is on PATH. A flag already set in the environment
//! is left as it is, so `HEXASPIN_REQUIRE_CHROMIUM=0 cargo xtask test` skips the browser tests on
//! purpose (and says so before it starts; `.ci/run` refuses a flag turned off).

use std::fmt::Display;

/// One thing a group of tests needs from the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prerequisite {
    /// The wasm components of both builds (`cargo xtask build-wasm`).
    Wasm,
    /// A `spin` that can run the app (3.6 or newer; 4.1 for the WASIp3 build).
    Spin,
    /// Chromium (or Chrome), for the `/docs` page's and the admin page's browser tests.
    Chromium,
    /// `kubectl`, `promtool`, `amtool` and `shellcheck`, for the deployment tests.
    DeployTools,
    /// The virtualenv with schemathesis, kubernetes-validate and yamllint (`HEXASPIN_PYTHON_TOOLS`).
    PythonTools,
    /// `redis-server` and PostgreSQL's server programs, for the tests that start their own servers
    /// (TLS, Redis durability).
    ServerPrograms,
    /// A Docker engine, for building the worker's image.
    Docker,
}

impl Prerequisite {
    /// Every prerequisite, in the order the README lists their flags.
    pub const ALL: [Prerequisite; 7] = [
        Prerequisite::Wasm,
        Prerequisite::Spin,
        Prerequisite::Chromium,
        Prerequisite::DeployTools,
        Prerequisite::PythonTools,
        Prerequisite::ServerPrograms,
        Prerequisite::Docker,
    ];

    /// The environment variable that makes this prerequisite required.
    pub fn flag(self) -> &'static str {
        match self {
            Prerequisite::Wasm => "HEXASPIN_REQUIRE_WASM",
            Prerequisite::Spin => "HEXASPIN_REQUIRE_SPIN",
            Prerequisite::Chromium => "HEXASPIN_REQUIRE_CHROMIUM",
            Prerequisite::DeployTools => "HEXASPIN_REQUIRE_DEPLOY_TOOLS",
            Prerequisite::PythonTools => "HEXASPIN_REQUIRE_PYTHON_TOOLS",
            Prerequisite::ServerPrograms => "HEXASPIN_REQUIRE_SERVER_PROGRAMS",
            Prerequisite::Docker => "HEXASPIN_REQUIRE_DOCKER",
        }
    }

    /// Whether a missing prerequisite fails the test (its flag is on).
    pub fn is_required(self) -> bool {
        flag_is_on(std::env::var(self.flag()).ok().as_deref())
    }

    /// Says the calling test cannot run because this prerequisite is missing (`why` says what is
    /// missing and how to get it): a failure when the prerequisite is required, otherwise
    /// `SKIPPED: <why>` on stdout, after which the test returns.
    #[track_caller]
    pub fn missing(self, why: impl Display) {
        assert!(
            !self.is_required(),
            "{why} ({} is set, so this test must run)",
            self.flag()
        );
        println!("SKIPPED: {why}");
    }
}

// The rule xtask sets the flags by, compiled here from its one file.
#[path = "../../xtask/src/flag_rule.rs"]
mod flag_rule;
use flag_rule::flag_is_on;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prerequisite_has_a_flag_of_its_own() {
        let mut flags: Vec<&str> = Prerequisite::ALL.iter().map(|p| p.flag()).collect();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), Prerequisite::ALL.len());
        assert!(flags.iter().all(|flag| flag.starts_with("HEXASPIN_REQUIRE_")));
    }

    #[test]
    fn every_flag_the_build_scripts_set_is_one_the_tests_read() {
        let root = crate::spin_up::workspace_root();
        for script in [
            "xtask/src/prerequisites.rs",
            "xtask/src/spin_tests.rs",
            ".ci/run",
            ".github/workflows/ci.yml",
            "README.md",
        ] {
            let text = std::fs::read_to_string(root.join(script)).expect(script);
            for (at, _) in text.match_indices("HEXASPIN_REQUIRE_") {
                let flag: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if flag == "HEXASPIN_REQUIRE_" {
                    continue; // the prefix as a pattern (`HEXASPIN_REQUIRE_*`), not a flag
                }
                assert!(
                    Prerequisite::ALL.iter().any(|p| p.flag() == flag),
                    "{script} names {flag}, which no test reads"
                );
            }
        }
    }

    /// The README's table of flags says which a full run sets; xtask's list must say the same.
    #[test]
    fn the_readme_flag_table_says_which_flags_a_full_run_sets_as_xtask_does() {
        let root = crate::spin_up::workspace_root();
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        let xtask = std::fs::read_to_string(root.join("xtask/src/prerequisites.rs")).expect("xtask");
        let list = &xtask[xtask.find("REQUIRED_BY_A_FULL_RUN").expect("the list")..];
        let list = &list[..list.find("];").expect("the list's end")];
        let mut rows = 0;
        for prerequisite in Prerequisite::ALL {
            let flag = prerequisite.flag();
            let row = readme
                .lines()
                .find(|line| line.starts_with(&format!("| `{flag}` |")))
                .unwrap_or_else(|| panic!("the README's flag table has no row for {flag}"));
            rows += 1;
            let set_by = row.rsplit('|').nth(1).expect("a set-by column").trim();
            assert_eq!(
                set_by == "`cargo xtask test`",
                list.contains(&format!("\"{flag}\"")),
                "README says {flag} is set by {set_by:?}; xtask's REQUIRED_BY_A_FULL_RUN disagrees"
            );
        }
        assert_eq!(rows, Prerequisite::ALL.len());
    }
}
