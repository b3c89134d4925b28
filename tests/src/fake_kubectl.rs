//! A recording `kubectl` for the deploy script's tests (`tests/deploy_script.rs`): it renders with
//! the real one and answers every other call as a small scripted cluster would, writing each call
//! (one line, the script's temporary directory shown as `<work>`) to a log and keeping a copy of
//! each file it is asked to apply.
//!
//! The cluster it plays:
//! - the release record (ConfigMap `hexaspin-release`) is whatever [`FakeCluster::record`] set,
//!   by default none (a first deploy);
//! - the Jobs report the condition set by [`FakeCluster::job`] (`Complete` unless told);
//! - the operator carries a SpinApp's release annotation to its Deployment as soon as a render
//!   carrying it is applied, unless [`FakeCluster::stuck_operator`] makes it keep showing the
//!   recorded release;
//! - spin-operator's webhook refuses an apply of a SpinApp (as kubectl reports it: exit 1,
//!   "executor does not exist in namespace") while no earlier call has applied a
//!   SpinAppExecutor, and [`FakeCluster::executor_cache_lag`] more times after that (its informer
//!   cache catching up); the migration step's selector leaves the SpinApps out;
//! - `rollout status` answers at once, or with [`FakeCluster::slow_rollouts`] just before its
//!   `--timeout` (one second before), adding what it slept to [`FakeCluster::slept_seconds`];
//! - a call whose line contains a pattern given to [`FakeCluster::fail`] or
//!   [`FakeCluster::fail_once`] exits 1 (always, or the first time).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::spin_up::workspace_root;

/// A fake cluster in a temporary directory, with a `kubectl` on its PATH.
pub struct FakeCluster {
    dir: tempfile::TempDir,
}

/// What one run of deploy.sh did against a [`FakeCluster`].
pub struct DeployRun {
    /// Its exit status, stdout and stderr.
    pub output: Output,
    /// Its kubectl calls but `kustomize`, one per element.
    pub calls: Vec<String>,
    /// The directory holding `applied-<n>.yaml` for the n-th call (from 1) that applied a file.
    applied_dir: PathBuf,
}

impl FakeCluster {
    /// A cluster with nothing recorded, whose kubectl renders with `real`.
    pub fn new(real: &Path) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("tmp")).expect("mkdir tmp");
        let script = format!(
            r#"#!/usr/bin/env bash
set -uo pipefail
state={state}
if [ "$1" = kustomize ]; then exec {real} "$@"; fi
line=$(printf '%s' "$*" | sed -E "s#$state/tmp/tmp\.[A-Za-z0-9]+#<work>#g")
n=$(( $(wc -l < "$state/calls.log") + 1 ))
printf '%s\n' "$line" >> "$state/calls.log"
file=""
args=("$@")
for i in "${{!args[@]}}"; do
  if [ "${{args[$i]}}" = -f ]; then file=${{args[$((i + 1))]}}; cp "$file" "$state/applied-$n.yaml"; fi
done
for failure in "$state"/fail-*; do
  [ -f "$failure" ] || continue
  {{ IFS= read -r left; IFS= read -r pattern; }} < "$failure"
  if [ "$left" != 0 ] && [[ "$line" == *"$pattern"* ]]; then
    [ "$left" = always ] || printf '%s\n%s\n' "$((left - 1))" "$pattern" > "$failure"
    echo "error: injected failure of: $line" >&2
    exit 1
  fi
done
case "$line" in
  *"get configmap hexaspin-release"*binaryData*) cat "$state/record.b64" 2>/dev/null ;;
  *"get configmap hexaspin-release"*data.id*) cat "$state/record.id" ;;
  *"get configmap hexaspin-release"*data.refs*) cat "$state/record.refs" ;;
  *"get job hexaspin-migrate"*) cat "$state/job-hexaspin-migrate" ;;
  *"get job hexaspin-smoke"*) cat "$state/job-hexaspin-smoke" ;;
  *"get deployment "*"hexaspin\.dev/release"*)
    if [ -f "$state/stuck" ]; then cat "$state/record.id" 2>/dev/null; else cat "$state/operator" 2>/dev/null; fi ;;
  *"rollout status "*)
    if [ -f "$state/slow-rollouts" ]; then
      limit=$(printf '%s' "$line" | sed -E 's/.*--timeout=([0-9]+)s.*/\1/')
      nap=$(( limit > 1 ? limit - 1 : 0 ))
      printf '%s\n' "$nap" >> "$state/slept"
      sleep "$nap"
    fi ;;
  "apply -f "*)
    case "$line" in
      *"--selector"*) case "$line" in *"--selector app.kubernetes.io/component!=migration"*) app=1 ;; *) app=0 ;; esac ;;
      *) app=1 ;;
    esac
    refused=0
    if [ "$app" = 1 ] && grep -q '^kind: SpinApp$' "$file"; then
      lag=$(cat "$state/executor-lag" 2>/dev/null || echo 0)
      if [ ! -f "$state/executor" ]; then
        refused=1
      elif [ "$lag" -gt 0 ]; then
        printf '%s' "$((lag - 1))" > "$state/executor-lag"
        refused=1
      fi
    fi
    # The same apply creates the executor too (after the SpinApp, which kustomize renders first).
    if [ "$app" = 1 ] && grep -q '^kind: SpinAppExecutor$' "$file"; then touch "$state/executor"; fi
    if [ "$refused" = 1 ]; then
      echo "Error from server (Forbidden): error when creating \"$file\": admission webhook \"vspinapp.kb.io\" denied the request: SpinApp.core.spinoperator.dev \"hexaspin\" is invalid: spec.executor: Invalid value: \"containerd-shim-spin\": executor does not exist in namespace" >&2
      exit 1
    fi
    id=$(grep -m1 'hexaspin.dev/release:' "$file" | awk '{{print $2}}' | tr -d '"')
    if [ -n "$id" ]; then printf '%s' "$id" > "$state/operator"; fi ;;
