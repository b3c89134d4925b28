#!/usr/bin/env bash
# Whether CD may deploy commit <sha> over the recorded release (ConfigMap hexaspin-release, written
# by deploy.sh). CI runs finish in any order: without this, a push's CI that ends after the next
# push's would deploy the older commit over the newer one. Going back on purpose is a rollback
# (deploy.sh by hand, docs/runbook.md), not CD.
#
# Usage: release-order.sh <sha>, in a clone holding the history (actions/checkout fetch-depth: 0),
# with kubectl reaching the cluster; NAMESPACE as for deploy.sh (default hexaspin).
#
# The recorded commit is the tag of the recorded app image (CD tags images with 12 hex digits of
# the commit). Exit status:
#   0  deploy: nothing recorded, the record is this commit, an ancestor of it or on another line
#      of history, or its tag names no commit of this clone (a warning says so);
#   3  do not deploy: the recorded release's commit descends from <sha> (it is newer);
#   2  bad arguments, or the record cannot be read.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: release-order.sh <commit>" >&2
  exit 2
fi
namespace=${NAMESPACE:-hexaspin}
if ! sha=$(git rev-parse --verify --quiet "$1^{commit}"); then
  echo "release-order.sh: $1 is not a commit of this clone" >&2
  exit 2
fi
if ! refs=$(kubectl -n "${namespace}" get configmap hexaspin-release --ignore-not-found \
    -o 'jsonpath={.data.refs}'); then
  echo "release-order.sh: cannot read the recorded release (configmap/hexaspin-release)" >&2
  exit 2
fi
if [[ -z ${refs} ]]; then
  echo "no release recorded: deploying ${sha}"
  exit 0
fi
app_ref=${refs%% *}
tag=${app_ref##*:}
# The tag is read as an object name's prefix only (--disambiguate), never as a ref: a pushed git
# tag or branch named like it must not choose the commit compared with. A word (`dev`) names none.
recorded=""
if [[ ${tag} =~ ^[0-9a-f]{7,40}$ ]]; then
  while read -r object; do
    object_type=$(git cat-file -t "${object}") || continue
    if [[ ${object_type} == commit ]]; then
      if [[ -n ${recorded} ]]; then
        recorded=ambiguous
        break
      fi
      recorded=${object}
    fi
  done < <(git rev-parse --disambiguate="${tag}" 2> /dev/null || true)
fi
if [[ -z ${recorded} || ${recorded} == ambiguous ]]; then
  echo "::warning::the recorded release (${app_ref}) names no single commit of this clone: deploying ${sha} without comparing them"
  exit 0
fi
if [[ ${recorded} == "${sha}" ]]; then
  echo "the recorded release is ${sha}: deploying it again"
  exit 0
fi
if git merge-base --is-ancestor "${sha}" "${recorded}"; then
  echo "::warning::the recorded release ${recorded} is newer than ${sha} (it descends from it): not deploying ${sha}"
  exit 3
fi
echo "the recorded release is ${recorded}: deploying ${sha}"
exit 0
