#!/usr/bin/env bash
# The peers of hexaspin's worker benchmark, on the same Redis (database 15), same no-op work.
# Installs BullMQ (npm), Celery and RQ (PyPI) into a cache outside the repository, then prints
# "<system> <enqueue jobs/s> <drain jobs/s>" per peer. BENCH_JOBS sets N (default 20000);
# BENCH_PROCESSES the Python worker processes (default 2: one per core here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${BENCH_CACHE:-$HOME/.cache/hexaspin/bench-peers}"
mkdir -p "$cache"

if [ ! -x "$cache/venv/bin/python" ]; then
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet "rq==3.0.0" "celery[redis]==5.7.0"
fi
if [ ! -d "$cache/node_modules/bullmq" ]; then
  (cd "$cache" && npm install --silent --no-audit --no-fund "bullmq@5" >/dev/null)
fi

export PEER_REDIS_URL="${PEER_REDIS_URL:-redis://127.0.0.1:6379/15}"
cp "$here/bullmq_bench.mjs" "$cache/bullmq_bench.mjs"
(cd "$cache" && node bullmq_bench.mjs)
(cd "$here" && "$cache/venv/bin/python" celery_bench.py)
(cd "$here" && "$cache/venv/bin/python" rq_bench.py)
