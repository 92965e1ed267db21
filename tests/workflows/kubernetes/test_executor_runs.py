"""DAGs run on the Kubernetes executor end to end: real apiserver, node agent playing the kubelet,
`manage.py run_task` in each pod's process against the test database."""

from __future__ import annotations

import pytest
from django.urls import reverse
from kubernetes import client as kube

from tests.factories import BuilderFactory
from tests.workflows.kubernetes import dags
from tests.workflows.kubernetes.support import run_scheduler, runs_finished
from tests.workflows.support import install_dags
from workflows import services
from workflows.enums import DagRunState, TryState
from workflows.models import TaskInstance, TaskTry
from workflows.scheduler import Scheduler

pytestmark = [pytest.mark.kube, pytest.mark.postgres, pytest.mark.slow]


def test_dag_on_pods_runs_from_trigger_to_success_with_pod_logs_in_the_ui(
    monkeypatch, pods_reach_database, node_agent, kube_api, client
):
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
    core = kube.CoreV1Api(kube_api)
    assert core.list_namespaced_pod(pods_reach_database.WORKFLOWS_KUBERNETES_NAMESPACE).items == []
    client.force_login(BuilderFactory())
    page = client.get(reverse("workflows:task_instance", args=["k8s_hello", run.pk, "hello"]))
    assert page.status_code == 200
    assert f"----- log of pod {hello.external_id}, container base -----" in page.content.decode()
    executor = scheduler.last_kubernetes_executor
    per_try = {verb: n for verb, n in executor.api_calls.snapshot().items() if verb[0] in {"create", "delete"}}
    assert per_try == {("create", "pods"): 2, ("delete", "pods"): 2}


def test_dag_mixing_executors_runs_one_task_locally_and_the_next_on_a_pod(monkeypatch, pods_reach_database, node_agent):
    bag = install_dags(monkeypatch, dags.k8s_mixed)
    run = services.trigger_dag(dag=dags.k8s_mixed)

    run_scheduler(bag, runs_finished(run.pk), executors=["kubernetes", "local"])

    tries = {t.task_instance.task_id: t for t in TaskTry.objects.select_related("task_instance")}
    local, pod = tries["on_local"], tries["after_local"]
    assert (local.executor, local.state, local.external_id) == ("local", TryState.SUCCESS, "")
    assert (pod.executor, pod.state) == ("kubernetes", TryState.SUCCESS)
    local_pid = TaskInstance.objects.get(task_id="on_local").result
    assert TaskInstance.objects.get(task_id="after_local").result == f"after local {local_pid} in {pod.external_id}"


def test_oomkilled_try_fails_with_its_reason_and_the_retry_runs_on_a_new_pod(
    monkeypatch, pods_reach_database, node_agent
):
    node_agent.set_behaviour(lambda pod: pod["metadata"]["labels"].get("wicn/try") == "1", "oomkilled")
    bag = install_dags(monkeypatch, dags.k8s_once)
    run = services.trigger_dag(dag=dags.k8s_once)

    run_scheduler(bag, runs_finished(run.pk))

    first, second = TaskTry.objects.order_by("try_number")
    assert (first.state, first.reason, first.exit_code) == (TryState.FAILED, "OOMKilled (exit code 137)", 137)
    assert (second.state, second.exit_code) == (TryState.SUCCESS, 0)
    assert first.external_id != second.external_id
    assert "ran in a pod" in second.log
    run.refresh_from_db()
    assert run.state == DagRunState.SUCCESS


def test_scheduler_restart_adopts_running_pods_and_launches_nothing_twice(monkeypatch, pods_reach_database, node_agent):
    bag = install_dags(monkeypatch, dags.k8s_sleepy)
    run = services.trigger_dag(dag=dags.k8s_sleepy)
    first = Scheduler(executor_names=["kubernetes"], bag=bag)
    first.start()
    try:
        first.run_until(lambda: TaskTry.objects.filter(state=TryState.RUNNING).count() == 3, max_seconds=90)
    finally:
        first.shutdown()
    assert TaskTry.objects.filter(state=TryState.RUNNING).count() == 3

    second = run_scheduler(bag, runs_finished(run.pk), seconds=90)

    run.refresh_from_db()
    assert run.state == DagRunState.SUCCESS
    assert TaskTry.objects.count() == 3
    assert set(TaskTry.objects.values_list("state", "try_number")) == {(TryState.SUCCESS, 1)}
    assert set(TaskTry.objects.values_list("scheduler_id", flat=True)) == {second.job.pk}
    executor = second.last_kubernetes_executor
    assert executor.api_calls.snapshot()[("create", "pods")] == 0
    assert executor.api_calls.snapshot()[("patch", "pods")] == 3
    assert all(t.log.count("slept") == 1 for t in TaskTry.objects.all())
