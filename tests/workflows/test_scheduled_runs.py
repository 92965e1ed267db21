"""Manual runs scheduled for a moment: they wait, start on time, and can be moved or cancelled until then."""

import time
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BuilderFactory
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState, TaskState
from workflows.errors import WorkflowError
from workflows.models import DagRun, TaskInstance
from workflows.scheduler import Scheduler
from workflows.sdk import DAG, task

pytestmark = pytest.mark.django_db


@task
def stamp():
    return timezone.now().isoformat()


@pytest.fixture
def stamped(monkeypatch):
    with DAG("stamped", max_active_runs=3) as d:
        stamp()
    return d, install_dags(monkeypatch, d)


def _states(run):
    return dict(TaskInstance.objects.filter(run=run).values_list("task_id", "state"))


def test_run_scheduled_ahead_waits_then_starts_at_its_moment(stamped):
    dag, bag = stamped
    run_after = timezone.now() + timedelta(seconds=1.5)
    run = services.trigger_dag(dag=dag, run_after=run_after)
    scheduler = Scheduler(executor_names=["inline"], bag=bag)
    scheduler.start()
    try:
        scheduler.run_until(max_seconds=0.5)
        run.refresh_from_db()
        assert (run.state, _states(run)) == (DagRunState.QUEUED, {"stamp": TaskState.NONE})

        scheduler.run_until(
            lambda: DagRun.objects.filter(pk=run.pk, state=DagRunState.SUCCESS).exists(), max_seconds=10
        )
    finally:
        scheduler.shutdown()
    run.refresh_from_db()
    ran_at = TaskInstance.objects.get(run=run).result
    assert run.state == DagRunState.SUCCESS
    assert run.start_date >= run_after
    assert datetime.fromisoformat(ran_at) >= run_after


def test_scheduler_sleeps_no_longer_than_until_the_next_scheduled_run(stamped, settings):
    dag, bag = stamped
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 30.0
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(seconds=1))
    scheduler = Scheduler(executor_names=["inline"], bag=bag)
    scheduler.start()
    started = time.monotonic()
    try:
        scheduler.run_until(
            lambda: DagRun.objects.filter(pk=run.pk, state=DagRunState.SUCCESS).exists(), max_seconds=20
        )
    finally:
        scheduler.shutdown()
    assert DagRun.objects.get(pk=run.pk).state == DagRunState.SUCCESS
    assert time.monotonic() - started < 3


def test_waiting_run_takes_no_slot_of_max_active_runs(monkeypatch):
    with DAG("single", max_active_runs=1) as dag:
        stamp()
    bag = install_dags(monkeypatch, dag)
    later = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(hours=1))
    now = services.trigger_dag(dag=dag)
    Scheduler(
        executor_names=["inline"],
        bag=bag,
        max_loops=50,
        until=lambda: DagRun.objects.filter(pk=now.pk, state=DagRunState.SUCCESS).exists(),
    ).run()
    assert dict(DagRun.objects.values_list("pk", "state")) == {
        later.pk: DagRunState.QUEUED,
        now.pk: DagRunState.SUCCESS,
    }


def test_rescheduled_run_starts_at_its_new_moment(stamped):
    dag, bag = stamped
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(days=1))
    moved = services.reschedule_dag_run(run=run, run_after=timezone.now() - timedelta(seconds=1))
    Scheduler(
        executor_names=["inline"],
        bag=bag,
        max_loops=50,
        until=lambda: DagRun.objects.filter(pk=run.pk, state=DagRunState.SUCCESS).exists(),
    ).run()
    assert moved.run_after < timezone.now()
    assert DagRun.objects.get(pk=run.pk).state == DagRunState.SUCCESS


def test_rescheduling_a_started_run_is_refused(stamped):
    dag, _ = stamped
    run = services.trigger_dag(dag=dag)
    services.start_queued_runs(dag=dag, record_id=run.dag_id, now=timezone.now())
    with pytest.raises(WorkflowError, match="is running; only a run that has not started can change"):
        services.reschedule_dag_run(run=run, run_after=timezone.now() + timedelta(hours=1))
    assert DagRun.objects.get(pk=run.pk).run_after is None


def test_cancelled_run_ends_cancelled_and_never_runs(stamped):
    dag, bag = stamped
    builder = BuilderFactory()
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(seconds=0.2))
    cancelled = services.cancel_dag_run(run=run, by=builder)
    time.sleep(0.3)
    Scheduler(executor_names=["inline"], bag=bag, max_loops=20).run()
    run.refresh_from_db()
    assert (cancelled.state, run.state) == (DagRunState.CANCELLED, DagRunState.CANCELLED)
    assert run.note.startswith(f"Cancelled by {builder} at ")
    assert _states(run) == {"stamp": TaskState.NONE}
    assert run.end_date is not None


def test_cancelling_twice_says_the_run_is_cancelled(stamped):
    dag, _ = stamped
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(hours=1))
    services.cancel_dag_run(run=run)
    with pytest.raises(WorkflowError, match="is cancelled; only a run that has not started can change"):
        services.cancel_dag_run(run=run)


def test_cancelled_runs_are_pruned_with_the_finished_ones(stamped):
    dag, _ = stamped
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(hours=1))
    services.cancel_dag_run(run=run)
    assert services.prune_finished_runs(older_than=timezone.now() + timedelta(seconds=1)) == 1
    assert not DagRun.objects.exists()


def test_dag_page_names_the_moment_and_zone_of_a_scheduled_run(stamped, client):
    dag, _ = stamped
    builder = BuilderFactory(profile__time_zone="Asia/Tokyo")
    run_after = timezone.now().replace(microsecond=0) + timedelta(days=2)
    services.trigger_dag(dag=dag, run_after=run_after)
    client.force_login(builder)
    page = client.get(reverse("workflows:dag_detail", args=[dag.dag_id])).content.decode()
    local = timezone.localtime(run_after, timezone.get_fixed_timezone(9 * 60))
    shown = f"{local:%a} {local.day} {local:%b %Y, %H:%M} (Asia/Tokyo)"
    assert f'scheduled for <time datetime="{run_after.isoformat()}">{shown}' in page
    assert 'hx-trigger="every 2s"' not in page


def test_dag_page_says_who_cancelled_a_run(stamped, client):
    dag, _ = stamped
    builder = BuilderFactory()
    run = services.trigger_dag(dag=dag, run_after=timezone.now() + timedelta(days=2))
    services.cancel_dag_run(run=run, by=builder)
    client.force_login(builder)
    page = client.get(reverse("workflows:dag_detail", args=[dag.dag_id])).content.decode()
    assert 'Cancelled</span> <small class="wrap-anywhere">Cancelled by ' in page


def test_dag_list_names_the_next_scheduled_manual_run(stamped, client):
    dag, _ = stamped
    builder = BuilderFactory(profile__time_zone="Asia/Tokyo")
    soon, later = (timezone.now().replace(microsecond=0) + timedelta(days=d) for d in (1, 3))
    services.trigger_dag(dag=dag, run_after=later)
    services.trigger_dag(dag=dag, run_after=soon)
    client.force_login(builder)
    page = client.get(reverse("workflows:dag_list")).content.decode()
    local = timezone.localtime(soon, timezone.get_fixed_timezone(9 * 60))
    shown = f"{local:%a} {local.day} {local:%b %Y, %H:%M} (Asia/Tokyo)"
    assert f'manual run scheduled for <time datetime="{soon.isoformat()}">{shown}</time>' in page
