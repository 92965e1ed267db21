"""The Celery executor: tries travel to Celery worker processes over the broker (Redis).

Tries are sent with the Celery app that WORKFLOWS_CELERY_APP names ("module:attribute", e.g. this
project's "config.celery:app"), or Celery's current app when it names none; workers of that app run
them (`celery -A config worker` here).

Messages are acknowledged late and rejected back to the queue when a worker process is lost, so
a killed worker leads to a retry rather than a silent loss (see `workflows.tasks`). Tries that no
worker takes within WORKFLOWS_CELERY_QUEUED_TIMEOUT fail with a reason and follow their retry
policy. States and results come back through the database, never through a result backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workflows.conf import workflows_settings
from workflows.executors.base import BaseExecutor, Event, Orphan, TryRunning, Workload


def celery_app() -> Any:
    """The Celery app tries are sent and revoked with (WORKFLOWS_CELERY_APP, else Celery's current app)."""
    from celery import current_app
    from celery.utils.imports import symbol_by_name

    path = workflows_settings.CELERY_APP
    return symbol_by_name(path) if path else current_app


def celery_task_id(task_instance_id: int, try_number: int) -> str:
    """A stable Celery task id per try: a redelivered message is recognised, and a try can be revoked."""
    return f"{workflows_settings.INSTANCE_NAME}-try-{task_instance_id}-{try_number}"


class CeleryExecutor(BaseExecutor):
    #: Broker messages outlive a scheduler, so a new scheduler simply takes over their tries.
    supports_adoption = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events: list[Event] = []

    @property
    def queued_timeout(self) -> float | None:
        return workflows_settings.CELERY_QUEUED_TIMEOUT

    def start(self) -> None:
        from workflows.tasks import run_try_task

        # A shared task is registered with every app; this takes it from the app the setting names.
        self._task = celery_app().tasks[run_try_task.name]

    def queue(self, workload: Workload) -> None:
        task_id = celery_task_id(workload.task_instance_id, workload.try_number)
        self._task.apply_async(
            args=[workload.task_instance_id, workload.try_number],
            task_id=task_id,
            queue=workload.queue or workflows_settings.CELERY_DEFAULT_QUEUE,
        )
        self.events.append(TryRunning(workload.task_instance_id, workload.try_number, external_id=task_id))

    def sync(self) -> list[Event]:
        events, self.events = self.events, []
        return events

    def adopt(self, orphans: Sequence[Orphan]) -> list[Orphan]:
        return []

    def cancel(self, task_instance_id: int, try_number: int, *, reason: str) -> None:
        celery_app().control.revoke(celery_task_id(task_instance_id, try_number), terminate=True, signal="SIGKILL")
