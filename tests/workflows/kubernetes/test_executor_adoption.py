"""A scheduler that starts after another one went away: its pods are adopted, not launched again,
and pods whose try is over are cleaned up, with the log copied if no one copied it yet."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.support.kube.rbac import worker_role
from tests.workflows.factories import TaskTryFactory
from tests.workflows.kubernetes.driver import Driver, running, script, workload
from workflows.enums import TryState
from workflows.executors.base import Orphan, TryLog
from workflows.kubernetes.executor import pod_log_header
from workflows.kubernetes.pods import TryIdentity, pod_name
from workflows.models import TaskTry

pytestmark = [pytest.mark.kube, pytest.mark.slow]

SLOW = "import time; print('ran once', flush=True); time.sleep(3)"


def _try(state):
    return TaskTryFactory(state=state, executor="kubernetes").task_instance_id


def _pod_names(kube_api, namespace):
    return {p.metadata.name for p in client.CoreV1Api(kube_api).list_namespaced_pod(namespace).items}


def test_adopt_takes_over_running_pods_of_a_gone_scheduler_and_reports_their_outcomes(make_executor, node_agent):
    tis = [_try(TryState.RUNNING), _try(TryState.RUNNING)]
    never_launched = _try(TryState.QUEUED)
    workloads = {ti: workload(ti, task_id=f"t{ti}", pod_override=script(SLOW)) for ti in tis}
    first = make_executor(scheduler_id=911)
    for w in workloads.values():
        first.queue(w)
    names = running(Driver(first).run_until(lambda events: len(running(events)) == 2))
    first.end(grace=1)

    second = make_executor(scheduler_id=912)
    orphans = [Orphan(workloads[ti], "running", names[(ti, 1)]) for ti in tis]
    not_adopted = second.adopt([*orphans, Orphan(workload(never_launched), "queued", "")])
    driver = Driver(second)
    outcomes = driver.finish(*[(ti, 1) for ti in tis])

    assert [o.workload.key for o in not_adopted] == [(never_launched, 1)]
    assert {key: o.state for key, o in outcomes.items()} == {(ti, 1): "success" for ti in tis}
    assert second.api_calls.snapshot()[("create", "pods")] == 0
    assert second.api_calls.snapshot()[("patch", "pods")] == 2
    assert [log.text.count("ran once") for ti in tis for log in driver.of((ti, 1), TryLog)] == [1, 1]


def test_start_deletes_finished_pods_of_gone_schedulers_copying_only_logs_not_yet_copied(
    make_executor, node_agent, kube_settings, kube_api, kube_namespace
):
    kube_settings.WORKFLOWS_KUBERNETES_DELETE_POLICY = "keep_all"
    not_copied, copied, still_running = _try(TryState.SUCCESS), _try(TryState.FAILED), _try(TryState.RUNNING)
    first = make_executor(scheduler_id=921)
    first.queue(workload(not_copied, task_id="a", pod_override=script("print('output of a')")))
    first.queue(workload(copied, task_id="b", pod_override=script("print('output of b')")))
    first.queue(workload(still_running, task_id="c", pod_override=script("import time; time.sleep(20)")))
    Driver(first).finish((not_copied, 1), (copied, 1))
    first.end(grace=1)
    # The gone scheduler had copied b's log into its try before it went away, but not a's.
    copied_name = pod_name(TryIdentity("exec_test", "b", workload(copied).run_id, copied, 1, "921"))
    TaskTry.objects.filter(task_instance_id=copied).update(log=f"\n{pod_log_header(copied_name)}\noutput of b\n")
    kube_settings.WORKFLOWS_KUBERNETES_DELETE_POLICY = "delete"

    second = make_executor(scheduler_id=922)
    driver = Driver(second)
    driver.run_until(lambda events: second.idle())

    assert [(e.task_instance_id, "output of a" in e.text) for e in driver.events if isinstance(e, TryLog)] == [
        (not_copied, True)
    ]
    (left,) = _pod_names(kube_api, kube_namespace)
    assert left.startswith("exec-test-c-")


def test_worker_role_is_enough_for_the_executor_and_grants_no_verb_it_does_not_use(
    kube_settings, worker_kubeconfig, make_executor, node_agent
):
    kube_settings.WORKFLOWS_KUBERNETES_CONFIG_FILE = str(worker_kubeconfig)
    adopted = _try(TryState.QUEUED)
    first = make_executor(scheduler_id=931)
    first.queue(workload(adopted, pod_override=script(SLOW)))
    Driver(first).run_until(lambda events: (adopted, 1) in running(events))
    first.end(grace=1)

    second = make_executor(scheduler_id=932)
    second.queue(workload(adopted, pod_override=script(SLOW)))  # 409: adopted, re-labelled
    second.queue(workload(2, task_id="fails", pod_override=script("raise SystemExit(2)")))
    outcomes = Driver(second).finish((adopted, 1), (2, 1))

    assert {key: (o.state, o.exit_code) for key, o in outcomes.items()} == {
        (adopted, 1): ("success", 0),
        (2, 1): ("failed", 2),
    }
    used = first.api_calls.verbs() | second.api_calls.verbs()
    granted = {
        (verb, resource)
        for rule in worker_role()["rules"]
        if rule["apiGroups"] == [""]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert used == granted
