"""Settings of the workflow engine, each declared once below with its default and a line of documentation.

Set any of them in Django settings with the `WORKFLOWS_` prefix, e.g. `WORKFLOWS_ZOMBIE_THRESHOLD = 120`.
The engine never reads the environment itself: a project maps its environment variables to these
settings in its settings module (this one does in config/settings.py).

`WorkflowsConf` (django-appconf) puts the defaults into `django.conf.settings` when the app loads;
`workflows_settings` reads `django.conf.settings` each time a value is used, never at import time, so
that `override_settings` and pytest-django's `settings` fixture take effect at once.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from appconf import AppConf
from django.conf import settings

#: Short names of the executors that ship with the engine. A dotted path names any other.
BUILTIN_EXECUTORS: dict[str, str] = {
    "local": "workflows.executors.local.LocalExecutor",
    "celery": "workflows.executors.celery.CeleryExecutor",
    "kubernetes": "workflows.kubernetes.executor.KubernetesExecutor",
}


class WorkflowsConf(AppConf):  # type: ignore[misc] # django-appconf has no type hints
    EXECUTORS: list[str] = ["local"]
    """Executors this deployment runs, by alias or dotted path; the first is the default."""
    EXECUTOR_ALIASES: dict[str, str] = {}
    """Alias -> dotted path of executor classes; extends (or overrides) the built-in aliases."""
    HEARTBEAT_INTERVAL: float = 5.0
    """Seconds between two heartbeats of a running try."""
    ZOMBIE_THRESHOLD: float = 60.0
    """Seconds without a heartbeat after which a running try is declared lost (a zombie)."""
    ZOMBIE_CHECK_INTERVAL: float = 10.0
    """Seconds between two scans for zombies, timed-out and stuck-in-queue tries."""
    TIMEOUT_GRACE: float = 5.0
    """Seconds a try may overrun its execution_timeout before its process is killed."""
    LOCAL_PARALLELISM: int = 4
    """How many tries the local executor runs at once (its pre-forked worker processes)."""
    SCHEDULER_MIN_SLEEP: float = 0.02
    """Shortest idle wait of the scheduler loop, in seconds, right after it found work."""
    SCHEDULER_MAX_SLEEP: float = 1.0
    """Longest idle wait of the scheduler loop, in seconds; new work wakes it sooner."""
    SCHEDULER_BATCH_SIZE: int = 256
    """How many runs or task instances one scheduler claims per step."""
    SHUTDOWN_GRACE: float = 30.0
    """Seconds a stopping scheduler lets running local tries finish before handing them back."""
    SCHEDULER_LOCK_FILE: str | Path | None = None
    """On SQLite, the file whose lock keeps a second scheduler from starting (None: beside the database)."""
    TIME_ZONE: str | None = None
    """Zone in which cron schedules are read ("0 9 * * *" is 09:00 there, across DST); None: TIME_ZONE."""
    RESULT_MAX_BYTES: int = 64 * 1024
    """Largest JSON result a task may return (stored for its downstream tasks)."""
    LOG_MAX_BYTES: int = 2 * 1024 * 1024
    """Largest log kept per try; beyond it the middle is cut and the start and end kept."""
    CELERY_APP: str = ""
    """The Celery app the Celery executor sends tries with, as "module:attribute"; empty: Celery's current app."""
    CELERY_QUEUED_TIMEOUT: float = 600.0
    """Seconds a try sent to Celery may wait for a worker before it fails and is retried."""
    WORKER_CONN_MAX_AGE: int = 300
    """Seconds a Celery worker process keeps its database connection between tries."""
    CELERY_DEFAULT_QUEUE: str = "celery"
    """Celery queue for tasks that name none (Celery's own default, so a plain worker serves it)."""
    DAG_MODULES: list[str] = []
    """Extra modules to load DAGs from, beside each installed app's `dags.py`."""
    DAGS_PAUSED_ON_CREATION: bool = False
    """Whether a DAG seen for the first time starts paused."""
    RETENTION_DAYS: int = 30
    """Finished runs (with their tries and logs) older than this are pruned by housekeeping."""
    INSTANCE_NAME: str = "workflows"
    """Names this deployment's pods and Celery tasks: `app.kubernetes.io/managed-by`, the `<name>/` label prefix."""
    TASK_COMMAND: list[str] = ["python", "manage.py"]
    """The command that runs management commands where a try runs in a new process (a pod, a shell)."""
    BASE_TEMPLATE: str = "workflows/base.html"
    """The template the staff UI's pages extend; a project names its own layout (blocks title and content)."""

    class Meta:
        prefix = "workflows"


