"""The Celery app and its no-op task."""
import os

from celery import Celery
from redis import Redis

URL = os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/15")
app = Celery("celery_tasks", broker=URL)
app.conf.task_ignore_result = True
counter = Redis.from_url(URL)


@app.task(name="celery_tasks.noop")
def noop():
    counter.incr("done")
