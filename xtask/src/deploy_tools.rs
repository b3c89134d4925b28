//! The command-line tools the deployment tests (`tests/tests/deploy_manifests.rs`) drive: found
//! on PATH before the test run starts, or a failure saying how to install them (`.ci/run`
//! installs them on Debian). Never skipped under `cargo xtask test`.

/// Each tool and how to get it.
const TOOLS: &[(&str, &str)] = &[
    (
        "kubectl",
        "https://kubernetes.io/docs/tasks/tools/ (its `kubectl kustomize` renders the overlays)",
    ),
    ("promtool", "apt-get install prometheus"),
    ("amtool", "apt-get install prometheus-alertmanager"),
    ("shellcheck", "apt-get install shellcheck"),
];

/// Fails, naming every missing tool, unless all are on PATH.
pub fn require() -> Result<(), String> {
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(name, _)| !on_path(name))
        .map(|(name, install)| format!("`{name}` is not on PATH; install it: {install}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("the deployment tests need:\n{}", missing.join("\n")));
    }
    require_kustomize_5()
}

/// The overlays use kustomize 5 (components, `labels:`): kubectl 1.27 and later embed it; an
/// older kubectl (Debian's kubernetes-client 1.20 has kustomize 2) would fail confusingly.
fn require_kustomize_5() -> Result<(), String> {
    let output = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .map_err(|e| format!("kubectl version --client: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major = text
        .lines()
        .find_map(|line| line.strip_prefix("Kustomize Version: v"))
        .and_then(|version| version.split('.').next())
        .and_then(|major| major.parse::<u32>().ok());
    match major {
        Some(major) if major >= 5 => Ok(()),
        _ => Err(format!(
            "kubectl must embed kustomize 5 or later (kubectl >= 1.27); `kubectl version --client` says:\n{text}"
        )),
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}
