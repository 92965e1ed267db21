"""PodLauncher against the real apiserver (through the fault proxy where a test needs faults)."""

from __future__ import annotations

import time

import pytest
from kubernetes import client, config

from workflows.kubernetes.launcher import ADOPTED, CREATED, FORBIDDEN, INVALID, RETRY_LATER, PodLauncher

pytestmark = [pytest.mark.kube]


def _pod(name: str, **container: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "base", "image": "wicn-worker:test", **container}]},
    }


@pytest.fixture
def proxied(fault_proxy):
    api = config.new_client_from_config(config_file=str(fault_proxy.kubeconfig))
    yield client.CoreV1Api(api)
    api.close()


def test_launch_creates_a_batch_and_tells_created_from_existing_and_invalid(kube_api, kube_namespace):
    launcher = PodLauncher(api=client.CoreV1Api(kube_api), namespace=kube_namespace, batch_size=4)
    first = launcher.launch([(n, _pod(f"p{n}")) for n in range(6)])
    again = launcher.launch([("x", _pod("p0")), ("bad", _pod("bad", env=[{"name": "1x", "value": ""}]))])
    launcher.close()

    assert [(r.key, r.status) for r in first] == [(n, CREATED) for n in range(6)]
    assert [(r.key, r.status) for r in again] == [("x", ADOPTED), ("bad", INVALID)]
    assert "valid environment variable name" in again[1].message


def test_launch_waits_as_long_as_retry_after_says(proxied, fault_proxy, kube_namespace):
    fault_proxy.inject(429, method="POST", path="/pods$", count=1, retry_after=2)
    launcher = PodLauncher(api=proxied, namespace=kube_namespace)
    started = time.monotonic()
    (result,) = launcher.launch([("a", _pod("a"))])
    launcher.close()

    assert (result.status, result.attempts) == (CREATED, 2)
    assert time.monotonic() - started >= 2


def test_launch_gives_up_for_now_after_its_attempts_without_a_refusal(proxied, fault_proxy, kube_namespace):
    fault_proxy.inject(503, method="POST", path="/pods$", count=3)
    launcher = PodLauncher(api=proxied, namespace=kube_namespace, max_attempts=3, max_backoff_seconds=0.2)
    (result,) = launcher.launch([("a", _pod("a"))])
    launcher.close()

    assert (result.status, result.attempts) == (RETRY_LATER, 3)
    assert result.message.startswith("503")


def test_launch_without_permission_is_forbidden_with_the_api_message(kube_cluster, kube_namespace, worker_kubeconfig):
    api = config.new_client_from_config(config_file=str(worker_kubeconfig))
    launcher = PodLauncher(api=client.CoreV1Api(api), namespace="default")
    (result,) = launcher.launch([("a", _pod("a"))])
    launcher.close()
    api.close()

    assert result.status == FORBIDDEN
    assert 'cannot create resource "pods"' in result.message
