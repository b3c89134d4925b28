"""Celery side of the worker benchmark: enqueue N no-op tasks, drain them with a worker.

Run by bench/peers/run.sh; prints one line: "celery <enqueue jobs/s> <drain jobs/s>".
Each task increments a Redis counter so completion is observable (our echo job likewise writes its
result to Redis).
"""
import os
import subprocess
import sys
import time

from celery import Celery
from redis import Redis

N = int(os.environ.get("BENCH_JOBS", "20000"))
URL = os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/15")
redis = Redis.from_url(URL)
redis.flushdb()

app = Celery("celery_tasks", broker=URL)
started = time.perf_counter()
with app.producer_or_acquire() as producer:
    for _ in range(N):
        app.send_task("celery_tasks.noop", producer=producer)
enqueue_rate = N / (time.perf_counter() - started)

started = time.perf_counter()
worker = subprocess.Popen(
    [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--loglevel=WARNING",
     "--concurrency", os.environ.get("BENCH_PROCESSES", "2"), "--pool", "prefork",
     "--without-gossip", "--without-mingle", "--without-heartbeat", "--prefetch-multiplier", "64"],
    cwd=os.path.dirname(os.path.abspath(__file__)),
)
while int(redis.get("done") or 0) < N:
    time.sleep(0.05)
drain_rate = N / (time.perf_counter() - started)
worker.terminate()
worker.wait()
print(f"celery {enqueue_rate:.0f} {drain_rate:.0f}")
