//! Every command in the `sh` blocks of `docs/runbook.md` is exercised here or dry run: a newcomer
//! following the runbook must not meet a kustomization that does not build, a script flag that does
//! not exist or a path the API does not serve. What each kind of command gets:
//!
//! - `kubectl apply -k <dir>`: `kubectl kustomize <dir>` must build (validation is the manifest
//!   test's job); any other `kubectl` command: `kubectl <its arguments> --help` must succeed, which
//!   checks the subcommand and every flag without a cluster (for `kubectl exec … -- <command>`,
//!   kubectl's part so, and the command run in the pod as below);
//! - `deploy/scripts/deploy.sh`: run with its arguments and `DRY_RUN=1`;
//!   `deploy/scripts/render-alertmanager.sh`: run with its environment;
//! - `runtime-worker …`: the same arguments plus `--help` to this build's binary (subcommand,
//!   flags);
//! - `curl …`: the method and path must be an operation of `docs/openapi.json`.
//!
//! A command of any other program fails the test: it must move to a `text` block marked "not
//! checked here", or get a check.

use std::path::Path;
use std::process::Command;

use hexaspin_tests::deploy::{printed, run, string_data, tool};
use hexaspin_tests::runbook::{SimpleCommand, sh_commands};
use hexaspin_tests::spin_up::workspace_root;

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_command_in_the_runbook_is_exercised_or_dry_run() {
    let Some(kubectl) = tool(
        "kubectl",
        "install kubectl (https://kubernetes.io/docs/tasks/tools/)",
    ) else {
        return;
    };
    let commands = sh_commands(&read("docs/runbook.md"));
    assert!(
        commands.len() >= 25,
        "the runbook lost its commands? {}",
        commands.len()
    );
    let openapi: serde_json::Value = serde_json::from_str(&read("docs/openapi.json")).expect("openapi.json");
    let mut failures = Vec::new();
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for command in &commands {
        let result = match command.program() {
            "kubectl" => check_kubectl(&kubectl, command),
            "deploy/scripts/deploy.sh" => run_script(command, &[("DRY_RUN", "1")]),
            "deploy/scripts/render-alertmanager.sh" => run_script(command, &[]),
            "runtime-worker" => check_runtime_worker(command),
            "curl" => check_curl(&openapi, command),
            other => Err(format!(
                "no check for `{other}`: put it in a `text` block marked \"not checked here\""
            )),
        };
        *checked.entry(command.program()).or_default() += 1;
        if let Err(why) = result {
            failures.push(format!("{}\n    {why}", command.line));
        }
    }
    println!("runbook commands checked: {checked:?}");
    assert!(
        failures.is_empty(),
        "runbook commands that fail:\n{}",
        failures.join("\n")
    );
}

