"""RQ side of the worker benchmark: enqueue N no-op jobs, drain them with burst workers.

Run by bench/peers/run.sh; prints one line: "rq <enqueue jobs/s> <drain jobs/s>".
"""
import os
import subprocess
import sys
import time

from redis import Redis
from rq import Queue

N = int(os.environ.get("BENCH_JOBS", "20000"))
WORKERS = int(os.environ.get("BENCH_PROCESSES", "2"))
URL = os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/15")

redis = Redis.from_url(URL)
redis.flushdb()
queue = Queue("bench", connection=redis)

started = time.perf_counter()
batch = 1000
for offset in range(0, N, batch):
    queue.enqueue_many([Queue.prepare_data("noop.noop", result_ttl=3600) for _ in range(min(batch, N - offset))])
enqueue_rate = N / (time.perf_counter() - started)

# SimpleWorker runs jobs in the worker process (no fork per job): RQ's fastest mode.
started = time.perf_counter()
workers = [
    subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--quiet", "--url", URL,
         "--worker-class", "rq.worker.SimpleWorker", "bench"],
        cwd=os.path.dirname(os.path.abspath(__file__)),
    )
    for _ in range(WORKERS)
]
for worker in workers:
    worker.wait()
drain_rate = N / (time.perf_counter() - started)
finished = queue.finished_job_registry.count
assert finished == N, f"only {finished} of {N} jobs finished"
print(f"rq {enqueue_rate:.0f} {drain_rate:.0f}")
