"""Waking schedulers when new work appears, instead of letting them poll on a fixed beat.

On PostgreSQL a NOTIFY on the `workflows` channel (sent when the writing transaction commits)
wakes every listening scheduler. SQLite has no such channel; there the scheduler's adaptive wait
(WORKFLOWS_SCHEDULER_MAX_SLEEP at most) bounds the delay, and local workers wake it through a pipe.
"""

from __future__ import annotations

from django.db import connection

CHANNEL = "workflows"


def notify_schedulers() -> None:
    """Ask schedulers to look for work once the current transaction commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
