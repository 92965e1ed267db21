"""Waiting helpers for tests against the Kubernetes test cluster."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition") -> T:
    """Call ``check`` until it returns something truthy; return that, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def wait_for_pod(core, namespace: str, name: str, *, phases: Iterable[str], timeout: float = 30.0):
    """Read the pod until its phase is one of ``phases``; returns the V1Pod."""
    wanted = set(phases)
    seen: list[str] = []

    def check():
        pod = core.read_namespaced_pod(name, namespace)
        phase = pod.status.phase if pod.status else None
        if not seen or seen[-1] != phase:
            seen.append(phase)
        return pod if phase in wanted else None

    try:
        return wait_for(check, timeout=timeout, what=f"pod {namespace}/{name} phase in {sorted(wanted)}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; phases seen: {seen}") from None
