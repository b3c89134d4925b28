//! The deployment files of `deploy/`, checked offline (no cluster runs here): every overlay
//! renders with `kubectl kustomize` and validates strictly (built-ins and CRDs), every pod template
//! meets the restricted Pod Security profile, the alert rules pass `promtool` and their unit
//! tests, the rendered Alertmanager config passes `amtool`, YAML and shell scripts pass their
//! linters, and the example secrets are refused by the app. The deploy script's own tests are in
//! `deploy_script.rs`.
//!
//! Tools: kubectl, promtool, amtool, shellcheck from PATH (`.ci/run` installs Debian's
//! `prometheus`, `prometheus-alertmanager`, `shellcheck`); kubernetes-validate and yamllint from
//! the virtualenv `cargo xtask test` makes. Under `cargo xtask test` they are required.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use hexaspin_api::metrics::MetricsToken;
use hexaspin_config::settings::{AdminSettings, ConfigError, ConfigSource, QueueSettings, StoreSettings};
use hexaspin_tests::deploy::{
    KUBERNETES_VERSION, PROMETHEUS_RULE_FILE, RULES_FILE, deploy_dir, generated_secret_keys, printed,
    prometheus_rule_from, python_tools, run, string_data, tool,
};
use hexaspin_tests::prerequisites::Prerequisite;
use hexaspin_tests::spin_up::workspace_root;

const KUBECTL_INSTALL: &str = "install kubectl (https://kubernetes.io/docs/tasks/tools/)";
const PROMETHEUS_INSTALL: &str = "apt-get install prometheus";

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `kubectl kustomize <dir>` written to a file in `out`.
fn kustomize(kubectl: &Path, dir: &Path, out: &Path) -> PathBuf {
    let output = run(kubectl, &["kustomize", &dir.to_string_lossy()]);
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        printed(&output)
    );
    let file = out.join(format!("{}.yaml", dir.to_string_lossy().replace('/', "_")));
    std::fs::write(&file, &output.stdout).expect("write rendered");
    file
}

/// What tests/deploy/check_manifests.py is asked to check beyond schemas and pod security.
#[derive(Default)]
struct Checks<'a> {
    /// The keys hexaspin-secrets has.
    secret_keys: Option<&'a [String]>,
    /// The rendered deploy/rbac whose Role must cover the render.
    deployer_role: Option<&'a Path>,
    /// Other renders in the same namespace (pods selected, executors, ServiceAccounts).
    context: &'a [PathBuf],
    /// `key=port`: pods given that secret key may reach that port.
    egress_ports: &'a [String],
}

/// Runs tests/deploy/check_manifests.py on `rendered`; `Ok` or the problems it printed.
fn check_manifests(python: &Path, rendered: &Path, checks: &Checks<'_>) -> Result<String, String> {
    let script = workspace_root().join("tests/deploy/check_manifests.py");
    let mut command = Command::new(python.join("python"));
    command
        .arg(script)
        .arg(rendered)
        .args(["--kubernetes-version", KUBERNETES_VERSION]);
    if let Some(keys) = checks.secret_keys {
        command.arg("--secret-keys").arg(keys.join(","));
    }
    if let Some(role) = checks.deployer_role {
        command.arg("--deployer-role").arg(role);
    }
    for other in checks.context {
        command.arg("--context").arg(other);
    }
    for port in checks.egress_ports {
        command.arg("--egress-port").arg(port);
    }
    let output = command.output().expect("run check_manifests.py");
    if output.status.success() {
        Ok(printed(&output))
    } else {
        Err(printed(&output))
    }
}

/// `key=port` for the store URLs of the example Secret (`pg_host`, `redis_host`): the ports a
/// production Secret written after it uses, which the network policies must let out.
fn example_store_ports() -> Vec<String> {
    let example = string_data(&read("deploy/overlays/prod/secret.example.yaml"));
    let port = |key: &str| {
        let host = &example.iter().find(|(k, _)| k == key).expect(key).1;
        host.rsplit_once(':').expect("host:port").1.to_owned()
    };
    vec![
        format!("pg_url={}", port("pg_host")),
        format!("redis_url={}", port("redis_host")),
    ]
}

