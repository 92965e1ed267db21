"""The runner: claiming a try, capturing its log, storing results and recording outcomes."""

import logging
import time

import pytest

from tests.workflows.support import install_dags
from workflows import runner, services
from workflows.enums import TaskState, TryState
from workflows.errors import SkipTask
from workflows.models import TaskInstance, TaskTry
from workflows.runner import run_try
from workflows.sdk import DAG, task

pytestmark = pytest.mark.django_db


def _queued_try(dag, task_id):
    run = services.trigger_dag(dag=dag)
    TaskInstance.objects.filter(run=run, task_id=task_id).update(state=TaskState.SCHEDULED)
    run.state = "running"
    run.save()
    (attempt,) = services.queue_task_instances(executor_slots={"inline": None}, scheduler_id=None, limit=10)
    return attempt.task_instance


def _one_task_dag(monkeypatch, function, **options):
    with DAG("single") as d:
        task(**options)(function).override(task_id="job")()
    install_dags(monkeypatch, d)
    return d


def test_run_try_success_stores_result_and_captured_log(monkeypatch):
    def job():
        print("printed line")
        logging.getLogger("tasks.job").warning("logged line")
        return {"pruned": 3}

    d = _one_task_dag(monkeypatch, job)
    ti = _queued_try(d, "job")
    result = run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    attempt = ti.tries.get()
    assert (result.state, ti.state, ti.result, attempt.result) == ("success", "success", {"pruned": 3}, {"pruned": 3})
    assert "printed line" in attempt.log
    assert "WARNING tasks.job: logged line" in attempt.log


def test_run_try_exception_retries_with_backoff_and_keeps_traceback(monkeypatch):
    def job():
        raise RuntimeError("the mail server said no")

    d = _one_task_dag(monkeypatch, job, retries=2, retry_delay=60)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    attempt = ti.tries.get()
    assert ti.state == TaskState.UP_FOR_RETRY
    assert 59 <= (ti.next_retry_at - attempt.ended_at).total_seconds() <= 61
    assert attempt.reason == "RuntimeError: the mail server said no"
    assert "Traceback" in attempt.log


def test_run_try_without_retries_left_fails(monkeypatch):
    d = _one_task_dag(monkeypatch, lambda: 1 / 0)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert (ti.state, ti.tries.get().reason) == (TaskState.FAILED, "ZeroDivisionError: division by zero")


def test_run_try_same_try_twice_runs_once(monkeypatch):
    calls = []
    d = _one_task_dag(monkeypatch, lambda: calls.append(1))
    ti = _queued_try(d, "job")
    first, second = run_try(ti.pk, 1, heartbeat=False), run_try(ti.pk, 1, heartbeat=False)
    assert (first.claimed, second.claimed, calls) == (True, False, [1])


def test_run_try_result_too_large_fails_with_clear_message(monkeypatch, settings):
    settings.WORKFLOWS_RESULT_MAX_BYTES = 100
    d = _one_task_dag(monkeypatch, lambda: "x" * 500, retries=3)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert ti.state == TaskState.FAILED  # not retried: the same code would return the same result
    assert "is 502 bytes of JSON, more than the 100 allowed (WORKFLOWS_RESULT_MAX_BYTES)" in ti.tries.get().reason


def test_run_try_result_not_json_fails_naming_the_type(monkeypatch):
    d = _one_task_dag(monkeypatch, lambda: {1, 2})
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    assert ti.tries.get().reason.startswith("the task returned set, which is not JSON")


def test_run_try_execution_timeout_stops_a_sleeping_task(monkeypatch):
    d = _one_task_dag(monkeypatch, lambda: time.sleep(30), execution_timeout=0.3)
    ti = _queued_try(d, "job")
    started = time.monotonic()
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert time.monotonic() - started < 5
    assert (ti.state, ti.tries.get().reason) == (TaskState.FAILED, "execution_timeout of 0.3 s exceeded")


def test_run_try_skip_task_ends_skipped(monkeypatch):
    def job():
        raise SkipTask("nothing to prune today")

    d = _one_task_dag(monkeypatch, job)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert (ti.state, ti.tries.get().reason) == (TaskState.SKIPPED, "nothing to prune today")


def test_run_try_receives_params_and_context_by_name(monkeypatch):
    def job(params, run_id, try_number):
        return [params["days"], run_id.startswith("manual__"), try_number]

    with DAG("ctx", params={"days": 30}) as d:
        task(job)()
    install_dags(monkeypatch, d)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert ti.result == [30, True, 1]


