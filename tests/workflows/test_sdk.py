"""The authoring API: building DAGs, params, dependencies and definition errors. No database."""

from datetime import UTC, datetime, timedelta

import pytest

from workflows.errors import DagDefinitionError, InvalidParams
from workflows.sdk import DAG, Param, PythonTask, dag, task


@task
def extract():
    return [1, 2, 3]


@task(retries=2)
def total(numbers):
    return sum(numbers)


def test_dag_passing_results_makes_dependencies():
    @dag(schedule="@daily", start_date=datetime(2025, 1, 1, tzinfo=UTC))
    def pipeline():
        total(extract())

    assert pipeline.dag_id == "pipeline"
    assert pipeline.schedule == "0 0 * * *"
    assert pipeline.upstream == {"extract": set(), "total": {"extract"}}
    assert pipeline.tasks["total"].retries == 2


def test_rshift_orders_tasks_and_lists():
    with DAG("shift") as d:
        a, b, c = extract(), extract(), extract()
        a >> [b, c]
    assert d.downstream == {"extract": {"extract__2", "extract__3"}, "extract__2": set(), "extract__3": set()}


def test_duplicate_explicit_task_id_names_dag_and_task():
    with pytest.raises(DagDefinitionError, match="DAG 'dupes' has two tasks with the id 'same'"):

        @dag()
        def dupes():
            extract.override(task_id="same")()
            extract.override(task_id="same")()


def test_cycle_is_a_definition_error_naming_the_path():
    with pytest.raises(DagDefinitionError, match=r"DAG 'loop' has a cycle: extract -> extract__2 -> extract"):

        @dag()
        def loop():
            a, b = extract(), extract()
            a >> b
            b >> a


def test_unknown_trigger_rule_is_refused():
    with pytest.raises(DagDefinitionError, match="trigger rule 'sometimes'"):
        PythonTask(task_id="x", python_callable=print, trigger_rule="sometimes")


def test_scheduled_dag_without_start_date_is_refused():
    with pytest.raises(DagDefinitionError, match="needs a start_date"):
        DAG("no_start", schedule="0 * * * *")


def test_invalid_cron_is_refused():
    with pytest.raises(DagDefinitionError, match="not a valid cron"):
        DAG("bad_cron", schedule="every tuesday", start_date=datetime(2025, 1, 1, tzinfo=UTC))


def test_params_coerce_text_and_apply_defaults():
    d = DAG("p", params={"days": 30, "dry_run": False, "ratio": 0.5, "mode": Param("fast", choices=["fast", "slow"])})
    assert d.resolve_params({"days": "7", "dry_run": "yes"}) == {
        "days": 7,
        "dry_run": True,
        "ratio": 0.5,
        "mode": "fast",
    }


def test_params_report_every_problem_at_once():
    d = DAG("p", params={"days": 30, "mode": Param("fast", choices=["fast", "slow"]), "who": Param(type="str")})
    with pytest.raises(InvalidParams) as info:
        d.resolve_params({"days": "soon", "mode": "medium", "colour": "red"})
    assert info.value.errors == {
        "colour": "unknown param (this DAG takes: days, mode, who)",
        "days": "expected a whole number",
        "mode": "must be one of fast, slow",
        "who": "a value is required",
    }


def test_param_bounds_are_enforced():
    d = DAG("p", params={"days": Param(30, minimum=1, maximum=365)})
    with pytest.raises(InvalidParams, match="days: must be at most 365"):
        d.resolve_params({"days": 400})


def test_retry_delay_backs_off_exponentially_up_to_the_cap():
    op = PythonTask(
        task_id="t",
        python_callable=print,
        retry_delay=10,
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(seconds=60),
    )
    assert [op.retry_delay_for(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


def test_default_args_apply_unless_the_task_says_otherwise():
    with DAG("defaults", default_args={"retries": 3, "execution_timeout": 5}) as d:
        extract()
        total.override(task_id="own", retries=1)([])
    assert (d.tasks["extract"].retries, d.tasks["extract"].execution_timeout) == (3, timedelta(seconds=5))
    assert d.tasks["own"].retries == 1


def test_task_called_outside_a_dag_is_an_error():
    with pytest.raises(DagDefinitionError, match="outside of a DAG"):
        extract()
