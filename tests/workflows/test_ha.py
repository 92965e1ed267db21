"""Two scheduler processes against one PostgreSQL database: every task runs exactly once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.workflows import dags_for_tests as dags
from tests.workflows.support import database_url
from workflows import services
from workflows.enums import DagRunState
from workflows.models import DagRun, SchedulerJob, TaskInstance, TaskTry

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "scheduler", "--executors", "local", "--max-seconds", "240"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def test_two_schedulers_run_every_task_exactly_once(settings, tmp_path):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    out = tmp_path / "ran.txt"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "WORKFLOWS_DAG_MODULES": "tests.workflows.dags_for_tests",
        "WORKFLOWS_EXECUTORS": "local",
        "WORKFLOWS_LOCAL_PARALLELISM": "2",
        "WICN_TEST_OUT": str(out),
        "LOG_LEVEL": "WARNING",
    }
    run = services.trigger_dag(dag=dags.ha_fanout)
    schedulers = [_start_scheduler(env, tmp_path / f"scheduler{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            if DagRun.objects.filter(pk=run.pk, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists():
                break
            assert all(p.poll() is None for p in schedulers), (tmp_path / "scheduler0.log").read_text()[-2000:]
            time.sleep(0.5)
    finally:
        for p in schedulers:
            p.send_signal(signal.SIGTERM)
        for p in schedulers:
            p.wait(timeout=60)
    run.refresh_from_db()
    # The schedulers also run the platform's own cron DAGs; only this run's tries are the subject.
    tries = TaskTry.objects.filter(task_instance__run=run)
    failures = list(tries.exclude(state="success").values_list("task_instance__task_id", "state", "reason")[:5])
    assert run.state == DagRunState.SUCCESS, failures
    assert TaskInstance.objects.filter(run=run).count() == dags.HA_TASKS
    assert set(tries.values_list("try_number", "state").distinct()) == {(1, "success")}
    executions = Counter(out.read_text().split())
    assert len(executions) == dags.HA_TASKS
    assert set(executions.values()) == {1}
    # Both schedulers did part of the work, and both stopped cleanly on SIGTERM.
    queued_by = Counter(tries.values_list("scheduler_id", flat=True))
    assert len(queued_by) == 2
    assert SchedulerJob.objects.filter(ended_at__isnull=True).count() == 0
    assert [p.returncode for p in schedulers] == [0, 0]
