"""Coffee chat jobs: reminders to both sides before a chat starts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.sdk import Param, dag, task


@task(retries=2, retry_delay=60, execution_timeout=600)
def send_reminders(params: dict[str, Any]) -> dict[str, int]:
    """Queue the 24-hour and 1-hour chat reminders that are due now; a retried try queues nothing twice."""
    from community.chats.reminders import send_chat_reminders

    counts = send_chat_reminders(batch_size=params["batch_size"])
    print(f"queued {counts['24h']} 24-hour and {counts['1h']} 1-hour coffee chat reminder email(s)")
    return counts


@dag(
    schedule="*/15 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "chats", "email"],
    params={"batch_size": Param(500, minimum=1, description="Chats locked and emailed per transaction")},
)
def coffee_chat_reminders() -> None:
    """Reminds guest and host 24 hours and 1 hour before a coffee chat, with links to reschedule or cancel."""
    send_reminders()
