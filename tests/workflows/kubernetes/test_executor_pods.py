"""The Kubernetes executor against the real test apiserver, driven directly as the scheduler drives it.

Pods run a short script (tests/workflows/kubernetes/hooks.py) instead of a task try, so these
tests need no shared database; the node agent plays the kubelet and, per pod, OOM kills,
evictions, image pull errors and pods that never leave Pending.
"""

from __future__ import annotations

import logging

import pytest
from kubernetes import client

from tests.workflows.kubernetes.driver import Driver, running, script, workload
from workflows.executors.base import TryLog
from workflows.kubernetes.pods import PodTemplateError

pytestmark = [pytest.mark.kube, pytest.mark.slow]


def _pods(kube_api, namespace, **kwargs):
    return client.CoreV1Api(kube_api).list_namespaced_pod(namespace, **kwargs).items


def test_pod_that_succeeds_reports_running_then_success_with_its_log_and_is_deleted(
    make_executor, node_agent, kube_api, kube_namespace
):
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, pod_override=script("print('hello from the pod')")))

    outcome = driver.finish((1, 1))[(1, 1)]

    name = running(driver.events)[(1, 1)]
    assert (outcome.state, outcome.reason, outcome.exit_code) == ("success", "Completed (exit code 0)", 0)
    logs = [e.text for e in driver.of((1, 1), TryLog)]
    assert logs == [f"\n----- log of pod {name}, container base -----\nhello from the pod\n"]
    assert _pods(kube_api, kube_namespace) == []


def test_pod_that_exits_non_zero_fails_with_its_exit_code(make_executor, node_agent):
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, pod_override=script("import sys; print('bad input'); sys.exit(3)")))

    outcome = driver.finish((1, 1))[(1, 1)]

    assert (outcome.state, outcome.reason, outcome.exit_code) == ("failed", "Error (exit code 3)", 3)
    assert "bad input" in driver.of((1, 1), TryLog)[0].text


@pytest.mark.parametrize(
    ("behaviour", "reason", "exit_code"),
    [
        ("oomkilled:0.5", "OOMKilled (exit code 137)", 137),
        ("evicted:0.5", "Evicted: The node was low on resource: memory.", None),
    ],
)
def test_pod_killed_by_the_node_fails_with_the_named_reason(make_executor, node_agent, behaviour, reason, exit_code):
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(
        workload(1, pod_override=script("import time; print('working'); time.sleep(30)", behaviour=behaviour))
    )

    outcome = driver.finish((1, 1))[(1, 1)]

    assert outcome.state == "failed"
    assert outcome.reason.startswith(reason)
    assert outcome.exit_code == exit_code
    assert "working" in driver.of((1, 1), TryLog)[0].text


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("image-pull-error", ("ErrImagePull", "ImagePullBackOff")),
        ("create-container-config-error", "CreateContainerConfigError"),
        ("unschedulable", "Unschedulable"),
        ("stuck-pending", "PendingTimeout: still Pending after 3 s"),
    ],
)
def test_pod_that_cannot_start_is_deleted_and_fails_with_the_reason(
    make_executor, node_agent, kube_settings, kube_api, kube_namespace, behaviour, reason
):
    kube_settings.WORKFLOWS_KUBERNETES_FATAL_WAIT_GRACE = 1.5
    kube_settings.WORKFLOWS_KUBERNETES_PENDING_TIMEOUT = 3.0
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, pod_override=script("print('never')", behaviour=behaviour)))

    outcome = driver.finish((1, 1))[(1, 1)]

    assert outcome.state == "failed"
    assert outcome.reason.startswith(reason)  # the node moves from ErrImagePull to ImagePullBackOff
    assert "no container ran" in driver.of((1, 1), TryLog)[0].text
    assert _pods(kube_api, kube_namespace) == []


def test_pod_override_is_merged_and_every_pod_sent_is_valid(make_executor, node_agent, sent_pods):
    executor = make_executor()
    driver = Driver(executor)
    override = script(
        "import os; print(os.environ['GREETING'], os.environ['DJANGO_SETTINGS_MODULE'])",
        metadata={
            "labels": {"team": "community"},
            "annotations": {"wicn.test/script": "import os; print(os.environ['GREETING'])"},
        },
        spec={
            "containers": [
                {
                    "name": "base",
                    "env": [{"name": "GREETING", "value": "bonjour"}],
                    "resources": {"limits": {"memory": "1Gi"}},
                }
            ]
        },
    )
    executor.queue(workload(1, pod_override=override))

    driver.finish((1, 1))

    (pod,) = sent_pods
    base = pod["spec"]["containers"][0]
    assert pod["metadata"]["labels"]["team"] == "community"
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
    assert base["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
    # An env entry new to the list comes first, where the API server's strategic merge puts it.
    assert base["env"][0]["name"] == "GREETING"
    assert base["securityContext"]["readOnlyRootFilesystem"] is True
    assert "bonjour" in driver.of((1, 1), TryLog)[0].text


def test_mutation_hook_returning_a_new_pod_is_what_gets_created(
    make_executor, node_agent, kube_settings, kube_api, kube_namespace, sent_pods
):
    kube_settings.WORKFLOWS_KUBERNETES_POD_MUTATION_HOOK = "tests.workflows.kubernetes.hooks.label_team"
    kube_settings.WORKFLOWS_KUBERNETES_DELETE_POLICY = "keep_all"
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1))

    driver.finish((1, 1))

    (pod,) = _pods(kube_api, kube_namespace, label_selector="team=platform")
    assert pod.spec.node_selector == {"kubernetes.io/os": "linux"}
    assert pod.metadata.labels["wicn/task-instance-id"] == "1"
    assert pod.status.phase == "Succeeded"


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("delete", set()), ("keep_failed", {"t-fails"}), ("keep_all", {"t-fails", "t-works"})],
)
def test_delete_policy_decides_which_finished_pods_stay(
    make_executor, node_agent, kube_settings, kube_api, kube_namespace, policy, kept
):
    kube_settings.WORKFLOWS_KUBERNETES_DELETE_POLICY = policy
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, task_id="t-works"))
    executor.queue(workload(2, task_id="t-fails", pod_override=script("raise SystemExit(1)")))

    driver.finish((1, 1), (2, 1))

    remaining = {p.metadata.annotations["wicn/task-id"] for p in _pods(kube_api, kube_namespace)}
    assert remaining == kept
    assert all(len(driver.of(key, TryLog)) == 1 for key in [(1, 1), (2, 1)])


