"""The Celery executor: tries travel to `celery -A config worker` processes over the broker (Redis).

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


def celery_task_id(task_instance_id: int, try_number: int) -> str:
    """A stable Celery task id per try: a redelivered message is recognised, and a try can be revoked."""
    return f"wicn-try-{task_instance_id}-{try_number}"


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

        self._task = run_try_task

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
        from config.celery import app

        app.control.revoke(celery_task_id(task_instance_id, try_number), terminate=True, signal="SIGKILL")
