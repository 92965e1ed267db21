"""The scheduler loop end to end, in-process with the inline executor: states, rules, retries, schedules."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from django.utils import timezone

from tests.workflows.support import InlineExecutor, install_dags
from workflows import services
from workflows.enums import DagRunState, DagRunType, TaskState, TryState
from workflows.errors import SchedulerAlreadyRunning, WorkflowError
from workflows.executors.base import BaseExecutor, Orphan, Workload
from workflows.models import DagRecord, DagRun, SchedulerJob, TaskInstance, TaskTry, Trigger
from workflows.scheduler import Scheduler
from workflows.sdk import DAG, task
from workflows.triggers.base import BaseTrigger, TaskDeferred

pytestmark = pytest.mark.django_db


@task
def one():
    return 1


@task
def add(a, b=0):
    return a + b


@task
def boom():
    raise RuntimeError("boom")


def _run_until_done(bag, run_pk=None, *, max_loops=200):
    def finished():
        qs = DagRun.objects.filter(pk=run_pk) if run_pk else DagRun.objects.all()
        return qs.exists() and not qs.exclude(state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists()

    Scheduler(executor_names=["inline"], bag=bag, max_loops=max_loops, until=finished).run()


def _states(run):
    return dict(TaskInstance.objects.filter(run=run).values_list("task_id", "state"))


def test_chain_passes_results_and_run_succeeds(monkeypatch):
    with DAG("sums") as d:
        add(add(one(), 2), 3)
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    run.refresh_from_db()
    assert run.state == DagRunState.SUCCESS
    assert TaskInstance.objects.get(run=run, task_id="add__2").result == 6


def test_failure_propagates_and_all_done_cleanup_still_runs(monkeypatch):
    with DAG("failing") as d:
        first = boom()
        after = one.override(task_id="after")()
        cleanup = one.override(task_id="cleanup", trigger_rule="all_done")()
        alert = one.override(task_id="alert", trigger_rule="one_failed")()
        first >> after >> cleanup
        first >> alert
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    run.refresh_from_db()
    assert run.state == DagRunState.FAILED
    assert _states(run) == {"boom": "failed", "after": "upstream_failed", "cleanup": "success", "alert": "success"}


def test_all_trigger_rules_in_one_run(monkeypatch):
    with DAG("rules") as d:
        good, bad = one.override(task_id="good")(), boom.override(task_id="bad")()
        for rule in ("all_success", "all_done", "all_failed", "one_success", "one_failed", "none_failed"):
            [good, bad] >> one.override(task_id=rule, trigger_rule=rule)()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    assert _states(run) == {
        "good": "success",
        "bad": "failed",
        "all_success": "upstream_failed",
        "all_done": "success",
        "all_failed": "skipped",
        "one_success": "success",
        "one_failed": "success",
        "none_failed": "upstream_failed",
    }


def test_retries_then_success_keeps_each_try(monkeypatch):
    attempts = []

    @task(retries=2, retry_delay=0)
    def flaky(try_number):
        attempts.append(try_number)
        if try_number < 3:
            raise ConnectionError(f"try {try_number} failed")
        return "ok"

    with DAG("flaky") as d:
        flaky()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    ti = TaskInstance.objects.get(run=run)
    assert (ti.state, attempts) == ("success", [1, 2, 3])
    assert list(ti.tries.values_list("state", "reason")) == [
        ("failed", "ConnectionError: try 1 failed"),
        ("failed", "ConnectionError: try 2 failed"),
        ("success", ""),
    ]


def test_retry_waits_for_its_delay(monkeypatch):
    with DAG("slow_retry") as d:
        boom.override(retries=1, retry_delay=3600)()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    Scheduler(executor_names=["inline"], bag=bag, max_loops=20).run()
    ti = TaskInstance.objects.get(run=run)
    assert (ti.state, ti.try_number) == (TaskState.UP_FOR_RETRY, 1)
    TaskInstance.objects.filter(pk=ti.pk).update(next_retry_at=timezone.now())
    _run_until_done(bag, run.pk)
    ti.refresh_from_db()
    assert (ti.state, ti.try_number) == (TaskState.FAILED, 2)


def test_max_active_runs_holds_later_runs_queued(monkeypatch):
    with DAG("one_at_a_time", max_active_runs=1) as d:
        one()
    bag = install_dags(monkeypatch, d)
    first = services.trigger_dag(dag=d, logical_date=timezone.now() - timedelta(minutes=1))
    second = services.trigger_dag(dag=d)
    scheduler = Scheduler(executor_names=["inline"], bag=bag, max_loops=1)
    scheduler.start()
    try:
        scheduler._start_runs(timezone.now())
        assert dict(DagRun.objects.values_list("pk", "state")) == {first.pk: "running", second.pk: "queued"}
    finally:
        scheduler.shutdown()
    _run_until_done(bag)
    assert set(DagRun.objects.values_list("state", flat=True)) == {"success"}


def test_scheduled_runs_catch_up_in_order(monkeypatch):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    with DAG("hourly", schedule="0 * * * *", start_date=start, catchup=True, max_active_runs=5) as d:
        one()
    bag = install_dags(monkeypatch, d)
    _run_until_done(bag)
    runs = list(DagRun.objects.order_by("logical_date").values_list("run_type", "logical_date", "state"))
    assert [r[1] for r in runs] == [start + timedelta(hours=h) for h in range(3)]
    assert {(r[0], r[2]) for r in runs} == {(DagRunType.SCHEDULED, DagRunState.SUCCESS)}
    assert DagRecord.objects.get().next_dagrun == start + timedelta(hours=3)


def test_scheduled_runs_without_catchup_run_only_the_latest(monkeypatch):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with DAG("daily", schedule="0 0 * * *", start_date=start, catchup=False) as d:
        one()
    bag = install_dags(monkeypatch, d)
    _run_until_done(bag)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert list(DagRun.objects.values_list("logical_date", flat=True)) == [today - timedelta(days=1)]


def test_paused_dag_gets_no_scheduled_runs(monkeypatch):
    with DAG("paused", schedule="@hourly", start_date=datetime(2024, 1, 1, tzinfo=UTC)) as d:
        one()
    bag = install_dags(monkeypatch, d)
    services.set_dag_paused(dag=d, paused=True)
    Scheduler(executor_names=["inline"], bag=bag, max_loops=3).run()
    assert DagRun.objects.count() == 0


def test_lost_heartbeat_is_retried_then_runs(monkeypatch, settings):
    settings.WORKFLOWS_ZOMBIE_THRESHOLD = 60
    with DAG("zombie") as d:
        one.override(retries=1, retry_delay=0)()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED)
    DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
    (attempt,) = services.queue_task_instances(executor_slots={"inline": None}, scheduler_id=None, limit=5)
    services.claim_try(ti_id=attempt.task_instance_id, try_number=1, hostname="gone", pid=4242, timeout=None)
    TaskTry.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=120))
    _run_until_done(bag, run.pk)
    tries = list(TaskTry.objects.order_by("try_number").values_list("state", "reason"))
    assert tries[0][0] == TryState.FAILED
    assert tries[0][1].startswith("no heartbeat for more than 60 s: the worker on gone (pid 4242) was lost")
    assert tries[1][0] == TryState.SUCCESS


def test_restarted_scheduler_hands_back_queued_tries_of_a_dead_one(monkeypatch):
    with DAG("restart") as d:
        one()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED)
    DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
    dead = SchedulerJob.objects.create(hostname="old", pid=1, heartbeat_at=timezone.now() - timedelta(hours=1))
    services.queue_task_instances(executor_slots={"inline": None}, scheduler_id=dead.pk, limit=5)
    _run_until_done(bag, run.pk)
    assert list(TaskTry.objects.order_by("try_number").values_list("state", flat=True)) == ["handed_back", "success"]
    assert TaskInstance.objects.get().state == TaskState.SUCCESS


def test_clear_with_downstream_reruns_the_tasks(monkeypatch):
    with DAG("clearable") as d:
        first = one()
        first >> add.override(task_id="second")(1)
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    cleared = services.clear_task_instances(run=run, dag=d, task_ids=["one"], downstream=True)
    assert cleared == ["one", "second"]
    _run_until_done(bag, run.pk)
    assert dict(TaskInstance.objects.values_list("task_id", "try_number")) == {"one": 2, "second": 2}
    assert DagRun.objects.get().state == DagRunState.SUCCESS


def test_executor_refusal_fails_the_try_with_its_reason(monkeypatch):
    def refuse(self, workload):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(InlineExecutor, "queue", refuse)
    with DAG("refused") as d:
        one()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    assert (
        TaskTry.objects.get().reason == "executor 'inline' could not take the try: ConnectionError: broker unreachable"
    )


def test_second_scheduler_on_sqlite_is_refused(monkeypatch, settings):
    from django.db import connection

    # The guard is a lock file beside the SQLite database; it acts on that vendor only, so the test
    # runs it the same way whichever database the suite uses.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    bag = install_dags(monkeypatch)
    first = Scheduler(executor_names=["inline"], bag=bag)
    first._acquire_sqlite_lock()
    try:
        with pytest.raises(SchedulerAlreadyRunning, match="SQLite supports one scheduler"):
            Scheduler(executor_names=["inline"], bag=bag).run()
    finally:
        first._lock_file.close()


class RecordingExecutor(BaseExecutor):
    """Takes tries without running them and adopts every orphan, keeping what it was told of each."""

    supports_adoption = True
    queued: ClassVar[list[Workload]] = []
    adopted: ClassVar[list[Orphan]] = []

    def queue(self, workload):
        RecordingExecutor.queued.append(workload)

    def adopt(self, orphans):
        RecordingExecutor.adopted.extend(orphans)
        return []


def test_adopted_try_gets_the_same_workload_as_when_it_was_queued(monkeypatch, settings):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"recording": "tests.workflows.test_scheduler.RecordingExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["recording"]
    monkeypatch.setattr(RecordingExecutor, "queued", [])
    monkeypatch.setattr(RecordingExecutor, "adopted", [])
    with DAG("adoptable") as d:
        one.override(execution_timeout=90, executor_config={"pod_override": {"spec": {}}}, queue="heavy")()
    bag = install_dags(monkeypatch, d)
    services.trigger_dag(dag=d)
    first = Scheduler(executor_names=["recording"], bag=bag)
    first.start()
    first.run_until(lambda: bool(RecordingExecutor.queued), max_loops=50)
    first.shutdown()
    second = Scheduler(executor_names=["recording"], bag=bag)
    second.start()
    second.shutdown()

    (queued,) = RecordingExecutor.queued
    (orphan,) = RecordingExecutor.adopted
    assert queued.execution_timeout == 90.0
    assert (queued.scheduler_id, orphan.workload.scheduler_id) == (first.job.pk, second.job.pk)
    assert orphan.workload == dataclasses.replace(queued, scheduler_id=second.job.pk)
    assert (orphan.state, TaskTry.objects.get().scheduler_id) == ("queued", second.job.pk)


class _Wait(BaseTrigger):
    def serialize(self):
        return ("tests.workflows.test_scheduler._Wait", {})


@task
def waits():
    raise TaskDeferred(trigger=_Wait(), method_name="resume")


def test_deferring_task_fails_with_the_reason_and_its_run_ends(monkeypatch):
    with DAG("deferring") as d:
        waits.override(retries=2)() >> one()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    assert DagRun.objects.get().state == DagRunState.FAILED
    assert _states(run) == {"waits": TaskState.FAILED, "one": TaskState.UPSTREAM_FAILED}
    assert list(TaskTry.objects.values_list("state", "reason")) == [
        (
            TryState.FAILED,
            "This task deferred, but no triggerer runs in this deployment yet; it cannot resume, so the try "
            "failed (it would have waited on _Wait). Wait inside the task instead, then clear it to run it again.",
        )
    ]


def test_task_left_deferred_can_be_cleared_and_run_again(monkeypatch):
    with DAG("stuck") as d:
        one()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
    ti = TaskInstance.objects.get(run=run)
    TaskInstance.objects.filter(pk=ti.pk).update(state=TaskState.DEFERRED, try_number=1, next_method="resume")
    Trigger.objects.create(task_instance=ti, classpath="tests.workflows.test_scheduler._Wait", kwargs={})

    assert services.clear_task_instances(run=run, dag=d, task_ids=["one"]) == ["one"]
    _run_until_done(bag, run.pk)
    assert (DagRun.objects.get().state, _states(run)) == (DagRunState.SUCCESS, {"one": TaskState.SUCCESS})
    assert TaskInstance.objects.get().result == 1
    assert Trigger.objects.count() == 0


def _left_deferred(monkeypatch, dag):
    """A run whose first task waits on a trigger that nothing will fire."""
    bag = install_dags(monkeypatch, dag)
    run = services.trigger_dag(dag=dag)
    DagRun.objects.filter(pk=run.pk).update(state=DagRunState.RUNNING)
    first = next(iter(dag.tasks))
    ti = TaskInstance.objects.get(run=run, task_id=first)
    TaskInstance.objects.filter(pk=ti.pk).update(state=TaskState.DEFERRED, try_number=1, next_method="resume")
    Trigger.objects.create(task_instance=ti, classpath="tests.workflows.test_scheduler._Wait", kwargs={})
    return bag, run


def test_task_left_deferred_marked_failed_ends_its_run_as_failed(monkeypatch):
    with DAG("stuck_then_failed") as d:
        one() >> add(1)
    bag, run = _left_deferred(monkeypatch, d)

    assert services.mark_task_instances(run=run, dag=d, task_ids=["one"], state="failed") == ["one"]
    _run_until_done(bag, run.pk)

    assert (DagRun.objects.get().state, _states(run)) == (
        DagRunState.FAILED,
        {"one": TaskState.FAILED, "add": TaskState.UPSTREAM_FAILED},
    )
    assert Trigger.objects.count() == 0


def test_task_left_deferred_marked_success_lets_its_downstream_run(monkeypatch):
    with DAG("stuck_then_success") as d:
        one() >> add(1)
    bag, run = _left_deferred(monkeypatch, d)

    services.mark_task_instances(run=run, dag=d, task_ids=["one"], state="success")
    _run_until_done(bag, run.pk)

    assert (DagRun.objects.get().state, _states(run)) == (
        DagRunState.SUCCESS,
        {"one": TaskState.SUCCESS, "add": TaskState.SUCCESS},
    )
    assert TaskInstance.objects.get(task_id="add").result == 1


def test_marking_a_failed_run_s_tasks_success_with_downstream_ends_it_as_success(monkeypatch):
    with DAG("failed_then_fixed") as d:
        boom() >> one()
    bag = install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    _run_until_done(bag, run.pk)
    assert DagRun.objects.get().state == DagRunState.FAILED

    marked = services.mark_task_instances(run=run, dag=d, task_ids=["boom"], state="success", downstream=True)

    assert marked == ["boom", "one"]
    assert (DagRun.objects.get().state, _states(run)) == (
        DagRunState.SUCCESS,
        {"boom": TaskState.SUCCESS, "one": TaskState.SUCCESS},
    )


def test_marking_a_running_task_is_refused_and_changes_nothing(monkeypatch):
    with DAG("busy") as d:
        one()
    install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    TaskInstance.objects.filter(run=run).update(state=TaskState.RUNNING)

    with pytest.raises(WorkflowError, match="one is running; wait for it to finish"):
        services.mark_task_instances(run=run, dag=d, task_ids=["one"], state="failed")
    with pytest.raises(WorkflowError, match="not 'skipped'"):
        services.mark_task_instances(run=run, dag=d, task_ids=["one"], state="skipped")

    assert _states(run) == {"one": TaskState.RUNNING}
