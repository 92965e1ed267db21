"""The executor contract (docs/adr/0001-executor-contract.md), run against every executor that ships.

Each executor gets a queued try as plain data and must get it run through the runner, whose
outcome lands in the database; and a try whose process dies must end failed with a reason.
"""

import time

import pytest

from tests.workflows import dags_for_tests as dags
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState, TaskState, TryState
from workflows.executors import executor_class
from workflows.executors.base import BaseExecutor, Workload
from workflows.models import DagRun, TaskInstance, TaskTry
from workflows.sdk import DAG

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EXECUTORS = [
    pytest.param("local", id="local"),
    pytest.param("celery", id="celery", marks=pytest.mark.redis),
]


def _queue_one(executor: BaseExecutor, dag: DAG) -> TaskTry:
    run = services.trigger_dag(dag=dag)
    DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
    TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED, executor=executor.name)
    (attempt,) = services.queue_task_instances(executor_slots={executor.name: None}, scheduler_id=None, limit=1)
    ti = attempt.task_instance
    executor.queue(Workload(ti.pk, attempt.try_number, dag.dag_id, ti.task_id, run.run_id))
    return attempt


def _until_ended(executor: BaseExecutor, attempt: TaskTry, timeout: float = 60) -> TaskTry:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in executor.sync():
            services.apply_executor_event(event, dags={})
        attempt.refresh_from_db()
        if attempt.state not in (TryState.QUEUED, TryState.RUNNING):
            return attempt
        time.sleep(0.05)
    raise AssertionError(f"try still {attempt.state} after {timeout} s")


@pytest.fixture
def executor(request, settings):
    name = request.param
    settings.WORKFLOWS_EXECUTORS = [name]
    settings.WORKFLOWS_LOCAL_PARALLELISM = 1
    if name == "celery":
        request.getfixturevalue("celery_worker")
    # Installed before the executor starts: local workers are forked with the DAGs already loaded.
    install_dags(pytest.MonkeyPatch(), dags.contract_ok, dags.sigkill)
    instance = executor_class(name)(name=name)
    instance.start()
    yield instance
    instance.end(grace=5)


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_executor_runs_a_queued_try_through_the_runner(executor):
    attempt = _until_ended(executor, _queue_one(executor, dags.contract_ok))
    assert (attempt.state, attempt.result, attempt.executor) == ("success", 42, executor.name)
    assert attempt.log.splitlines()[0].endswith(f"pid {attempt.pid}")


@pytest.mark.parametrize("executor", EXECUTORS, indirect=True)
def test_executor_reports_a_try_whose_process_died(executor):
    attempt = _until_ended(executor, _queue_one(executor, dags.sigkill))
    assert attempt.state == "failed"
    assert "killed" in attempt.reason or "lost" in attempt.reason
