#!/usr/bin/env bash
# Prints the Alertmanager configuration with the receiver URL from ALERT_WEBHOOK_URL, for CD to
# store as a Secret (never in git):
#
#   ALERT_WEBHOOK_URL=https://hooks.example.net/T0/B0/x deploy/scripts/render-alertmanager.sh > alertmanager.yaml
#   kubectl -n monitoring create secret generic alertmanager-hexaspin \
#     --from-file=alertmanager.yaml --dry-run=client -o yaml | kubectl apply -f -
#
# Refuses an unset, non-HTTPS or oddly quoted URL rather than render a config that pages nobody.
set -euo pipefail

template="$(cd "$(dirname "$0")/.." && pwd)/observability/alertmanager/alertmanager.yml.tmpl"
url=${ALERT_WEBHOOK_URL:-}
if [ -z "$url" ]; then
  echo "ALERT_WEBHOOK_URL is not set: the receiver of hexaspin's alerts (an https:// webhook URL)" >&2
  exit 1
fi
case $url in
  https://?*) ;;
  *) echo "ALERT_WEBHOOK_URL must be an https:// URL" >&2; exit 1 ;;
esac
case $url in
  *[[:space:]\"\\\$]*) echo "ALERT_WEBHOOK_URL contains a space, quote, backslash or \$" >&2; exit 1 ;;
esac

# The template's literal placeholder, not an expansion.
# shellcheck disable=SC2016
placeholder='${ALERT_WEBHOOK_URL}'
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "${line//"$placeholder"/$url}"
done < "$template"
