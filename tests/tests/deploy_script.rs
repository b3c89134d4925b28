//! `deploy/scripts/deploy.sh` against a recording `kubectl` that plays the cluster
//! (`hexaspin_tests::fake_kubectl`): the exact sequence of calls of a release, and every step made
//! to fail in turn, each with its exit code, what it prints and what it rolls back to (the
//! failure matrix of docs/runbook.md, "Continuous deployment").
//!
//! Tools: kubectl (its kustomize renders) and shellcheck from PATH; the manifest check's Python
//! (tests/deploy/check_manifests.py) for what the migration step applies alone; all required
//! under `cargo xtask test`.

use std::path::{Path, PathBuf};
use std::process::Command;

use hexaspin_tests::deploy::{KUBERNETES_VERSION, deploy_dir, printed, python_tools, run, tool};
use hexaspin_tests::fake_kubectl::{DeployRun, FakeCluster};
use hexaspin_tests::spin_up::workspace_root;

const KUBECTL_INSTALL: &str = "install kubectl (https://kubernetes.io/docs/tasks/tools/)";

const APP: &str = "ghcr.io/your-org/hexaspin:new";
const WORKER: &str = "ghcr.io/your-org/hexaspin-worker:new";
const USERS: &str = "ghcr.io/your-org/hexaspin-users:new";
const PREVIOUS_APP: &str = "ghcr.io/your-org/hexaspin:previous";
const PREVIOUS_WORKER: &str = "ghcr.io/your-org/hexaspin-worker:previous";
const PREVIOUS_USERS: &str = "ghcr.io/your-org/hexaspin-users:previous";

// The calls deploy.sh makes, as the fake logs them (`<work>`: its temporary directory).
const READ_RECORD: &str = r"-n hexaspin get configmap hexaspin-release --ignore-not-found -o jsonpath={.binaryData.release\.yaml\.gz}";
const READ_RECORD_ID: &str = "-n hexaspin get configmap hexaspin-release -o jsonpath={.data.id}";
const READ_RECORD_REFS: &str = "-n hexaspin get configmap hexaspin-release -o jsonpath={.data.refs}";
const DELETE_MIGRATION: &str =
    "-n hexaspin delete job hexaspin-migrate --ignore-not-found --wait=true --timeout=60s";
const APPLY_MIGRATION: &str =
    "apply -f <work>/release.yaml --selector app.kubernetes.io/component in (migration,store)";
const READ_MIGRATION: &str =
    r#"-n hexaspin get job hexaspin-migrate -o jsonpath={.status.conditions[?(@.status=="True")].type}"#;
const MIGRATION_LOGS: &str = "-n hexaspin logs job/hexaspin-migrate --tail=100";
const APPLY_EXECUTORS: &str = "apply -f <work>/executors.yaml";
const APPLY_RELEASE: &str = "apply -f <work>/release.yaml --selector app.kubernetes.io/component!=migration";
const OPERATOR_APP: &str = r"-n hexaspin get deployment hexaspin --ignore-not-found -o jsonpath={.metadata.annotations.hexaspin\.dev/release}";
// The rollouts share one deadline: each gets what is left of it (the number, compared as <n>).
const ROLLOUT_WORKER: &str = "-n hexaspin rollout status deployment/hexaspin-worker --timeout=<n>s";
const ROLLOUT_APP: &str = "-n hexaspin rollout status deployment/hexaspin --timeout=<n>s";
const DELETE_SMOKE: &str =
    "-n hexaspin delete job hexaspin-smoke --ignore-not-found --wait=true --timeout=60s";
const APPLY_SMOKE: &str = "apply -f <work>/smoke.yaml";
const READ_SMOKE: &str =
    r#"-n hexaspin get job hexaspin-smoke -o jsonpath={.status.conditions[?(@.status=="True")].type}"#;
const SMOKE_LOGS: &str = "-n hexaspin logs job/hexaspin-smoke";
const RECORD: &str =
    "apply --server-side --force-conflicts --field-manager=hexaspin-deploy -f <work>/record.yaml";
const APPLY_PREVIOUS_EXECUTORS: &str = "apply -f <work>/previous-executors.yaml";
const APPLY_PREVIOUS: &str =
    "apply -f <work>/previous.yaml --selector app.kubernetes.io/component!=migration";

const READ_RECORDED: [&str; 3] = [READ_RECORD, READ_RECORD_ID, READ_RECORD_REFS];
const MIGRATE: [&str; 3] = [DELETE_MIGRATION, APPLY_MIGRATION, READ_MIGRATION];
const ROLL_OUT: [&str; 3] = [OPERATOR_APP, ROLLOUT_WORKER, ROLLOUT_APP];
const SMOKE: [&str; 4] = [DELETE_SMOKE, APPLY_SMOKE, READ_SMOKE, SMOKE_LOGS];
const APPLY: [&str; 2] = [APPLY_EXECUTORS, APPLY_RELEASE];
const RESTORE: [&str; 2] = [APPLY_PREVIOUS_EXECUTORS, APPLY_PREVIOUS];

fn kubectl() -> Option<PathBuf> {
    tool("kubectl", KUBECTL_INSTALL)
}

/// The calls of `parts`, in order.
fn sequence(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|part| part.iter().map(|c| (*c).to_owned()))
        .collect()
}

/// `call` with the seconds a `rollout status` is given shown as `<n>` (what is left of the
/// rollouts' one deadline depends on how long the run took).
fn without_seconds_left(call: &str) -> String {
    match call.split_once(" --timeout=") {
        Some((head, tail)) if call.contains(" rollout status ") && tail.ends_with('s') => {
            format!("{head} --timeout=<n>s")
        }
        _ => call.to_owned(),
    }
}

