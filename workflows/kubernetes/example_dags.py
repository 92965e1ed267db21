"""Example DAGs for the Kubernetes executor, loaded by `make run-kube` (WORKFLOWS_DAG_MODULES).

Each task of `kubernetes_hello` runs in its own pod; `kubernetes_mixed` runs one task on a local
worker and hands its result to a task on a pod, with a pod_override giving that pod more memory and
an extra environment variable.
"""

from __future__ import annotations

import os
import platform

from workflows.sdk import DAG, task


@task(executor="kubernetes")
def where_am_i() -> dict[str, str]:
    """Report the pod and host this try ran in (the log shows it too)."""
    pod = os.environ.get("WICN_POD_NAME", "")
    print(f"running in pod {pod!r} on {platform.node()}")
    return {"pod": pod, "namespace": os.environ.get("KUBERNETES_NAMESPACE", "")}


@task(executor="kubernetes")
def say_hello(where: dict[str, str]) -> str:
    greeting = f"{os.environ.get('GREETING', 'hello')} from {where['pod']} in {where['namespace']}"
    print(greeting)
    return greeting


@task(executor="local")
def count_locally() -> int:
    print("counting on a local worker")
    return sum(range(10))


with DAG(
    "kubernetes_hello", description="Two tasks, each in its own pod", tags=["example", "kubernetes"]
) as kubernetes_hello:
    say_hello(where_am_i())

with DAG(
    "kubernetes_mixed",
    description="A local task, then a pod with a pod_override",
    tags=["example", "kubernetes"],
) as kubernetes_mixed:
    where = where_am_i.override(task_id="where_after_count")()
    count_locally() >> where
    say_hello.override(
        task_id="hello_with_override",
        executor_config={
            "pod_override": {
                "metadata": {"labels": {"example": "mixed"}},
                "spec": {
                    "containers": [
                        {
                            "name": "base",
                            "env": [{"name": "GREETING", "value": "bonjour"}],
                            "resources": {"limits": {"memory": "1Gi"}},
                        }
                    ]
                },
            }
        },
    )(where)
