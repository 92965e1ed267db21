"""The engine's settings: defaults declared once, overrides seen at once, and the environment read by config only."""

import json
import os
import subprocess
import sys
from pathlib import Path

from workflows.conf import workflows_settings
from workflows.executors.base import Workload
from workflows.executors.celery import celery_task_id
from workflows.kubernetes.conf import kubernetes_settings
from workflows.kubernetes.pods import TryIdentity, identity_from_pod, identity_labels

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = TryIdentity(
    dag_id="nightly", task_id="solve", run_id="manual__1", task_instance_id=7, try_number=2, scheduler_id="3"
)


def test_a_setting_changed_in_a_test_is_seen_at_once(settings):
    settings.WORKFLOWS_ZOMBIE_THRESHOLD = 5
    settings.WORKFLOWS_KUBERNETES_PARALLELISM = "3"
    assert (workflows_settings.ZOMBIE_THRESHOLD, kubernetes_settings.PARALLELISM) == (5.0, 3)


def test_an_engine_setting_the_project_leaves_out_has_its_declared_default(settings):
    del settings.WORKFLOWS_INSTANCE_NAME
    del settings.WORKFLOWS_TASK_COMMAND
    del settings.WORKFLOWS_BASE_TEMPLATE
    del settings.WORKFLOWS_CELERY_APP
    assert [
        workflows_settings.INSTANCE_NAME,
        workflows_settings.TASK_COMMAND,
        workflows_settings.BASE_TEMPLATE,
        workflows_settings.CELERY_APP,
    ] == ["workflows", ["python", "manage.py"], "workflows/base.html", ""]


def test_this_project_keeps_its_own_name_on_pods_and_celery_tasks():
    assert identity_labels(IDENTITY) == {
        "app.kubernetes.io/managed-by": "wicn",
        "wicn/dag-id": "nightly",
        "wicn/task-id": "solve",
        "wicn/run-id": "manual__1",
        "wicn/task-instance-id": "7",
        "wicn/try": "2",
        "wicn/scheduler-id": "3",
    }
    assert celery_task_id(7, 2) == "wicn-try-7-2"


def test_the_instance_name_names_pods_and_celery_tasks(settings):
    settings.WORKFLOWS_INSTANCE_NAME = "jobs"
    labels = identity_labels(IDENTITY)
    assert (labels["app.kubernetes.io/managed-by"], labels["jobs/dag-id"], celery_task_id(7, 2)) == (
        "jobs",
        "nightly",
        "jobs-try-7-2",
    )
    pod = {"metadata": {"labels": labels, "annotations": {f"jobs/{k.split('/')[1]}": v for k, v in labels.items()}}}
    pod["metadata"]["annotations"]["jobs/scheduler-id"] = "3"
    assert identity_from_pod(pod) == IDENTITY
    settings.WORKFLOWS_INSTANCE_NAME = "someone-else"
    assert identity_from_pod(pod) is None


def test_the_task_command_starts_every_try_run_in_a_process_of_its_own(settings):
    workload = Workload(task_instance_id=7, try_number=2, dag_id="nightly", task_id="solve", run_id="manual__1")
    assert workload.command == ["python", "manage.py", "run_task", "7", "--try", "2"]
    settings.WORKFLOWS_TASK_COMMAND = ["/venv/bin/django-admin"]
    assert workload.command == ["/venv/bin/django-admin", "run_task", "7", "--try", "2"]


def test_the_environment_variables_operators_set_still_reach_the_engine(tmp_path):
    script = (
        "import json, django; django.setup();"
        "from workflows.conf import workflows_settings as w;"
        "from workflows.kubernetes.conf import kubernetes_settings as k;"
        "print(json.dumps([w.EXECUTORS, w.ZOMBIE_THRESHOLD, w.LOCAL_PARALLELISM, w.DAG_MODULES,"
        " w.DAGS_PAUSED_ON_CREATION, w.TIME_ZONE_NAME, str(w.SCHEDULER_LOCK_FILE), k.NAMESPACE, k.WORKER_IMAGE,"
        " str(k.POD_TEMPLATE_FILE), k.CONFIG_FILE]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WORKFLOWS_", "KUBE", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WORKFLOWS_EXECUTORS": "kubernetes,local",
        "WORKFLOWS_ZOMBIE_THRESHOLD": "90",
        "WORKFLOWS_LOCAL_PARALLELISM": "8",
        "WORKFLOWS_DAG_MODULES": "tests.workflows.dags_for_tests, workflows.kubernetes.example_dags",
        "WORKFLOWS_DAGS_PAUSED_ON_CREATION": "true",
        "WORKFLOWS_TIME_ZONE": "Europe/Berlin",
        "WORKFLOWS_SCHEDULER_LOCK_FILE": str(tmp_path / "lock"),
        "KUBERNETES_NAMESPACE": "jobs",
        "WORKER_IMAGE": "registry.example.org/wicn:1.0",
        "POD_TEMPLATE_FILE": "/etc/wicn/pod.yaml",
        "KUBECONFIG": "/etc/wicn/kubeconfig",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        ["kubernetes", "local"],
        90.0,
        8,
        ["tests.workflows.dags_for_tests", "workflows.kubernetes.example_dags"],
        True,
        "Europe/Berlin",
        str(tmp_path / "lock"),
        "jobs",
        "registry.example.org/wicn:1.0",
        "/etc/wicn/pod.yaml",
        "/etc/wicn/kubeconfig",
    ]