fn assert_run(run: &DeployRun, code: i32, says: &[&str], calls: &[&[&str]]) {
    let printed = run.printed();
    assert_eq!(run.code(), Some(code), "exit code; it printed:\n{printed}");
    for text in says {
        assert!(printed.contains(text), "{text:?} not in:\n{printed}");
    }
    let made: Vec<String> = run.calls.iter().map(|c| without_seconds_left(c)).collect();
    assert_eq!(made, sequence(calls), "the calls; it printed:\n{printed}");
}

/// The seconds each `rollout status` of `run` was given.
fn rollout_seconds(run: &DeployRun) -> Vec<u64> {
    run.calls
        .iter()
        .filter(|c| c.contains(" rollout status "))
        .map(|c| {
            c.rsplit_once("--timeout=")
                .and_then(|(_, s)| s.strip_suffix('s'))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no --timeout=<n>s in {c}"))
        })
        .collect()
}

/// A cluster running a release of the previous references that deploy.sh deployed and recorded,
/// and that release's render as it applied it.
fn cluster_with_a_recorded_release(kubectl: &Path) -> (FakeCluster, String) {
    cluster_with_recorded(kubectl, &["prod", PREVIOUS_APP, PREVIOUS_WORKER])
}

/// A cluster running the release deploy.sh deployed and recorded with `args`, and its render.
fn cluster_with_recorded(kubectl: &Path, args: &[&str]) -> (FakeCluster, String) {
    let cluster = FakeCluster::new(kubectl);
    let first = cluster.deploy(args, &[]);
    assert_eq!(first.code(), Some(0), "{}", first.printed());
    cluster.record(&first.applied(RECORD));
    let render = first.applied(APPLY_RELEASE);
    (cluster, render)
}

/// The objects ("Kind/name") of a render.
fn objects(render: &str) -> Vec<String> {
    render
        .split("\n---\n")
        .filter_map(|doc| {
            let kind = doc.lines().find_map(|l| l.strip_prefix("kind: "))?;
            let meta = doc.split("\nmetadata:\n").nth(1)?;
            let name = meta
                .lines()
                .take_while(|l| l.starts_with(' '))
                .find_map(|l| l.strip_prefix("  name: "))?;
            Some(format!("{kind}/{name}"))
        })
        .collect()
}

/// The release id a render carries (its SpinApps' hexaspin.dev/release annotation).
fn release_id(render: &str) -> String {
    render
        .lines()
        .find_map(|line| line.trim().strip_prefix("hexaspin.dev/release: "))
        .expect("a release id")
        .to_owned()
}

/// A kustomization dir `name` in `dir` of the prod overlay and `more` (kustomization lines where
/// `{deploy}` is the deploy directory, relative: kustomize refuses absolute paths).
fn prod_with(dir: &Path, name: &str, more: &str) -> PathBuf {
    let overlay = dir.join(name);
    std::fs::create_dir_all(&overlay).expect("mkdir");
    let real = overlay.canonicalize().expect("canonical");
    let up = "../".repeat(real.components().count() - 1);
    let deploy = deploy_dir().canonicalize().expect("canonical");
    let deploy = format!("{up}{}", deploy.to_string_lossy().trim_start_matches('/'));
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!(
            "resources: [{deploy}/overlays/prod]\n{}",
            more.replace("{deploy}", &deploy)
        ),
    )
    .expect("write");
    overlay
}

/// A kustomization dir of the prod overlay with the KEDA component, as the runbook's switch says.
fn prod_with_keda(dir: &Path) -> PathBuf {
    prod_with(dir, "prod-keda", "components: [{deploy}/components/keda]\n")
}

/// A kustomization dir of the prod overlay whose worker.toml differs (a comment more): the worker's
/// ConfigMap gets another hashed name.
fn prod_with_another_worker_toml(dir: &Path) -> PathBuf {
    let overlay = prod_with(
        dir,
        "prod-worker-toml",
        "configMapGenerator:\n  - name: hexaspin-worker\n    behavior: replace\n    files: [worker.toml]\n",
    );
    let toml = std::fs::read_to_string(deploy_dir().join("base/worker/worker.toml")).expect("worker.toml");
    std::fs::write(overlay.join("worker.toml"), format!("{toml}\n# changed\n")).expect("write");
    overlay
}

/// The name of the worker's ConfigMap in a render.
fn worker_config_map(render: &str) -> String {
    objects(render)
        .into_iter()
        .find(|o| o.starts_with("ConfigMap/hexaspin-worker-"))
        .unwrap_or_else(|| panic!("no worker ConfigMap in {render}"))
}

#[test]
fn a_first_deploy_migrates_alone_then_rolls_out_once_the_operator_has_the_release_then_smoke_tests_and_records_it()
 {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        0,
        &["deploying release", "(recorded: none)", "deployed release"],
        &[&[READ_RECORD], &MIGRATE, &APPLY, &ROLL_OUT, &SMOKE, &[RECORD]],
    );
    let release = run.applied(APPLY_RELEASE);
    assert!(release.contains(&format!("image: {APP}\n")), "{release}");
    assert!(release.contains(&format!("image: {WORKER}\n")), "{release}");
    assert!(
        !release.contains("kind: Namespace"),
        "the namespace is the admin's bootstrap"
    );
    // What the migration step applies alone: the Job and what it needs, nothing of the app.
    let migration: Vec<&str> = release
        .split("\n---\n")
        .filter(|doc| doc.contains("app.kubernetes.io/component: migration"))
        .map(|doc| doc.lines().find(|l| l.starts_with("kind: ")).unwrap_or("?"))
        .collect();
    assert_eq!(
        migration,
        ["kind: ServiceAccount", "kind: Job", "kind: NetworkPolicy"],
        "{release}"
    );
    let record = run.applied(RECORD);
    let id = release_id(&release);
    assert!(record.contains(&format!("id: \"{id}\"")), "{record}");
    assert!(record.contains(&format!("refs: \"{APP} {WORKER}\"")), "{record}");
    assert!(record.contains("release.yaml.gz: "), "{record}");
    let smoke = run.applied(APPLY_SMOKE);
    assert!(smoke.contains(&format!("image: {WORKER}\n")), "{smoke}");
}

