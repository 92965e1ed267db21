"""DAGs that tests run in other processes (schedulers, Celery workers); loaded via WORKFLOWS_DAG_MODULES."""

import os
import signal

from workflows.sdk import DAG, task

HA_TASKS = int(os.environ.get("WICN_HA_TASKS", "500"))


@task
def record(task_id):
    """Append this task's id to the file the test reads, so a second execution would show."""
    with open(os.environ["WICN_TEST_OUT"], "a") as out:
        out.write(f"{task_id}\n")


@task(retries=1, retry_delay=0)
def die_on_first_try(try_number):
    if try_number == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return f"survived on try {try_number}"


@task
def double(value):
    return value * 2


@task
def start():
    return 21


with DAG("ha_fanout", max_active_runs=1) as ha_fanout:
    for i in range(HA_TASKS):
        record.override(task_id=f"t{i:03d}")(f"t{i:03d}")

with DAG("sigkill") as sigkill:
    die_on_first_try()

with DAG("celery_chain") as celery_chain:
    double.override(executor="celery")(start.override(executor="celery")())


@task
def database_session():
    """Which worker process ran this try, and over which PostgreSQL connection (its server process)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    return {"worker": os.getpid(), "backend": backend}


with DAG("celery_sessions") as celery_sessions:
    previous = None
    for i in range(6):
        current = database_session.override(task_id=f"session_{i}", executor="celery")()
        if previous is not None:
            previous >> current
        previous = current

with DAG("celery_sigkill") as celery_sigkill:
    die_on_first_try.override(executor="celery")()


@task
def answer():
    return 42


with DAG("contract_ok") as contract_ok:
    answer()
