#!/usr/bin/env bash
# Deploys one release of hexaspin to the cluster kubectl points at, smoke-tests it and, when any
# step after the migration fails, restores the previous release: the full render the last
# successful deploy recorded (every object, variables, worker.toml and policies included, not only
# the images). CD runs it (.github/workflows/cd.yml); by hand:
#
#   deploy/scripts/deploy.sh <overlay> <app OCI reference> <worker image reference> [<users OCI reference>]
#   deploy/scripts/deploy.sh prod ghcr.io/acme/hexaspin:1a2b3c ghcr.io/acme/hexaspin-worker:1a2b3c
#   deploy/scripts/deploy.sh --worst-case    (prints how many seconds a run can take at most)
#
# <overlay> is a directory of deploy/overlays (dev, prod) or the path of a kustomization built on
# one. The references' repositories must be the ones the overlay names: only tags change. With a
# fourth reference the user service (services/users/deploy) is part of the release; without it,
# a recorded release that has the user service is refused (exit 2) unless DROP_USER_SERVICE=1.
#
# Steps (docs/runbook.md, "Continuous deployment" has the failure matrix):
#   1. render the release (its id: a digest of the render, set on each SpinApp's Deployment as the
#      annotation hexaspin.dev/release) and read the recorded previous release;
#   2. the render's Namespace, if it has one (dev), then the migration with what it needs: delete
#      the previous Job, apply the objects labelled app.kubernetes.io/component=migration (and
#      =store: the dev overlay's in-cluster stores and the Job that creates the Secret), wait for
#      the Job; a failure stops here (exit 3): the app was not touched;
#   3. delete the autoscalers the previous release had and this one drops (KEDA refuses a
#      ScaledObject while another HPA targets the Deployment), apply the SpinAppExecutors (the
#      spin-operator webhook refuses a SpinApp whose executor it has not seen; a refusal while its
#      cache catches up is retried), then the rest;
#   4. wait until the operator has carried the new SpinApps onto their Deployments (the release
#      annotation), then `rollout status` the worker and the apps, all within one TIMEOUT_SECONDS;
#   5. run the smoke Job (deploy/smoke); on success record the release (ConfigMap hexaspin-release)
#      and only then delete what the previous release had and this one drops (the old worker
#      ConfigMap stays for the old pods until the new ones have rolled out).
#   A failure in 3-5 rolls back to the recorded release (exit 1), or exits 4 when there is none or
#   the rollback itself fails; exit 5 when the release passed but could not be recorded, 6 when it
#   is recorded but what it drops could not all be deleted.
# Environment: NAMESPACE (hexaspin), TIMEOUT_SECONDS (600: the migration, and the operator with
# every rollout), SMOKE_TIMEOUT_SECONDS (360), POLL_SECONDS (5), DRY_RUN=1 to only render and print,
# MIGRATE=0 to skip the migration (a manual rollback to an older release: docs/runbook.md),
# DROP_USER_SERVICE=1 to remove a recorded user service.
#
# Needs bash 4.4 or later (mapfile, empty arrays under set -u) and GNU coreutils (realpath
# --relative-to, sha256sum, base64 -w0): both are checked first, the shell in sh syntax so that
# macOS's bash 3.2 or a POSIX sh says so instead of failing half way.
#
# Every function below returns its own status explicitly and is called where that status is
# handled (`||`, `if`), where bash turns `set -e` off inside it: none of them relies on set -e.
# shellcheck disable=SC2310
case ${BASH_VERSION:-} in
  4.[4-9]* | [5-9].* | [1-9][0-9]*) ;;
  *)
    echo "deploy.sh needs bash 4.4 or later; this is ${BASH_VERSION:-not bash} (on macOS: brew install bash)" >&2
    exit 2 ;;
esac
set -euo pipefail

