"""DAGs (and a bare Celery task) used by benchmarks/executors.py; loaded through WORKFLOWS_DAG_MODULES."""

import os

from config.celery import app
from workflows.sdk import DAG, task

BARE_KEY = "wicn-bench:bare"


@task
def noop() -> None:
    return None


with DAG("bench_warmup") as bench_warmup:
    [noop.override(task_id=f"noop_{i}")() for i in range(4)]

with DAG("bench_fanout") as bench_fanout:
    [noop.override(task_id=f"noop_{i}")() for i in range(int(os.environ.get("BENCH_FANOUT", "100")))]

with DAG("bench_chain") as bench_chain:
    previous = None
    for i in range(int(os.environ.get("BENCH_CHAIN", "20"))):
        current = noop.override(task_id=f"step_{i}")()
        if previous is not None:
            previous >> current
        previous = current

with DAG("bench_celery") as bench_celery:
    noop.override(executor="celery")()


@app.task(name="benchmarks.bare_ping", ignore_result=True)
def bare_ping() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).rpush(BARE_KEY, "1")
