"""Celery tasks of the workflow engine, shared with every Celery app (a project's autodiscovery finds them)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.signals import worker_init, worker_process_init
from django.db import connections
from django.utils import timezone

from workflows import services
from workflows.conf import workflows_settings
from workflows.dagbag import get_dagbag
from workflows.enums import TryState
from workflows.models import TaskTry
from workflows.runner import run_try

logger = logging.getLogger(__name__)


@worker_init.connect
@worker_process_init.connect
def keep_database_connections(**kwargs: Any) -> None:
    """Let a worker process keep its database connection between tries for WORKFLOWS_WORKER_CONN_MAX_AGE.

    A new PostgreSQL connection costs more than a short try. Celery's Django fix-up closes every
    connection around every task unless CELERY_DB_REUSE_MAX is set (check workflows.W002); with it
    set, `_recycle_database_connections` gives the connections their age limit and health check.
    """
    max_age = workflows_settings.WORKER_CONN_MAX_AGE
    for connection in connections.all(initialized_only=False):
        connection.settings_dict["CONN_MAX_AGE"] = max_age


def _recycle_database_connections() -> None:
    # What Django does between requests: drop a connection past its age or one an error broke.
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_if_lost(*, ti_id: int, try_number: int) -> bool:
    """A message for a try that is already running arrived again: was its first worker lost?

    With acks_late and reject_on_worker_lost, Celery puts the message back when the worker process
    running it dies. Then the try is running on paper with nobody behind it. It is failed at once
    (and retried by policy) if its process is gone from this host or its heartbeat has stopped;
    a duplicate delivery of a try that is still alive is ignored.
    """
    attempt = (
        TaskTry.objects.filter(task_instance_id=ti_id, try_number=try_number, state=TryState.RUNNING)
        .values("hostname", "pid", "heartbeat_at")
        .first()
    )
    if attempt is None:
        return False
    same_host = attempt["hostname"] == socket.gethostname()
    stale = attempt["heartbeat_at"] is None or attempt["heartbeat_at"] < timezone.now() - timedelta(
        seconds=workflows_settings.ZOMBIE_THRESHOLD
    )
    if (same_host and not _pid_alive(attempt["pid"])) or stale:
        dag_task = services.task_for_instance(ti_id, get_dagbag().dags)
        return services.fail_try(
            ti_id=ti_id,
            try_number=try_number,
            reason=(
                f"the Celery worker process running this try (pid {attempt['pid']} on {attempt['hostname']}) "
                "was lost (killed or out of memory)"
            ),
            task=dag_task,
        )
    return False


@shared_task(name="workflows.run_try", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_try_task(ti_id: int, try_number: int) -> str:
    """Run one try in this worker process, through the one runner every executor uses."""
    _recycle_database_connections()
    result = run_try(ti_id, try_number)
    if not result.claimed and fail_if_lost(ti_id=ti_id, try_number=try_number):
        logger.warning("task instance %s try %s was lost with its worker; failed for retry", ti_id, try_number)
        return "lost"
    return str(result.state) if result.claimed else "not claimed"
