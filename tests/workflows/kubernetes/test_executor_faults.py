"""An API server that answers 429/500, drops watches or says 410 Gone must not lose or repeat a try."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.workflows.factories import TaskTryFactory
from tests.workflows.kubernetes.driver import Driver, running, script, workload
from workflows.enums import TryState
from workflows.executors.base import TryFinished, TryHandedBack, TryLog

pytestmark = [pytest.mark.kube, pytest.mark.slow]


@pytest.fixture
def via_proxy(kube_settings, fault_proxy):
    kube_settings.WORKFLOWS_KUBERNETES_CONFIG_FILE = str(fault_proxy.kubeconfig)
    return fault_proxy


def _finished_counts(events):
    return Counter((e.task_instance_id, e.try_number) for e in events if isinstance(e, TryFinished))


def test_429_and_500_on_create_are_retried_without_failing_or_handing_back_the_try(
    via_proxy, make_executor, node_agent, kube_namespace
):
    pods_path = f"/namespaces/{kube_namespace}/pods$"
    via_proxy.inject(429, method="POST", path=pods_path, count=2, retry_after=1)
    via_proxy.inject(500, method="POST", path=pods_path, count=1)
    executor = make_executor()
    driver = Driver(executor)
    executor.queue(workload(1))

    outcome = driver.finish((1, 1))[(1, 1)]

    creates = [status for method, path, status in via_proxy.requests if method == "POST" and path.endswith("/pods")]
    assert creates == [429, 429, 500, 201]
    assert outcome.state == "success"
    assert [e for e in driver.events if isinstance(e, TryHandedBack)] == []


def test_watch_dropped_mid_run_loses_and_repeats_no_outcome(via_proxy, make_executor, node_agent):
    executor = make_executor()
    driver = Driver(executor)
    for ti in (1, 2, 3):
        executor.queue(workload(ti, task_id=f"t{ti}", pod_override=script("import time; time.sleep(2); print('ok')")))
    driver.run_until(lambda events: len(running(events)) == 3)
    via_proxy.wait_for_watch(path="/pods")

    dropped = via_proxy.drop_watches(path="/pods")
    driver.finish((1, 1), (2, 1), (3, 1))

    assert dropped >= 1
    assert executor.watcher.stats.reconnects + executor.watcher.stats.watches >= 2
    assert _finished_counts(driver.events) == {(1, 1): 1, (2, 1): 1, (3, 1): 1}
    assert {e.state for e in driver.events if isinstance(e, TryFinished)} == {"success"}


def test_410_in_the_middle_of_the_watch_relists_without_losing_or_repeating_an_outcome(
    via_proxy, make_executor, node_agent
):
    via_proxy.inject_watch_error(410, path="/pods", after_events=2)
    executor = make_executor()
    driver = Driver(executor)
    for ti in (1, 2):
        executor.queue(workload(ti, task_id=f"t{ti}", pod_override=script("import time; time.sleep(1); print('ok')")))

    driver.finish((1, 1), (2, 1))

    assert executor.watcher.stats.expired >= 1
    assert executor.watcher.stats.lists >= 2
    assert _finished_counts(driver.events) == {(1, 1): 1, (2, 1): 1}


def test_create_answered_409_adopts_the_pod_of_the_same_try_and_runs_it_once(
    make_executor, node_agent, kube_api, kube_namespace
):
    # The first scheduler created the pod, then went away before it learnt the answer; the try
    # is still queued (the pod's runner has not claimed it), so nothing cleans the pod up.
    ti = TaskTryFactory(state=TryState.QUEUED, executor="kubernetes").task_instance_id
    first = make_executor(scheduler_id=901)
    slow = workload(ti, pod_override=script("import time; print('ran once', flush=True); time.sleep(3)"))
    first.queue(slow)
    Driver(first).run_until(lambda events: (ti, 1) in running(events))
    first.end(grace=1)

    second = make_executor(scheduler_id=902)
    driver = Driver(second)
    second.queue(slow)
    outcome = driver.finish((ti, 1))[(ti, 1)]

    from kubernetes import client

    assert outcome.state == "success"
    assert second.api_calls.snapshot()[("create", "pods")] == 1
    assert second.api_calls.snapshot()[("patch", "pods")] == 1
    (log,) = driver.of((ti, 1), TryLog)
    assert log.text.count("ran once") == 1
    assert client.CoreV1Api(kube_api).list_namespaced_pod(kube_namespace).items == []
