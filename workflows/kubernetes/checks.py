"""System checks of the Kubernetes executor's settings (`python manage.py check`).

An empty WORKFLOWS_KUBERNETES_NAMESPACE is workflows.E001 (workflows/checks.py). These run only when the
Kubernetes executor is among WORKFLOWS_EXECUTORS (by its alias or its dotted path), and never
import the Kubernetes client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from workflows.conf import workflows_settings
from workflows.kubernetes.conf import DeletePolicy, kubernetes_settings
from workflows.kubernetes.pods import PodTemplateError, load_pod_template

EXECUTOR_PATH = "workflows.kubernetes.executor.KubernetesExecutor"


def kubernetes_executor_configured() -> bool:
    """Whether any configured executor is the Kubernetes executor."""
    aliases = workflows_settings.EXECUTOR_ALIASES
    return any(aliases.get(name, name) == EXECUTOR_PATH for name in workflows_settings.EXECUTORS)


@register(Tags.compatibility)
def check_kubernetes_executor(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not kubernetes_executor_configured():
        return []
    errors: list[CheckMessage] = []
    errors.extend(_check_template(kubernetes_settings.POD_TEMPLATE_FILE))
    errors.extend(_check_hook(kubernetes_settings.POD_MUTATION_HOOK))
    errors.extend(_check_numbers())
    config_file = kubernetes_settings.CONFIG_FILE
    if config_file and not Path(config_file).expanduser().is_file():
        errors.append(
            Error(
                f"the kubeconfig {config_file} (WORKFLOWS_KUBERNETES_CONFIG_FILE) does not exist",
                hint="Name an existing kubeconfig file, or none to use the in-cluster service account.",
                id="workflows.E104",
            )
        )
    return errors


def _check_template(path: Path) -> list[CheckMessage]:
    try:
        load_pod_template(path)
    except PodTemplateError as exc:
        return [
            Error(
                str(exc),
                hint="WORKFLOWS_KUBERNETES_POD_TEMPLATE_FILE must name a readable Pod manifest with a container "
                "named 'base' (start from deploy/kubernetes/base/pod-template.yaml).",
                id="workflows.E101",
            )
        ]
    return []


def _check_hook(path: str) -> list[CheckMessage]:
    if not path:
        return []
    try:
        hook = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"the pod mutation hook {path!r} cannot be imported: {exc}",
                hint="WORKFLOWS_KUBERNETES_POD_MUTATION_HOOK must be the dotted path of a function, "
                "e.g. 'myapp.pods.mutate'.",
                id="workflows.E102",
            )
        ]
    if not callable(hook):
        return [
            Error(
                f"the pod mutation hook {path!r} is not callable",
                hint="Name a function that receives a pod dict and changes it (or returns a new one).",
                id="workflows.E102",
            )
        ]
    return []


def _check_numbers() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    try:
        kubernetes_settings.DELETE_POLICY  # noqa: B018 - reading it is the check
    except ValueError:
        choices = ", ".join(policy.value for policy in DeletePolicy)
        errors.append(
            Error(
                "WORKFLOWS_KUBERNETES_DELETE_POLICY is not a known policy",
                hint=f"Use one of: {choices}.",
                id="workflows.E103",
            )
        )
    positive = {
        "WORKFLOWS_KUBERNETES_PARALLELISM": kubernetes_settings.PARALLELISM,
        "WORKFLOWS_KUBERNETES_POD_CREATION_BATCH_SIZE": kubernetes_settings.POD_CREATION_BATCH_SIZE,
        "WORKFLOWS_KUBERNETES_PENDING_TIMEOUT": kubernetes_settings.PENDING_TIMEOUT,
        "WORKFLOWS_KUBERNETES_WATCH_TIMEOUT": kubernetes_settings.WATCH_TIMEOUT,
    }
    for name, value in positive.items():
        if value <= 0:
            errors.append(
                Error(
                    f"{name} must be positive, not {value}",
                    hint=f"Remove {name} to use its default.",
                    id="workflows.E105",
                )
            )
    return errors