esac
exit 0
"#,
            state = root.display(),
            real = real.display(),
        );
        let kubectl = root.join("kubectl");
        std::fs::write(&kubectl, script).expect("write fake kubectl");
        std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for (file, content) in [
            ("calls.log", ""),
            ("job-hexaspin-migrate", "Complete"),
            ("job-hexaspin-smoke", "Complete"),
        ] {
            std::fs::write(root.join(file), content).expect("state file");
        }
        Self { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Records the release a previous run applied as its record (`record.yaml`, the ConfigMap
    /// deploy.sh writes), as the cluster would keep it.
    pub fn record(&self, record_yaml: &str) {
        let field = |name: &str| {
            record_yaml
                .lines()
                .find_map(|line| line.trim().strip_prefix(&format!("{name}: ")))
                .unwrap_or_else(|| panic!("no {name} in the record:\n{record_yaml}"))
                .trim_matches('"')
                .to_owned()
        };
        std::fs::write(self.path("record.b64"), field("release.yaml.gz")).expect("record");
        std::fs::write(self.path("record.id"), field("id")).expect("record");
        std::fs::write(self.path("record.refs"), field("refs")).expect("record");
    }

    /// The conditions `kubectl get job <name>` reports ("Complete", "Failed", "" while running).
    pub fn job(&self, name: &str, conditions: &str) {
        std::fs::write(self.path(&format!("job-{name}")), conditions).expect("job state");
    }

    /// The operator never carries a new release to the Deployments (it shows the recorded one).
    pub fn stuck_operator(&self) {
        std::fs::write(self.path("stuck"), "").expect("stuck");
    }

    /// The webhook keeps refusing the SpinApp `times` more applies after its executor was created
    /// (spin-operator reads executors through an informer cache).
    pub fn executor_cache_lag(&self, times: u32) {
        std::fs::write(self.path("executor-lag"), times.to_string()).expect("lag");
    }

    /// Every `rollout status` takes all but one second of its `--timeout`, then succeeds.
    pub fn slow_rollouts(&self) {
        std::fs::write(self.path("slow-rollouts"), "").expect("slow");
    }

    /// The seconds the slow rollouts slept, all runs together.
    pub fn slept_seconds(&self) -> u64 {
        std::fs::read_to_string(self.path("slept"))
            .unwrap_or_default()
            .lines()
            .map(|n| n.parse::<u64>().expect("a number of seconds"))
            .sum()
    }

    /// The directory holding the fake `kubectl`, which [`FakeCluster::deploy`] puts first on
    /// PATH (a test that sets PATH itself puts it there too).
    pub fn bin_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Makes every call whose logged line contains `pattern` fail.
    pub fn fail(&self, pattern: &str) {
        self.add_failure("always", pattern);
    }

    /// Makes the first call whose logged line contains `pattern` fail (a rollback's same call
    /// then succeeds).
    pub fn fail_once(&self, pattern: &str) {
        self.add_failure("1", pattern);
    }

    fn add_failure(&self, times: &str, pattern: &str) {
        let count = std::fs::read_dir(self.dir.path()).expect("state").count();
        std::fs::write(
            self.path(&format!("fail-{count}")),
            format!("{times}\n{pattern}\n"),
        )
        .expect("failure");
    }

    /// Runs deploy.sh with `args` and `env` against this cluster (polling without sleeping), and
    /// starts the next run's log afresh.
    pub fn deploy(&self, args: &[&str], env: &[(&str, &str)]) -> DeployRun {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = Command::new(workspace_root().join("deploy/scripts/deploy.sh"))
            .args(args)
            .env("PATH", path)
            .env("TMPDIR", self.path("tmp"))
            .env("POLL_SECONDS", "0")
            .env_remove("NAMESPACE")
            .env_remove("DRY_RUN")
            .env_remove("MIGRATE")
            .envs(env.iter().copied())
            .output()
            .expect("deploy.sh");
        let log = std::fs::read_to_string(self.path("calls.log")).expect("log");
        let applied_dir = tempfile::tempdir().expect("tempdir").keep();
        for entry in std::fs::read_dir(self.dir.path()).expect("state").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("applied-") {
                std::fs::rename(entry.path(), applied_dir.join(&name)).expect("move applied file");
            }
        }
        std::fs::write(self.path("calls.log"), "").expect("reset log");
        DeployRun {
            output,
            calls: log.lines().map(str::to_owned).collect(),
            applied_dir,
        }
    }
}

impl DeployRun {
    /// Its exit code.
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Stdout and stderr together.
    pub fn printed(&self) -> String {
        crate::deploy::printed(&self.output)
    }

    /// The file the first call starting with `call` applied.
    pub fn applied(&self, call: &str) -> String {
        let at = self
            .calls
            .iter()
            .position(|line| line.starts_with(call))
            .unwrap_or_else(|| panic!("no call {call:?} in {:#?}", self.calls));
        std::fs::read_to_string(self.applied_dir.join(format!("applied-{}.yaml", at + 1)))
            .unwrap_or_else(|e| panic!("the file of {call:?}: {e}"))
    }
}

impl Drop for DeployRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.applied_dir);
    }
}