gnu_missing=()
realpath --relative-to=/ / > /dev/null 2>&1 || gnu_missing+=("realpath --relative-to")
sha256sum < /dev/null > /dev/null 2>&1 || gnu_missing+=("sha256sum")
base64 -w0 < /dev/null > /dev/null 2>&1 || gnu_missing+=("base64 -w0")
if [[ "${#gnu_missing[@]}" -gt 0 ]]; then
  echo "deploy.sh needs GNU coreutils; missing or not GNU: ${gnu_missing[*]} (on macOS: brew install coreutils, then put its gnubin directory first on PATH)" >&2
  exit 2
fi

namespace=${NAMESPACE:-hexaspin}
timeout=${TIMEOUT_SECONDS:-600}
smoke_timeout=${SMOKE_TIMEOUT_SECONDS:-360}
poll=${POLL_SECONDS:-5}
for number in "${timeout}" "${smoke_timeout}" "${poll}"; do
  [[ "${number}" =~ ^[0-9]+$ ]] || { echo "TIMEOUT_SECONDS, SMOKE_TIMEOUT_SECONDS and POLL_SECONDS are whole seconds, not '${number}'" >&2; exit 2; }
done
# Deleting the previous migration or smoke Job waits this long at most.
job_delete_timeout=60
# Applies of a release while spin-operator's webhook has not seen its executor yet.
apply_attempts=12

# The longest a run can take: the migration, the rollouts, the smoke test and a rollback's
# rollouts, the two Job deletions and the retried applies (CD's deploy job must allow for it).
if [[ "${1:-}" = --worst-case ]]; then
  echo $((3 * timeout + smoke_timeout + 2 * job_delete_timeout + 2 * (apply_attempts - 1) * poll))
  exit 0
fi

usage() { echo "usage: ${0} <dev|prod|kustomization dir> <app-ref> <worker-ref> [<users-ref>] | --worst-case" >&2; exit 2; }
[[ "$#" -eq 3 ]] || [[ "$#" -eq 4 ]] || usage
overlay=${1} app_ref=${2} worker_ref=${3} users_ref=${4:-}
deploy_dir=$(cd "$(dirname "${0}")/.." && pwd)
users_dir=$(cd "${deploy_dir}/../services/users/deploy" && pwd)
if [[ -d "${deploy_dir}/overlays/${overlay}" ]]; then
  overlay_dir=${deploy_dir}/overlays/${overlay}
elif [[ -f "${overlay}/kustomization.yaml" ]]; then
  overlay_dir=$(cd "${overlay}" && pwd)
else
  echo "no overlay deploy/overlays/${overlay} and no kustomization in ${overlay}" >&2
  exit 2
fi
for ref in "${app_ref}" "${worker_ref}" ${users_ref:+"${users_ref}"}; do
  case ${ref} in
    *@sha256:*|*:*) ;;
    *) echo "reference without a tag or digest: ${ref}" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# What step 2 applies: the migration and, in the dev overlay, the stores it migrates.
before_app='app.kubernetes.io/component in (migration,store)'
not_migration='app.kubernetes.io/component!=migration'

# image_entry <reference> [<name>]: a kustomize images: entry that gives <name> (by default the
# reference's own repository) the reference's repository and tag or digest.
image_entry() {
  local ref=${1} repo
  case ${ref} in
    *@sha256:*)
      repo=${ref%@*}
      printf '  - name: %s\n    newName: %s\n    digest: %s\n' "${2:-${repo}}" "${repo}" "${ref##*@}" ;;
    *)
      repo=${ref%:*}
      printf '  - name: %s\n    newName: %s\n    newTag: %s\n' "${2:-${repo}}" "${repo}" "${ref##*:}" ;;
  esac
}