#[test]
fn a_deploy_over_a_recorded_release_reads_the_record_and_replaces_it() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    let previous_id = release_id(&previous);
    assert_run(
        &run,
        0,
        &[&format!(
            "(recorded: {previous_id}: {PREVIOUS_APP} {PREVIOUS_WORKER})"
        )],
        &[&READ_RECORDED, &MIGRATE, &APPLY, &ROLL_OUT, &SMOKE, &[RECORD]],
    );
    assert_ne!(release_id(&run.applied(APPLY_RELEASE)), previous_id);
}

#[test]
fn a_failed_migration_stops_before_the_app_is_touched_with_exit_3() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-migrate", "Failed");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        3,
        &["the migration failed: nothing else was applied, the running release is untouched"],
        &[&READ_RECORDED, &MIGRATE, &[MIGRATION_LOGS]],
    );
}

#[test]
fn a_migration_that_does_not_finish_in_time_stops_before_the_app_is_touched_with_exit_3() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-migrate", "");
    let run = cluster.deploy(&["prod", APP, WORKER], &[("TIMEOUT_SECONDS", "0")]);
    assert_run(
        &run,
        3,
        &["the migration did not finish within 0s: nothing else was applied"],
        &[&READ_RECORDED, &MIGRATE, &[MIGRATION_LOGS]],
    );
}

#[test]
fn a_migration_job_that_cannot_be_applied_stops_with_exit_3() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail(APPLY_MIGRATION);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        3,
        &["the migration failed"],
        &[
            &READ_RECORDED,
            &[DELETE_MIGRATION, APPLY_MIGRATION, MIGRATION_LOGS],
        ],
    );
}

/// The rollback to `previous`: the recorded render re-applied whole, then its rollouts.
fn assert_rolled_back_to(run: &DeployRun, previous: &str) {
    let restored = run.applied(APPLY_PREVIOUS);
    assert_eq!(
        restored, previous,
        "the rollback must apply the recorded render, byte for byte"
    );
    assert!(
        run.printed().contains(&format!(
            "rolled back to release {} ({PREVIOUS_APP} {PREVIOUS_WORKER})",
            release_id(previous)
        )),
        "{}",
        run.printed()
    );
}

#[test]
fn a_failed_worker_rollout_rolls_back_to_the_recorded_render_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail_once("rollout status deployment/hexaspin-worker");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &["the release failed (rollout)"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &[OPERATOR_APP, ROLLOUT_WORKER],
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn a_failed_app_rollout_rolls_back_to_the_recorded_render_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail_once("rollout status deployment/hexaspin ");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &["the release failed (rollout)"],
        &[&READ_RECORDED, &MIGRATE, &APPLY, &ROLL_OUT, &RESTORE, &ROLL_OUT],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn an_operator_that_never_takes_the_new_spinapp_rolls_back_before_any_rollout_status_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.stuck_operator();
    let run = cluster.deploy(&["prod", APP, WORKER], &[("TIMEOUT_SECONDS", "0")]);
    assert_run(
        &run,
        1,
        &[
            "the operator has not updated deployment/hexaspin to release",
            "the release failed (rollout)",
        ],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &[OPERATOR_APP],
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    // No time left is one second, never 0 (which kubectl takes for no limit).
    assert_eq!(rollout_seconds(&run), [1, 1], "{:?}", run.calls);
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn a_release_kubectl_cannot_apply_rolls_back_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail_once(APPLY_RELEASE);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &["the release failed (kubectl apply)"],
        &[&READ_RECORDED, &MIGRATE, &APPLY, &RESTORE, &ROLL_OUT],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn a_failed_smoke_test_shows_its_logs_and_rolls_back_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &["the smoke Job failed", "the release failed (smoke test)"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn a_smoke_test_that_does_not_finish_in_time_rolls_back_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "");
    let run = cluster.deploy(&["prod", APP, WORKER], &[("SMOKE_TIMEOUT_SECONDS", "0")]);
    assert_run(
        &run,
        1,
        &[
            "the smoke Job did not finish within 0s",
            "the release failed (smoke test)",
        ],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn a_rollback_whose_own_apply_fails_says_so_and_exits_4() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    cluster.fail(APPLY_PREVIOUS);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        4,
        &["ROLLBACK FAILED: the recorded release", "could not be applied"],
        &[&READ_RECORDED, &MIGRATE, &APPLY, &ROLL_OUT, &SMOKE, &RESTORE],
    );
}

#[test]
fn a_rollback_whose_rollout_fails_says_so_and_exits_4() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail("rollout status deployment/hexaspin-worker");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        4,
        &["ROLLBACK FAILED: the recorded release", "did not roll out"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &[OPERATOR_APP, ROLLOUT_WORKER],
            &RESTORE,
            &[OPERATOR_APP, ROLLOUT_WORKER],
        ],
    );
}

#[test]
fn a_failed_first_deploy_has_nothing_to_roll_back_to_and_exits_4() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        4,
        &["ROLLBACK IMPOSSIBLE: no release is recorded"],
        &[&[READ_RECORD], &MIGRATE, &APPLY, &ROLL_OUT, &SMOKE],
    );
}

