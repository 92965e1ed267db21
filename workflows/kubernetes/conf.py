"""Settings of the Kubernetes executor, each with its default, read when used (never at import time).

`KUBERNETES_NAMESPACE`, `WORKER_IMAGE` and `POD_TEMPLATE_FILE` come from the environment through
config/settings.py; the others may be set in Django settings under the names below.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Any

from django.conf import settings


class DeletePolicy(enum.StrEnum):
    """What happens to a worker pod once its try has ended (its log is copied first in every case)."""

    DELETE = "delete"
    KEEP_FAILED = "keep_failed"
    KEEP_ALL = "keep_all"


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class KubernetesSettings:
    @property
    def NAMESPACE(self) -> str:
        """Namespace the executor creates, watches and deletes its pods in."""
        return str(_get("KUBERNETES_NAMESPACE", "") or "")

    @property
    def WORKER_IMAGE(self) -> str:
        """Image of the `base` container; empty keeps the image named in the pod template."""
        return str(_get("WORKER_IMAGE", "") or "")

    @property
    def POD_TEMPLATE_FILE(self) -> Path:
        """The pod every try starts from (a Pod manifest with a container named `base`)."""
        default = Path(settings.BASE_DIR) / "deploy" / "kubernetes" / "pod-template.yaml"
        return Path(_get("POD_TEMPLATE_FILE", "") or default)

    @property
    def CONFIG_FILE(self) -> str:
        """Kubeconfig to use; empty means $KUBECONFIG, and without it the in-cluster service account."""
        return str(_get("KUBERNETES_CONFIG_FILE", "") or os.environ.get("KUBECONFIG", ""))

    @property
    def CONTEXT(self) -> str:
        """Context of the kubeconfig to use; empty means its current context."""
        return str(_get("KUBERNETES_CONTEXT", "") or "")

    @property
    def PARALLELISM(self) -> int:
        """How many pods of this scheduler may exist at once (launching, pending or running)."""
        return int(_get("KUBERNETES_PARALLELISM", 64))

    @property
    def POD_CREATION_BATCH_SIZE(self) -> int:
        """How many pods are created concurrently in one batch."""
        return int(_get("KUBERNETES_POD_CREATION_BATCH_SIZE", 16))

    @property
    def PENDING_TIMEOUT(self) -> float:
        """Seconds a pod may stay Pending, for any reason, before it is deleted and its try failed."""
        return float(_get("KUBERNETES_PENDING_TIMEOUT", 300.0))

    @property
    def FATAL_WAIT_GRACE(self) -> float:
        """Seconds an image pull, container config or scheduling error may last before it counts as final."""
        return float(_get("KUBERNETES_FATAL_WAIT_GRACE", 20.0))

    @property
    def QUEUED_TIMEOUT(self) -> float:
        """Seconds a try may stay queued (pod not yet running its command) before the scheduler fails it.

        Never shorter than the pending timeout plus a minute, so that the pod's own, better-named
        reason (image pull error, pending timeout) is what the try shows.
        """
        configured = float(_get("KUBERNETES_QUEUED_TIMEOUT", 900.0))
        return max(configured, self.PENDING_TIMEOUT + 60.0)

    @property
    def DELETE_POLICY(self) -> DeletePolicy:
        """`delete` (every finished pod), `keep_failed` (keep failed ones to inspect) or `keep_all`."""
        return DeletePolicy(str(_get("KUBERNETES_DELETE_POLICY", DeletePolicy.DELETE.value)))

    @property
    def POD_MUTATION_HOOK(self) -> str:
        """Dotted path of a callable that receives every pod the project creates and may change it."""
        return str(_get("KUBERNETES_POD_MUTATION_HOOK", "") or "")

    @property
    def RESYNC_INTERVAL(self) -> float:
        """Seconds between two full lists of the pods, so that a missed watch event is never fatal."""
        return float(_get("KUBERNETES_RESYNC_INTERVAL", 60.0))

    @property
    def WATCH_TIMEOUT(self) -> int:
        """Seconds the API server keeps one watch request open before the watcher renews it."""
        return int(_get("KUBERNETES_WATCH_TIMEOUT", 60))

    @property
    def LOG_MAX_BYTES(self) -> int:
        """Most bytes of a pod's log copied into its try's log (the start is kept)."""
        return int(_get("KUBERNETES_LOG_MAX_BYTES", 1024 * 1024))


kubernetes_settings = KubernetesSettings()
