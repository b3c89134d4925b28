"""Checks the GitHub Actions workflows, for tests/tests/workflows.rs:

1. every action a step or job uses is pinned by a full commit SHA, with the release it is in a
   comment (`uses: owner/repo@<40 hex> # v1.2.3`): a tag or a branch can be moved to other code;
2. every actions/checkout sets `persist-credentials: false` (the token stays out of .git/config);
3. every workflow sets top-level `permissions`, and none is `write-all`;
4. no `run:` script interpolates what an outsider controls (`${{ github.event.* }}`,
   `github.head_ref`): pass such values through `env:`;
5. a workflow triggered by `workflow_run` (CD) deploys only from a trusted trigger: a first job
   (the gate) whose `if` requires the triggering run to have succeeded, to be a `push`, from this
   repository and from main, and, for `workflow_dispatch`, the main branch and a step that asks the
   API whether CI passed for that commit; every other job needs the gate; the job that runs
   deploy/scripts/deploy.sh uses the `production` environment, and its timeout-minutes covers the
   script's worst case (`deploy.sh --worst-case`, with the step's TIMEOUT_SECONDS,
   SMOKE_TIMEOUT_SECONDS and POLL_SECONDS) plus OTHER_STEPS_SECONDS for the job's other steps: a
   job cancelled by its timeout could cut a rollback off half way;
6. that job runs deploy.sh only when an earlier step's deploy/scripts/release-order.sh found the
   commit no older than the recorded release (`steps.<id>.outputs.newer == 'true'`), with the
   history checked out (`fetch-depth: 0`): CI runs finish in any order.

Usage: check_workflows.py WORKFLOW.yml ...
Prints one line per problem and exits 1 when there is any.
"""

import os
import pathlib
import re
import subprocess
import sys

import yaml

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")
UNTRUSTED = re.compile(r"\$\{\{\s*(github\.event\.|github\.head_ref)")
GATE_GUARDS = [
    "github.event.workflow_run.conclusion == 'success'",
    "github.event.workflow_run.event == 'push'",
    "github.event.workflow_run.head_branch == 'main'",
    "github.event.workflow_run.head_repository.full_name == github.repository",
]
DISPATCH_GUARD = "github.ref == 'refs/heads/main'"
ROOT = pathlib.Path(__file__).resolve().parents[2]
# The deploy job's checkout, kubectl set-up, secrets and Alertmanager steps, and kubectl's own
# calls between the script's waits.
OTHER_STEPS_SECONDS = 600


def pin_problems(name, text):
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = USES.match(line)
        if not match:
            continue
        action, comment = match.group(1), match.group(2)
        if action.startswith("./") or re.match(r"^docker://.+@sha256:[0-9a-f]{64}$", action):
            continue
        if not PINNED.match(action):
            problems.append(f"{name}:{number}: {action} is not pinned by a full commit SHA")
        elif not comment or len(comment.lstrip("# ").strip()) == 0:
            problems.append(f"{name}:{number}: {action} has no comment naming its release")
    return problems


def steps(workflow):
    for job_name, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_name, step


def needs(job):
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else list(value)


def one_line(expression):
    return " ".join(str(expression or "").split())


def workflow_problems(name, workflow):
    problems = []
    permissions = workflow.get("permissions")
    if permissions is None:
        problems.append(f"{name}: no top-level permissions (the token gets the repository's default)")
    elif permissions == "write-all":
        problems.append(f"{name}: permissions: write-all")
    for job_name, step in steps(workflow):
        uses = step.get("uses") or ""
        if uses.startswith("actions/checkout@") and (step.get("with") or {}).get("persist-credentials") is not False:
            problems.append(f"{name}: job {job_name}: actions/checkout without persist-credentials: false")
        if UNTRUSTED.search(str(step.get("run") or "")):
            problems.append(f"{name}: job {job_name}: a run script interpolates event data (script injection): pass it through env")
    # pyyaml reads the key `on` as True (YAML 1.1).
    triggers = workflow.get("on", workflow.get(True)) or {}
    if isinstance(triggers, (str, list)):
        triggers = {t: None for t in ([triggers] if isinstance(triggers, str) else triggers)}
    if "workflow_run" in triggers:
        problems += deploy_problems(name, workflow, triggers)
    return problems