# kustomization <dir> [release id]: the release's kustomization in <dir>; with an id, every SpinApp
# carries it to its Deployment (spec.deploymentAnnotations), which is how step 4 sees that the
# operator has reconciled this spec.
kustomization() {
  local dir=${1} id=${2:-} overlay_path users_path
  overlay_path=$(realpath --relative-to="${dir}" "${overlay_dir}")
  users_path=$(realpath --relative-to="${dir}" "${users_dir}")
  {
    echo "namespace: ${namespace}"
    echo "resources:"
    echo "  - ${overlay_path}"
    [[ -z "${users_ref}" ]] || echo "  - ${users_path}"
    echo "images:"
    image_entry "${app_ref}"
    image_entry "${worker_ref}"
    [[ -z "${users_ref}" ]] || image_entry "${users_ref}"
    if [[ -n "${id}" ]]; then
      printf 'patches:\n  - target: {kind: SpinApp}\n    patch: |-\n'
      printf '      apiVersion: core.spinkube.dev/v1alpha1\n      kind: SpinApp\n      metadata: {name: any}\n'
      printf '      spec: {deploymentAnnotations: {hexaspin.dev/release: "%s"}}\n' "${id}"
    fi
  } > "${dir}/kustomization.yaml"
}

# render: ${work}/release.yaml (with its id in ${release_id}) and ${work}/smoke.yaml, checked to carry
# the references.
render() {
  mkdir -p "${work}/unlabelled" "${work}/release" "${work}/smoke" || return 1
  kustomization "${work}/unlabelled" || return 1
  kubectl kustomize "${work}/unlabelled" > "${work}/unlabelled.yaml" || return 1
  release_id=$(sha256sum < "${work}/unlabelled.yaml" | cut -c1-16)
  kustomization "${work}/release" "${release_id}" || return 1
  kubectl kustomize "${work}/release" > "${work}/release.yaml" || return 1
  for ref in "${app_ref}" "${worker_ref}" ${users_ref:+"${users_ref}"}; do
    grep -q "image: ${ref}\$" "${work}/release.yaml" || {
      echo "the overlay does not name the repository of ${ref}: set it in its images: (deploy/overlays/prod, services/users/deploy)" >&2
      return 1
    }
  done
  if grep -q '^kind: Secret$' "${work}/release.yaml"; then
    echo "the render holds a Secret: it would be recorded in a ConfigMap; keep Secrets out of the overlay" >&2
    return 1
  fi
  local rel
  rel=$(realpath --relative-to="${work}/smoke" "${deploy_dir}")
  {
    echo "resources: [${rel}/smoke]"
    echo "namespace: ${namespace}"
    echo "images:"
    image_entry "${worker_ref}" hexaspin-worker
  } > "${work}/smoke/kustomization.yaml"
  kubectl kustomize "${work}/smoke" > "${work}/smoke.yaml" || return 1
  grep -q "image: ${worker_ref}\$" "${work}/smoke.yaml" || { echo "deploy/smoke did not take ${worker_ref}" >&2; return 1; }
}

# objects <render>: "Kind/name" of each object, sorted (kustomize prints `kind:` and the
# metadata's `name:` at fixed indents).
objects() {
  awk '/^---$/ { kind = ""; meta = 0 }
       /^kind: / { kind = $2 }
       /^metadata:/ { meta = 1; next }
       /^[^ ]/ { meta = 0 }
       meta && /^  name: / { print kind "/" $2 }' "$1" | sort -u
}

# of_kind <kind> <render> <file>: the objects of <kind> in <render>, written to <file> (empty
# when there is none).
of_kind() {
  awk -v kind="${1}" '
    function flush() { if (keep) { if (n++) printf "---\n"; printf "%s", doc }; doc = ""; keep = 0 }
    /^---$/ { flush(); next }
    { doc = doc $0 "\n" }
    $0 == "kind: " kind { keep = 1 }
    END { flush() }' "${2}" > "${3}"
}

