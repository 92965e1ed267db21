"""What an executor reports about a try's process or pod, applied on top of what the runner recorded."""

import pytest

from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import TaskState, TryState
from workflows.executors.base import TryFinished
from workflows.models import TaskInstance, TaskTry
from workflows.runner import run_try
from workflows.sdk import DAG, task

pytestmark = pytest.mark.django_db


def _queued_try(monkeypatch, function, **options):
    with DAG("events") as d:
        task(**options)(function).override(task_id="job")()
    install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED)
    run.state = "running"
    run.save()
    (attempt,) = services.queue_task_instances(executor_slots={"inline": None}, scheduler_id=None, limit=10)
    return d, attempt.task_instance


def _outcome(ti):
    attempt = TaskTry.objects.get(task_instance=ti)
    return TaskInstance.objects.get(pk=ti.pk).state, attempt.state, attempt.reason, attempt.exit_code


def test_success_reported_after_the_runner_recorded_success_adds_only_the_exit_code(monkeypatch):
    d, ti = _queued_try(monkeypatch, lambda: 1)
    run_try(ti.pk, 1, heartbeat=False)
    event = TryFinished(ti.pk, 1, "success", reason="Completed", exit_code=0)
    services.apply_executor_event(event, dags={d.dag_id: d})
    assert _outcome(ti) == (TaskState.SUCCESS, TryState.SUCCESS, "", 0)


def test_failure_reported_after_the_runner_recorded_failure_adds_exit_code_and_reason(monkeypatch):
    def job():
        raise RuntimeError("boom")

    d, ti = _queued_try(monkeypatch, job)
    run_try(ti.pk, 1, heartbeat=False)
    TaskTry.objects.filter(task_instance=ti).update(reason="")
    event = TryFinished(ti.pk, 1, "failed", reason="Error (exit code 1)", exit_code=1)
    services.apply_executor_event(event, dags={d.dag_id: d})
    assert _outcome(ti) == (TaskState.FAILED, TryState.FAILED, "Error (exit code 1)", 1)


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("success", "the process exited without recording an outcome"),
        ("failed", "the process failed without recording an outcome"),
    ],
)
def test_a_process_that_ended_without_recording_an_outcome_fails_its_try_for_retry(monkeypatch, state, reason):
    d, ti = _queued_try(monkeypatch, lambda: 1, retries=1)
    assert services.record_executor_outcome(
        ti_id=ti.pk, try_number=1, succeeded=state == "success", reason="", exit_code=0, task=d.tasks["job"]
    )
    assert _outcome(ti) == (TaskState.UP_FOR_RETRY, TryState.FAILED, reason, 0)