def test_late_outcome_after_scheduler_failed_the_try_is_ignored(monkeypatch):
    d = _one_task_dag(monkeypatch, lambda: 1)
    ti = _queued_try(d, "job")
    services.claim_try(ti_id=ti.pk, try_number=1, hostname="h", pid=1, timeout=None)
    services.fail_try(ti_id=ti.pk, try_number=1, reason="no heartbeat", task=d.tasks["job"])
    assert services.record_try_outcome(ti_id=ti.pk, try_number=1, state=TryState.SUCCESS, task=None) is False
    ti.refresh_from_db()
    assert (ti.state, TaskTry.objects.get().reason) == (TaskState.FAILED, "no heartbeat")


def test_run_try_positional_argument_named_like_context_is_not_overwritten(monkeypatch):
    def job(task_id):
        return task_id

    with DAG("named") as d:
        task(job).override(task_id="job")("given")
    install_dags(monkeypatch, d)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1, heartbeat=False)
    ti.refresh_from_db()
    assert ti.result == "given"


@pytest.mark.django_db(transaction=True)
def test_heartbeat_marks_running_tries_alive_with_their_log_from_one_thread_per_process(monkeypatch, settings):
    settings.WORKFLOWS_HEARTBEAT_INTERVAL = 0.05

    def job():
        print("halfway there")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            attempt = TaskTry.objects.get(state=TryState.RUNNING)
            if attempt.heartbeat_at > attempt.started_at and "halfway there" in attempt.log:
                return runner.heartbeats._thread.ident
            time.sleep(0.02)
        return None

    with DAG("beating") as d:
        task(job).override(task_id="one")()
        task(job).override(task_id="two")()
    install_dags(monkeypatch, d)
    run = services.trigger_dag(dag=d)
    TaskInstance.objects.filter(run=run).update(state=TaskState.SCHEDULED)
    run.state = "running"
    run.save()
    tries = services.queue_task_instances(executor_slots={"inline": None}, scheduler_id=None, limit=10)
    for attempt in tries:
        run_try(attempt.task_instance_id, 1)
    threads = list(TaskInstance.objects.filter(run=run).values_list("result", flat=True))
    assert threads[0] is not None
    assert threads == [threads[0], threads[0]]  # both tries beat from the same thread
    beat_after_end = TaskTry.objects.order_by("id").values_list("heartbeat_at", flat=True)
    time.sleep(0.2)
    assert list(TaskTry.objects.order_by("id").values_list("heartbeat_at", flat=True)) == list(beat_after_end)


@pytest.mark.django_db(transaction=True)
def test_heartbeat_appends_only_what_the_try_printed_since_the_last_beat(monkeypatch, settings):
    settings.WORKFLOWS_HEARTBEAT_INTERVAL = 0.05
    beats = []
    real_heartbeat_try = services.heartbeat_try

    def spy(**kwargs):
        beats.append(kwargs)
        return real_heartbeat_try(**kwargs)

    monkeypatch.setattr(services, "heartbeat_try", spy)

    def job():
        for n in (1, 2, 3):
            print(f"line {n}")
            deadline = time.monotonic() + 10
            while f"line {n}\n" not in TaskTry.objects.get().log and time.monotonic() < deadline:
                time.sleep(0.02)
        return TaskTry.objects.get().log

    d = _one_task_dag(monkeypatch, job)
    ti = _queued_try(d, "job")
    run_try(ti.pk, 1)
    stored_while_running = TaskInstance.objects.get(pk=ti.pk).result
    written = [beat.get("log_append", "") for beat in beats]
    assert [beat.get("log") for beat in beats] == [None] * len(beats)
    assert stored_while_running == "".join(written)
    assert "".join(written).count("line 1\n") == 1
    log = TaskTry.objects.get().log
    assert log.startswith(stored_while_running)
    assert log.splitlines()[1:-1] == ["line 1", "line 2", "line 3"]
    assert " ended success after " in log.splitlines()[-1]


def test_log_buffer_past_its_limit_replaces_the_stored_log_with_its_start_and_end(settings):
    settings.WORKFLOWS_LOG_MAX_BYTES = 100
    buffer = runner.LogBuffer()
    buffer.write("a" * 60)
    assert buffer.unstored() == (60, None, "a" * 60)
    buffer.mark_stored(60)
    buffer.write("b" * 30)
    assert buffer.unstored() == (90, None, "b" * 30)
    buffer.mark_stored(90)
    buffer.write("c" * 30)
    assert buffer.unstored() == (120, services.truncate_log("a" * 60 + "b" * 30 + "c" * 30), "")
    buffer.mark_stored(120)
    assert buffer.unstored() == (120, None, "")
    assert buffer.text() == "a" * 50 + "\n… 20 characters omitted …\n" + "b" * 20 + "c" * 30
