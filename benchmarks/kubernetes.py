"""Kubernetes executor benchmark: many no-op tries through the executor against the test cluster.

The test apiserver is started if none runs (tests.support.kube.cluster; it must have been built once
with `make test-cluster`), a node agent serves a fresh namespace from its own process, and the
executor is driven as the scheduler drives it: `queue()` while `slots_available()` allows, `sync()`
in a loop. Each pod runs `true` (a mutation hook swaps the runner's command), so what is measured is
the executor's own work, not Django starting in 200 processes:

- pods created per second, from the first `queue()` to the last pod acknowledged by the API server;
- overhead per task: CPU time of this process (the executor's threads, the client, the loop) per
  try, which excludes whatever the node does to start and run the container; and the executor's own
  latency per try (queue -> created, plus pod seen ended -> outcome reported, which includes the
  log copy and the delete);
- API calls per task: every request the executor made (creates, log reads, deletes and its shared
  list and watch requests), divided by the number of tries. The target is at most 4.

    python -m benchmarks.kubernetes [--tasks N] [--parallelism N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def noop_pod(pod: dict[str, Any]) -> None:
    """Mutation hook of the benchmark: the container runs `true` instead of a try."""
    for container in pod["spec"]["containers"]:
        if container["name"] == "base":
            container["command"] = ["true"]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _start_node_agent(kubeconfig: Path, namespace: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.kube.node_agent", "--kubeconfig", str(kubeconfig), "-n", namespace],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    for line in iter(process.stderr.readline, b""):
        if b"ready" in line:
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("the node agent did not start")


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one linear measurement
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    from tests.support.kube import cluster as kube_cluster

    missing = kube_cluster.missing_parts()
    if missing and kube_cluster.find_running_cluster() is None:
        print(f"no test cluster ({'; '.join(missing)}); build it with: make test-cluster", file=sys.stderr)
        return 1
    cluster = kube_cluster.ensure_cluster()
    _setup_django()
    from django.conf import settings
    from kubernetes import client

    from workflows.executors.base import TryFinished, TryRunning, Workload
    from workflows.kubernetes.executor import KubernetesExecutor

    namespace = f"bench-{secrets.token_hex(3)}"
    admin: Any = cluster.api_client()  # type: ignore[no-untyped-call]  # test support is untyped
    core = client.CoreV1Api(admin)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    agent = _start_node_agent(cluster.kubeconfig_path, namespace)
    settings.WORKFLOWS_KUBERNETES_NAMESPACE = namespace
    settings.WORKFLOWS_KUBERNETES_CONFIG_FILE = str(cluster.kubeconfig_path)
    settings.WORKFLOWS_KUBERNETES_POD_MUTATION_HOOK = "benchmarks.kubernetes.noop_pod"
    settings.WORKFLOWS_KUBERNETES_PARALLELISM = args.parallelism
    settings.WORKFLOWS_KUBERNETES_POD_CREATION_BATCH_SIZE = args.batch_size

    workloads = [
        Workload(
            task_instance_id=n,
            try_number=1,
            dag_id="bench",
            task_id=f"noop_{n}",
            run_id="bench",
        )
        for n in range(1, args.tasks + 1)
    ]
    executor = KubernetesExecutor(name="kubernetes", scheduler_id=None)
    queued_at: dict[tuple[int, int], float] = {}
    created_at: dict[tuple[int, int], float] = {}
    finished_at: dict[tuple[int, int], float] = {}
    failed: list[TryFinished] = []
    try:
        executor.start()
        calls_at_start = executor.api_calls.total
        cpu_started = time.process_time()
        started = time.monotonic()
        pending = list(workloads)
        while len(finished_at) < len(workloads):
            slots = executor.slots_available() or 0
            while pending and slots > 0:
                workload = pending.pop(0)
                queued_at[workload.key] = time.monotonic()
                executor.queue(workload)
                slots -= 1
            for event in executor.sync():
                key = (event.task_instance_id, event.try_number)
                if isinstance(event, TryRunning):
                    created_at[key] = time.monotonic()
                elif isinstance(event, TryFinished):
                    finished_at[key] = time.monotonic()
                    if event.state != "success":
                        failed.append(event)
            if time.monotonic() - started > 600:
                raise RuntimeError(f"only {len(finished_at)} of {len(workloads)} tries finished in 10 min")
            time.sleep(0.005)
        while not executor.idle():
            executor.sync()
            time.sleep(0.005)
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        calls = executor.api_calls.snapshot()
        total_calls = executor.api_calls.total - calls_at_start
    finally:
        executor.end(grace=10)
        agent.terminate()
        agent.wait(10)
        core.delete_namespace(namespace, _preload_content=False)
        admin.close()

    n = len(workloads)
    created_span = max(created_at.values()) - min(queued_at.values())
    launch_latency = statistics.mean(created_at[k] - queued_at[k] for k in created_at)
    finish_latency = list(executor.finish_latencies)
    print(f"{n} no-op tries in namespace {namespace}: all finished in {elapsed:.1f} s, {len(failed)} failed")
    print(f"pods created in {created_span:.2f} s (batch size {args.batch_size}, parallelism {args.parallelism})")
    print(f"queue -> pod created: mean {launch_latency * 1000:.0f} ms")
    if finish_latency:
        print(f"pod seen ended -> outcome reported: mean {statistics.mean(finish_latency) * 1000:.0f} ms")
    print(f"CPU time of the scheduler process: {cpu:.2f} s ({cpu / n * 1000:.1f} ms per try)")
    print("API calls: " + ", ".join(f"{verb} {resource}: {count}" for (verb, resource), count in sorted(calls.items())))
    if failed:
        print(f"first failure: {failed[0].reason}", file=sys.stderr)
    print(f"BENCH k8s_pods_per_second {n / created_span:.1f} pods/s")
    print(f"BENCH k8s_overhead_per_task_ms {cpu / n * 1000:.2f} ms")
    print(f"BENCH k8s_api_calls_per_task {total_calls / n:.2f} calls")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
