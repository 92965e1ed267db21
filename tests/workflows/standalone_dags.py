"""A DAG for the engine installed alone (standalone_settings.py names this module in WORKFLOWS_DAG_MODULES)."""

import sys

from workflows.sdk import Param, dag, task

#: Packages of the wicn project that the engine must never need.
PROJECT_PACKAGES = frozenset({"community", "mentorship", "config"})


def project_modules() -> list[str]:
    """The wicn modules this process has imported (none, for an engine that knows no app of the project)."""
    return sorted(name for name in sys.modules if name.partition(".")[0] in PROJECT_PACKAGES)


@task
def greet(params):
    return f"hello {params['name']}"


@task
def report(greeting):
    # Runs in a worker forked by the local executor: that process must not have needed the project either.
    return {"greeting": greeting.upper(), "project_modules": project_modules()}


@dag(params={"name": Param("world", description="Who is greeted")})
def standalone_hello():
    report(greet())
