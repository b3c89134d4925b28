"""Checks rendered Kubernetes manifests (the output of `kubectl kustomize`), for the tests in
tests/tests/deploy_manifests.rs:

1. every object validates in strict mode (unknown fields refused): Kubernetes built-ins against
   the kubernetes-validate schemas of --kubernetes-version, the custom resources against the
   schemas in crd-schemas/; an object of any other kind is an error;
2. every pod template meets the Pod Security "restricted" profile, plus a read-only root
   filesystem and a memory limit on every container;
3. the worker's terminationGracePeriodSeconds covers its shutdown_grace_ms and preStop pause;
4. every required secretKeyRef of hexaspin-secrets names a key of --secret-keys;
5. every pod selector of a NetworkPolicy or PodDisruptionBudget selects some pod of the output or
   of the --context renders (a misspelt label would silently select nothing);
6. with --deployer-role, that Role may create and patch every namespaced object of the output.

Usage: check_manifests.py RENDERED.yaml --kubernetes-version 1.32 [--secret-keys a,b,c]
       [--deployer-role RBAC.yaml] [--context OTHER_RENDERED.yaml ...]
Prints one line per problem and exits 1 when there is any.
"""

import argparse
import pathlib
import sys
import tomllib

import jsonschema
import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # A Pod is its own template: the empty prefix before "spec".
    "Pod": ("spec",),
}
# Volume types the restricted profile allows.
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}


def crd_schemas():
    schemas = {}
    for path in sorted((HERE / "crd-schemas").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        schemas[(doc["apiVersion"], doc["kind"])] = doc["schema"]
    return schemas


def validate_object(obj, version, crds):
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in crds:
        validator = jsonschema.Draft202012Validator(crds[key])
        return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        path = ".".join(str(p) for p in e.path)
        return [f"{path}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {key[1]} {key[0]} (a CRD without a schema in tests/deploy/crd-schemas?)"]
    return []


def pod_template(obj):
    """The pod template of a workload (a Pod is its own), or None for other kinds."""
    path = POD_TEMPLATE_PATHS.get(obj.get("kind"))
    if path is None:
        return None
    template = obj
    for step in path[:-1]:
        template = template.get(step, {})
    return template


def pod_spec(obj):
    template = pod_template(obj)
    return None if template is None else template.get("spec", {})


def restricted_problems(spec):
    problems = []
    pod_ctx = spec.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(f"{flag} is set")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            problems.append(f"volume {volume['name']} is of a type restricted forbids: {sorted(kinds)}")
    pod_seccomp = (pod_ctx.get("seccompProfile") or {}).get("type")
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    for c in containers:
        name = c.get("name")
        ctx = c.get("securityContext") or {}
        if ctx.get("privileged"):
            problems.append(f"container {name}: privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name}: allowPrivilegeEscalation is not false")
        caps = ctx.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"container {name}: capabilities.drop lacks ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"container {name}: adds capabilities {caps['add']}")
        if not (ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True):
            problems.append(f"container {name}: runAsNonRoot is not true")
        if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
            problems.append(f"container {name}: runs as user 0")
        seccomp = (ctx.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"container {name}: seccompProfile is not RuntimeDefault or Localhost")
        if ctx.get("readOnlyRootFilesystem") is not True:
            problems.append(f"container {name}: readOnlyRootFilesystem is not true")
        if "memory" not in ((c.get("resources") or {}).get("limits") or {}):
            problems.append(f"container {name}: no memory limit")
    return problems


def worker_grace_problems(objects):
    workers = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "hexaspin-worker"]
    if not workers:
        return []
    spec = pod_spec(workers[0])
    config_map = next(
        (v for v in spec.get("volumes", []) if v["name"] == "config"), {}
    ).get("configMap", {}).get("name")
    configs = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == config_map]
    if not configs:
        return [f"the worker's ConfigMap {config_map} is not in the output"]
    config = tomllib.loads(configs[0]["data"]["worker.toml"])
    grace_ms = config.get("worker", {}).get("shutdown_grace_ms", 30000)
    container = next(c for c in spec["containers"] if c["name"] == "worker")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    period = spec.get("terminationGracePeriodSeconds", 30)
    # The kubelet's clock starts at SIGTERM-before-preStop; the worker needs the pause, its grace
    # and a few seconds to hand the remaining jobs back.
    needed = pre_stop + grace_ms / 1000 + 5
    if period < needed:
        return [f"hexaspin-worker: terminationGracePeriodSeconds {period} < preStop {pre_stop} s + shutdown_grace_ms {grace_ms} + 5 s"]
    return []