# prune <from render> <to render> <autoscalers|rest>: deletes what <from> has and <to> does not,
# of the HPAs and ScaledObjects or of everything else (never a Job, which the next deploy replaces
# anyway, nor a namespace). Every deletion is tried; 1 when any failed. Deletion is not waited
# for: an object with a finalizer goes when its controller lets it.
prune() {
  local object dropped failed=0
  objects "${1}" > "${work}/from.txt"
  objects "${2}" > "${work}/to.txt"
  comm -23 "${work}/from.txt" "${work}/to.txt" > "${work}/dropped.txt"
  mapfile -t dropped < "${work}/dropped.txt"
  for object in "${dropped[@]}"; do
    case ${object%%/*} in
      Job | Namespace) continue ;;
      HorizontalPodAutoscaler | ScaledObject) [[ "${3}" = autoscalers ]] || continue ;;
      *) [[ "${3}" = rest ]] || continue ;;
    esac
    echo "pruning ${object} (not in the release being applied)"
    if ! kubectl -n "${namespace}" delete "${object}" --ignore-not-found --wait=false; then
      echo "could not delete ${object}: kubectl -n ${namespace} delete ${object}" >&2
      failed=1
    fi
  done
  return "${failed}"
}

# apply_file <file>: kubectl apply of <file> unless it is empty.
apply_file() {
  [[ ! -s "${1}" ]] || kubectl apply -f "${1}"
}

# apply_release <render> <its executors>: the executors, then everything but the migration. The
# spin-operator webhook reads executors through an informer cache, so a SpinApp can be refused
# ("executor does not exist in namespace") for a moment after its executor was created: that
# refusal, and only that, is retried (apply_attempts applies, POLL_SECONDS apart).
apply_release() {
  local attempt=1
  apply_file "${2}" || return 1
  while :; do
    if kubectl apply -f "${1}" --selector "${not_migration}" 2> "${work}/apply.err"; then
      cat "${work}/apply.err" >&2
      return 0
    fi
    cat "${work}/apply.err" >&2
    grep -q 'executor does not exist' "${work}/apply.err" || return 1
    if [[ "${attempt}" -ge "${apply_attempts}" ]]; then
      echo "spin-operator still refuses the SpinApp's executor after ${apply_attempts} applies" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    echo "spin-operator has not seen the executor yet: applying again in ${poll}s (${attempt} of ${apply_attempts})" >&2
    sleep "${poll}"
  done
}

# wait_job <name> <seconds>: 0 when the Job completes, 1 when it fails, 2 when it does neither in
# time (or cannot be read).
wait_job() {
  local name=${1} deadline=$((SECONDS + ${2})) state
  while :; do
    state=$(kubectl -n "${namespace}" get job "${name}" \
      -o 'jsonpath={.status.conditions[?(@.status=="True")].type}') || state=unreadable
    case " ${state} " in
      *" Complete "*) return 0 ;;
      *" Failed "*) return 1 ;;
      *) ;;
    esac
    [[ "${SECONDS}" -lt "${deadline}" ]] || return 2
    sleep "${poll}"
  done
}

# rollout <render> <release id>: waits until the operator has put the release id on each SpinApp's
# Deployment, then for the rollouts: the Deployments of the render (the worker), then the apps'.
# All of it within one TIMEOUT_SECONDS: each rollout status gets what is left (at least 1 s, as
# 0 would be no limit to kubectl).
rollout() {
  local render=${1} id=${2} object name seen apps deployments left deadline=$((SECONDS + timeout))
  mapfile -t apps < <(objects "${render}" | grep '^SpinApp/' || true)
  mapfile -t deployments < <(objects "${render}" | grep '^Deployment/' || true)
  for object in "${apps[@]}"; do
    name=${object#SpinApp/}
    while :; do
      seen=$(kubectl -n "${namespace}" get deployment "${name}" --ignore-not-found \
        -o 'jsonpath={.metadata.annotations.hexaspin\.dev/release}') || seen=unreadable
      [[ "${seen}" = "${id}" ]] && break
      if [[ "${SECONDS}" -ge "${deadline}" ]]; then
        echo "the operator has not updated deployment/${name} to release ${id} within ${timeout}s (it shows '${seen}')" >&2
        return 1
      fi
      sleep "${poll}"
    done
  done
  for object in "${deployments[@]}" "${apps[@]}"; do
    left=$((deadline - SECONDS))
    [[ "${left}" -ge 1 ]] || left=1
    kubectl -n "${namespace}" rollout status "deployment/${object#*/}" --timeout="${left}s" || return 1
  done
}