fn example_secret_keys() -> Vec<String> {
    string_data(&read("deploy/overlays/prod/secret.example.yaml"))
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

#[test]
fn every_overlay_renders_and_validates_strictly_with_restricted_pods_and_known_secret_keys() {
    let (Some(kubectl), Some(python)) = (tool("kubectl", KUBECTL_INSTALL), python_tools()) else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let dev_keys = generated_secret_keys(&read("deploy/overlays/dev/secret-init.yaml"));
    assert!(dev_keys.contains(&"redis_url".to_owned()), "{dev_keys:?}");
    let prod_keys = example_secret_keys();
    // prod with the optional KEDA component, as the overlay's comment says to enable it.
    let deploy = deploy_dir();
    let keda = prod_with_component(out.path(), "keda");
    // prod trusting a private CA for its stores (components/store-ca, docs/runbook.md).
    let store_ca = prod_with_component(out.path(), "store-ca");
    // The CD account's Role must cover everything CD applies (prod, with KEDA, the user service,
    // the smoke Job), cluster-scoped objects included (there must be none).
    let deployer = kustomize(&kubectl, &deploy.join("rbac"), out.path());
    let role = Some(deployer.as_path());
    let ports = example_store_ports();
    assert_eq!(
        ports,
        ["pg_url=5432", "redis_url=6380"],
        "the example Secret changed its ports?"
    );
    // The ports of the URLs the dev overlay's secret-init Job writes.
    let dev_ports = ["pg_url=5432".to_owned(), "redis_url=6379".to_owned()];
    // The smoke Job's network policy and the user service select the app's pods and use its
    // executor, which the release renders; the dev stores must admit the user service's pods.
    let release = [kustomize(&kubectl, &deploy.join("overlays/prod"), out.path())];
    let users = [kustomize(
        &kubectl,
        &workspace_root().join("services/users/deploy"),
        out.path(),
    )];
    let with = |keys, deployer_role, context, egress_ports| Checks {
        secret_keys: Some(keys),
        deployer_role,
        context,
        egress_ports,
    };
    for (dir, checks) in [
        (
            deploy.join("overlays/dev"),
            with(&dev_keys, None, &users[..], &dev_ports),
        ),
        (deploy.join("overlays/prod"), with(&prod_keys, role, &[], &ports)),
        (keda.clone(), with(&prod_keys, role, &[], &ports)),
        (store_ca.clone(), with(&prod_keys, role, &[], &ports)),
        (deploy.join("smoke"), with(&prod_keys, role, &release[..], &[])),
        // The user service deployed on its own (issue 16), by CD beside the release.
        (
            workspace_root().join("services/users/deploy"),
            with(&prod_keys, role, &release[..], &ports),
        ),
        (deploy.join("rbac"), Checks::default()),
        // The namespace and the deployer account, applied once by an admin.
        (deploy.join("bootstrap"), Checks::default()),
        (deploy.join("observability/prometheus"), Checks::default()),
        (deploy.join("observability/grafana"), Checks::default()),
    ] {
        let rendered = kustomize(&kubectl, &dir, out.path());
        match check_manifests(&python, &rendered, &checks) {
            Ok(report) => println!("{}: {}", dir.display(), report.trim()),
            Err(problems) => panic!("{}:\n{problems}", dir.display()),
        }
    }
    let with_keda = std::fs::read_to_string(kustomize(&kubectl, &keda, out.path())).expect("rendered");
    let autoscalers: Vec<&str> = with_keda
        .split("\n---\n")
        .filter(|doc| doc.contains("kind: HorizontalPodAutoscaler") || doc.contains("kind: ScaledObject"))
        .map(|doc| {
            if doc.contains("kind: ScaledObject") {
                "ScaledObject"
            } else if doc.contains("name: hexaspin-worker\n") {
                "worker HPA"
            } else {
                "app HPA"
            }
        })
        .collect();
    // KEDA makes its own HPA for the worker: the CPU one must be gone, the app's stays.
    assert_eq!(autoscalers, ["app HPA", "ScaledObject"], "{with_keda}");
    assert_store_ca_reaches_the_worker_the_migration_and_spin(
        &std::fs::read_to_string(kustomize(&kubectl, &store_ca, out.path())).expect("rendered"),
    );
}

/// A directory in `out` with a kustomization of the prod overlay and `components/<component>`.
fn prod_with_component(out: &Path, component: &str) -> PathBuf {
    let dir = out.join(format!("prod-{component}"));
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!(
            "resources: [{0}/overlays/prod]\ncomponents: [{0}/components/{component}]\n",
            relative(&dir, &deploy_dir())
        ),
    )
    .expect("write");
    dir
}