#[test]
fn a_release_that_passed_but_cannot_be_recorded_exits_5_without_rolling_back() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail(RECORD);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        5,
        &[&format!(
            "passed the smoke test, but could not be recorded: a later rollback would restore {}",
            release_id(&previous)
        )],
        &[&READ_RECORDED, &MIGRATE, &APPLY, &ROLL_OUT, &SMOKE, &[RECORD]],
    );
}

#[test]
fn an_unreadable_release_record_stops_before_anything_changes_with_exit_2() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    cluster.fail(READ_RECORD);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(&run, 2, &["cannot read the recorded release"], &[&[READ_RECORD]]);
}

#[test]
fn switching_to_keda_prunes_the_worker_hpa_before_the_scaled_object_is_applied_and_a_rollback_prunes_it_back()
{
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    let worker_hpa = previous.split("\n---\n").any(|doc| {
        doc.contains("kind: HorizontalPodAutoscaler") && doc.contains("  name: hexaspin-worker\n")
    });
    assert!(
        worker_hpa,
        "the recorded prod release scales the worker with an HPA"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = prod_with_keda(dir.path());
    let overlay = overlay.to_string_lossy();
    let delete_hpa =
        "-n hexaspin delete HorizontalPodAutoscaler/hexaspin-worker --ignore-not-found --wait=false";
    let run = cluster.deploy(&[&overlay, APP, WORKER], &[]);
    assert_run(
        &run,
        0,
        &["pruning HorizontalPodAutoscaler/hexaspin-worker"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &[delete_hpa],
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[RECORD],
        ],
    );
    assert!(run.applied(APPLY_RELEASE).contains("kind: ScaledObject"));

    // The same switch failing its smoke test: the ScaledObject goes before the HPA comes back.
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    let run = cluster.deploy(&[&overlay, APP, WORKER], &[]);
    let delete_scaled_object =
        "-n hexaspin delete ScaledObject/hexaspin-worker --ignore-not-found --wait=false";
    assert_run(
        &run,
        1,
        &["pruning ScaledObject/hexaspin-worker"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &[delete_hpa],
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[delete_scaled_object],
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn the_user_service_is_deployed_with_the_release_when_its_reference_is_given() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER, USERS], &[]);
    let operator_users = OPERATOR_APP.replace("deployment hexaspin ", "deployment hexaspin-users ");
    let rollout_users = "-n hexaspin rollout status deployment/hexaspin-users --timeout=<n>s";
    assert_run(
        &run,
        0,
        &["deployed release", USERS],
        &[
            &[READ_RECORD],
            &MIGRATE,
            &APPLY,
            &[
                OPERATOR_APP,
                &operator_users,
                ROLLOUT_WORKER,
                ROLLOUT_APP,
                rollout_users,
            ],
            &SMOKE,
            &[RECORD],
        ],
    );
    let release = run.applied(APPLY_RELEASE);
    assert!(release.contains(&format!("image: {USERS}\n")), "{release}");
    assert!(
        release.contains("serviceAccountName: hexaspin-users"),
        "{release}"
    );
}

#[test]
fn another_namespace_reaches_every_object_call_and_the_smoke_test() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER], &[("NAMESPACE", "staging")]);
    assert_eq!(run.code(), Some(0), "{}", run.printed());
    for call in &run.calls {
        assert!(
            call.starts_with("apply") || call.starts_with("-n staging "),
            "a call outside the namespace: {call}"
        );
    }
    let release = run.applied(APPLY_RELEASE);
    assert!(!release.contains("namespace: hexaspin"), "{release}");
    let smoke = run.applied(APPLY_SMOKE);
    assert!(smoke.contains("namespace: staging"), "{smoke}");
    // The smoke test must reach the app of its own namespace, not the one named hexaspin.
    assert!(!smoke.contains(".hexaspin.svc"), "{smoke}");
    assert!(!smoke.contains("namespace: hexaspin"), "{smoke}");
}

#[test]
fn a_manual_rollback_with_migrate_0_applies_no_migration() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER], &[("MIGRATE", "0")]);
    assert_run(
        &run,
        0,
        &["deployed release"],
        &[&READ_RECORDED, &APPLY, &ROLL_OUT, &SMOKE, &[RECORD]],
    );
}

#[test]
fn references_the_overlay_does_not_name_are_refused_before_anything_reaches_the_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", "ghcr.io/someone-else/hexaspin:new", WORKER], &[]);
    assert_run(&run, 2, &["does not name the repository"], &[]);
    let run = cluster.deploy(&["prod", APP, "ghcr.io/your-org/hexaspin-worker"], &[]);
    assert_run(&run, 2, &["reference without a tag or digest"], &[]);
}

#[test]
fn the_deploy_scripts_are_clean_under_every_shellcheck_check() {
    let Some(shellcheck) = tool("shellcheck", "apt-get install shellcheck") else {
        return;
    };
    for script in ["deploy/scripts/deploy.sh", "deploy/scripts/release-order.sh"] {
        let check = run(&shellcheck, &["-o", "all", script]);
        assert!(check.status.success(), "{script}: {}", printed(&check));
    }
}

