"""DAGs of the Kubernetes executor's tests.

The scheduler in the test process and the runner in each pod's process (a local process started
by the node agent, with WORKFLOWS_DAG_MODULES naming this module) must load the same DAGs, so
they live in a module rather than inside the tests.
"""

from __future__ import annotations

import os
import time

from workflows.sdk import DAG, task


@task(executor="kubernetes")
def hello() -> dict[str, str]:
    print("hello from a pod")
    return {"pod": os.environ.get("WICN_POD_NAME", "")}


@task(executor="kubernetes")
def greet(upstream: dict[str, str]) -> str:
    print(f"greeting after {upstream['pod']}")
    return f"{os.environ.get('GREETING', 'hello')} from {os.environ.get('WICN_POD_NAME', '')}"


@task(executor="local")
def on_local() -> int:
    print(f"local worker pid {os.getpid()}")
    return os.getpid()


@task(executor="kubernetes")
def after_local(pid: int) -> str:
    return f"after local {pid} in {os.environ.get('WICN_POD_NAME', '')}"


@task(executor="kubernetes", retries=1, retry_delay=0)
def once() -> str:
    print("ran in a pod")
    return "done"


@task(executor="kubernetes", retries=0)
def once_no_retry() -> str:
    print("ran in a pod")
    return "done"


@task(executor="kubernetes")
def sleepy(seconds: float = 4.0) -> float:
    print("sleeping")
    time.sleep(seconds)
    print("slept")
    return seconds


@task(executor="kubernetes")
def noop() -> None:
    return None


with DAG("k8s_hello", description="Two tasks on pods, the second using the first's result") as k8s_hello:
    greet(hello())

with DAG("k8s_mixed", description="One task on a local worker, the next on a pod") as k8s_mixed:
    after_local(on_local())

with DAG("k8s_once", description="One pod, retried once") as k8s_once:
    once()

with DAG("k8s_once_no_retry", description="One pod, no retry") as k8s_once_no_retry:
    once_no_retry()

with DAG(
    "k8s_override",
    description="A task whose pod_override adds env and a label",
) as k8s_override:
    greet.override(
        task_id="greet_overridden",
        executor_config={
            "pod_override": {
                "metadata": {"labels": {"team": "community"}},
                "spec": {"containers": [{"name": "base", "env": [{"name": "GREETING", "value": "bonjour"}]}]},
            }
        },
    )({"pod": "none"})

with DAG("k8s_sleepy", description="Three pods that take a while") as k8s_sleepy:
    for n in range(3):
        sleepy.override(task_id=f"sleepy_{n}")(4.0)

with DAG("k8s_fanout", description="Many no-op tasks (the benchmark's DAG)") as k8s_fanout:
    for n in range(int(os.environ.get("WICN_K8S_FANOUT", "8"))):
        noop.override(task_id=f"noop_{n}")()