def _get(name: str) -> Any:
    key = f"WORKFLOWS_{name}"
    return getattr(settings, key, WorkflowsConf._meta.defaults[key])


class WorkflowsSettings:
    """Typed access to the settings above, read when used."""

    @property
    def EXECUTORS(self) -> list[str]:
        return [name.strip() for name in _get("EXECUTORS") if name.strip()]

    @property
    def DEFAULT_EXECUTOR(self) -> str:
        """The executor a task gets when it names none."""
        executors = self.EXECUTORS
        return executors[0] if executors else "local"

    @property
    def EXECUTOR_ALIASES(self) -> dict[str, str]:
        return {**BUILTIN_EXECUTORS, **_get("EXECUTOR_ALIASES")}

    @property
    def HEARTBEAT_INTERVAL(self) -> float:
        return float(_get("HEARTBEAT_INTERVAL"))

    @property
    def ZOMBIE_THRESHOLD(self) -> float:
        return float(_get("ZOMBIE_THRESHOLD"))

    @property
    def ZOMBIE_CHECK_INTERVAL(self) -> float:
        return float(_get("ZOMBIE_CHECK_INTERVAL"))

    @property
    def TIMEOUT_GRACE(self) -> float:
        return float(_get("TIMEOUT_GRACE"))

    @property
    def LOCAL_PARALLELISM(self) -> int:
        return int(_get("LOCAL_PARALLELISM"))

    @property
    def SCHEDULER_MIN_SLEEP(self) -> float:
        return float(_get("SCHEDULER_MIN_SLEEP"))

    @property
    def SCHEDULER_MAX_SLEEP(self) -> float:
        return float(_get("SCHEDULER_MAX_SLEEP"))

    @property
    def SCHEDULER_BATCH_SIZE(self) -> int:
        return int(_get("SCHEDULER_BATCH_SIZE"))

    @property
    def SHUTDOWN_GRACE(self) -> float:
        return float(_get("SHUTDOWN_GRACE"))

    @property
    def SCHEDULER_LOCK_FILE(self) -> Path:
        configured = _get("SCHEDULER_LOCK_FILE")
        if configured:
            return Path(configured)
        return Path(settings.DATABASES["default"]["NAME"]).with_suffix(".scheduler.lock")

    @property
    def TIME_ZONE_NAME(self) -> str:
        """The name of the zone cron lines are read in (WORKFLOWS_TIME_ZONE, else TIME_ZONE)."""
        return str(_get("TIME_ZONE") or settings.TIME_ZONE)

    @property
    def TIME_ZONE(self) -> tzinfo:
        return ZoneInfo(self.TIME_ZONE_NAME)

    @property
    def RESULT_MAX_BYTES(self) -> int:
        return int(_get("RESULT_MAX_BYTES"))

    @property
    def LOG_MAX_BYTES(self) -> int:
        return int(_get("LOG_MAX_BYTES"))

    @property
    def CELERY_APP(self) -> str:
        return str(_get("CELERY_APP") or "")

    @property
    def CELERY_QUEUED_TIMEOUT(self) -> float:
        return float(_get("CELERY_QUEUED_TIMEOUT"))

    @property
    def WORKER_CONN_MAX_AGE(self) -> int:
        return int(_get("WORKER_CONN_MAX_AGE"))

    @property
    def CELERY_DEFAULT_QUEUE(self) -> str:
        return str(_get("CELERY_DEFAULT_QUEUE"))

    @property
    def DAG_MODULES(self) -> list[str]:
        return [name.strip() for name in _get("DAG_MODULES") if name.strip()]

    @property
    def DAGS_PAUSED_ON_CREATION(self) -> bool:
        return bool(_get("DAGS_PAUSED_ON_CREATION"))

    @property
    def RETENTION_DAYS(self) -> int:
        return int(_get("RETENTION_DAYS"))

    @property
    def INSTANCE_NAME(self) -> str:
        return str(_get("INSTANCE_NAME"))

    @property
    def TASK_COMMAND(self) -> list[str]:
        return [str(part) for part in _get("TASK_COMMAND")]

    @property
    def BASE_TEMPLATE(self) -> str:
        return str(_get("BASE_TEMPLATE"))


workflows_settings = WorkflowsSettings()