/// The rules of the deployer Role (deploy/rbac/deployer.yaml, written one flow list per line):
/// (API groups, resources, verbs).
fn deployer_rules() -> Vec<(Vec<String>, Vec<String>, Vec<String>)> {
    let text = std::fs::read_to_string(deploy_dir().join("rbac/deployer.yaml")).expect("deployer.yaml");
    let role = text
        .split("\n---\n")
        .find(|doc| doc.contains("\nkind: Role\n") && doc.contains("name: hexaspin-deployer\n"))
        .expect("the deployer Role");
    let list = |line: &str, key: &str| -> Option<Vec<String>> {
        let inner = line.trim().trim_start_matches("- ").strip_prefix(key)?.trim();
        let inner = inner.strip_prefix('[')?.strip_suffix(']')?;
        Some(
            inner
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .collect(),
        )
    };
    let lines: Vec<&str> = role.lines().collect();
    let mut rules = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if let Some(groups) = list(line, "apiGroups:") {
            let resources = list(lines[at + 1], "resources:").expect("resources: after apiGroups:");
            let verbs = list(lines[at + 2], "verbs:").expect("verbs: after resources:");
            rules.push((groups, resources, verbs));
        }
    }
    assert!(!rules.is_empty(), "no rules read from the deployer Role");
    rules
}

/// What the API server checks for one of deploy.sh's calls: (API group, resource, verb) each.
/// The objects of an applied render are the manifest check's (`--deployer-role`).
fn permissions(call: &str) -> Vec<(&'static str, &'static str, &'static str)> {
    let read = |group, resource| {
        vec![
            (group, resource, "get"),
            (group, resource, "list"),
            (group, resource, "watch"),
        ]
    };
    let rest = call.split_once(' ').map_or(call, |(_, rest)| rest);
    let rest = rest.split_once(' ').map_or(rest, |(_, rest)| rest);
    if call.starts_with("apply --server-side") {
        return vec![
            ("", "configmaps", "get"),
            ("", "configmaps", "create"),
            ("", "configmaps", "patch"),
        ];
    }
    if call.starts_with("apply -f ") {
        return Vec::new();
    }
    match rest.split_whitespace().take(2).collect::<Vec<_>>()[..] {
        ["get", "configmap"] => vec![("", "configmaps", "get")],
        ["get", "job"] => vec![("batch", "jobs", "get")],
        ["get", "deployment"] => vec![("apps", "deployments", "get")],
        ["delete", "job"] => vec![("batch", "jobs", "delete")],
        // A prune: `delete Kind/name`.
        ["delete", object] if object.contains('/') => {
            let (group, resource) = match object.split('/').next().unwrap_or_default() {
                "HorizontalPodAutoscaler" => ("autoscaling", "horizontalpodautoscalers"),
                "ScaledObject" => ("keda.sh", "scaledobjects"),
                "ConfigMap" => ("", "configmaps"),
                "ServiceAccount" => ("", "serviceaccounts"),
                "NetworkPolicy" => ("networking.k8s.io", "networkpolicies"),
                "PodDisruptionBudget" => ("policy", "poddisruptionbudgets"),
                "SpinApp" => ("core.spinkube.dev", "spinapps"),
                kind => panic!("no permissions known for deleting a {kind}: add them here"),
            };
            vec![(group, resource, "delete")]
        }
        ["logs", _] => vec![
            ("batch", "jobs", "get"),
            ("", "pods", "list"),
            ("", "pods/log", "get"),
        ],
        ["rollout", "status"] => read("apps", "deployments"),
        _ => panic!("no permissions known for the call {call:?}: add them here"),
    }
}

#[test]
fn the_deployer_role_allows_every_call_the_deploy_script_makes_on_its_success_and_rollback_paths() {
    let Some(kubectl) = kubectl() else { return };
    let mut calls = Vec::new();
    let cluster = FakeCluster::new(&kubectl);
    calls.extend(cluster.deploy(&["prod", APP, WORKER, USERS], &[]).calls.clone());
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-migrate", "Failed");
    calls.extend(cluster.deploy(&["prod", APP, WORKER], &[]).calls.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = prod_with_keda(dir.path());
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    let rollback = cluster.deploy(&[&overlay.to_string_lossy(), APP, WORKER], &[]);
    assert_eq!(rollback.code(), Some(1), "{}", rollback.printed());
    calls.extend(rollback.calls.clone());
    // A worker.toml change (the old ConfigMap pruned after the rollout), and the user service
    // dropped on purpose (its objects pruned).
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    let toml = prod_with_another_worker_toml(dir.path());
    let changed = cluster.deploy(&[&toml.to_string_lossy(), APP, WORKER], &[]);
    assert_eq!(changed.code(), Some(0), "{}", changed.printed());
    calls.extend(changed.calls.clone());
    let (cluster, _) =
        cluster_with_recorded(&kubectl, &["prod", PREVIOUS_APP, PREVIOUS_WORKER, PREVIOUS_USERS]);
    let dropped = cluster.deploy(&["prod", APP, WORKER], &[("DROP_USER_SERVICE", "1")]);
    assert_eq!(dropped.code(), Some(0), "{}", dropped.printed());
    calls.extend(dropped.calls.clone());
    let rules = deployer_rules();
    for call in &calls {
        for (group, resource, verb) in permissions(call) {
            let allowed = rules.iter().any(|(groups, resources, verbs)| {
                groups.iter().any(|g| g == group)
                    && resources.iter().any(|r| r == resource)
                    && verbs.iter().any(|v| v == verb)
            });
            assert!(
                allowed,
                "the deployer Role does not allow {verb} on {group}/{resource}, which `kubectl {call}` needs"
            );
        }
    }
}

#[test]
fn the_executors_are_applied_before_the_release_so_the_webhook_takes_the_spinapp_on_a_fresh_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER, USERS], &[]);
    let printed = run.printed();
    assert_eq!(run.code(), Some(0), "{printed}");
    assert!(!printed.contains("executor does not exist"), "{printed}");
    let at = |call: &str| run.calls.iter().position(|c| c == call).expect(call);
    assert!(at(APPLY_EXECUTORS) < at(APPLY_RELEASE), "{:?}", run.calls);
    assert!(
        at(READ_MIGRATION) < at(APPLY_EXECUTORS),
        "after the migration: {:?}",
        run.calls
    );
    let executors = run.applied(APPLY_EXECUTORS);
    assert_eq!(
        objects(&executors),
        ["SpinAppExecutor/containerd-shim-spin"],
        "{executors}"
    );
}