def deploy_problems(name, workflow, triggers):
    problems = []
    jobs = workflow.get("jobs") or {}
    if (triggers["workflow_run"] or {}).get("branches") != ["main"]:
        problems.append(f"{name}: workflow_run must be limited to branches: [main]")
    gates = [job_name for job_name, job in jobs.items() if not needs(job)]
    if len(gates) != 1:
        return problems + [f"{name}: exactly one job may run without `needs` (the gate), found {gates}"]
    gate = gates[0]
    condition = one_line(jobs[gate].get("if"))
    for guard in GATE_GUARDS:
        if guard not in condition:
            problems.append(f"{name}: the gate job {gate} lacks the guard {guard!r}")
    if "workflow_dispatch" in triggers:
        if DISPATCH_GUARD not in condition:
            problems.append(f"{name}: the gate job {gate} lets workflow_dispatch run off main (no {DISPATCH_GUARD!r})")
        scripts = " ".join(str(step.get("run") or "") for step in jobs[gate].get("steps") or [])
        if not all(part in scripts for part in ("actions/workflows/ci.yml/runs", "head_sha=", "status=success")):
            problems.append(f"{name}: the gate job {gate} does not check that CI passed for a dispatched commit")

    def reaches_gate(job_name, seen=()):
        if job_name == gate:
            return True
        return any(reaches_gate(other, seen + (job_name,)) for other in needs(jobs[job_name]) if other not in seen)

    for job_name in jobs:
        if not reaches_gate(job_name):
            problems.append(f"{name}: job {job_name} does not need the gate job {gate}")
    for job_name, job in jobs.items():
        runs_deploy = any("deploy/scripts/deploy.sh" in str(step.get("run") or "") for step in job.get("steps") or [])
        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        if runs_deploy and environment != "production":
            problems.append(f"{name}: job {job_name} deploys outside the production environment (no required reviewers)")
        if runs_deploy:
            problems += timeout_problems(name, job_name, job)
            problems += order_problems(name, job_name, job)
    if not any("deploy/scripts/deploy.sh" in str(step.get("run") or "") for _, step in steps(workflow)):
        problems.append(f"{name}: no job runs deploy/scripts/deploy.sh")
    return problems


def order_problems(name, job_name, job):
    """The step that runs deploy.sh runs only when release-order.sh, in an earlier step with the
    history checked out, found the commit no older than the recorded release."""
    job_steps = job.get("steps") or []
    order = [i for i, step in enumerate(job_steps) if "deploy/scripts/release-order.sh" in str(step.get("run") or "")]
    deploy = [i for i, step in enumerate(job_steps) if "deploy/scripts/deploy.sh" in str(step.get("run") or "")]
    if not order:
        return [f"{name}: job {job_name} deploys without deploy/scripts/release-order.sh (an older commit could replace a newer release)"]
    problems = []
    step_id = job_steps[order[0]].get("id")
    guard = f"steps.{step_id}.outputs.newer == 'true'"
    for i in deploy:
        condition = one_line(job_steps[i].get("if"))
        # Exactly the guard, or the guard and more conditions: `guard || always()` is no guard.
        if i < order[0] or not (condition == guard or condition.startswith(guard + " && ")) or "||" in condition:
            problems.append(f"{name}: job {job_name}: the deploy.sh step does not wait for {guard!r}")
    # The order step says newer=true only for exit 0 and fails on anything but 0 and 3.
    script = str(job_steps[order[0]].get("run") or "")
    if (
        not re.search(r'(^|\s)0\)\s*echo "newer=true"', script)
        or not re.search(r'\*\)\s*exit "\$status"', script)
        or "|| true" in script
        or script.count("newer=true") != 1
    ):
        problems.append(f"{name}: job {job_name}: the release-order step must set newer=true only when release-order.sh exits 0, and fail on any status but 0 and 3")
    checkouts = [step for step in job_steps if str(step.get("uses") or "").startswith("actions/checkout@")]
    if not any((step.get("with") or {}).get("fetch-depth") == 0 for step in checkouts):
        problems.append(f"{name}: job {job_name}: release-order.sh needs the history (actions/checkout fetch-depth: 0)")
    return problems


def timeout_problems(name, job_name, job):
    """The job's timeout-minutes against deploy.sh's worst case with the step's settings."""
    step = next(s for s in job.get("steps") or [] if "deploy/scripts/deploy.sh" in str(s.get("run") or ""))
    env = {k: str(v) for k, v in (step.get("env") or {}).items()
           if k in ("TIMEOUT_SECONDS", "SMOKE_TIMEOUT_SECONDS", "POLL_SECONDS")}
    clean = {k: v for k, v in os.environ.items() if k not in ("TIMEOUT_SECONDS", "SMOKE_TIMEOUT_SECONDS", "POLL_SECONDS")}
    worst = subprocess.run([str(ROOT / "deploy/scripts/deploy.sh"), "--worst-case"], env={**clean, **env},
                           capture_output=True, text=True, check=False)
    if worst.returncode != 0 or not worst.stdout.strip().isdigit():
        return [f"{name}: job {job_name}: deploy.sh --worst-case failed: {worst.stderr.strip()}"]
    needed = int(worst.stdout) + OTHER_STEPS_SECONDS
    minutes = job.get("timeout-minutes")
    if not isinstance(minutes, int) or minutes * 60 < needed:
        return [f"{name}: job {job_name}: timeout-minutes {minutes} is shorter than deploy.sh's worst case "
                f"({worst.stdout.strip()} s) plus {OTHER_STEPS_SECONDS} s for the other steps ({-(-needed // 60)} min): "
                "a cancelled deploy could cut its rollback off"]
    return []


def main():
    problems = []
    for path in map(pathlib.Path, sys.argv[1:]):
        text = path.read_text()
        problems += pin_problems(path.name, text)
        problems += workflow_problems(path.name, yaml.safe_load(text))
    for problem in problems:
        print(problem)
    print(f"{len(sys.argv) - 1} workflows checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
