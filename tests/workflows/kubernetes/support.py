"""Helpers of the Kubernetes executor's tests: run the real scheduler until runs end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.enums import DagRunState
from workflows.kubernetes.executor import KubernetesExecutor
from workflows.models import DagRun
from workflows.scheduler import Scheduler


def runs_finished(*run_pks: int) -> Callable[[], bool]:
    def check() -> bool:
        states = list(DagRun.objects.filter(pk__in=run_pks).values_list("state", flat=True))
        return len(states) == len(run_pks) and all(s in (DagRunState.SUCCESS, DagRunState.FAILED) for s in states)

    return check


def run_scheduler(
    bag: Any,
    until: Callable[[], bool],
    *,
    executors: list[str] | None = None,
    seconds: float = 60.0,
) -> Scheduler:
    """Start a scheduler, loop until `until()` and its Kubernetes executor is done with every pod
    (log copied, pod deleted), or `seconds`; shut it down; fail if it timed out."""
    scheduler = Scheduler(executor_names=executors or ["kubernetes"], bag=bag)
    scheduler.start()

    def done() -> bool:
        executor = kubernetes_executor(scheduler)
        return until() and (executor is None or executor.idle())

    try:
        scheduler.run_until(done, max_seconds=seconds)
    finally:
        executor = kubernetes_executor(scheduler)
        scheduler.shutdown()
    scheduler.last_kubernetes_executor = executor  # type: ignore[attr-defined]
    assert until(), f"the scheduler did not get there within {seconds:g} s"
    return scheduler


def kubernetes_executor(scheduler: Scheduler) -> KubernetesExecutor | None:
    for executor in scheduler.executors.values():
        if isinstance(executor, KubernetesExecutor):
            return executor
    return None