#[test]
fn a_spinapp_refused_while_the_webhook_has_not_seen_its_executor_is_applied_again_until_it_is_taken() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    cluster.executor_cache_lag(2);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        0,
        &[
            "executor does not exist in namespace",
            "spin-operator has not seen the executor yet: applying again in 0s (2 of 12)",
            "(3 of 12)",
            "deployed release",
        ],
        &[
            &[READ_RECORD],
            &MIGRATE,
            &[APPLY_EXECUTORS, APPLY_RELEASE, APPLY_RELEASE, APPLY_RELEASE],
            &ROLL_OUT,
            &SMOKE,
            &[RECORD],
        ],
    );
}

#[test]
fn a_webhook_that_keeps_refusing_the_spinapp_is_given_twelve_applies_then_the_release_rolls_back() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.executor_cache_lag(12);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    let refused = [APPLY_RELEASE; 12];
    assert_run(
        &run,
        1,
        &[
            "spin-operator still refuses the SpinApp's executor after 12 applies",
            "the release failed (kubectl apply)",
        ],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &[APPLY_EXECUTORS],
            &refused,
            &RESTORE,
            &ROLL_OUT,
        ],
    );
    assert_rolled_back_to(&run, &previous);
}

#[test]
fn executors_kubectl_cannot_apply_roll_the_release_back_with_exit_1() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.fail_once(APPLY_EXECUTORS);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &["the release failed (kubectl apply)"],
        &[&READ_RECORDED, &MIGRATE, &[APPLY_EXECUTORS], &RESTORE, &ROLL_OUT],
    );
    assert_rolled_back_to(&run, &previous);
}

/// Runs tests/deploy/check_manifests.py on the objects `render` has that `selector` selects (with
/// the whole render and `context`, the user service's, as what their selectors may match), asking
/// for egress to `ports`.
fn check_selected(
    python: &Path,
    render: &str,
    context: &str,
    selector: &str,
    ports: &[&str],
) -> Result<String, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("render.yaml");
    std::fs::write(&file, render).expect("write");
    let other = dir.path().join("context.yaml");
    std::fs::write(&other, context).expect("write");
    let mut command = Command::new(python.join("python"));
    command
        .arg(workspace_root().join("tests/deploy/check_manifests.py"))
        .arg(&file)
        .args(["--kubernetes-version", KUBERNETES_VERSION, "--selector", selector])
        .arg("--context")
        .arg(&file)
        .arg("--context")
        .arg(&other);
    for port in ports {
        command.args(["--egress-port", port]);
    }
    let output = command.output().expect("check_manifests.py");
    if output.status.success() {
        Ok(printed(&output))
    } else {
        Err(printed(&output))
    }
}

#[test]
fn what_the_migration_step_applies_alone_lets_the_job_resolve_names_and_reach_postgres() {
    let (Some(kubectl), Some(python)) = (kubectl(), python_tools()) else {
        return;
    };
    // The dev stores admit the user service's pods, which it deploys beside the release.
    let users = run(&kubectl, &["kustomize", "services/users/deploy"]);
    assert!(users.status.success(), "{}", printed(&users));
    let users = String::from_utf8(users.stdout).expect("utf-8");
    for (overlay, app, worker) in [
        ("prod", APP, WORKER),
        (
            "dev",
            "localhost:5000/hexaspin:dev",
            "localhost:5000/hexaspin-worker:dev",
        ),
    ] {
        let cluster = FakeCluster::new(&kubectl);
        let run = cluster.deploy(&[overlay, app, worker], &[]);
        assert_eq!(run.code(), Some(0), "{overlay}: {}", run.printed());
        // On a fresh cluster nothing else is there yet: no default-deny, but no allow-dns either.
        let render = run.applied(APPLY_MIGRATION);
        let selector = APPLY_MIGRATION
            .split_once("--selector ")
            .map(|(_, s)| s)
            .expect("a selector");
        match check_selected(&python, &render, &users, selector, &["pg_url=5432"]) {
            Ok(report) => println!("{overlay}: {}", report.trim()),
            Err(problems) => panic!("{overlay}: the migration step's objects alone:\n{problems}"),
        }
    }
    // The check itself notices a migration policy without DNS (as the one before this fix).
    let cluster = FakeCluster::new(&kubectl);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    let render = run.applied(APPLY_MIGRATION);
    let dns = "  - ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n";
    let without_dns: Vec<String> = render
        .split("\n---\n")
        .map(|doc| {
            if doc.starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
                && doc.contains("  name: hexaspin-migrate\n")
            {
                assert!(doc.contains(dns), "{doc}");
                doc.replacen(dns, "", 1)
            } else {
                doc.to_owned()
            }
        })
        .collect();
    let without_dns = without_dns.join("\n---\n");
    assert_ne!(without_dns, render, "no migration NetworkPolicy in {render}");
    let problems = check_selected(
        &python,
        &without_dns,
        &users,
        "app.kubernetes.io/component in (migration,store)",
        &["pg_url=5432"],
    )
    .expect_err("a migration Job that cannot resolve the database's host was accepted");
    assert!(
        problems.contains("Job/hexaspin-migrate: its NetworkPolicies allow no DNS (port 53/UDP)"),
        "{problems}"
    );
}

