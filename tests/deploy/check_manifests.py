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
6. no PodDisruptionBudget forbids every eviction of the pods it selects (a node drain would hang);
7. every SpinApp names a SpinAppExecutor of its own namespace (spin-operator looks it up there) and
   a ServiceAccount of the output or context that mounts no API token;
8. where a NetworkPolicy admits traffic to an in-cluster store (Postgres, Redis), every pod of the
   output or context that is given that store's URL is admitted;
9. with --egress-port KEY=PORT (e.g. redis_url=6380, the port of the example Secret's URL), every
   pod given that secret key whose egress some NetworkPolicy restricts may connect to that port
   and to DNS (53, UDP and TCP: the URL names a host), through the policies of the output alone;
10. with --deployer-role, that Role may get, create, patch and delete every object of the output: a
   cluster-scoped object is a problem, as no Role can grant it.

With --selector, only the objects of RENDERED.yaml that the label selector selects are the output
(`kubectl apply --selector` applies them alone, as deploy/scripts/deploy.sh's migration step does):
equality (k=v, k!=v) and set (k in (a,b), k notin (a,b)) requirements, comma-separated.

Usage: check_manifests.py RENDERED.yaml --kubernetes-version 1.32 [--secret-keys a,b,c]
       [--deployer-role RBAC.yaml] [--context OTHER_RENDERED.yaml ...] [--egress-port KEY=PORT ...]
       [--selector SELECTOR]
Prints one line per problem and exits 1 when there is any.
"""

import argparse
import pathlib
import sys
import tomllib

import celpy
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
    """(apiVersion, kind) -> (scope, schema) of the files in crd-schemas/."""
    schemas = {}
    for path in sorted((HERE / "crd-schemas").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        schemas[(doc["apiVersion"], doc["kind"])] = (doc["scope"], doc["schema"])
    return schemas


CEL = celpy.Environment()


def resolve(schema, root):
    """A schema with its $ref followed (the files use local #/$defs/ references only)."""
    while isinstance(schema, dict) and "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    return schema


def kubernetes_extensions(schema, root, value, path):
    """What the API server checks beyond OpenAPI: x-kubernetes-validations (CEL, with `self` the
    value at that node) and the unique keys of x-kubernetes-list-type: map lists."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict):
        return []
    problems = []
    for rule in schema.get("x-kubernetes-validations") or []:
        program = CEL.program(CEL.compile(rule["rule"]))
        try:
            verdict = program.evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError as e:
            verdict = e
        if isinstance(verdict, Exception):
            problems.append(f"{path}: rule {rule['rule']!r} could not be evaluated: {verdict}")
        elif not (isinstance(verdict, celpy.celtypes.BoolType) and bool(verdict)):
            problems.append(f"{path}: {rule['message']}")
    for part in schema.get("allOf") or []:
        problems += kubernetes_extensions(part, root, value, path)
    if isinstance(value, list):
        keys = schema.get("x-kubernetes-list-map-keys")
        if schema.get("x-kubernetes-list-type") == "map" and keys:
            seen = set()
            for item in value:
                key = tuple(item.get(k) for k in keys) if isinstance(item, dict) else (item,)
                if key in seen:
                    problems.append(f"{path}: duplicate entry with {dict(zip(keys, key))}")
                seen.add(key)
        for i, item in enumerate(value):
            problems += kubernetes_extensions(schema.get("items") or {}, root, item, f"{path}[{i}]")
    elif isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key, extra if isinstance(extra, dict) else None)
            if child is not None:
                problems += kubernetes_extensions(child, root, item, f"{path}.{key}")
    return problems


def validate_object(obj, version, crds):
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in crds:
        schema = crds[key][1]
        validator = jsonschema.Draft202012Validator(schema)
        problems = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(obj)]
        # The CEL rules assume a structurally valid object, as the API server's do.
        return problems or kubernetes_extensions(schema, schema, obj, "$")
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


def workloads(objects):
    """(object, pod labels, fixed replica count or None) of every workload the output runs; a
    count is None when an autoscaler owns it (its minimum is looked up by the caller)."""
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind == "SpinApp":
            spec = obj["spec"]
            replicas = None if spec.get("enableAutoscaling") else spec.get("replicas")
            out.append((obj, spec.get("podLabels") or {}, replicas))
        elif kind in ("Deployment", "StatefulSet"):
            labels = (pod_template(obj).get("metadata") or {}).get("labels") or {}
            out.append((obj, labels, obj["spec"].get("replicas", 1)))
    return out


def autoscaler_minimum(objects, name):
    """The least replica count an HPA or a ScaledObject of the output keeps `name` at, if any."""
    for obj in objects:
        spec = obj.get("spec") or {}
        if obj.get("kind") == "HorizontalPodAutoscaler" and spec["scaleTargetRef"]["name"] == name:
            return spec.get("minReplicas", 1)
        if obj.get("kind") == "ScaledObject" and spec["scaleTargetRef"]["name"] == name:
            return spec.get("minReplicaCount", 0)
    return None


def disruption_problems(objects):
    """A PodDisruptionBudget that allows no eviction at the workload's replica count blocks every
    node drain (`kubectl drain` retries forever)."""
    problems = []
    for pdb in (o for o in objects if o.get("kind") == "PodDisruptionBudget"):
        spec, name = pdb["spec"], pdb["metadata"]["name"]
        wanted = (spec.get("selector") or {}).get("matchLabels") or {}
        for obj, labels, replicas in workloads(objects):
            if not wanted or any(labels.get(k) != v for k, v in wanted.items()):
                continue
            if replicas is None:
                replicas = autoscaler_minimum(objects, obj["metadata"]["name"]) or 1
            allowed = None
            if isinstance(spec.get("minAvailable"), int):
                allowed = replicas - spec["minAvailable"]
            elif isinstance(spec.get("maxUnavailable"), int):
                allowed = min(spec["maxUnavailable"], replicas)
            if allowed is not None and allowed < 1:
                problems.append(
                    f"PodDisruptionBudget/{name}: allows no eviction of {obj['kind']}/{obj['metadata']['name']} "
                    f"at {replicas} replica(s): a node drain would never finish")
    return problems


def spinapp_problems(objects, context):
    """Each SpinApp's executor must exist in its namespace, and its pods must run under a
    ServiceAccount of their own that mounts no API token (the operator uses `default` otherwise)."""
    everything = objects + context
    executors = {o["metadata"]["name"] for o in everything if o.get("kind") == "SpinAppExecutor"}
    accounts = {o["metadata"]["name"]: o for o in everything if o.get("kind") == "ServiceAccount"}
    problems = []
    for app in (o for o in objects if o.get("kind") == "SpinApp"):
        name, spec = app["metadata"]["name"], app["spec"]
        if "/" not in spec.get("image", "") or ":" not in spec.get("image", ""):
            problems.append(f"SpinApp/{name}: image {spec.get('image')!r} is not a registry reference "
                            "(kustomize's images: needs the configurations entry for SpinApp spec/image)")
        executor = spec.get("executor")
        if executor and executor not in executors:
            problems.append(f"SpinApp/{name}: no SpinAppExecutor {executor!r} in its namespace (the operator refuses the SpinApp)")
        account = spec.get("serviceAccountName")
        if not account:
            problems.append(f"SpinApp/{name}: no serviceAccountName: its pods run as the namespace's default ServiceAccount")
        elif account not in accounts:
            problems.append(f"SpinApp/{name}: ServiceAccount {account!r} is not in the output")
        elif accounts[account].get("automountServiceAccountToken") is not False:
            problems.append(f"SpinApp/{name}: ServiceAccount {account!r} mounts an API token into the app's pods")
    return problems


# The in-cluster stores by the pod label their NetworkPolicies select, and the secret key of the
# URL a workload is given to reach them.
STORES = {"postgres": "pg_url", "redis": "redis_url"}


def secret_keys_of(obj):
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict) and ref.get("name") == "hexaspin-secrets":
                keys.add(ref.get("key"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(obj.get("spec"))
    return keys


def store_access_problems(objects, context):
    """A NetworkPolicy guarding an in-cluster store must admit every pod that is given its URL."""
    problems = []
    for policy in (o for o in objects if o.get("kind") == "NetworkPolicy"):
        target = ((policy["spec"].get("podSelector") or {}).get("matchLabels") or {}).get("app.kubernetes.io/name")
        if target not in STORES or "Ingress" not in (policy["spec"].get("policyTypes") or []):
            continue
        admitted = [peer.get("podSelector", {}).get("matchLabels") or {}
                    for rule in policy["spec"].get("ingress") or []
                    for peer in rule.get("from") or [] if "podSelector" in peer]
        for obj, labels, _ in workloads(objects + context) + [
                (o, (pod_template(o).get("metadata") or {}).get("labels") or {}, 1)
                for o in objects + context if o.get("kind") in ("Job", "CronJob")]:
            if STORES[target] not in secret_keys_of(obj):
                continue
            if not any(all(labels.get(k) == v for k, v in peer.items()) for peer in admitted):
                problems.append(
                    f"NetworkPolicy/{policy['metadata']['name']}: does not admit {obj['kind']}/{obj['metadata']['name']}, "
                    f"which is given {STORES[target]}")
    return problems


def egress_problems(objects, ports):
    """Every pod given a store's URL may reach the store's port, and DNS to resolve its host,
    through the egress policies that select it (none selecting it: Kubernetes allows all egress).
    A store may be anywhere, so only rules without `to` count for its port; DNS may be a rule
    towards the cluster's DNS pods (as allow-dns is)."""
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"
                and "Egress" in (o["spec"].get("policyTypes") or [])]
    problems = []
    for obj, labels, _ in workloads(objects) + [
            (o, (pod_template(o).get("metadata") or {}).get("labels") or {}, 1)
            for o in objects if o.get("kind") in ("Job", "CronJob")]:
        keys = secret_keys_of(obj)
        selecting = [p for p in policies
                     if all(labels.get(k) == v for k, v in ((p["spec"].get("podSelector") or {}).get("matchLabels") or {}).items())]
        if not selecting:
            continue
        rules = [rule for policy in selecting for rule in policy["spec"].get("egress") or []]

        def allows(port, protocol="TCP", anywhere=True):
            return any(not rule.get("ports")
                       or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in rule["ports"])
                       for rule in rules if not (anywhere and rule.get("to")))

        name = f"{obj['kind']}/{obj['metadata']['name']}"
        given = [key for key in ports if key in keys]
        for key in given:
            if not allows(ports[key]):
                problems.append(f"{name}: its NetworkPolicies allow no egress to port {ports[key]} ({key})")
        if given:
            for protocol in ("UDP", "TCP"):
                if not allows(53, protocol, anywhere=False):
                    problems.append(f"{name}: its NetworkPolicies allow no DNS (port 53/{protocol}): "
                                    f"it cannot resolve the host of {', '.join(given)}")
    return problems


def parse_selector(text):
    """[(key, operator, values)] of a label selector: `=`/`==`/`!=` with one value, `in`/`notin`
    with a set."""
    requirements, depth, current = [], 0, ""
    for char in text + ",":
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            part = current.strip()
            current = ""
            if not part:
                continue
            for op in (" notin ", " in "):
                if op in part:
                    key, values = part.split(op, 1)
                    values = values.strip()
                    if not (values.startswith("(") and values.endswith(")")):
                        raise SystemExit(f"--selector: {part!r}: a set is written (a,b)")
                    requirements.append((key.strip(), op.strip(), {v.strip() for v in values[1:-1].split(",")}))
                    break
            else:
                for op in ("!=", "==", "="):
                    if op in part:
                        key, value = part.split(op, 1)
                        requirements.append((key.strip(), "!=" if op == "!=" else "=", {value.strip()}))
                        break
                else:
                    raise SystemExit(f"--selector: cannot read {part!r}")
        else:
            current += char
    return requirements


def selected(obj, requirements):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, op, values in requirements:
        value = labels.get(key)
        if op == "=" and value not in values:
            return False
        if op == "in" and value not in values:
            return False
        if op in ("!=", "notin") and value in values:
            return False
    return True


def plural(kind):
    lower = kind.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


# Built-in kinds that are not namespaced (a Role cannot grant them); the custom resources' scope is
# in their crd-schemas/ file.
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "RuntimeClass", "IngressClass", "CSIDriver",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
}


