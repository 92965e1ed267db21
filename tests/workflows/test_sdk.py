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


# Each option a DAG's default_args may set: (name, the built-in default, another value, as the task reads it).
OPTION_CASES = [
    ("retries", 0, 3, 3),
    ("retry_delay", 30, 120, timedelta(seconds=120)),
    ("retry_exponential_backoff", False, True, True),
    ("max_retry_delay", None, 600, timedelta(seconds=600)),
    ("execution_timeout", None, 5, timedelta(seconds=5)),
    ("trigger_rule", "all_success", "all_done", "all_done"),
    ("executor", None, "celery", "celery"),
    ("executor_config", None, {"pod_override": {"spec": {}}}, {"pod_override": {"spec": {}}}),
    ("queue", None, "heavy", "heavy"),
    ("doc", "", "From the DAG.", "From the DAG."),
]
BUILT_IN_AS_READ = {
    "retries": 0,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": False,
    "max_retry_delay": None,
    "execution_timeout": None,
    "trigger_rule": "all_success",
    "executor": None,
    "executor_config": {},
    "queue": None,
    "doc": "",
}


def _undocumented():
    return None


@pytest.mark.parametrize(("name", "built_in", "other", "other_as_read"), OPTION_CASES)
def test_task_option_set_to_the_built_in_default_wins_over_default_args(name, built_in, other, other_as_read):
    with DAG("explicit", default_args={name: other}) as d:
        task(**{name: built_in})(_undocumented)()
        PythonTask(task_id="operator", python_callable=_undocumented, **{name: built_in})
    assert getattr(d.tasks["_undocumented"], name) == BUILT_IN_AS_READ[name]
    assert getattr(d.tasks["operator"], name) == BUILT_IN_AS_READ[name]


@pytest.mark.parametrize(("name", "built_in", "other", "other_as_read"), OPTION_CASES)
def test_task_option_left_unset_takes_default_args(name, built_in, other, other_as_read):
    with DAG("inherited", default_args={name: other}) as d:
        task(_undocumented)()
        PythonTask(task_id="operator", python_callable=_undocumented)
    assert getattr(d.tasks["_undocumented"], name) == other_as_read
    assert getattr(d.tasks["operator"], name) == other_as_read


def test_explicit_retries_and_delay_win_over_default_args_through_dag_decorator():
    @task(retries=0, retry_delay=30)
    def once():
        return None

    @dag(default_args={"retries": 3, "retry_delay": 120})
    def careful():
        once()
        once.override(task_id="overridden", retries=0)()

    assert (careful.tasks["once"].retries, careful.tasks["once"].retry_delay) == (0, timedelta(seconds=30))
    assert (careful.tasks["overridden"].retries, careful.tasks["overridden"].retry_delay) == (
        0,
        timedelta(seconds=30),
    )


def test_default_args_naming_no_task_option_is_an_error():
    with pytest.raises(DagDefinitionError, match="DAG 'typo': default_args retires are not task options"):
        DAG("typo", default_args={"retires": 3})


def test_task_option_with_unknown_name_is_an_error():
    with pytest.raises(DagDefinitionError, match="task 'typo': unknown option"):
        PythonTask(task_id="typo", python_callable=_undocumented, retires=3)


def test_default_args_with_negative_retries_is_an_error():
    with (
        pytest.raises(DagDefinitionError, match="retries cannot be negative"),
        DAG("bad", default_args={"retries": -1}),
    ):
        extract()


def test_task_called_outside_a_dag_is_an_error():
    with pytest.raises(DagDefinitionError, match="outside of a DAG"):
        extract()


def test_dag_files_get_param_from_the_authoring_api_and_it_is_the_params_module_s():
    from workflows import params, sdk

    assert sdk.Param is params.Param
    assert DAG("p", params={"days": 30}).params["days"].__class__ is params.Param