#[test]
fn deploying_the_dev_overlay_on_a_fresh_cluster_creates_the_namespace_and_the_stores_with_the_migration() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let app = "localhost:5000/hexaspin:dev";
    let worker = "localhost:5000/hexaspin-worker:dev";
    let run = cluster.deploy(&["dev", app, worker], &[]);
    let apply_namespaces = "apply -f <work>/namespaces.yaml";
    assert_run(
        &run,
        0,
        &["deployed release"],
        &[
            &[READ_RECORD, apply_namespaces],
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[RECORD],
        ],
    );
    assert_eq!(objects(&run.applied(apply_namespaces)), ["Namespace/hexaspin"]);
    // What the migration needs comes with it: Postgres, and the Job writing the Secret it reads.
    let render = run.applied(APPLY_MIGRATION);
    let step: Vec<String> = render
        .split("\n---\n")
        .filter(|doc| {
            doc.contains("app.kubernetes.io/component: migration")
                || doc.contains("app.kubernetes.io/component: store")
        })
        .flat_map(objects)
        .collect();
    for needed in [
        "Job/hexaspin-migrate",
        "StatefulSet/postgres",
        "Service/postgres",
        "Job/hexaspin-secret-init",
        "Role/hexaspin-secret-init",
        "RoleBinding/hexaspin-secret-init",
        "ServiceAccount/hexaspin-secret-init",
        "NetworkPolicy/postgres",
    ] {
        assert!(
            step.iter().any(|o| o == needed),
            "{needed} not in step 2: {step:?}"
        );
    }
    assert!(!step.iter().any(|o| o.starts_with("SpinApp")), "{step:?}");
}

#[test]
fn a_namespace_kubectl_cannot_apply_stops_before_anything_else_with_exit_3() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let apply_namespaces = "apply -f <work>/namespaces.yaml";
    cluster.fail(apply_namespaces);
    let run = cluster.deploy(
        &[
            "dev",
            "localhost:5000/hexaspin:dev",
            "localhost:5000/hexaspin-worker:dev",
        ],
        &[],
    );
    assert_run(
        &run,
        3,
        &["the namespace could not be applied: nothing else was applied"],
        &[&[READ_RECORD, apply_namespaces]],
    );
}

#[test]
fn a_recorded_user_service_is_not_dropped_because_its_reference_was_left_out() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) =
        cluster_with_recorded(&kubectl, &["prod", PREVIOUS_APP, PREVIOUS_WORKER, PREVIOUS_USERS]);
    let run = cluster.deploy(&["prod", APP, WORKER], &[]);
    assert_run(
        &run,
        2,
        &[
            "runs the user service",
            PREVIOUS_USERS,
            "pass it as the fourth argument, or DROP_USER_SERVICE=1",
            "nothing was changed",
        ],
        &[&READ_RECORDED],
    );

    // Dropped on purpose: its objects go, after the release has passed.
    let run = cluster.deploy(&["prod", APP, WORKER], &[("DROP_USER_SERVICE", "1")]);
    let users: Vec<String> = objects(&previous)
        .into_iter()
        .filter(|o| o.ends_with("/hexaspin-users"))
        .collect();
    assert_eq!(
        users,
        [
            "ServiceAccount/hexaspin-users",
            "PodDisruptionBudget/hexaspin-users",
            "SpinApp/hexaspin-users",
            "NetworkPolicy/hexaspin-users"
        ],
        "the user service's objects"
    );
    let mut deletes: Vec<String> = users
        .iter()
        .map(|o| format!("-n hexaspin delete {o} --ignore-not-found --wait=false"))
        .collect();
    deletes.sort();
    let deletes: Vec<&str> = deletes.iter().map(String::as_str).collect();
    assert_run(
        &run,
        0,
        &["pruning SpinApp/hexaspin-users", "deployed release"],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[RECORD],
            &deletes,
        ],
    );
}

#[test]
fn a_changed_worker_toml_keeps_the_old_config_map_until_the_new_release_has_passed() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = prod_with_another_worker_toml(dir.path());
    let run = cluster.deploy(&[&overlay.to_string_lossy(), APP, WORKER], &[]);
    let old = worker_config_map(&previous);
    let new = worker_config_map(&run.applied(APPLY_RELEASE));
    assert_ne!(old, new, "worker.toml changed, its ConfigMap's name must too");
    let delete_old = format!("-n hexaspin delete {old} --ignore-not-found --wait=false");
    // Old worker pods restarting during the rollout still find their ConfigMap.
    assert_run(
        &run,
        0,
        &[&format!("pruning {old}")],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[RECORD, &delete_old],
        ],
    );
}

#[test]
fn a_release_whose_leftovers_cannot_be_deleted_stays_recorded_and_exits_6() {
    let Some(kubectl) = kubectl() else { return };
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    let old = worker_config_map(&previous);
    let delete_old = format!("-n hexaspin delete {old} --ignore-not-found --wait=false");
    cluster.fail(&delete_old);
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = prod_with_another_worker_toml(dir.path());
    let run = cluster.deploy(&[&overlay.to_string_lossy(), APP, WORKER], &[]);
    assert_run(
        &run,
        6,
        &[
            &format!("could not delete {old}: kubectl -n hexaspin delete {old}"),
            "is deployed and recorded, but what release",
        ],
        &[
            &READ_RECORDED,
            &MIGRATE,
            &APPLY,
            &ROLL_OUT,
            &SMOKE,
            &[RECORD, &delete_old],
        ],
    );
}

