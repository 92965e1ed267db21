"""The local executor with real forked workers, on PostgreSQL (processes need a shared database)."""

import os
import signal
import time

import pytest

from tests.workflows import dags_for_tests as dags
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState
from workflows.models import DagRun, TaskInstance, TaskTry
from workflows.scheduler import Scheduler
from workflows.sdk import DAG, task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _finish(scheduler, run, timeout=60):
    scheduler.run_until(
        lambda: DagRun.objects.filter(pk=run.pk, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists(),
        max_seconds=timeout,
    )
    run.refresh_from_db()
    return run


@pytest.fixture
def scheduler(settings):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    settings.WORKFLOWS_LOCAL_PARALLELISM = 2
    created = []

    def make(*dag_list):
        install_dags(pytest.MonkeyPatch(), *dag_list)
        s = Scheduler(executor_names=["local"])
        s.start()
        created.append(s)
        return s

    yield make
    for s in created:
        s.shutdown()


def test_local_executor_runs_a_dag_in_worker_processes(scheduler):
    with DAG("pids") as d:
        task(os.getpid).override(task_id="a")() >> task(os.getpid).override(task_id="b")()
    s = scheduler(d)
    run = _finish(s, services.trigger_dag(dag=d))
    pids = set(TaskInstance.objects.filter(run=run).values_list("result", flat=True))
    assert run.state == DagRunState.SUCCESS
    assert os.getpid() not in pids
    assert pids <= {w.process.pid for w in s.executors["local"].workers}


def test_sigkilled_worker_is_reported_and_the_task_retried(scheduler):
    s = scheduler(dags.sigkill)
    run = _finish(s, services.trigger_dag(dag=dags.sigkill))
    tries = list(TaskTry.objects.order_by("try_number").values_list("state", "reason", "exit_code"))
    assert run.state == DagRunState.SUCCESS
    assert tries[0][0] == "failed"
    assert "was killed by SIGKILL" in tries[0][1]
    assert tries[0][2] == 128 + signal.SIGKILL
    assert tries[1][0] == "success"
    assert len({w.process.pid for w in s.executors["local"].workers}) == 2  # the dead worker was replaced


def test_execution_timeout_in_a_worker_fails_the_try(scheduler):
    with DAG("sleepy") as d:
        task(time.sleep).override(task_id="nap", execution_timeout=0.5)(30)
    s = scheduler(d)
    started = time.monotonic()
    run = _finish(s, services.trigger_dag(dag=d))
    assert time.monotonic() - started < 15
    assert run.state == DagRunState.FAILED
    assert TaskTry.objects.get().reason == "execution_timeout of 0.5 s exceeded"


def test_graceful_shutdown_hands_back_tries_that_did_not_start(settings, monkeypatch):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    settings.WORKFLOWS_LOCAL_PARALLELISM = 1
    settings.WORKFLOWS_SHUTDOWN_GRACE = 10
    with DAG("slow_pair") as d:
        task(time.sleep).override(task_id="one")(0.5)
        task(time.sleep).override(task_id="two")(0.5)
    install_dags(monkeypatch, d)
    s = Scheduler(executor_names=["local"])
    s.start()
    run = services.trigger_dag(dag=d)
    s.run_until(lambda: TaskTry.objects.filter(state="running").exists(), max_seconds=20)
    s.stop()
    s.shutdown()
    states = sorted(TaskTry.objects.values_list("state", flat=True))
    assert states == ["handed_back", "success"]  # the running try finished; the prefetched one came back
    assert sorted(TaskInstance.objects.filter(run=run).values_list("state", flat=True)) == ["scheduled", "success"]
