"""Per-task overhead of the workflow executors.

    python -m benchmarks.executors [--fanout 100] [--chain 20] [--parallelism 2] [--celery-tasks 50]

Local executor (pre-forked workers, parallelism 2): a DAG of N independent no-op tasks and a chain
of M no-op tasks, timed from trigger to the run's end with the scheduler already running.
Celery executor (when REDIS_URL is set): latency of one no-op try from being queued to its outcome
committed, against a bare Celery round trip on the same worker; the difference is the engine's cost.

Never writes into the configured database: with DATABASE_URL naming a PostgreSQL database, it
creates a dedicated one on the same server (`<name>_bench`, dropped again at the end); otherwise it
uses a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._database import drop_bench_database, use_bench_database

use_bench_database("executors")
os.environ["WORKFLOWS_DAG_MODULES"] = "benchmarks.executor_dags"

import django  # noqa: E402 - settings must see the environment above

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from workflows import services  # noqa: E402
from workflows.dagbag import get_dagbag  # noqa: E402
from workflows.enums import DagRunState, TaskState, TryState  # noqa: E402
from workflows.models import DagRun, TaskInstance, TaskTry  # noqa: E402
from workflows.scheduler import Scheduler  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKER_LOG = Path(tempfile.gettempdir()) / "wicn-bench-celery-worker.log"


def _database() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}"
        return f"postgresql database {db['NAME']!r} on {where}, created for this benchmark and dropped after it"
    return f"sqlite file {db['NAME']} (temporary)"


def time_local_run(scheduler: Scheduler, dag_id: str) -> float:
    dag = get_dagbag().get(dag_id)
    started = time.perf_counter()
    run = services.trigger_dag(dag=dag)
    scheduler.run_until(
        lambda: DagRun.objects.filter(pk=run.pk, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists(),
        max_seconds=120,
    )
    elapsed = time.perf_counter() - started
    state = DagRun.objects.get(pk=run.pk).state
    if state != DagRunState.SUCCESS:
        raise SystemExit(f"{dag_id} ended {state}")
    return elapsed


def bench_local(parallelism: int) -> dict[str, float]:
    settings.WORKFLOWS_EXECUTORS = ["local", "celery"]
    settings.WORKFLOWS_LOCAL_PARALLELISM = parallelism
    scheduler = Scheduler(executor_names=["local"])
    scheduler.start()
    try:
        time_local_run(scheduler, "bench_warmup")
        fanout = time_local_run(scheduler, "bench_fanout")
        chain = time_local_run(scheduler, "bench_chain")
    finally:
        scheduler.shutdown()
    return {"fanout": fanout, "chain": chain}


def _start_worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "WORKFLOWS_EXECUTORS": "celery"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "-c",
            "1",
            "--include",
            "benchmarks.executor_dags",
            "-Q",
            "wicn-bench",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=WORKER_LOG.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for_pop(client: object, key: str, timeout: float) -> None:
    # Polled like the database is polled for the engine's tries, so both sides pay the same.
    deadline = time.monotonic() + timeout
    while client.lpop(key) is None:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise SystemExit(f"the Celery worker did not answer within {timeout:g} s; see {WORKER_LOG}")
        time.sleep(0.0005)


def bench_celery(count: int) -> tuple[float, float] | None:
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        print("celery: skipped (REDIS_URL is not set)")
        return None
    import redis

    from benchmarks.executor_dags import BARE_KEY, bare_ping
    from workflows.executors.base import Workload
    from workflows.executors.celery import CeleryExecutor

    client = redis.Redis.from_url(redis_url)
    client.delete(BARE_KEY)
    settings.WORKFLOWS_EXECUTORS = ["celery"]
    worker = _start_worker()
    try:
        bare_ping.apply_async(queue="wicn-bench")
        _wait_for_pop(client, BARE_KEY, 60)
        bare = []
        for _ in range(count):
            started = time.perf_counter()
            bare_ping.apply_async(queue="wicn-bench")
            _wait_for_pop(client, BARE_KEY, 30)
            bare.append(time.perf_counter() - started)
        executor = CeleryExecutor(name="celery")
        executor.start()
        dag = get_dagbag().get("bench_celery")
        engine = []
        for _ in range(count + 1):
            run = services.trigger_dag(dag=dag)
            DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
            TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED)
            (attempt,) = services.queue_task_instances(executor_slots={"celery": None}, scheduler_id=None, limit=1)
            started = time.perf_counter()
            executor.queue(Workload(attempt.task_instance_id, 1, dag.dag_id, "noop", run.run_id, queue="wicn-bench"))
            deadline = time.monotonic() + 30
            while not TaskTry.objects.filter(pk=attempt.pk, state=TryState.SUCCESS).exists():
                if time.monotonic() > deadline:
                    raise SystemExit("a Celery try did not finish within 30 s")
                time.sleep(0.0005)
            engine.append(time.perf_counter() - started)
        engine = engine[1:]  # the first try loads the DAGs in the worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return statistics.median(bare) * 1000, statistics.median(engine) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fanout", type=int, default=100)
    parser.add_argument("--chain", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--celery-tasks", type=int, default=50)
    args = parser.parse_args()
    os.environ["BENCH_FANOUT"], os.environ["BENCH_CHAIN"] = str(args.fanout), str(args.chain)
    call_command("migrate", verbosity=0)
    print(f"database: {_database()}; broker: {os.environ.get('REDIS_URL') or 'none'}")
    local = bench_local(args.parallelism)
    print(f"local executor, parallelism {args.parallelism}:")
    for label, key, size in (
        (f"{args.fanout} independent no-op tasks", "fanout", args.fanout),
        (f"chain of {args.chain} no-op tasks", "chain", args.chain),
    ):
        print(f"  {label}: {local[key]:.3f} s ({local[key] / size * 1000:.1f} ms/task)")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    celery = bench_celery(args.celery_tasks)
    if celery:
        bare, engine = celery
        print(f"celery executor ({args.celery_tasks} sequential tries, one worker process):")
        print(f"  bare Celery round trip p50: {bare:.2f} ms; workflow try p50: {engine:.2f} ms")
    print(f"BENCH local_fanout_{args.fanout}_seconds {local['fanout']:.3f} s")
    print(f"BENCH local_chain_{args.chain}_seconds {local['chain']:.3f} s")
    if celery:
        print(f"BENCH celery_added_latency_p50_ms {celery[1] - celery[0]:.2f} ms")
    print(f"(run at {timezone.now():%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    try:
        main()
    finally:
        drop_bench_database()