/// With components/store-ca, the worker and the migration Job read the CA bundle of the Secret
/// hexaspin-store-ca through SSL_CERT_FILE, and the executor hands the same Secret to Spin.
fn assert_store_ca_reaches_the_worker_the_migration_and_spin(rendered: &str) {
    let doc = |kind: &str, name: &str| -> String {
        rendered
            .split("\n---\n")
            .find(|d| d.contains(&format!("\nkind: {kind}\n")) && d.contains(&format!("\n  name: {name}\n")))
            .map(|d| format!("{d}\n"))
            .unwrap_or_else(|| panic!("no {kind}/{name} in {rendered}"))
    };
    for (kind, name) in [("Deployment", "hexaspin-worker"), ("Job", "hexaspin-migrate")] {
        let workload = doc(kind, name);
        for wanted in [
            "- name: SSL_CERT_FILE\n          value: /etc/hexaspin-ca/ca-certificates.crt\n",
            "- mountPath: /etc/hexaspin-ca\n          name: store-ca\n          readOnly: true\n",
            "- name: store-ca\n        secret:\n          items:\n          - key: ca-certificates.crt\n            path: ca-certificates.crt\n          secretName: hexaspin-store-ca\n",
        ] {
            assert!(
                workload.contains(wanted),
                "{kind}/{name} lacks {wanted:?}:\n{workload}"
            );
        }
    }
    let executor = doc("SpinAppExecutor", "containerd-shim-spin");
    assert!(
        executor.contains("caCertSecret: hexaspin-store-ca\n"),
        "{executor}"
    );
    // installDefaultCACerts would name spin-ca; with caCertSecret the operator mounts ours.
    assert!(!executor.contains("installDefaultCACerts"), "{executor}");
    assert!(
        !rendered.contains("\nkind: Secret\n"),
        "the CA Secret is created by the operator, never rendered"
    );
}

/// `to` relative to `from` (kustomize refuses absolute resource paths).
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[test]
fn the_manifest_check_refuses_unknown_fields_privileged_pods_missing_secret_keys_and_dead_selectors() {
    let Some(python) = python_tools() else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let bad = out.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      hostNetwork: true
      containers:
        - name: c
          image: x
          securityContext: {privileged: true}
          env:
            - name: S
              valueFrom: {secretKeyRef: {name: hexaspin-secrets, key: nope}}
---
apiVersion: core.spinkube.dev/v1alpha1
kind: SpinApp
metadata: {name: app}
spec: {image: x, replica: 2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo}
spec:
  podSelector: {matchLabels: {a: c}}
  policyTypes: [Ingress]
---
apiVersion: example.com/v1
kind: Unknown
metadata: {name: u}
",
    )
    .expect("write");
    let role = out.path().join("role.yaml");
    std::fs::write(
        &role,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, create, patch]
",
    )
    .expect("write");
    let keys = ["jwt_secret".to_owned()];
    let checks = Checks {
        secret_keys: Some(&keys),
        deployer_role: Some(&role),
        ..Checks::default()
    };
    let problems = check_manifests(&python, &bad, &checks).unwrap_err();
    for expected in [
        "hostNetwork is set",
        "container c: privileged",
        "allowPrivilegeEscalation is not false",
        "capabilities.drop lacks ALL",
        "runAsNonRoot is not true",
        "seccompProfile is not RuntimeDefault",
        "readOnlyRootFilesystem is not true",
        "no memory limit",
        "no key 'nope'",
        "'replica' was unexpected",
        "no schema for Unknown",
        "selector {'a': 'c'} selects no pod",
        "NetworkPolicy/typo: the deployer Role lacks",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
}

#[test]
fn every_refused_fixture_is_refused_for_its_stated_reason() {
    let Some(python) = python_tools() else {
        return;
    };
    let dir = workspace_root().join("tests/deploy/refused");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/deploy/refused")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    let names: Vec<String> = fixtures
        .iter()
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    // The four the upstream CRDs refuse and the old schemas let through, at least.
    for needed in [
        "spinapp-without-executor.yaml",
        "prometheusrule-for-banana.yaml",
        "scaledobject-min-over-max.yaml",
        "servicemonitor-relabel-bogus.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == needed),
            "{needed} is missing: {names:?}"
        );
    }
    for fixture in &fixtures {
        let text = std::fs::read_to_string(fixture).expect("fixture");
        let reason = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# refused: "))
            .unwrap_or_else(|| panic!("{}: no `# refused: <reason>` first line", fixture.display()));
        match check_manifests(&python, fixture, &Checks::default()) {
            Ok(report) => panic!("{} was accepted:\n{report}", fixture.display()),
            Err(problems) => assert!(
                problems.contains(reason),
                "{} was refused, but not for {reason:?}:\n{problems}",
                fixture.display()
            ),
        }
    }
}