def deployer_problems(objects, role_file, crds):
    """The deployer applies (get, create, patch) and may prune (delete) every object it renders."""
    rules = []
    for doc in yaml.safe_load_all(pathlib.Path(role_file).read_text()):
        if doc and doc.get("kind") == "Role":
            rules += doc.get("rules") or []
    problems = []
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        scope = crds.get((obj.get("apiVersion"), kind), ("Namespaced",))[0]
        if kind in CLUSTER_SCOPED or scope == "Cluster":
            problems.append(f"{kind}/{name}: cluster-scoped: no namespaced Role can let the deployer apply it "
                            "(it belongs to deploy/bootstrap, applied once by an admin)")
            continue
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        resource = plural(kind)
        allowed = set()
        for rule in rules:
            if group in rule.get("apiGroups", []) and resource in rule.get("resources", []) \
                    and not rule.get("resourceNames"):
                allowed |= set(rule.get("verbs", []))
        missing = {"create", "patch", "get", "delete"} - allowed
        if missing:
            problems.append(f"{kind}/{name}: the deployer Role lacks {sorted(missing)} on {group or 'core'}/{resource}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rendered")
    parser.add_argument("--kubernetes-version", required=True)
    parser.add_argument("--secret-keys")
    parser.add_argument("--deployer-role")
    parser.add_argument("--context", action="append", default=[])
    parser.add_argument("--egress-port", action="append", default=[])
    parser.add_argument("--selector")
    args = parser.parse_args()
    objects = [o for o in yaml.safe_load_all(pathlib.Path(args.rendered).read_text()) if o]
    if args.selector is not None:
        requirements = parse_selector(args.selector)
        objects = [o for o in objects if selected(o, requirements)]
        if not objects:
            print(f"--selector {args.selector!r} selects no object")
            return 1
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
    problems += disruption_problems(objects)
    problems += spinapp_problems(objects, context)
    problems += store_access_problems(objects, context)
    ports = dict(item.split("=", 1) for item in args.egress_port)
    problems += egress_problems(objects, {key: int(port) for key, port in ports.items()})
    if args.deployer_role:
        problems += deployer_problems(objects, args.deployer_role, crds)
    if args.secret_keys is not None:
        problems += secret_key_problems(objects, set(args.secret_keys.split(",")))
    for problem in problems:
        print(problem)
    print(f"{len(objects)} objects checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
