//! The GitHub Actions workflows, read by tests/deploy/check_workflows.py: every action pinned by a
//! full commit SHA with its release in a comment, no token left in `.git/config`, no event data
//! interpolated into scripts, and CD deploying only a push to main of this repository that passed
//! CI (or a manual run on main of such a commit), through the `production` environment, with a
//! timeout that lets deploy.sh finish its worst case (a rollback included). Each guard is also
//! taken out of the real cd.yml in turn, and the check must notice.
//!
//! Tools: Python with PyYAML from the virtualenv `cargo xtask test` makes (required there).

use std::path::Path;
use std::process::Command;

use hexaspin_tests::deploy::{printed, python_tools};
use hexaspin_tests::spin_up::workspace_root;

fn check(python: &Path, workflows: &[&Path]) -> Result<String, String> {
    let output = Command::new(python.join("python"))
        .arg(workspace_root().join("tests/deploy/check_workflows.py"))
        .args(workflows)
        .output()
        .expect("run check_workflows.py");
    if output.status.success() {
        Ok(printed(&output))
    } else {
        Err(printed(&output))
    }
}

fn workflow(name: &str) -> String {
    let path = workspace_root().join(".github/workflows").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_workflow_pins_its_actions_keeps_no_token_and_cd_deploys_only_trusted_commits() {
    let Some(python) = python_tools() else { return };
    let dir = workspace_root().join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect(".github/workflows")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    match check(&python, &paths) {
        Ok(report) => println!("{}", report.trim()),
        Err(problems) => panic!("{problems}"),
    }
}

#[test]
fn the_workflow_check_notices_each_guard_taken_out_of_cd() {
    let Some(python) = python_tools() else { return };
    let cd = workflow("cd.yml");
    let out = tempfile::tempdir().expect("tempdir");
    let checkout = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0";
    // (what is changed, into what, what the check must say)
    let cases: [(&str, &str, &str); 17] = [
        (
            checkout,
            "actions/checkout@v4",
            "actions/checkout@v4 is not pinned by a full commit SHA",
        ),
        ("# v4.4.0\n", "\n", "has no comment naming its release"),
        (
            "&& github.event.workflow_run.event == 'push'",
            "",
            "lacks the guard \"github.event.workflow_run.event == 'push'\"",
        ),
        (
            "&& github.event.workflow_run.head_repository.full_name == github.repository)",
            ")",
            "lacks the guard 'github.event.workflow_run.head_repository.full_name == github.repository'",
        ),
        (
            "&& github.event.workflow_run.conclusion == 'success'",
            "",
            "lacks the guard \"github.event.workflow_run.conclusion == 'success'\"",
        ),
        (
            "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'",
            "github.event_name == 'workflow_dispatch'",
            "lets workflow_dispatch run off main",
        ),
        (
            "&event=push&branch=main&status=success",
            "",
            "does not check that CI passed for a dispatched commit",
        ),
        (
            "          persist-credentials: false\n",
            "",
            "actions/checkout without persist-credentials: false",
        ),
        (
            "    environment: production\n",
            "",
            "deploys outside the production environment",
        ),
        (
            "    needs: gate\n",
            "",
            "exactly one job may run without `needs` (the gate)",
        ),
        (
            "    timeout-minutes: 50\n",
            "    timeout-minutes: 45\n",
            "job deploy: timeout-minutes 45 is shorter than deploy.sh's worst case",
        ),
        (
            "        if: steps.order.outputs.newer == 'true'\n        env:\n          APP_REF",
            "        env:\n          APP_REF",
            "the deploy.sh step does not wait for \"steps.order.outputs.newer == 'true'\"",
        ),
        (
            "deploy/scripts/release-order.sh \"$SHA\" || status=$?",
            "true",
            "deploys without deploy/scripts/release-order.sh",
        ),
        (
            "        if: steps.order.outputs.newer == 'true'\n        env:\n          APP_REF",
            "        if: steps.order.outputs.newer == 'true' || always()\n        env:\n          APP_REF",
            "the deploy.sh step does not wait for",
        ),
        (
            "*) exit \"$status\" ;;",
            "*) echo \"newer=true\" >> \"$GITHUB_OUTPUT\" ;;",
            "must set newer=true only when release-order.sh exits 0",
        ),
        (
            "          fetch-depth: 0\n",
            "",
            "release-order.sh needs the history",
        ),
        (
            "run: deploy/scripts/deploy.sh prod \"$APP_REF\"",
            "run: echo ${{ github.event.workflow_run.head_branch }} && deploy/scripts/deploy.sh prod \"$APP_REF\"",
            "a run script interpolates event data",
        ),
    ];
    for (from, to, says) in cases {
        assert!(
            cd.contains(from),
            "cd.yml no longer has {from:?}: update this test"
        );
        let changed = cd.replacen(from, to, 1);
        let file = out.path().join("cd.yml");
        std::fs::write(&file, changed).expect("write");
        match check(&python, &[&file]) {
            Ok(report) => panic!("the check accepted cd.yml without {from:?}:\n{report}"),
            Err(problems) => assert!(
                problems.contains(says),
                "without {from:?} the check should say {says:?}:\n{problems}"
            ),
        }
    }
}

/// `.ci/run` refuses a prerequisite flag turned off in its environment before it does anything
/// else: in CI that flag would let the tests of a missing tool print SKIPPED and pass.
#[test]
fn ci_refuses_a_prerequisite_flag_turned_off_before_any_step() {
    for value in ["0", ""] {
        // Were the check missing, the script would go on to a whole CI run: without rustup and
        // cargo on PATH (and within a minute) it stops at its next step instead.
        let output = Command::new("timeout")
            .arg("60")
            .arg("bash")
            .arg(workspace_root().join(".ci/run"))
            .env("PATH", "/usr/bin:/bin")
            .env("HEXASPIN_REQUIRE_CHROMIUM", value)
            .output()
            .expect("run .ci/run");
        let said = printed(&output);
        assert!(!output.status.success(), "{said}");
        assert!(
            said.contains("ERROR: HEXASPIN_REQUIRE_CHROMIUM=") && !said.contains("== toolchain"),
            "{said}"
        );
    }
}