#[test]
fn the_manifest_check_refuses_cluster_scoped_objects_blocked_drains_token_mounting_apps_and_closed_store_ports()
 {
    let Some(python) = python_tools() else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let bad = out.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1
kind: Namespace
metadata: {name: hexaspin}
---
apiVersion: core.spinkube.dev/v1alpha1
kind: SpinApp
metadata: {name: app}
spec:
  image: x
  executor: elsewhere
  replicas: 1
  podLabels: {app.kubernetes.io/name: app}
  variables:
    - name: pg_url
      valueFrom: {secretKeyRef: {name: hexaspin-secrets, key: pg_url}}
---
apiVersion: core.spinkube.dev/v1alpha1
kind: SpinApp
metadata: {name: other}
spec:
  image: x
  executor: elsewhere
  serviceAccountName: with-token
  replicas: 2
  podLabels: {app.kubernetes.io/name: other}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: with-token}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app}
spec:
  minAvailable: 1
  selector: {matchLabels: {app.kubernetes.io/name: app}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: postgres}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: postgres}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app.kubernetes.io/name: other}}}]
      ports: [{protocol: TCP, port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: app}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: app}}
  policyTypes: [Egress]
  egress:
    - ports: [{protocol: TCP, port: 6379}]
",
    )
    .expect("write");
    let role = out.path().join("role.yaml");
    std::fs::write(
        &role,
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules:
  - apiGroups: ['', core.spinkube.dev, policy, networking.k8s.io]
    resources: [namespaces, spinapps, serviceaccounts, poddisruptionbudgets, networkpolicies]
    verbs: [get, create, patch]
",
    )
    .expect("write");
    let ports = ["pg_url=5432".to_owned()];
    let checks = Checks {
        deployer_role: Some(&role),
        egress_ports: &ports,
        ..Checks::default()
    };
    let problems = check_manifests(&python, &bad, &checks).unwrap_err();
    for expected in [
        "Namespace/hexaspin: cluster-scoped",
        "SpinApp/app: the deployer Role lacks ['delete']",
        "PodDisruptionBudget/app: allows no eviction of SpinApp/app at 1 replica(s)",
        "SpinApp/app: no SpinAppExecutor 'elsewhere' in its namespace",
        "SpinApp/app: no serviceAccountName",
        "SpinApp/other: ServiceAccount 'with-token' mounts an API token",
        "NetworkPolicy/postgres: does not admit SpinApp/app, which is given pg_url",
        "SpinApp/app: its NetworkPolicies allow no egress to port 5432 (pg_url)",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
}

#[test]
fn the_prometheus_rule_carries_exactly_the_rules_file() {
    let expected = prometheus_rule_from(&read(RULES_FILE));
    let path = workspace_root().join(PROMETHEUS_RULE_FILE);
    if std::env::var_os("HEXASPIN_UPDATE_DEPLOY").is_some() {
        std::fs::write(&path, &expected).expect("write PrometheusRule");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{PROMETHEUS_RULE_FILE} is out of date with {RULES_FILE}: run\n  \
         HEXASPIN_UPDATE_DEPLOY=1 cargo test -p hexaspin-tests --test deploy_manifests"
    );
}

#[test]
fn the_rules_pass_promtool_and_every_alert_has_a_unit_test_that_fires_it() {
    let Some(promtool) = tool("promtool", PROMETHEUS_INSTALL) else {
        return;
    };
    let check = run(&promtool, &["check", "rules", RULES_FILE]);
    assert!(check.status.success(), "{}", printed(&check));
    let tests = "deploy/observability/prometheus/tests/hexaspin.rules.test.yaml";
    let unit = run(&promtool, &["test", "rules", tests]);
    assert!(unit.status.success(), "{}", printed(&unit));

    let alerts: BTreeSet<String> = read(RULES_FILE)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- alert: ").map(str::to_owned))
        .collect();
    assert_eq!(alerts.len(), 9, "{alerts:?}");
    // An alert counts as tested when some test expects it to fire (exp_alerts not empty).
    let test_text = read(tests);
    let mut fired = BTreeSet::new();
    let mut current = None;
    for line in test_text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("alertname: ") {
            current = Some(name.to_owned());
        } else if line == "exp_alerts:" {
            fired.extend(current.clone());
        }
    }
    let untested: Vec<_> = alerts.difference(&fired).collect();
    assert!(untested.is_empty(), "alerts no unit test fires: {untested:?}");
}