def test_pod_the_api_server_refuses_fails_the_try_with_its_message(make_executor, node_agent):
    executor = make_executor()
    driver = Driver(executor)
    bad = script(
        "print(1)",
        metadata={"annotations": {"wicn.test/invalid": "yes"}},
        spec={"containers": [{"name": "base", "env": [{"name": "1-NOT-A-NAME", "value": "x"}]}]},
    )
    executor.queue(workload(1, pod_override=bad))

    outcome = driver.finish((1, 1))[(1, 1)]

    assert outcome.state == "failed"
    assert outcome.reason.startswith("the API server refused pod exec-test-t-1-1-")
    assert "1-NOT-A-NAME" in outcome.reason
    assert "valid environment variable name" in outcome.reason
    assert running(driver.events) == {}


def test_cancel_copies_the_log_even_before_the_executor_saw_the_container_start(
    make_executor, node_agent, kube_api, kube_namespace
):
    """The watch can lag: a cancel that comes between the container's start and the executor hearing
    of it must still keep what the container printed."""
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, pod_override=script("import time; print('started', flush=True); time.sleep(60)")))
    driver.run_until(lambda events: running(events) and "started" in _log(kube_api, kube_namespace))
    tracked = executor._tracked[(1, 1)]
    tracked.pod = {**tracked.pod, "status": {"phase": "Pending"}}  # the last status it saw, before the start

    executor.cancel(1, 1, reason="execution_timeout exceeded")
    outcome = driver.finish((1, 1))[(1, 1)]

    assert (outcome.state, outcome.reason) == ("failed", "cancelled: execution_timeout exceeded")
    assert "started" in driver.of((1, 1), TryLog)[0].text


def test_cancel_copies_the_log_then_deletes_the_running_pod(make_executor, node_agent, kube_api, kube_namespace):
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1, pod_override=script("import time; print('started', flush=True); time.sleep(60)")))
    driver.run_until(lambda events: running(events) and "started" in _log(kube_api, kube_namespace))

    executor.cancel(1, 1, reason="execution_timeout exceeded")
    outcome = driver.finish((1, 1))[(1, 1)]

    assert (outcome.state, outcome.reason) == ("failed", "cancelled: execution_timeout exceeded")
    assert "started" in driver.of((1, 1), TryLog)[0].text
    # A running pod gets its termination grace: it is gone, or going (deletionTimestamp set).
    assert [p.metadata.deletion_timestamp is not None for p in _pods(kube_api, kube_namespace)] in ([], [True])


def test_dead_watcher_is_restarted_and_reported_in_the_log(make_executor, node_agent, caplog):
    executor = make_executor()
    driver = Driver(executor)
    executor.watcher.stop()

    with caplog.at_level(logging.ERROR, logger="workflows.kubernetes.executor"):
        executor.queue(workload(1))
        outcome = driver.finish((1, 1))[(1, 1)]

    assert outcome.state == "success"
    assert executor.watcher_restarts == 1
    assert "the pod watcher of namespace" in caplog.text
    assert "starting a new one (restart 1)" in caplog.text


def _log(kube_api, namespace):
    pods = _pods(kube_api, namespace)
    if not pods or pods[0].status.phase != "Running":
        return ""
    return client.CoreV1Api(kube_api).read_namespaced_pod_log(pods[0].metadata.name, namespace)


def test_pod_override_that_is_not_a_pod_is_refused_at_queue_time_with_the_reason(make_executor, sent_pods):
    executor = make_executor()

    with pytest.raises(PodTemplateError, match=r"pod_override must be a kubernetes\.client\.V1Pod or a dict, not str"):
        executor.queue(workload(1, pod_override="memory: 2Gi"))

    assert sent_pods == []
    assert executor.idle()


def test_pod_override_given_as_a_v1pod_is_merged_like_a_dict(make_executor, node_agent, sent_pods):
    executor = make_executor()
    driver = Driver(executor)
    override = client.V1Pod(
        metadata=client.V1ObjectMeta(annotations={"wicn.test/script": "import os; print(os.environ['TIER'])"}),
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="base", env=[client.V1EnvVar(name="TIER", value="gold")])]
        ),
    )
    executor.queue(workload(1, pod_override=override))

    outcome = driver.finish((1, 1))[(1, 1)]

    assert outcome.state == "success"
    assert "gold" in driver.of((1, 1), TryLog)[0].text
    assert sent_pods[0]["spec"]["containers"][0]["image"] == "wicn-worker:test"
