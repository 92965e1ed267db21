"""`manage.py workflows …` and `manage.py run_task`."""

import pytest
from django.core.management import CommandError, call_command

from tests.workflows.support import install_dags
from workflows import services
from workflows.models import DagRecord, DagRun, TaskInstance
from workflows.sdk import DAG, Param, task

pytestmark = pytest.mark.django_db


@task
def greet(params):
    print(f"hello {params['name']}")
    return params["times"]


@pytest.fixture
def dag(monkeypatch):
    with DAG("cli_dag", params={"name": "world", "times": Param(1, minimum=1)}) as d:
        greet()
    install_dags(monkeypatch, d)
    return d


def test_trigger_with_params_creates_a_run(dag, capsys):
    call_command("workflows", "trigger", "cli_dag", "--param", "name=Ada", "--param", "times=2")
    assert DagRun.objects.get().params == {"name": "Ada", "times": 2}
    assert "triggered cli_dag: manual__" in capsys.readouterr().out


def test_trigger_with_bad_param_is_a_clear_error(dag):
    with pytest.raises(CommandError, match="invalid params: times: must be at least 1"):
        call_command("workflows", "trigger", "cli_dag", "--param", "times=0")
    with pytest.raises(CommandError, match="--param takes key=value"):
        call_command("workflows", "trigger", "cli_dag", "--param", "times")


def test_unknown_dag_is_a_clear_error(dag):
    with pytest.raises(CommandError, match="no DAG 'nope' is loaded"):
        call_command("workflows", "trigger", "nope")


def test_list_and_runs_show_what_exists(dag, capsys):
    run = services.trigger_dag(dag=dag)
    call_command("workflows", "list")
    call_command("workflows", "runs", "cli_dag")
    out = capsys.readouterr().out
    assert "cli_dag\tactive\tManual runs only" in out
    assert f"{run.run_id}\tqueued\tmanual" in out


def test_pause_and_unpause(dag):
    call_command("workflows", "pause", "cli_dag")
    assert DagRecord.objects.get().is_paused is True
    call_command("workflows", "unpause", "cli_dag")
    assert DagRecord.objects.get().is_paused is False


def test_test_runs_the_task_in_process_without_rows(dag, capsys):
    call_command("workflows", "test", "cli_dag", "greet", "--param", "name=Grace", "--param", "times=3")
    out = capsys.readouterr().out
    assert "hello Grace" in out
    assert "cli_dag.greet succeeded" in out
    assert out.strip().endswith("result: 3")
    assert DagRun.objects.count() == 0


def test_clear_requeues_a_finished_task(dag, capsys):
    run = services.trigger_dag(dag=dag)
    TaskInstance.objects.update(state="failed")
    DagRun.objects.update(state="failed")
    call_command("workflows", "clear", "cli_dag", run.run_id, "greet")
    assert (DagRun.objects.get().state, TaskInstance.objects.get().state) == ("queued", "none")
    with pytest.raises(CommandError, match="has no run 'nope'"):
        call_command("workflows", "clear", "cli_dag", "nope", "greet")


def test_mark_sets_a_waiting_task_failed_and_ends_its_run(dag, capsys):
    run = services.trigger_dag(dag=dag)
    DagRun.objects.update(state="running")
    TaskInstance.objects.update(state="deferred")
    call_command("workflows", "mark", "cli_dag", run.run_id, "greet", "--state", "failed")
    assert (DagRun.objects.get().state, TaskInstance.objects.get().state) == ("failed", "failed")
    assert f"marked greet failed in {run.run_id}" in capsys.readouterr().out
    with pytest.raises(CommandError, match="has no task nope"):
        call_command("workflows", "mark", "cli_dag", run.run_id, "nope", "--state", "success")


def test_run_task_command_for_a_try_that_is_not_queued_does_nothing(dag, capsys):
    run = services.trigger_dag(dag=dag)
    ti = TaskInstance.objects.get(run=run)
    call_command("run_task", str(ti.pk), "--try", "1")
    assert "not run: the try is not queued" in capsys.readouterr().err
    assert TaskInstance.objects.get().state == "none"