# smoke: 0 when the smoke Job succeeds, 1 otherwise (its logs are shown either way).
smoke() {
  local status=0
  kubectl -n "${namespace}" delete job hexaspin-smoke --ignore-not-found --wait=true \
    --timeout="${job_delete_timeout}s" || return 1
  kubectl apply -f "${work}/smoke.yaml" || return 1
  wait_job hexaspin-smoke "${smoke_timeout}" || status=$?
  kubectl -n "${namespace}" logs job/hexaspin-smoke || true
  case ${status} in
    0) return 0 ;;
    2) echo "the smoke Job did not finish within ${smoke_timeout}s" >&2 ;;
    *) echo "the smoke Job failed" >&2 ;;
  esac
  return 1
}

# record: the release as the one to roll back to next time (server-side apply: the render is too
# large for client-side apply's last-applied annotation).
record() {
  local packed
  packed=$(gzip -9nc "${work}/release.yaml" | base64 -w0) || return 1
  {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hexaspin-release\n  namespace: %s\n' "${namespace}"
    printf '  labels:\n    app.kubernetes.io/part-of: hexaspin\n'
    printf 'data:\n  id: "%s"\n  refs: "%s"\n' "${release_id}" "${app_ref} ${worker_ref}${users_ref:+ ${users_ref}}"
    printf 'binaryData:\n  release.yaml.gz: %s\n' "${packed}"
  } > "${work}/record.yaml"
  kubectl apply --server-side --force-conflicts --field-manager=hexaspin-deploy -f "${work}/record.yaml"
}

# rollback <what failed>: restores the recorded release and exits 1, or exits 4.
rollback() {
  echo "the release failed (${1}): rolling back to the recorded release ${previous_id:-(none)}" >&2
  if [[ ! -s "${work}/previous.yaml" ]]; then
    echo "ROLLBACK IMPOSSIBLE: no release is recorded (a first deploy): release ${release_id} stays as it is; see docs/runbook.md, \"Rollback\"" >&2
    exit 4
  fi
  of_kind SpinAppExecutor "${work}/previous.yaml" "${work}/previous-executors.yaml"
  if ! { prune "${work}/release.yaml" "${work}/previous.yaml" autoscalers \
      && apply_release "${work}/previous.yaml" "${work}/previous-executors.yaml"; }; then
    echo "ROLLBACK FAILED: the recorded release ${previous_id} could not be applied; the cluster is between releases: see docs/runbook.md, \"Rollback\"" >&2
    exit 4
  fi
  if ! rollout "${work}/previous.yaml" "${previous_id}"; then
    echo "ROLLBACK FAILED: the recorded release ${previous_id} was applied but did not roll out; see docs/runbook.md, \"Rollback\"" >&2
    exit 4
  fi
  if ! prune "${work}/release.yaml" "${work}/previous.yaml" rest; then
    echo "rolled back to release ${previous_id} (${previous_refs}), but what the failed release added could not all be deleted: delete it by hand (above)" >&2
    exit 1
  fi
  echo "rolled back to release ${previous_id} (${previous_refs})" >&2
  exit 1
}

render || exit 2
if [[ "${DRY_RUN:-0}" = 1 ]]; then
  cat "${work}/release.yaml" "${work}/smoke.yaml"
  exit 0
fi

