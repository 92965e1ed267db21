"""Driving a KubernetesExecutor directly, the way the scheduler does, without the scheduler."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from workflows.executors.base import Event, TryFinished, TryRunning, Workload
from workflows.kubernetes.executor import KubernetesExecutor


def workload(ti: int, try_number: int = 1, *, task_id: str = "t", pod_override: Any = None, **extra: Any) -> Workload:
    config = {"pod_override": pod_override} if pod_override is not None else {}
    return Workload(
        task_instance_id=ti,
        try_number=try_number,
        dag_id="exec_test",
        task_id=task_id,
        run_id="manual__2026-01-01T00:00:00+00:00",
        executor_config=config,
        **extra,
    )


def script(code: str, *, behaviour: str = "", **override: Any) -> dict[str, Any]:
    """A pod_override running `code` (see hooks.run_script), with a node agent behaviour if given."""
    annotations = {"wicn.test/script": code}
    if behaviour:
        annotations["wicn.test/behaviour"] = behaviour
    return {"metadata": {"annotations": annotations}, **override}


class Driver:
    """Calls sync() in a loop, as the scheduler would, and keeps every event."""

    def __init__(self, executor: KubernetesExecutor) -> None:
        self.executor = executor
        self.events: list[Event] = []

    def run_until(self, predicate: Callable[[list[Event]], bool], *, timeout: float = 45.0) -> list[Event]:
        deadline = time.monotonic() + timeout
        while True:
            self.events.extend(self.executor.sync())
            if predicate(self.events):
                return self.events
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s; events so far: {self.events!r}")
            time.sleep(0.05)

    def finish(self, *keys: tuple[int, int], timeout: float = 45.0) -> dict[tuple[int, int], TryFinished]:
        """Run until each try has a TryFinished and the executor is idle; return them by key."""
        self.run_until(lambda events: set(keys) <= set(finished(events)) and self.executor.idle(), timeout=timeout)
        return finished(self.events)

    def of(self, key: tuple[int, int], kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind) and (e.task_instance_id, e.try_number) == key]


def finished(events: Sequence[Event]) -> dict[tuple[int, int], TryFinished]:
    return {(e.task_instance_id, e.try_number): e for e in events if isinstance(e, TryFinished)}


def running(events: Sequence[Event]) -> dict[tuple[int, int], str]:
    return {(e.task_instance_id, e.try_number): e.external_id for e in events if isinstance(e, TryRunning)}
