"""Helpers for the workflow tests: an in-process executor and a way to install DAGs built in a test."""

from __future__ import annotations

from typing import Any

from django.db import connection

from workflows import dagbag
from workflows.dagbag import DagBag
from workflows.executors.base import BaseExecutor, Event, Workload
from workflows.runner import run_try
from workflows.sdk import DAG


class InlineExecutor(BaseExecutor):
    """Runs each queued try in the test's own process on the next sync(), without a heartbeat thread.

    Tests that are not transactional share one database connection with the runner this way.
    """

    ran: list[tuple[int, int]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pending: list[Workload] = []

    def queue(self, workload: Workload) -> None:
        self.pending.append(workload)
        self.wake()

    def sync(self) -> list[Event]:
        pending, self.pending = self.pending, []
        for workload in pending:
            InlineExecutor.ran.append(workload.key)
            run_try(workload.task_instance_id, workload.try_number, heartbeat=False)
        return []


def install_dags(monkeypatch: Any, *dags: DAG) -> DagBag:
    bag = DagBag(dags={d.dag_id: d for d in dags})
    monkeypatch.setattr(dagbag, "_cached", bag)
    return bag


def database_url() -> str:
    """The URL of the test database, for processes the test starts (schedulers, Celery workers)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
