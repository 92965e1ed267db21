"""Workshop jobs: reminders to registrants before a workshop starts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.sdk import Param, dag, task


@task(retries=2, retry_delay=60, execution_timeout=600)
def send_reminders(params: dict[str, Any]) -> dict[str, int]:
    """Queue the 24-hour and 1-hour reminders that are due now; a retried try queues nothing twice."""
    from community.workshops.reminders import send_workshop_reminders

    counts = send_workshop_reminders(batch_size=params["batch_size"])
    print(f"queued {counts['24h']} 24-hour and {counts['1h']} 1-hour workshop reminder(s)")
    return counts


@dag(
    schedule="*/15 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "workshops", "email"],
    params={"batch_size": Param(500, minimum=1, description="Registrations locked and emailed per transaction")},
)
def workshop_reminders() -> None:
    """Reminds confirmed registrants 24 hours and 1 hour before a workshop, with the join link and an invite."""
    send_reminders()