def secret_key_problems(objects, keys):
    problems = []

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict) and ref.get("name") == "hexaspin-secrets" and not ref.get("optional"):
                if ref.get("key") not in keys:
                    problems.append(f"{where}: hexaspin-secrets has no key {ref.get('key')!r} (keys: {sorted(keys)})")
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for obj in objects:
        walk(obj, f"{obj['kind']}/{obj['metadata']['name']}")
    return problems


def pod_labels(objects):
    """The label sets of every pod the output creates (SpinKube pods carry spec.podLabels)."""
    sets = []
    for obj in objects:
        if obj.get("kind") == "SpinApp":
            sets.append(obj["spec"].get("podLabels") or {})
            continue
        template = pod_template(obj)
        if template is not None:
            sets.append((template.get("metadata") or {}).get("labels") or {})
    return sets


def selector_problems(objects, context):
    pods = pod_labels(objects + context)

    def selects(match_labels):
        return any(all(labels.get(k) == v for k, v in match_labels.items()) for labels in pods)

    problems = []
    for obj in objects:
        kind, name = obj.get("kind"), obj["metadata"]["name"]
        selectors = []
        if kind == "NetworkPolicy":
            selectors.append(obj["spec"].get("podSelector") or {})
            for rule in (obj["spec"].get("ingress") or []) + (obj["spec"].get("egress") or []):
                for peer in (rule.get("from") or []) + (rule.get("to") or []):
                    if "podSelector" in peer and "namespaceSelector" not in peer:
                        selectors.append(peer["podSelector"])
        elif kind == "PodDisruptionBudget":
            selectors.append(obj["spec"].get("selector") or {})
        for selector in selectors:
            labels = selector.get("matchLabels") or {}
            if labels and not selects(labels):
                problems.append(f"{kind}/{name}: selector {labels} selects no pod of this output")
    return problems


def plural(kind):
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


def deployer_problems(objects, role_file):
    rules = []
    for doc in yaml.safe_load_all(pathlib.Path(role_file).read_text()):
        if doc and doc.get("kind") == "Role":
            rules += doc.get("rules") or []
    problems = []
    for obj in objects:
        if obj.get("kind") == "Namespace":
            continue  # cluster-scoped: created once by an admin (docs/runbook.md)
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        resource = plural(obj["kind"])
        allowed = set()
        for rule in rules:
            if group in rule.get("apiGroups", []) and resource in rule.get("resources", []):
                allowed |= set(rule.get("verbs", []))
        missing = {"create", "patch", "get"} - allowed
        if missing:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: the deployer Role lacks {sorted(missing)} on {group or 'core'}/{resource}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rendered")
    parser.add_argument("--kubernetes-version", required=True)
    parser.add_argument("--secret-keys")
    parser.add_argument("--deployer-role")
    parser.add_argument("--context", action="append", default=[])
    args = parser.parse_args()
    objects = [o for o in yaml.safe_load_all(pathlib.Path(args.rendered).read_text()) if o]
    crds = crd_schemas()
    problems = []
    for obj in objects:
        name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        problems += [f"{name}: {p}" for p in validate_object(obj, args.kubernetes_version, crds)]
        spec = pod_spec(obj)
        if spec is not None:
            problems += [f"{name}: {p}" for p in restricted_problems(spec)]
    problems += worker_grace_problems(objects)
    context = [o for path in args.context for o in yaml.safe_load_all(pathlib.Path(path).read_text()) if o]
    problems += selector_problems(objects, context)
    if args.deployer_role:
        problems += deployer_problems(objects, args.deployer_role)
    if args.secret_keys is not None:
        problems += secret_key_problems(objects, set(args.secret_keys.split(",")))
    for problem in problems:
        print(problem)
    print(f"{len(objects)} objects checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
