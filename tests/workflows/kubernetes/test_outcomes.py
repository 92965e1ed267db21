"""How pod statuses become try outcomes, with the reason an operator reads in the UI."""

import datetime as dt

import pytest

from workflows.kubernetes.outcomes import PodProgress, pod_outcome

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def pod(phase, *, age_seconds=10, container_state=None, reason=None, message=None, conditions=None, last_state=None):
    status = {"phase": phase}
    if container_state is not None or last_state is not None:
        entry = {"name": "base", "state": container_state or {}}
        if last_state:
            entry["lastState"] = last_state
        status["containerStatuses"] = [{"name": "sidecar", "state": {"running": {}}}, entry]
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    if conditions:
        status["conditions"] = conditions
    created = (NOW - dt.timedelta(seconds=age_seconds)).isoformat().replace("+00:00", "Z")
    return {"metadata": {"name": "p", "creationTimestamp": created}, "status": status}


def outcome(p, pending=300, grace=30):
    return pod_outcome(
        p, now=NOW, pending_timeout=dt.timedelta(seconds=pending), fatal_wait_grace=dt.timedelta(seconds=grace)
    )


@pytest.mark.parametrize(
    ("the_pod", "progress", "reason", "exit_code"),
    [
        pytest.param(pod("Succeeded"), PodProgress.SUCCEEDED, "Completed (exit code 0)", 0, id="succeeded"),
        pytest.param(
            pod("Failed", container_state={"terminated": {"exitCode": 137, "reason": "OOMKilled"}}),
            PodProgress.FAILED,
            "OOMKilled (exit code 137)",
            137,
            id="oomkilled-named-with-exit-code",
        ),
        pytest.param(
            pod("Failed", container_state={"terminated": {"exitCode": 3, "reason": "Error", "message": "boom"}}),
            PodProgress.FAILED,
            "Error (exit code 3): boom",
            3,
            id="plain-error",
        ),
        pytest.param(
            pod("Failed", reason="Evicted", message="The node was low on resource: memory."),
            PodProgress.FAILED,
            "Evicted: The node was low on resource: memory.",
            None,
            id="evicted",
        ),
        pytest.param(
            pod(
                "Failed",
                reason="DeadlineExceeded",
                message="Pod was active on the node longer than the specified deadline",
            ),
            PodProgress.FAILED,
            "DeadlineExceeded: Pod was active on the node longer than the specified deadline",
            None,
            id="deadline-exceeded",
        ),
        pytest.param(pod("Running", container_state={"running": {}}), PodProgress.RUNNING, "", None, id="running"),
        pytest.param(
            pod("Running", container_state={"terminated": {"exitCode": 0, "reason": "Completed"}}),
            PodProgress.SUCCEEDED,
            "Completed (exit code 0)",
            0,
            id="base-done-while-sidecar-runs",
        ),
        pytest.param(
            pod(
                "Pending",
                age_seconds=5,
                container_state={"waiting": {"reason": "ErrImagePull", "message": "not found"}},
            ),
            PodProgress.PENDING,
            "ErrImagePull",
            None,
            id="image-pull-error-within-grace",
        ),
        pytest.param(
            pod(
                "Pending",
                age_seconds=60,
                container_state={"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
            ),
            PodProgress.STUCK,
            "ImagePullBackOff: Back-off pulling image",
            None,
            id="image-pull-backoff-after-grace",
        ),
        pytest.param(
            pod(
                "Pending",
                age_seconds=60,
                container_state={
                    "waiting": {"reason": "CreateContainerConfigError", "message": 'secret "x" not found'}
                },
            ),
            PodProgress.STUCK,
            'CreateContainerConfigError: secret "x" not found',
            None,
            id="config-error",
        ),
        pytest.param(
            pod(
                "Pending",
                age_seconds=60,
                conditions=[
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/3 nodes are available",
                    }
                ],
            ),
            PodProgress.STUCK,
            "Unschedulable: 0/3 nodes are available",
            None,
            id="unschedulable",
        ),
        pytest.param(
            pod("Pending", age_seconds=301),
            PodProgress.STUCK,
            "PendingTimeout: still Pending after 5 min",
            None,
            id="pending-timeout",
        ),
        pytest.param(pod("Pending", age_seconds=100), PodProgress.PENDING, "", None, id="pending-within-timeout"),
    ],
)
def test_pod_outcome(the_pod, progress, reason, exit_code):
    result = outcome(the_pod)
    assert (result.progress, result.reason, result.exit_code) == (progress, reason, exit_code)


def test_finished_outcomes_are_the_ones_that_end_a_try():
    assert outcome(pod("Succeeded")).finished
    assert outcome(pod("Pending", age_seconds=400)).finished
    assert not outcome(pod("Running", container_state={"running": {}})).finished
