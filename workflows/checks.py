"""System checks for the engine's settings (ids workflows.E001…)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from workflows.conf import workflows_settings
from workflows.kubernetes.conf import kubernetes_settings


@register("workflows")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from workflows.errors import ExecutorNotFound
    from workflows.executors import executor_class

    messages: list[CheckMessage] = []
    executors = workflows_settings.EXECUTORS
    if not executors:
        messages.append(
            Error("WORKFLOWS_EXECUTORS is empty.", hint="List at least one executor, e.g. local.", id="workflows.E002")
        )
    for name in executors:
        if name == "kubernetes":
            continue  # its settings are checked below; its client is imported only when it starts
        try:
            executor_class(name)
        except ExecutorNotFound as exc:
            messages.append(
                Error(str(exc), hint="Use local, celery, kubernetes or a dotted path.", id="workflows.E003")
            )
    if len(set(executors)) != len(executors):
        messages.append(Error("WORKFLOWS_EXECUTORS names an executor twice.", id="workflows.E004"))
    if "kubernetes" in executors and not kubernetes_settings.NAMESPACE:
        messages.append(
            Error(
                'executor "kubernetes" is configured but WORKFLOWS_KUBERNETES_NAMESPACE is empty',
                hint="Set WORKFLOWS_KUBERNETES_NAMESPACE to the namespace worker pods run in.",
                id="workflows.E001",
            )
        )
    if "celery" in executors and str(getattr(settings, "CELERY_BROKER_URL", "")).startswith("memory://"):
        messages.append(
            Error(
                'executor "celery" is configured but the Celery broker is in-memory',
                hint="Set REDIS_URL (or CELERY_BROKER_URL) so that workers in other processes receive tries.",
                id="workflows.E005",
            )
        )
    if workflows_settings.ZOMBIE_THRESHOLD < 2 * workflows_settings.HEARTBEAT_INTERVAL:
        messages.append(
            Error(
                "WORKFLOWS_ZOMBIE_THRESHOLD is less than twice WORKFLOWS_HEARTBEAT_INTERVAL",
                hint="A single late heartbeat would fail a healthy try; raise the threshold.",
                id="workflows.E006",
            )
        )
    try:
        ZoneInfo(workflows_settings.TIME_ZONE_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        messages.append(Error("WORKFLOWS_TIME_ZONE is not an IANA time zone.", id="workflows.E007"))
    if workflows_settings.LOCAL_PARALLELISM < 1:
        messages.append(Error("WORKFLOWS_LOCAL_PARALLELISM must be at least 1.", id="workflows.E008"))
    if workflows_settings.RESULT_MAX_BYTES > 1024 * 1024:
        messages.append(
            Warning(
                "WORKFLOWS_RESULT_MAX_BYTES is above 1 MiB",
                hint="Results live in the database; pass references to large data instead.",
                id="workflows.W001",
            )
        )
    if "celery" in executors and not _celery_reuses_connections():
        messages.append(
            Warning(
                "Celery workers will open a new database connection for every try.",
                hint="Set CELERY_DB_REUSE_MAX (e.g. 1000000) so Celery's Django fix-up keeps the connection; the "
                "engine still closes it after WORKFLOWS_WORKER_CONN_MAX_AGE seconds or when it breaks.",
                id="workflows.W002",
            )
        )
    return messages


def _celery_reuses_connections() -> bool:
    from workflows.executors.celery import celery_app

    return bool(celery_app().conf.get("CELERY_DB_REUSE_MAX"))