/// The keys of hexaspin-secrets: those of the example Secret, which the manifest tests check to
/// cover every key a pod reads.
fn secret_keys() -> Vec<String> {
    string_data(&read("deploy/overlays/prod/secret.example.yaml"))
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

#[test]
fn every_secret_command_of_the_runbook_writes_every_key_and_the_key_table_lists_each() {
    let runbook = read("docs/runbook.md");
    let keys = secret_keys();
    assert!(keys.contains(&"user_jwt_secret".to_owned()), "{keys:?}");
    let writes: Vec<SimpleCommand> = sh_commands(&runbook)
        .into_iter()
        .filter(|c| c.line.contains("create secret generic hexaspin-secrets"))
        .collect();
    // The first deploy and the jwt_secret rotation write the whole Secret.
    assert!(writes.len() >= 2, "{}", writes.len());
    for command in &writes {
        for key in &keys {
            assert!(
                command
                    .args()
                    .iter()
                    .any(|a| a.starts_with(&format!("--from-literal={key}="))),
                "this runbook command drops {key} from the Secret (the pods reading it would not start):\n{}",
                command.line
            );
        }
    }
    for key in &keys {
        let row = runbook.lines().any(|line| {
            line.starts_with("| `")
                && line
                    .split('|')
                    .nth(1)
                    .is_some_and(|c| c.contains(&format!("`{key}`")))
        });
        assert!(row, "the runbook's Secrets table has no row for {key}");
    }
}

fn check_kubectl(kubectl: &Path, command: &SimpleCommand) -> Result<(), String> {
    let args = command.args();
    if let Some(at) = args.iter().position(|a| a == "-k") {
        let dir = args.get(at + 1).ok_or("`-k` without a directory")?;
        let output = run(kubectl, &["kustomize", dir]);
        return output
            .status
            .success()
            .then_some(())
            .ok_or_else(|| printed(&output));
    }
    // `kubectl exec … -- <command>`: kubectl's part with --help, the command in the pod on its own
    // (a `runtime-worker` command is checked against this build, as any other).
    let (kubectl_args, in_pod) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], Some(&args[at + 1..])),
        None => (args, None),
    };
    if let Some(words) = in_pod {
        let inner = SimpleCommand {
            env: Default::default(),
            words: words.to_vec(),
            line: command.line.clone(),
        };
        match inner.program() {
            "runtime-worker" => check_runtime_worker(&inner)?,
            other => return Err(format!("no check for `{other}` run in a pod")),
        }
    }
    let mut with_help: Vec<&str> = kubectl_args.iter().map(String::as_str).collect();
    with_help.push("--help");
    let output = run(kubectl, &with_help);
    output
        .status
        .success()
        .then_some(())
        .ok_or_else(|| printed(&output))
}

fn run_script(command: &SimpleCommand, extra_env: &[(&str, &str)]) -> Result<(), String> {
    succeeds(
        Command::new(workspace_root().join(command.program()))
            .args(command.args())
            .envs(&command.env)
            .envs(extra_env.iter().copied()),
    )
}

fn check_runtime_worker(command: &SimpleCommand) -> Result<(), String> {
    succeeds(
        Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
            .args(command.args())
            .arg("--help"),
    )
}

/// Runs `command` in the workspace root: `Ok` when it exits 0, else what it printed.
fn succeeds(command: &mut Command) -> Result<(), String> {
    let output = command
        .current_dir(workspace_root())
        .output()
        .map_err(|e| e.to_string())?;
    output
        .status
        .success()
        .then_some(())
        .ok_or_else(|| printed(&output))
}

fn check_curl(openapi: &serde_json::Value, command: &SimpleCommand) -> Result<(), String> {
    let args = command.args();
    let method = args
        .iter()
        .position(|a| a == "-X")
        .and_then(|at| args.get(at + 1))
        .map_or("get".to_owned(), |m| m.to_ascii_lowercase());
    let url = args.iter().find(|a| a.contains("/api/")).ok_or("no /api/ URL")?;
    let path = &url[url.find("/api/").expect("found")..];
    let path = path.split('?').next().unwrap_or(path);
    let paths = openapi["paths"].as_object().ok_or("openapi.json has no paths")?;
    let matching = paths.iter().find(|(template, _)| path_matches(template, path));
    match matching {
        Some((_, operations)) if operations.get(&method).is_some() => Ok(()),
        Some((template, _)) => Err(format!("{template} has no {method} operation")),
        None => Err(format!("no path of docs/openapi.json matches {path}")),
    }
}

/// `/api/admin/jobs/{id}/retry` matches `/api/admin/jobs/$JOB_ID/retry`: a template segment
/// matches a shell variable, other segments match exactly.
fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && p.starts_with('$')))
}

#[test]
fn a_template_segment_matches_only_a_shell_variable() {
    assert!(path_matches(
        "/api/admin/jobs/{id}/retry",
        "/api/admin/jobs/$JOB_ID/retry"
    ));
    assert!(!path_matches(
        "/api/admin/jobs/{id}/retry",
        "/api/admin/jobs/$JOB_ID/retries"
    ));
    assert!(!path_matches("/api/admin/jobs/{id}", "/api/admin/jobs/123"));
}
