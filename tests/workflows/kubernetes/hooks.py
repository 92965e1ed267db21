"""Pod mutation hooks of the Kubernetes executor's tests.

`run_script` swaps the runner's command for a short Python script named by the pod's
`wicn.test/script` annotation, so that executor tests exercise pods, logs and exit codes without a
task instance in any database.
"""

from __future__ import annotations

from typing import Any

SCRIPT_ANNOTATION = "wicn.test/script"
DEFAULT_SCRIPT = "print('pod ran')"


def run_script(pod: dict[str, Any]) -> None:
    script = (pod["metadata"].get("annotations") or {}).get(SCRIPT_ANNOTATION, DEFAULT_SCRIPT)
    base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
    base["command"] = ["python", "-c", script]


def label_team(pod: dict[str, Any]) -> dict[str, Any]:
    """Returns a new pod (rather than editing in place) with a label and a node selector."""
    changed = dict(pod)
    changed["metadata"] = {**pod["metadata"], "labels": {**pod["metadata"]["labels"], "team": "platform"}}
    changed["spec"] = {**pod["spec"], "nodeSelector": {"kubernetes.io/os": "linux"}}
    run_script(changed)
    return changed


def not_a_hook() -> None:
    """Takes no pod: configuring it must fail the system check, not the first try."""
