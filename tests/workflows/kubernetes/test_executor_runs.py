"""DAGs run on the Kubernetes executor end to end: real apiserver, node agent playing the kubelet,
`manage.py run_task` in each pod's process against the test database."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.workflows.kubernetes import dags
from tests.workflows.kubernetes.support import run_scheduler, runs_finished
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState, TryState
from workflows.models import TaskInstance, TaskTry

pytestmark = [pytest.mark.kube, pytest.mark.postgres, pytest.mark.slow]


def test_dag_on_pods_runs_from_trigger_to_success_with_pod_logs(monkeypatch, pods_reach_database, node_agent, kube_api):
    bag = install_dags(monkeypatch, dags.k8s_hello)
    run = services.trigger_dag(dag=dags.k8s_hello)

    scheduler = run_scheduler(bag, runs_finished(run.pk))

    run.refresh_from_db()
    assert run.state == DagRunState.SUCCESS, [(t.reason, t.log) for t in TaskTry.objects.all()]
    tries = {t.task_instance.task_id: t for t in TaskTry.objects.select_related("task_instance")}
    assert {task_id: t.state for task_id, t in tries.items()} == {"hello": TryState.SUCCESS, "greet": TryState.SUCCESS}
    hello = tries["hello"]
    assert hello.external_id.startswith("k8s-hello-hello-")
    assert TaskInstance.objects.get(task_id="hello").result == {"pod": hello.external_id}
    assert "hello from a pod" in hello.log
    assert f"----- log of pod {hello.external_id}, container base -----" in hello.log
    assert f"try 1 of task instance {hello.task_instance_id}: success" in hello.log
    assert hello.exit_code == 0
    core = client.CoreV1Api(kube_api)
    assert core.list_namespaced_pod(pods_reach_database.KUBERNETES_NAMESPACE).items == []
    executor = scheduler.last_kubernetes_executor
    per_try = {verb: n for verb, n in executor.api_calls.snapshot().items() if verb[0] in {"create", "delete"}}
    assert per_try == {("create", "pods"): 2, ("delete", "pods"): 2}
