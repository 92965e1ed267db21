"""Run with DJANGO_SETTINGS_MODULE=tests.workflows.standalone_settings: the engine alone, from migrations to a page.

Migrates an empty database, triggers a DAG from the command line, lets a scheduler run it to success
on the local executor, and renders the DAG list for a superuser. Prints one JSON line of findings for
test_standalone.py; a failed step raises.
"""

import io
import json

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402 - after setup, as in any Django script
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from tests.workflows.standalone_dags import project_modules  # noqa: E402
from workflows.enums import DagRunState  # noqa: E402
from workflows.models import DagRun, TaskInstance  # noqa: E402
from workflows.scheduler import Scheduler  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    pending = io.StringIO()
    call_command("makemigrations", "workflows", check=True, dry_run=True, stdout=pending)
    out = io.StringIO()
    call_command("workflows", "trigger", "standalone_hello", "--param", "name=Ada", stdout=out)

    scheduler = Scheduler(executor_names=["local"])
    scheduler.start()
    try:
        scheduler.run_until(
            lambda: not DagRun.objects.exclude(state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists(),
            max_seconds=90,
        )
    finally:
        scheduler.shutdown()
    run = DagRun.objects.get(dag__dag_id="standalone_hello")
    report = TaskInstance.objects.get(run=run, task_id="report")

    admin = User.objects.create_superuser("admin", "admin@example.org", "admin-password")
    client = Client()
    anonymous = client.get("/workflows/")
    client.force_login(admin)
    page = client.get("/workflows/")
    print(
        json.dumps(
            {
                "triggered": out.getvalue().strip(),
                "migrations_pending": pending.getvalue().strip(),
                "run_state": run.state,
                "task_states": dict(TaskInstance.objects.filter(run=run).values_list("task_id", "state")),
                "result": report.result,
                "anonymous": [anonymous.status_code, anonymous.get("Location", "")],
                "page_status": page.status_code,
                "page_lists_dag": "standalone_hello" in page.content.decode(),
                "page_title": page.content.decode().split("<title>")[1].split("</title>")[0],
                "project_modules": project_modules(),
            }
        )
    )


if __name__ == "__main__":
    main()