# The recorded release: its render, id and references.
if ! kubectl -n "${namespace}" get configmap hexaspin-release --ignore-not-found \
    -o 'jsonpath={.binaryData.release\.yaml\.gz}' > "${work}/previous.b64"; then
  echo "cannot read the recorded release (configmap/hexaspin-release): nothing was changed" >&2
  exit 2
fi
previous_id="" previous_refs=""
if [[ -s "${work}/previous.b64" ]]; then
  base64 -d < "${work}/previous.b64" | gunzip > "${work}/previous.yaml" \
    || { echo "the recorded release cannot be decoded: nothing was changed" >&2; exit 2; }
  previous_id=$(kubectl -n "${namespace}" get configmap hexaspin-release -o 'jsonpath={.data.id}') || exit 2
  previous_refs=$(kubectl -n "${namespace}" get configmap hexaspin-release -o 'jsonpath={.data.refs}') || exit 2
else
  : > "${work}/previous.yaml"
fi
echo "deploying release ${release_id}: ${app_ref} ${worker_ref}${users_ref:+ ${users_ref}} (recorded: ${previous_id:-none}${previous_refs:+: ${previous_refs}})"

# A user service the recorded release runs is not dropped because its reference was left out.
objects "${work}/previous.yaml" > "${work}/previous-objects.txt"
if [[ -z "${users_ref}" ]] && [[ "${DROP_USER_SERVICE:-0}" != 1 ]] \
    && grep -qx 'SpinApp/hexaspin-users' "${work}/previous-objects.txt"; then
  echo "the recorded release ${previous_id} runs the user service (${previous_refs}) and no users reference was given: pass it as the fourth argument, or DROP_USER_SERVICE=1 to remove the user service; nothing was changed" >&2
  exit 2
fi

# 2. The namespace (dev), then the migration with what it needs: a failure leaves the running
# release untouched.
of_kind Namespace "${work}/release.yaml" "${work}/namespaces.yaml"
of_kind SpinAppExecutor "${work}/release.yaml" "${work}/executors.yaml"
if ! apply_file "${work}/namespaces.yaml"; then
  echo "the namespace could not be applied: nothing else was applied" >&2
  exit 3
fi
if [[ "${MIGRATE:-1}" != 0 ]]; then
  status=0
  if kubectl -n "${namespace}" delete job hexaspin-migrate --ignore-not-found --wait=true \
        --timeout="${job_delete_timeout}s" \
      && kubectl apply -f "${work}/release.yaml" --selector "${before_app}"; then
    wait_job hexaspin-migrate "${timeout}" || status=$?
  else
    status=1
  fi
  if [[ "${status}" != 0 ]]; then
    kubectl -n "${namespace}" logs job/hexaspin-migrate --tail=100 || true
    why=failed
    [[ "${status}" != 2 ]] || why="did not finish within ${timeout}s"
    echo "the migration ${why}: nothing else was applied, the running release is untouched (the Job stays for its logs)" >&2
    exit 3
  fi
fi

# 3-5. The release, its rollouts and the smoke test; any failure rolls back.
prune "${work}/previous.yaml" "${work}/release.yaml" autoscalers || rollback "pruning"
apply_release "${work}/release.yaml" "${work}/executors.yaml" || rollback "kubectl apply"
rollout "${work}/release.yaml" "${release_id}" || rollback "rollout"
smoke || rollback "smoke test"
if ! record; then
  echo "release ${release_id} is deployed and passed the smoke test, but could not be recorded: a later rollback would restore ${previous_id:-nothing}" >&2
  exit 5
fi
if ! prune "${work}/previous.yaml" "${work}/release.yaml" rest; then
  echo "release ${release_id} is deployed and recorded, but what release ${previous_id} had and it drops could not all be deleted: delete it by hand (above)" >&2
  exit 6
fi
echo "deployed release ${release_id}: ${app_ref} ${worker_ref}${users_ref:+ ${users_ref}}"
