#!/usr/bin/env bash
# Deploys one release of hexaspin to the cluster kubectl points at, smoke-tests it and rolls back
# when the smoke test fails. CD runs it (.github/workflows/cd.yml); by hand:
#
#   deploy/scripts/deploy.sh <overlay> <app OCI reference> <worker image reference>
#   deploy/scripts/deploy.sh prod ghcr.io/acme/hexaspin:1a2b3c ghcr.io/acme/hexaspin-worker:1a2b3c
#
# Steps: render the overlay with the release's references (their repositories must be the ones
# the overlay names: only tags change); remember the running references; run the migration Job
# (`runtime-worker migrate up`) and apply; wait for the migration and the rollouts; run the smoke
# Job (deploy/smoke); on failure, apply the previous references again (without migrating), wait,
# exit 1.
# Environment: NAMESPACE (hexaspin), TIMEOUT (600s), DRY_RUN=1 to only render and print,
# MIGRATE=0 to skip the migration Job (a manual rollback to an older release: docs/runbook.md).
set -euo pipefail

usage() { echo "usage: $0 <dev|prod> <app-ref> <worker-image>" >&2; exit 2; }
[ "$#" -eq 3 ] || usage
overlay=$1 app_ref=$2 worker_ref=$3
namespace=${NAMESPACE:-hexaspin}
timeout=${TIMEOUT:-600s}
deploy_dir=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$deploy_dir/overlays/$overlay" ] || { echo "no overlay deploy/overlays/$overlay" >&2; exit 2; }
for ref in "$app_ref" "$worker_ref"; do
  case $ref in
    *@sha256:*|*:*) ;;
    *) echo "reference without a tag or digest: $ref" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The repository part and the tag (or digest) of a reference.
repository() { case $1 in *@sha256:*) echo "${1%@*}" ;; *) echo "${1%:*}" ;; esac; }
image_entry() {
  local ref=$1 name=$2
  case $ref in
    *@sha256:*) printf '  - name: %s\n    newName: %s\n    digest: %s\n' "$name" "$(repository "$ref")" "${ref##*@}" ;;
    *) printf '  - name: %s\n    newName: %s\n    newTag: %s\n' "$name" "$(repository "$ref")" "${ref##*:}" ;;
  esac
}

# render <dir> <app-ref> <worker-ref>: the overlay with these references, checked to carry them.
render() {
  local dir=$1 app=$2 worker=$3
  mkdir -p "$dir/release" "$dir/smoke"
  local rel
  rel=$(realpath --relative-to="$dir/release" "$deploy_dir")
  {
    echo "resources: [$rel/overlays/$overlay]"
    echo "images:"
    image_entry "$app" "$(repository "$app")"
    image_entry "$worker" "$(repository "$worker")"
  } > "$dir/release/kustomization.yaml"
  kubectl kustomize "$dir/release" > "$dir/release.yaml"
  for ref in "$app" "$worker"; do
    grep -q "image: $ref\$" "$dir/release.yaml" || {
      echo "the overlay does not name the repository of $ref: set it in deploy/overlays/$overlay (images:)" >&2
      return 1
    }
  done
  rel=$(realpath --relative-to="$dir/smoke" "$deploy_dir")
  {
    echo "resources: [$rel/smoke]"
    echo "namespace: $namespace"
    echo "images:"
    image_entry "$worker" hexaspin-worker
  } > "$dir/smoke/kustomization.yaml"
  kubectl kustomize "$dir/smoke" > "$dir/smoke.yaml"
  grep -q "image: $worker\$" "$dir/smoke.yaml" || { echo "deploy/smoke did not take $worker" >&2; return 1; }
}

# apply_release <rendered dir> <migrate|no-migrate>: the migrations (a Job is immutable: the
# previous one goes first), then the rollouts. A rollback does not migrate: the previous binary
# refuses a database that has migrations it does not know, and migrations only ever add
# (docs/runbook.md, "Upgrades"), so the previous release runs on the newer schema.
apply_release() {
  local dir=$1 migrate=$2
  kubectl -n "$namespace" delete job hexaspin-migrate --ignore-not-found --wait=true
  if [ "$migrate" = migrate ]; then
    kubectl apply -f "$dir/release.yaml"
    kubectl -n "$namespace" wait --for=condition=complete job/hexaspin-migrate --timeout="$timeout"
  else
    kubectl apply -f "$dir/release.yaml" --selector 'app.kubernetes.io/name!=hexaspin-migrate'
  fi
  kubectl -n "$namespace" rollout status deployment/hexaspin-worker --timeout="$timeout"
  # SpinKube's operator makes a Deployment named after the SpinApp.
  kubectl -n "$namespace" rollout status deployment/hexaspin --timeout="$timeout"
}

# smoke <rendered dir>: 0 when the smoke Job succeeds, 1 when it fails or times out.
smoke() {
  local dir=$1 state deadline
  kubectl -n "$namespace" delete job hexaspin-smoke --ignore-not-found --wait=true
  kubectl apply -f "$dir/smoke.yaml"
  deadline=$((SECONDS + ${SMOKE_TIMEOUT_SECONDS:-360}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(kubectl -n "$namespace" get job hexaspin-smoke -o 'jsonpath={.status.succeeded}/{.status.failed}')
    case $state in
      1/*) kubectl -n "$namespace" logs job/hexaspin-smoke || true; return 0 ;;
      */[1-9]*) kubectl -n "$namespace" logs job/hexaspin-smoke || true; return 1 ;;
    esac
    sleep "${POLL_SECONDS:-5}"
  done
  echo "the smoke Job did not finish in time" >&2
  return 1
}

render "$work/new" "$app_ref" "$worker_ref"
if [ "${DRY_RUN:-0}" = 1 ]; then
  cat "$work/new/release.yaml" "$work/new/smoke.yaml"
  exit 0
fi

previous_app=$(kubectl -n "$namespace" get spinapp hexaspin -o 'jsonpath={.spec.image}' --ignore-not-found)
previous_worker=$(kubectl -n "$namespace" get deployment hexaspin-worker \
  -o 'jsonpath={.spec.template.spec.containers[?(@.name=="worker")].image}' --ignore-not-found)
echo "deploying $app_ref and $worker_ref (running: ${previous_app:-none}, ${previous_worker:-none})"

migrate=migrate
[ "${MIGRATE:-1}" = 0 ] && migrate=no-migrate
if apply_release "$work/new" "$migrate" && smoke "$work/new"; then
  echo "deployed $app_ref and $worker_ref"
  exit 0
fi

echo "the release failed: rolling back" >&2
if [ -z "$previous_app" ] || [ -z "$previous_worker" ]; then
  echo "nothing to roll back to (first deploy): the failed release stays; see docs/runbook.md, \"Rollback\"" >&2
  exit 1
fi
render "$work/previous" "$previous_app" "$previous_worker"
apply_release "$work/previous" no-migrate
echo "rolled back to $previous_app and $previous_worker" >&2
exit 1
