//! Support for the deployment tests (`tests/deploy_manifests.rs`): the tools they drive, the
//! PrometheusRule derived from the rules file, and the keys of the Secrets the manifests read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::prerequisites::Prerequisite;
use crate::spin_up::workspace_root;

/// `deploy/` in the workspace.
pub fn deploy_dir() -> PathBuf {
    workspace_root().join("deploy")
}

/// The Kubernetes version the manifests are validated against (the SpinKube shim and the
/// worker's `preStop.sleep` need 1.30 or later; this is the newest the CI's kubectl speaks).
pub const KUBERNETES_VERSION: &str = "1.32";

/// The rules file, the one source of hexaspin's alerts.
pub const RULES_FILE: &str = "deploy/observability/prometheus/hexaspin.rules.yaml";

/// The PrometheusRule carrying the rules file.
pub const PROMETHEUS_RULE_FILE: &str = "deploy/components/prometheus-operator/prometheus-rule.yaml";

/// The PrometheusRule manifest for `rules` (the text of [`RULES_FILE`]): its `groups:` under
/// `spec:`, byte for byte, after a header naming where it comes from.
pub fn prometheus_rule_from(rules: &str) -> String {
    let body = rules
        .find("\ngroups:")
        .map(|at| &rules[at + 1..])
        .expect("the rules file has a top-level `groups:`");
    let mut out = String::from(
        "# GENERATED from deploy/observability/prometheus/hexaspin.rules.yaml: edit that file, then\n\
         #   HEXASPIN_UPDATE_DEPLOY=1 cargo test -p hexaspin-tests --test deploy_manifests\n\
         apiVersion: monitoring.coreos.com/v1\n\
         kind: PrometheusRule\n\
         metadata:\n  \
           name: hexaspin\n  \
           labels:\n    \
             # kube-prometheus-stack selects rules by its release label: set yours if it differs.\n    \
             release: kube-prometheus-stack\n\
         spec:\n",
    );
    for line in body.lines() {
        if !line.is_empty() {
            out.push_str("  ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The keys and values under `stringData:` of a Secret manifest written one `key: value` per
/// line (the example Secret); commented lines are not keys.
pub fn string_data(manifest: &str) -> Vec<(String, String)> {
    manifest
        .lines()
        .skip_while(|line| line.trim_end() != "stringData:")
        .skip(1)
        .take_while(|line| line.starts_with(' ') || line.is_empty())
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once(':')?;
            Some((key.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// The keys the dev overlay's secret-init Job writes: the names in its `for key in …; do` loop
/// and the files its `printf … > name` lines write.
pub fn generated_secret_keys(secret_init: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for line in secret_init.lines().map(str::trim) {
        if let Some(list) = line.strip_prefix("for key in ") {
            let list = list.split(';').next().unwrap_or_default();
            keys.extend(list.split_whitespace().map(str::to_owned));
        } else if line.starts_with("printf ")
            && let Some((_, target)) = line.rsplit_once("> ")
        {
            keys.push(target.trim().to_owned());
        }
    }
    keys
}

/// `name` on PATH, if it is there.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The deployment tool `name` on PATH, or `None` after SKIPPED (a failure under
/// `HEXASPIN_REQUIRE_DEPLOY_TOOLS`).
pub fn tool(name: &str, install: &str) -> Option<PathBuf> {
    let found = on_path(name);
    if found.is_none() {
        Prerequisite::DeployTools.missing(format_args!("`{name}` is not on PATH ({install})"));
    }
    found
}

/// The Python virtualenv's `bin/` with kubernetes-validate and yamllint (`cargo xtask test`
/// makes it and names it in `HEXASPIN_PYTHON_TOOLS`), or `None` after SKIPPED (a failure under
/// `HEXASPIN_REQUIRE_PYTHON_TOOLS`).
pub fn python_tools() -> Option<PathBuf> {
    match std::env::var_os("HEXASPIN_PYTHON_TOOLS").map(PathBuf::from) {
        Some(bin) if bin.join("kubernetes-validate").is_file() && bin.join("yamllint").is_file() => Some(bin),
        _ => {
            Prerequisite::PythonTools.missing(
                "HEXASPIN_PYTHON_TOOLS names no virtualenv with kubernetes-validate and yamllint \
                 (run `cargo xtask test`, which installs them)",
            );
            None
        }
    }
}

/// Runs `program` with `args` in the workspace root and returns its output (spawn failures
/// panic with the command).
pub fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", program.display()))
}

/// Stdout and stderr of `output`, for assertion messages.
pub fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prometheus_rule_indents_the_groups_under_spec() {
        let rule = prometheus_rule_from("# header\ngroups:\n  - name: a\n\n    rules: []\n");
        assert!(
            rule.ends_with("spec:\n  groups:\n    - name: a\n\n      rules: []\n"),
            "{rule}"
        );
        assert!(!rule.contains("# header"));
    }

    #[test]
    fn string_data_reads_the_keys_and_skips_comments() {
        let manifest = "kind: Secret\nstringData:\n  a: one\n  # b: two\n  c: x:y\nother: 1\n";
        assert_eq!(
            string_data(manifest),
            [
                ("a".to_owned(), "one".to_owned()),
                ("c".to_owned(), "x:y".to_owned())
            ]
        );
    }

    #[test]
    fn generated_secret_keys_reads_the_loop_and_the_printf_targets() {
        let script = "for key in a b; do\n  random > \"$key\"\ndone\nprintf 'x' > c\n";
        assert_eq!(generated_secret_keys(script), ["a", "b", "c"]);
    }
}