#[test]
fn every_hexaspin_metric_the_rules_dashboard_and_scaler_query_is_one_the_code_exports() {
    let mut sources = String::new();
    for dir in ["crates", "runtime-worker/src"] {
        collect_rust(&workspace_root().join(dir), &mut sources);
    }
    for file in [
        RULES_FILE,
        "deploy/observability/grafana/hexaspin-dashboard.json",
        "deploy/components/keda/scaled-object.yaml",
    ] {
        let text = read(file);
        let names: BTreeSet<&str> = text
            .match_indices("hexaspin_")
            .map(|(at, _)| {
                let rest = &text[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .collect();
        assert!(!names.is_empty(), "{file} queries no hexaspin metric");
        for name in names {
            let base = name.strip_suffix("_bucket").unwrap_or(name);
            assert!(
                sources.contains(&format!("\"{base}\"")),
                "{file} queries {name}, which no code under crates/ or runtime-worker/ exports"
            );
        }
    }
}

fn collect_rust(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

#[test]
fn the_rendered_alertmanager_config_passes_amtool_and_a_missing_url_is_refused() {
    let Some(amtool) = tool("amtool", "apt-get install prometheus-alertmanager") else {
        return;
    };
    let script = workspace_root().join("deploy/scripts/render-alertmanager.sh");
    let render = |url: Option<&str>| {
        let mut command = Command::new(&script);
        command.env_remove("ALERT_WEBHOOK_URL");
        if let Some(url) = url {
            command.env("ALERT_WEBHOOK_URL", url);
        }
        command.output().expect("render-alertmanager.sh")
    };
    let url = "https://hooks.example.net/services/T000/B000/xyz";
    let rendered = render(Some(url));
    assert!(rendered.status.success(), "{}", printed(&rendered));
    let config = String::from_utf8(rendered.stdout).expect("utf-8");
    assert!(config.contains(&format!("url: \"{url}\"")), "{config}");
    assert!(!config.contains("${"), "a placeholder is left: {config}");
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("alertmanager.yml");
    std::fs::write(&file, &config).expect("write");
    let check = run(&amtool, &["check-config", &file.to_string_lossy()]);
    assert!(check.status.success(), "{}", printed(&check));

    for (bad, why) in [
        (None, "is not set"),
        (Some("http://hooks.example.net/x"), "must be an https:// URL"),
        (
            Some("https://hooks.example.net/x\" injected: 1"),
            "contains a space, quote",
        ),
    ] {
        let refused = render(bad);
        assert!(!refused.status.success(), "{bad:?} was accepted");
        assert!(printed(&refused).contains(why), "{bad:?}: {}", printed(&refused));
    }
}

#[test]
fn the_scrape_config_for_prometheus_without_the_operator_passes_promtool() {
    let Some(promtool) = tool("promtool", PROMETHEUS_INSTALL) else {
        return;
    };
    let text = read("deploy/observability/prometheus/prometheus.yml");
    let out = tempfile::tempdir().expect("tempdir");
    let config = out.path().join("prometheus.yml");
    // Debian builds promtool without Kubernetes service discovery, so the pod discovery blocks
    // are swapped for a static target; everything else (relabelling, authorization, rule files,
    // alerting) is checked as written.
    let checkable = without_kubernetes_discovery(&text);
    assert_ne!(
        checkable, text,
        "the config no longer uses kubernetes_sd_configs?"
    );
    std::fs::write(&config, checkable).expect("write");
    let check = run(
        &promtool,
        &["check", "config", "--syntax-only", &config.to_string_lossy()],
    );
    assert!(check.status.success(), "{}", printed(&check));
}

/// `text` with each `kubernetes_sd_configs:` block replaced by a static target at its indent.
fn without_kubernetes_discovery(text: &str) -> String {
    let mut out = String::new();
    let mut skipping: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(block) = skipping {
            if line.trim().is_empty() || indent > block {
                continue;
            }
            skipping = None;
        }
        if line.trim() == "kubernetes_sd_configs:" {
            let pad = " ".repeat(indent);
            out.push_str(&format!(
                "{pad}static_configs:\n{pad}  - targets: [\"127.0.0.1:80\"]\n"
            ));
            skipping = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn yamllint_passes_on_the_deploy_files_and_workflows() {
    let Some(python) = python_tools() else {
        return;
    };
    let lint = run(
        &python.join("yamllint"),
        &[
            "--strict",
            "-c",
            ".yamllint.yaml",
            "deploy",
            ".github/workflows",
            "services/users/deploy",
            ".yamllint.yaml",
        ],
    );
    assert!(lint.status.success(), "{}", printed(&lint));
}

#[test]
fn shellcheck_passes_on_every_script() {
    let Some(shellcheck) = tool("shellcheck", "apt-get install shellcheck") else {
        return;
    };
    let mut scripts = vec![".ci/run".to_owned()];
    for entry in std::fs::read_dir(deploy_dir().join("scripts"))
        .expect("deploy/scripts")
        .flatten()
    {
        scripts.push(format!("deploy/scripts/{}", entry.file_name().to_string_lossy()));
    }
    let args: Vec<&str> = scripts.iter().map(String::as_str).collect();
    let check = run(&shellcheck, &args);
    assert!(check.status.success(), "{}", printed(&check));
}

#[test]
fn the_worker_image_builds_and_runs_in_docker() {
    let engine = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match engine {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            return Prerequisite::Docker.missing(format_args!(
                "no Docker engine answers `docker info`: {}",
                printed(&output).trim()
            ));
        }
        Err(e) => {
            return Prerequisite::Docker.missing(format_args!(
                "no `docker` on PATH ({e}); the image is built by CD (.github/workflows/cd.yml)"
            ));
        }
    }
    let build = run(
        Path::new("docker"),
        &[
            "build",
            "-f",
            "deploy/worker.Dockerfile",
            "-t",
            "hexaspin-worker:test",
            ".",
        ],
    );
    assert!(build.status.success(), "{}", printed(&build));
    let version = run(
        Path::new("docker"),
        &["run", "--rm", "hexaspin-worker:test", "--version"],
    );
    assert!(
        printed(&version).contains("runtime-worker"),
        "{}",
        printed(&version)
    );
}

/// The example Secret's values as settings.
struct Settings(HashMap<String, String>);

impl ConfigSource for Settings {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(self.0.get(name).cloned())
    }
}

#[test]
fn the_example_secret_values_are_refused_by_the_app_and_the_worker() {
    let example: HashMap<String, String> = string_data(&read("deploy/overlays/prod/secret.example.yaml"))
        .into_iter()
        .collect();
    for key in [
        "pg_url",
        "redis_url",
        "jwt_secret",
        "key_pepper",
        "metrics_token",
        "pg_host",
        "redis_host",
    ] {
        assert!(example.contains_key(key), "the example Secret lacks {key}");
    }
    let mut settings = example.clone();
    settings.insert("store".into(), "postgres".into());
    settings.insert("queue".into(), "redis".into());
    let settings = Settings(settings);

    let refused = |result: Result<(), ConfigError>, name: &str| match result {
        Err(ConfigError::Invalid { name: field, reason }) => {
            assert_eq!(field, name, "{reason}");
            assert!(reason.contains("placeholder"), "{name}: {reason}");
        }
        other => panic!("{name}: the example value was not refused: {other:?}"),
    };
    refused(StoreSettings::load(&settings).map(drop), "pg_url");
    refused(QueueSettings::load(&settings).map(drop), "redis_url");
    refused(MetricsToken::load(&settings).map(drop), "metrics_token");
    refused(AdminSettings::load(&settings).map(drop), "jwt_secret");
    // With a real JWT secret the pepper is judged too.
    let mut real_jwt = example;
    real_jwt.insert(
        "jwt_secret".into(),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
    );
    refused(AdminSettings::load(&Settings(real_jwt)).map(drop), "key_pepper");
}

#[test]
fn the_procfile_starts_the_app_and_exactly_one_worker() {
    let procfile = read("Procfile");
    let processes: Vec<&str> = procfile
        .lines()
        .filter(|line| !line.trim_start().starts_with('#') && line.contains(':'))
        .collect();
    // `cargo xtask dev` starts the app and one worker; any other line that runs a worker would
    // be a second one on the same admin port.
    let workers = processes
        .iter()
        .filter(|line| line.contains("xtask dev") || line.contains("runtime-worker") && line.contains(" run"))
        .count();
    assert_eq!(workers, 1, "{procfile}");
}