#[test]
fn a_rollback_deletes_what_the_failed_release_added_after_the_recorded_one_has_rolled_out() {
    let Some(kubectl) = kubectl() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = prod_with_another_worker_toml(dir.path());
    let overlay = overlay.to_string_lossy();
    let (cluster, previous) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    let run = cluster.deploy(&[&overlay, APP, WORKER], &[]);
    let added = worker_config_map(&run.applied(APPLY_RELEASE));
    let delete_added = format!("-n hexaspin delete {added} --ignore-not-found --wait=false");
    let calls: [&[&str]; 8] = [
        &READ_RECORDED,
        &MIGRATE,
        &APPLY,
        &ROLL_OUT,
        &SMOKE,
        &RESTORE,
        &ROLL_OUT,
        &[&delete_added],
    ];
    assert_run(&run, 1, &["rolled back to release"], &calls);
    assert_rolled_back_to(&run, &previous);

    // The deletion failing: still rolled back (exit 1), and it says what is left.
    let (cluster, _) = cluster_with_a_recorded_release(&kubectl);
    cluster.job("hexaspin-smoke", "Failed");
    cluster.fail(&delete_added);
    let run = cluster.deploy(&[&overlay, APP, WORKER], &[]);
    assert_run(
        &run,
        1,
        &[
            &format!("could not delete {added}: kubectl -n hexaspin delete {added}"),
            "but what the failed release added could not all be deleted: delete it by hand",
        ],
        &calls,
    );
}

#[test]
fn the_operator_and_every_rollout_share_one_timeout_whatever_the_number_of_apps() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    // Each rollout takes all but a second of what it is given, then succeeds.
    cluster.slow_rollouts();
    let run = cluster.deploy(&["prod", APP, WORKER, USERS], &[("TIMEOUT_SECONDS", "3")]);
    assert_eq!(run.code(), Some(0), "{}", run.printed());
    let given = rollout_seconds(&run);
    assert_eq!(given.len(), 3, "{:?}", run.calls);
    assert!(given[0] <= 3, "{given:?}");
    // Three rollouts each given the whole timeout would take 3 × 2 s here (and 3 × 600 s in CD).
    let slept = cluster.slept_seconds();
    assert!(
        slept <= 3,
        "the rollouts took {slept}s of a 3s timeout ({given:?})"
    );
}

#[test]
fn the_worst_case_the_script_reports_counts_each_wait_it_makes() {
    let script = workspace_root().join("deploy/scripts/deploy.sh");
    let worst = |env: &[(&str, &str)]| -> u64 {
        let output = Command::new(&script)
            .arg("--worst-case")
            .env_remove("TIMEOUT_SECONDS")
            .env_remove("SMOKE_TIMEOUT_SECONDS")
            .env_remove("POLL_SECONDS")
            .envs(env.iter().copied())
            .output()
            .expect("deploy.sh --worst-case");
        assert!(output.status.success(), "{}", printed(&output));
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("seconds")
    };
    // The migration, the rollouts, the rollback's rollouts; the smoke test; the two Job deletions
    // (60 s each); eleven retried applies of the release and of the rollback.
    assert_eq!(worst(&[]), 3 * 600 + 360 + 2 * 60 + 2 * 11 * 5);
    assert_eq!(
        worst(&[
            ("TIMEOUT_SECONDS", "100"),
            ("SMOKE_TIMEOUT_SECONDS", "10"),
            ("POLL_SECONDS", "1")
        ]),
        300 + 10 + 120 + 22
    );
}

#[test]
fn timeouts_that_are_not_whole_seconds_are_refused_before_anything_reaches_the_cluster() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    for name in ["TIMEOUT_SECONDS", "SMOKE_TIMEOUT_SECONDS", "POLL_SECONDS"] {
        let run = cluster.deploy(&["prod", APP, WORKER], &[(name, "10m")]);
        assert_run(&run, 2, &["are whole seconds, not '10m'"], &[]);
    }
}

/// A directory holding one executable `name` that prints `says` and fails.
fn failing_tool(dir: &Path, name: &str, says: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho '{says}' >&2\nexit 1\n")).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn without_gnu_coreutils_it_says_which_tool_is_missing_and_changes_nothing() {
    let Some(kubectl) = kubectl() else { return };
    for (tool_name, named) in [
        ("realpath", "realpath --relative-to"),
        ("sha256sum", "sha256sum"),
        ("base64", "base64 -w0"),
    ] {
        let cluster = FakeCluster::new(&kubectl);
        let bin = tempfile::tempdir().expect("tempdir");
        // What macOS's own tools answer (BSD realpath and base64 know neither flag; no sha256sum).
        failing_tool(bin.path(), tool_name, &format!("{tool_name}: illegal option"));
        let path = format!(
            "{}:{}:{}",
            bin.path().display(),
            cluster.bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let run = cluster.deploy(&["prod", APP, WORKER], &[("PATH", &path)]);
        assert_run(
            &run,
            2,
            &[&format!(
                "deploy.sh needs GNU coreutils; missing or not GNU: {named}"
            )],
            &[],
        );
    }
}

#[test]
fn under_a_shell_older_than_bash_4_4_it_says_so_and_changes_nothing() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = FakeCluster::new(&kubectl);
    let bin = tempfile::tempdir().expect("tempdir");
    // `#!/usr/bin/env bash` finds this "bash" first: a POSIX sh (dash here), as bash 3.2 would be
    // one without the features the script needs.
    std::os::unix::fs::symlink("/bin/sh", bin.path().join("bash")).expect("symlink");
    let path = format!(
        "{}:{}:{}",
        bin.path().display(),
        cluster.bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = cluster.deploy(&["prod", APP, WORKER], &[("PATH", &path)]);
    assert_run(
        &run,
        2,
        &["deploy.sh needs bash 4.4 or later; this is not bash"],
        &[],
    );
}
