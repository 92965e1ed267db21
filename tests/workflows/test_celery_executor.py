"""The Celery executor against the real Redis broker and a real `celery -A config worker` process."""

import os

import pytest

from tests.support.services import redis_url
from tests.workflows import dags_for_tests as dags
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState
from workflows.models import DagRun, TaskInstance, TaskTry
from workflows.scheduler import Scheduler

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _run(dag):
    bag = install_dags(pytest.MonkeyPatch(), dag)
    run = services.trigger_dag(dag=dag)
    scheduler = Scheduler(executor_names=["celery"], bag=bag)
    scheduler.start()
    try:
        scheduler.run_until(
            lambda: DagRun.objects.filter(pk=run.pk, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists(),
            max_seconds=90,
        )
    finally:
        scheduler.shutdown()
    run.refresh_from_db()
    return run


def test_celery_executor_runs_a_chain_in_the_worker(celery_worker):
    run = _run(dags.celery_chain)
    assert run.state == DagRunState.SUCCESS, celery_worker.read_text()[-3000:]
    assert TaskInstance.objects.get(run=run, task_id="double").result == 42
    tries = list(TaskTry.objects.values_list("executor", "external_id", "pid"))
    assert {t[0] for t in tries} == {"celery"}
    assert {t[1] for t in tries} == {f"wicn-try-{ti}-1" for ti in TaskInstance.objects.values_list("pk", flat=True)}
    assert os.getpid() not in {t[2] for t in tries}


def test_celery_worker_process_keeps_its_database_connection_between_tries(celery_worker):
    """A reconnect per try would cost more than a short try itself."""
    run = _run(dags.celery_sessions)
    assert run.state == DagRunState.SUCCESS, celery_worker.read_text()[-3000:]
    sessions = list(TaskInstance.objects.filter(run=run).values_list("result", flat=True))
    backends_by_worker: dict[int, set[int]] = {}
    for session in sessions:
        backends_by_worker.setdefault(session["worker"], set()).add(session["backend"])
    assert {worker: len(backends) for worker, backends in backends_by_worker.items()} == dict.fromkeys(
        backends_by_worker, 1
    )


def test_celery_worker_lost_mid_task_leads_to_a_retry(celery_worker):
    run = _run(dags.celery_sigkill)
    tries = list(TaskTry.objects.order_by("try_number").values_list("state", "reason"))
    assert run.state == DagRunState.SUCCESS, (tries, celery_worker.read_text()[-3000:])
    assert tries[0][0] == "failed"
    assert "was lost" in tries[0][1]
    assert tries[1][0] == "success"
    assert TaskInstance.objects.get(run=run).result == "survived on try 2"


def test_celery_try_nobody_takes_fails_after_the_queued_timeout(settings, monkeypatch):
    redis_url()
    settings.WORKFLOWS_EXECUTORS = ["celery"]
    settings.WORKFLOWS_CELERY_DEFAULT_QUEUE = f"wicn-nobody-{os.getpid()}"
    settings.WORKFLOWS_CELERY_QUEUED_TIMEOUT = 0.5
    run = _run(dags.celery_chain)
    attempt = TaskTry.objects.get()
    assert run.state == DagRunState.FAILED
    assert attempt.reason.startswith("queued for more than 0.5 s without starting: no celery worker took it")
