"""What a pod's status means for its task try, named the way an operator would want to read it.

Works on pods in the API's dict form (a watch event's raw object or a list item), so that the
executor never pays for deserialising whole V1Pod models on every event.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.kubernetes.pods import BASE_CONTAINER

# A container waiting for one of these reasons will not start without someone changing the pod
# or the cluster; waiting out a long pending timeout would only hide the error.
FATAL_WAITING_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)


class PodProgress(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STUCK = "stuck"


@dataclass(frozen=True)
class PodOutcome:
    progress: PodProgress
    reason: str = ""
    exit_code: int | None = None

    @property
    def finished(self) -> bool:
        return self.progress in {PodProgress.SUCCEEDED, PodProgress.FAILED, PodProgress.STUCK}


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _base_status(status: Mapping[str, Any]) -> Mapping[str, Any]:
    statuses = status.get("containerStatuses") or []
    for container in statuses:
        if container.get("name") == BASE_CONTAINER:
            return container  # type: ignore[no-any-return]
    return statuses[0] if statuses else {}


def _terminated(container_status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    state = container_status.get("state") or {}
    terminated = state.get("terminated")
    if terminated:
        return terminated  # type: ignore[no-any-return]
    last = (container_status.get("lastState") or {}).get("terminated")
    return last or None


def _describe_termination(terminated: Mapping[str, Any]) -> tuple[str, int | None]:
    exit_code = terminated.get("exitCode")
    reason = terminated.get("reason") or "Error"
    text = f"{reason} (exit code {exit_code})" if exit_code is not None else reason
    message = (terminated.get("message") or "").strip()
    if message:
        text = f"{text}: {message[:500]}"
    return text, exit_code


def _unschedulable(status: Mapping[str, Any]) -> str | None:
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            message = (condition.get("message") or "").strip()
            return f"Unschedulable: {message}" if message else "Unschedulable"
    return None


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds} s"


def pod_outcome(
    pod: Mapping[str, Any],
    *,
    now: dt.datetime,
    pending_timeout: dt.timedelta,
    fatal_wait_grace: dt.timedelta,
) -> PodOutcome:
    """Classify a pod: still pending or running, succeeded, failed (with reason), or stuck for good.

    `fatal_wait_grace` is how long an image pull or scheduling error may last before it is taken as
    final (a registry hiccup or a node being added clears within it); `pending_timeout` bounds how long
    a pod may stay Pending for any reason at all.
    """
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    base = _base_status(status)

    if phase == "Succeeded":
        return PodOutcome(PodProgress.SUCCEEDED, "Completed (exit code 0)", 0)
    if phase == "Failed":
        pod_reason = status.get("reason") or ""
        if pod_reason:
            message = (status.get("message") or "").strip()
            return PodOutcome(PodProgress.FAILED, f"{pod_reason}: {message}" if message else pod_reason, None)
        terminated = _terminated(base)
        if terminated:
            text, exit_code = _describe_termination(terminated)
            return PodOutcome(PodProgress.FAILED, text, exit_code)
        return PodOutcome(PodProgress.FAILED, "Failed (the pod reported no container status)")
    if phase == "Running":
        terminated = (base.get("state") or {}).get("terminated")
        if terminated:
            text, exit_code = _describe_termination(terminated)
            progress = PodProgress.SUCCEEDED if exit_code == 0 else PodProgress.FAILED
            return PodOutcome(progress, text, exit_code)
        return PodOutcome(PodProgress.RUNNING)
    if phase == "Unknown":
        return PodOutcome(PodProgress.RUNNING, "Unknown: the node stopped reporting")

    created = _parse_time(metadata.get("creationTimestamp")) or now
    waited = now - created
    waiting = (base.get("state") or {}).get("waiting") or {}
    waiting_reason = waiting.get("reason") or ""
    if waiting_reason in FATAL_WAITING_REASONS and waited >= fatal_wait_grace:
        message = (waiting.get("message") or "").strip()
        return PodOutcome(PodProgress.STUCK, f"{waiting_reason}: {message}" if message else waiting_reason)
    unschedulable = _unschedulable(status)
    if unschedulable and waited >= fatal_wait_grace:
        return PodOutcome(PodProgress.STUCK, unschedulable)
    if waited >= pending_timeout:
        detail = f" (last: {waiting_reason})" if waiting_reason else ""
        return PodOutcome(
            PodProgress.STUCK, f"PendingTimeout: still Pending after {_duration(pending_timeout)}{detail}"
        )
    return PodOutcome(PodProgress.PENDING, waiting_reason)
