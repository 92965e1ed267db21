"""Fixtures of the Kubernetes executor's tests: the test cluster (tests/support/kube/) and settings
that point the executor at a fresh namespace, with pods that reach the test database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection

from tests.support.kube.fixtures import *  # noqa: F403
from tests.workflows.kubernetes import dags

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes" / "base" / "pod-template.yaml"


def database_url() -> str:
    """URL of the database this test uses (the test database), for processes outside the test."""
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("pods reach the test database only on PostgreSQL")
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def write_template(path: Path, env: dict[str, str]) -> Path:
    """The project's pod template with extra env on the `base` container."""
    pod = yaml.safe_load(TEMPLATE.read_text())
    base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
    base["env"] = [e for e in base["env"] if e["name"] not in env] + [{"name": k, "value": v} for k, v in env.items()]
    path.write_text(yaml.safe_dump(pod))
    return path


@pytest.fixture
def kube_settings(settings: Any, kube_cluster: Any, kube_namespace: str) -> Any:
    """Settings that point the Kubernetes executor at this test's namespace (template: the project's)."""
    settings.WORKFLOWS_EXECUTORS = ["kubernetes", "local"]
    settings.WORKFLOWS_KUBERNETES_NAMESPACE = kube_namespace
    settings.WORKFLOWS_KUBERNETES_CONFIG_FILE = str(kube_cluster.kubeconfig_path)
    settings.WORKFLOWS_KUBERNETES_WORKER_IMAGE = "wicn-worker:test"
    settings.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = str(TEMPLATE)
    settings.WORKFLOWS_KUBERNETES_RESYNC_INTERVAL = 30.0
    settings.WORKFLOWS_KUBERNETES_WATCH_TIMEOUT = 30
    settings.WORKFLOWS_ZOMBIE_CHECK_INTERVAL = 1.0
    return settings


@pytest.fixture
def pods_reach_database(kube_settings: Any, transactional_db: None, tmp_path: Path) -> Any:
    """Pods run `manage.py run_task` against this test's database and load tests/workflows/kubernetes/dags.py."""
    env = {
        "DATABASE_URL": database_url(),
        "WORKFLOWS_EXECUTORS": "kubernetes,local",
        "WORKFLOWS_DAG_MODULES": dags.__name__,
        "WORKFLOWS_HEARTBEAT_INTERVAL": "1",
    }
    kube_settings.WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE = str(write_template(tmp_path / "pod-template.yaml", env))
    return kube_settings


@pytest.fixture
def sent_pods(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every pod the executor sends to the API server, each checked against the newest schema first."""
    from workflows.kubernetes.launcher import PodLauncher

    sent: list[dict[str, Any]] = []
    create = PodLauncher._create

    def validated(self: PodLauncher, key: Any, pod: dict[str, Any]) -> Any:
        if not pod["metadata"].get("annotations", {}).get("wicn.test/invalid"):
            validate_manifest(pod)  # noqa: F405 - from the kube fixtures
        sent.append(pod)
        return create(self, key, pod)

    monkeypatch.setattr(PodLauncher, "_create", validated)
    return sent


@pytest.fixture
def make_executor(kube_settings: Any, db: None, sent_pods: list[dict[str, Any]]) -> Any:
    """Start KubernetesExecutors whose pods run a short script (hooks.run_script) instead of a try."""
    from workflows.kubernetes.executor import KubernetesExecutor

    kube_settings.WORKFLOWS_KUBERNETES_POD_MUTATION_HOOK = "tests.workflows.kubernetes.hooks.run_script"
    started: list[KubernetesExecutor] = []

    def make(*, scheduler_id: int | None = None, wake: Any = None) -> KubernetesExecutor:
        executor = KubernetesExecutor(name="kubernetes", scheduler_id=scheduler_id, wake=wake)
        executor.start()
        started.append(executor)
        return executor

    yield make
    for executor in started:
        executor.end(grace=5)
