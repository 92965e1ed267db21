"""Settings of the workflow engine, each with its default, read when used (never at import time).

Set any of them in Django settings with the `WORKFLOWS_` prefix, e.g. `WORKFLOWS_ZOMBIE_THRESHOLD = 120`.
`WORKFLOWS_EXECUTORS`, `KUBERNETES_NAMESPACE`, `WORKER_IMAGE` and `POD_TEMPLATE_FILE` come from
the environment through config/settings.py.
"""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

#: Short names of the executors that ship with the engine. A dotted path names any other.
BUILTIN_EXECUTORS: dict[str, str] = {
    "local": "workflows.executors.local.LocalExecutor",
    "celery": "workflows.executors.celery.CeleryExecutor",
    "kubernetes": "workflows.kubernetes.executor.KubernetesExecutor",
}


def _get(name: str, default: Any) -> Any:
    """A Django setting `WORKFLOWS_<name>`, else the environment variable of the same name, else the default."""
    key = f"WORKFLOWS_{name}"
    if hasattr(settings, key):
        return getattr(settings, key)
    raw = os.environ.get(key)
    if raw is None or isinstance(default, dict):
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


class WorkflowsSettings:
    @property
    def EXECUTORS(self) -> list[str]:
        """Executors this deployment runs, by alias or dotted path; the first is the default."""
        return [name.strip() for name in _get("EXECUTORS", ["local"]) if name.strip()]

    @property
    def DEFAULT_EXECUTOR(self) -> str:
        """The executor a task gets when it names none."""
        executors = self.EXECUTORS
        return executors[0] if executors else "local"

    @property
    def EXECUTOR_ALIASES(self) -> dict[str, str]:
        """Alias -> dotted path of executor classes; extends (or overrides) the built-in aliases."""
        return {**BUILTIN_EXECUTORS, **_get("EXECUTOR_ALIASES", {})}

    @property
    def HEARTBEAT_INTERVAL(self) -> float:
        """Seconds between two heartbeats of a running try."""
        return float(_get("HEARTBEAT_INTERVAL", 5.0))

    @property
    def ZOMBIE_THRESHOLD(self) -> float:
        """Seconds without a heartbeat after which a running try is declared lost (a zombie)."""
        return float(_get("ZOMBIE_THRESHOLD", 60.0))

    @property
    def ZOMBIE_CHECK_INTERVAL(self) -> float:
        """Seconds between two scans for zombies, timed-out and stuck-in-queue tries."""
        return float(_get("ZOMBIE_CHECK_INTERVAL", 10.0))

    @property
    def TIMEOUT_GRACE(self) -> float:
        """Seconds a try may overrun its execution_timeout before its process is killed."""
        return float(_get("TIMEOUT_GRACE", 5.0))

    @property
    def LOCAL_PARALLELISM(self) -> int:
        """How many tries the local executor runs at once (its pre-forked worker processes)."""
        return int(_get("LOCAL_PARALLELISM", 4))

    @property
    def SCHEDULER_MIN_SLEEP(self) -> float:
        """Shortest idle wait of the scheduler loop, in seconds, right after it found work."""
        return float(_get("SCHEDULER_MIN_SLEEP", 0.02))

    @property
    def SCHEDULER_MAX_SLEEP(self) -> float:
        """Longest idle wait of the scheduler loop, in seconds; new work wakes it sooner."""
        return float(_get("SCHEDULER_MAX_SLEEP", 1.0))

    @property
    def SCHEDULER_BATCH_SIZE(self) -> int:
        """How many runs or task instances one scheduler claims per step."""
        return int(_get("SCHEDULER_BATCH_SIZE", 256))

    @property
    def SHUTDOWN_GRACE(self) -> float:
        """Seconds a stopping scheduler lets running local tries finish before handing them back."""
        return float(_get("SHUTDOWN_GRACE", 30.0))

    @property
    def SCHEDULER_LOCK_FILE(self) -> Path:
        """On SQLite, the file whose lock keeps a second scheduler from starting."""
        default = Path(settings.DATABASES["default"]["NAME"]).with_suffix(".scheduler.lock")
        return Path(_get("SCHEDULER_LOCK_FILE", default))

    @property
    def TIME_ZONE(self) -> tzinfo:
        """Zone in which cron schedules are read (\"0 9 * * *\" is 09:00 there, across DST)."""
        return ZoneInfo(str(_get("TIME_ZONE", settings.TIME_ZONE)))

    @property
    def RESULT_MAX_BYTES(self) -> int:
        """Largest JSON result a task may return (stored for its downstream tasks)."""
        return int(_get("RESULT_MAX_BYTES", 64 * 1024))

    @property
    def LOG_MAX_BYTES(self) -> int:
        """Largest log kept per try; beyond it the middle is cut and the start and end kept."""
        return int(_get("LOG_MAX_BYTES", 2 * 1024 * 1024))

    @property
    def CELERY_QUEUED_TIMEOUT(self) -> float:
        """Seconds a try sent to Celery may wait for a worker before it fails and is retried."""
        return float(_get("CELERY_QUEUED_TIMEOUT", 600.0))

    @property
    def WORKER_CONN_MAX_AGE(self) -> int:
        """Seconds a Celery worker process keeps its database connection between tries."""
        return int(_get("WORKER_CONN_MAX_AGE", 300))

    @property
    def CELERY_DEFAULT_QUEUE(self) -> str:
        """Celery queue for tasks that name none (Celery's own default, so a plain worker serves it)."""
        return str(_get("CELERY_DEFAULT_QUEUE", "celery"))

    @property
    def DAG_MODULES(self) -> list[str]:
        """Extra modules to load DAGs from, beside each installed app's `dags.py`."""
        return list(_get("DAG_MODULES", []))

    @property
    def DAGS_PAUSED_ON_CREATION(self) -> bool:
        """Whether a DAG seen for the first time starts paused."""
        return bool(_get("DAGS_PAUSED_ON_CREATION", False))

    @property
    def RETENTION_DAYS(self) -> int:
        """Finished runs (with their tries and logs) older than this are pruned by housekeeping."""
        return int(_get("RETENTION_DAYS", 30))


workflows_settings = WorkflowsSettings()
