"""Building the pod of one task try: the pod template, the task's pod_override, then the mutation hook.

Pods are handled as plain dicts in the Kubernetes API's own (camelCase) form, the form of a YAML
manifest, so that the template file, an override written as a dict and the request body are one shape.
A `kubernetes.client.V1Pod` given as an override is converted to that form first.

The override is applied to the template as a strategic merge patch, by the API server's own rules
(`merge.py` holds them, derived from the official schema), so that the pod is the one the server would
make of the template PATCHed with the override:

- mappings merge key by key, recursively (`resources`, `securityContext`, `affinity`, labels,
  annotations, `nodeSelector`); a scalar in the override wins; `null` deletes the field;
- lists with a merge key merge by it: `containers`, `initContainers`, `ephemeralContainers`,
  `imagePullSecrets`, `volumes` and `schedulingGates` by `name`, in a container `env` by `name`,
  `ports` by `containerPort`, `volumeMounts` by `mountPath`, `volumeDevices` by `devicePath`,
  `hostAliases` by `ip`, `topologySpreadConstraints` by `topologyKey`;
- every other list is replaced whole: `tolerations`, `envFrom`, `command`, `args`, affinity terms;
- a volume entry carries an implicit `$retainKeys` of its own fields (as `kubectl apply` sends it),
  so a volume of the same name changes its source instead of gaining a second one.

What the executor sets after merging always wins: the pod's name and namespace, the identity labels
and annotations, and the `base` container's command (the runner is the only entry point).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workflows.conf import workflows_settings
from workflows.kubernetes.merge import MergePatchError, strategic_merge, with_retain_keys

BASE_CONTAINER = "base"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

PodDict = dict[str, Any]
MutationHook = Callable[[PodDict], PodDict | None]

_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_LABEL_MAX = 63


class PodTemplateError(ValueError):
    """The pod template or a pod_override cannot make a valid pod."""


@dataclass(frozen=True)
class TryIdentity:
    """What ties a pod to its task try, and to the scheduler that launched it."""

    dag_id: str
    task_id: str
    run_id: str
    task_instance_id: int
    try_number: int
    scheduler_id: str


def load_pod_template(path: str | Path) -> PodDict:
    """Read the pod template file; it must be a Pod with a container named `base`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PodTemplateError(f"cannot read the pod template {path}: {exc.strerror}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PodTemplateError(f"the pod template {path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or document.get("kind", "Pod") != "Pod":
        raise PodTemplateError(f"the pod template {path} must be a single Pod manifest")
    containers = (document.get("spec") or {}).get("containers") or []
    if not any(isinstance(c, dict) and c.get("name") == BASE_CONTAINER for c in containers):
        raise PodTemplateError(f"the pod template {path} needs a container named {BASE_CONTAINER!r}")
    document.setdefault("apiVersion", "v1")
    document.setdefault("kind", "Pod")
    return document


def override_as_dict(override: object) -> PodDict:
    """A pod_override as an API-form dict: a V1Pod (or any client model) is serialised, a dict is copied."""
    if override is None:
        return {}
    if isinstance(override, Mapping):
        return copy.deepcopy(dict(override))
    if hasattr(override, "openapi_types") and hasattr(override, "attribute_map"):
        from kubernetes.client import ApiClient

        serialised = ApiClient().sanitize_for_serialization(override)  # type: ignore[no-untyped-call]
        if not isinstance(serialised, dict):
            raise PodTemplateError("pod_override must serialise to a mapping")
        return serialised
    raise PodTemplateError(f"pod_override must be a kubernetes.client.V1Pod or a dict, not {type(override).__name__}")


def pod_patch(override: Mapping[str, Any]) -> PodDict:
    """The strategic merge patch an override stands for: itself, with `$retainKeys` on volume entries."""
    return with_retain_keys(override)


def merge_pods(base: Mapping[str, Any], override: Mapping[str, Any]) -> PodDict:
    """`base` PATCHed with `override` as the API server would; neither input is changed."""
    try:
        return strategic_merge(base, pod_patch(override))
    except MergePatchError as exc:
        raise PodTemplateError(f"pod_override cannot be merged: {exc}") from exc


def label_value(value: str) -> str:
    """A label value for `value`: itself when valid, else a sanitised prefix plus a short hash.

    The hash keeps two different values that sanitise alike (e.g. "a b" and "a_b") apart; the exact
    value always travels in an annotation beside the label.
    """
    if len(value) <= _DNS_LABEL_MAX and _LABEL_VALUE_RE.match(value):
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", value)
    cleaned = cleaned[: _DNS_LABEL_MAX - len(digest) - 1].strip("-_.")
    return f"{cleaned}-{digest}" if cleaned else digest


def _dns_label_part(value: str, limit: int) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return re.sub(r"-{2,}", "-", cleaned)[:limit].strip("-") or "x"


def pod_name(identity: TryIdentity) -> str:
    """A DNS-1123 label, unique per try and the same every time it is computed for that try.

    Being deterministic is what makes a create that timed out safe to repeat: the second attempt
    gets 409 Conflict and the executor adopts the pod instead of starting the try twice.
    """
    key = (
        f"{identity.dag_id}\0{identity.run_id}\0{identity.task_id}\0{identity.task_instance_id}\0{identity.try_number}"
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:6]
    tail = f"-{identity.task_instance_id}-{identity.try_number}-{digest}"
    room = _DNS_LABEL_MAX - len(tail)
    dag_part = _dns_label_part(identity.dag_id, room // 2)
    task_part = _dns_label_part(identity.task_id, room - len(dag_part) - 1)
    return f"{dag_part}-{task_part}{tail}"


def managed_by() -> str:
    """The value of the `app.kubernetes.io/managed-by` label on this deployment's pods (WORKFLOWS_INSTANCE_NAME)."""
    return workflows_settings.INSTANCE_NAME


def label_prefix() -> str:
    """The prefix of the identity labels and annotations, e.g. `workflows/` in `workflows/dag-id`."""
    return f"{workflows_settings.INSTANCE_NAME}/"


def identity_labels(identity: TryIdentity) -> dict[str, str]:
    prefix = label_prefix()
    return {
        MANAGED_BY_LABEL: managed_by(),
        f"{prefix}dag-id": label_value(identity.dag_id),
        f"{prefix}task-id": label_value(identity.task_id),
        f"{prefix}run-id": label_value(identity.run_id),
        f"{prefix}task-instance-id": str(identity.task_instance_id),
        f"{prefix}try": str(identity.try_number),
        f"{prefix}scheduler-id": label_value(identity.scheduler_id),
    }


def identity_annotations(identity: TryIdentity) -> dict[str, str]:
    prefix = label_prefix()
    return {
        f"{prefix}dag-id": identity.dag_id,
        f"{prefix}task-id": identity.task_id,
        f"{prefix}run-id": identity.run_id,
        f"{prefix}task-instance-id": str(identity.task_instance_id),
        f"{prefix}try": str(identity.try_number),
        f"{prefix}scheduler-id": identity.scheduler_id,
    }


def identity_from_pod(pod: Mapping[str, Any]) -> TryIdentity | None:
    """Read a try's identity back from a pod's annotations (labels may be shortened); None if not ours."""
    metadata = pod.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    if labels.get(MANAGED_BY_LABEL) != managed_by():
        return None
    prefix = label_prefix()
    try:
        return TryIdentity(
            dag_id=annotations[f"{prefix}dag-id"],
            task_id=annotations[f"{prefix}task-id"],
            run_id=annotations[f"{prefix}run-id"],
            task_instance_id=int(annotations[f"{prefix}task-instance-id"]),
            try_number=int(annotations[f"{prefix}try"]),
            scheduler_id=annotations[f"{prefix}scheduler-id"],
        )
    except (KeyError, ValueError):
        return None


def apply_mutation_hook(pod: PodDict, hook: MutationHook | None) -> PodDict:
    """Let the configured hook change a pod; it may edit the dict in place or return a new one."""
    if hook is None:
        return pod
    returned = hook(pod)
    result = pod if returned is None else returned
    if not isinstance(result, dict):
        raise PodTemplateError(f"the pod mutation hook returned {type(result).__name__}, not a pod dict")
    return result


def build_worker_pod(
    *,
    template: Mapping[str, Any],
    identity: TryIdentity,
    namespace: str,
    image: str,
    command: list[str],
    pod_override: object = None,
    mutation_hook: MutationHook | None = None,
) -> PodDict:
    """The pod that runs one try: template, then pod_override, then identity and command, then the hook."""
    pod = merge_pods(template, override_as_dict(pod_override))
    metadata = pod.setdefault("metadata", {})
    metadata["name"] = pod_name(identity)
    metadata["namespace"] = namespace
    metadata.pop("generateName", None)
    metadata["labels"] = {**(metadata.get("labels") or {}), **identity_labels(identity)}
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **identity_annotations(identity)}
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Never")
    base = _base_container(pod)
    if image and not _override_sets_base_image(pod_override):
        base["image"] = image
    base["command"] = list(command)
    base.pop("args", None)
    return apply_mutation_hook(pod, mutation_hook)


def _base_container(pod: PodDict) -> dict[str, Any]:
    for container in pod.get("spec", {}).get("containers") or []:
        if container.get("name") == BASE_CONTAINER:
            return container  # type: ignore[no-any-return]
    raise PodTemplateError(f"the pod has no container named {BASE_CONTAINER!r}")


def _override_sets_base_image(pod_override: object) -> bool:
    override = override_as_dict(pod_override)
    for container in (override.get("spec") or {}).get("containers") or []:
        if container.get("name") == BASE_CONTAINER and container.get("image"):
            return True
    return False
