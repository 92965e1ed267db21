"""Discovering DAGs: a broken DAG file is reported with its traceback and does not stop the others."""

import sys
import textwrap

import pytest

from workflows.dagbag import dag_modules, load_dagbag

GOOD = """
from workflows.sdk import DAG, task

@task
def hello():
    return "hi"

with DAG("good_one") as good_one:
    hello()
"""


@pytest.fixture
def modules(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name, source):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)


def test_import_error_is_reported_with_traceback_and_others_load(modules):
    broken = modules("wf_broken_dags", "import does_not_exist_anywhere\n")
    good = modules("wf_good_dags", GOOD)
    bag = load_dagbag(modules=[broken, good])
    assert list(bag.dags) == ["good_one"]
    (failure,) = bag.import_errors
    assert failure.module == "wf_broken_dags"
    assert failure.message == "ModuleNotFoundError: No module named 'does_not_exist_anywhere'"
    assert "Traceback (most recent call last)" in failure.traceback


def test_cycle_is_a_load_error_naming_dag_and_tasks(modules):
    name = modules(
        "wf_cycle_dags",
        """
        from workflows.sdk import dag, task

        @task
        def step():
            return 1

        @dag()
        def circular():
            a, b = step(), step()
            a >> b >> a
        """,
    )
    bag = load_dagbag(modules=[name])
    assert bag.dags == {}
    assert bag.import_errors[0].message == "DAG 'circular' has a cycle: step -> step__2 -> step"


def test_unknown_executor_is_a_load_error_naming_dag_and_task(modules, settings):
    settings.WORKFLOWS_EXECUTORS = ["local"]
    name = modules(
        "wf_executor_dags",
        """
        from workflows.sdk import DAG, task

        @task(executor="spaceship")
        def launch():
            return 1

        with DAG("rocket") as rocket:
            launch()
        """,
    )
    bag = load_dagbag(modules=[name])
    assert bag.dags == {}
    assert bag.import_errors[0].message == (
        "DAG 'rocket', task 'launch': executor 'spaceship' is not configured (WORKFLOWS_EXECUTORS is local)"
    )


def test_same_dag_id_in_two_modules_is_reported(modules):
    first = modules("wf_first_dags", GOOD)
    second = modules("wf_second_dags", GOOD)
    bag = load_dagbag(modules=[first, second])
    assert list(bag.dags) == ["good_one"]
    assert "defined twice" in bag.import_errors[0].message


def test_installed_apps_dags_modules_are_discovered():
    assert "workflows.dags" in dag_modules()
