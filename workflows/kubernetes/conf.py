"""Settings of the Kubernetes executor, each declared once below with its default and a line of documentation.

Set them in Django settings with the `WORKFLOWS_KUBERNETES_` prefix, e.g.
`WORKFLOWS_KUBERNETES_NAMESPACE = "jobs"`. As for the engine's other settings (workflows/conf.py), the
project maps environment variables to them in its own settings module, and values are read when used.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from appconf import AppConf
from django.conf import settings

#: Where the pod template is looked for, under the project's BASE_DIR, when none is named.
DEFAULT_POD_TEMPLATE = Path("deploy") / "kubernetes" / "base" / "pod-template.yaml"


class DeletePolicy(enum.StrEnum):
    """What happens to a worker pod once its try has ended (its log is copied first in every case)."""

    DELETE = "delete"
    KEEP_FAILED = "keep_failed"
    KEEP_ALL = "keep_all"


class KubernetesConf(AppConf):  # type: ignore[misc] # django-appconf has no type hints
    NAMESPACE: str = ""
    """Namespace the executor creates, watches and deletes its pods in (required)."""
    WORKER_IMAGE: str = ""
    """Image of the `base` container; empty keeps the image named in the pod template."""
    POD_TEMPLATE_FILE: str = ""
    """The pod every try starts from (a Pod manifest with a container named `base`); empty: DEFAULT_POD_TEMPLATE."""
    CONFIG_FILE: str = ""
    """Kubeconfig to use; empty means the in-cluster service account."""
    CONTEXT: str = ""
    """Context of the kubeconfig to use; empty means its current context."""
    PARALLELISM: int = 64
    """How many pods of this scheduler may exist at once (launching, pending or running)."""
    POD_CREATION_BATCH_SIZE: int = 16
    """How many pods are created concurrently in one batch."""
    PENDING_TIMEOUT: float = 300.0
    """Seconds a pod may stay Pending, for any reason, before it is deleted and its try failed."""
    FATAL_WAIT_GRACE: float = 20.0
    """Seconds an image pull, container config or scheduling error may last before it counts as final."""
    QUEUED_TIMEOUT: float = 900.0
    """Seconds a try may stay queued (pod not running its command yet) before the scheduler fails it."""
    DELETE_POLICY: str = DeletePolicy.DELETE.value
    """`delete` (every finished pod), `keep_failed` (keep failed ones to inspect) or `keep_all`."""
    POD_MUTATION_HOOK: str = ""
    """Dotted path of a callable that receives every pod the executor creates and may change it."""
    RESYNC_INTERVAL: float = 60.0
    """Seconds between two full lists of the pods, so that a missed watch event is never fatal."""
    WATCH_TIMEOUT: int = 60
    """Seconds the API server keeps one watch request open before the watcher renews it."""
    LOG_MAX_BYTES: int = 1024 * 1024
    """Most bytes of a pod's log copied into its try's log (the start is kept)."""

    class Meta:
        prefix = "workflows_kubernetes"


def _get(name: str) -> Any:
    key = f"WORKFLOWS_KUBERNETES_{name}"
    return getattr(settings, key, KubernetesConf._meta.defaults[key])


class KubernetesSettings:
    """Typed access to the settings above, read when used."""

    @property
    def NAMESPACE(self) -> str:
        return str(_get("NAMESPACE") or "")

    @property
    def WORKER_IMAGE(self) -> str:
        return str(_get("WORKER_IMAGE") or "")

    @property
    def POD_TEMPLATE_FILE(self) -> Path:
        configured = _get("POD_TEMPLATE_FILE")
        if configured:
            return Path(configured)
        return Path(getattr(settings, "BASE_DIR", ".")) / DEFAULT_POD_TEMPLATE

    @property
    def CONFIG_FILE(self) -> str:
        return str(_get("CONFIG_FILE") or "")

    @property
    def CONTEXT(self) -> str:
        return str(_get("CONTEXT") or "")

    @property
    def PARALLELISM(self) -> int:
        return int(_get("PARALLELISM"))

    @property
    def POD_CREATION_BATCH_SIZE(self) -> int:
        return int(_get("POD_CREATION_BATCH_SIZE"))

    @property
    def PENDING_TIMEOUT(self) -> float:
        return float(_get("PENDING_TIMEOUT"))

    @property
    def FATAL_WAIT_GRACE(self) -> float:
        return float(_get("FATAL_WAIT_GRACE"))

    @property
    def QUEUED_TIMEOUT(self) -> float:
        """WORKFLOWS_KUBERNETES_QUEUED_TIMEOUT, never shorter than the pending timeout plus a minute.

        So that the pod's own, better-named reason (image pull error, pending timeout) is what the try shows.
        """
        return max(float(_get("QUEUED_TIMEOUT")), self.PENDING_TIMEOUT + 60.0)

    @property
    def DELETE_POLICY(self) -> DeletePolicy:
        return DeletePolicy(str(_get("DELETE_POLICY")))

    @property
    def POD_MUTATION_HOOK(self) -> str:
        return str(_get("POD_MUTATION_HOOK") or "")

    @property
    def RESYNC_INTERVAL(self) -> float:
        return float(_get("RESYNC_INTERVAL"))

    @property
    def WATCH_TIMEOUT(self) -> int:
        return int(_get("WATCH_TIMEOUT"))

    @property
    def LOG_MAX_BYTES(self) -> int:
        return int(_get("LOG_MAX_BYTES"))


kubernetes_settings = KubernetesSettings()
