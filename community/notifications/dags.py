"""The outbox's retry job: emails whose first delivery failed are sent again with backoff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.sdk import Param, dag, task


@task(retries=1, retry_delay=60, execution_timeout=600)
def deliver_pending_emails(params: dict[str, Any]) -> dict[str, int]:
    """Send queued or failed notifications that are due, oldest first."""
    from community.notifications.services import deliver_pending

    sent = deliver_pending(limit=params["limit"])
    print(f"sent {sent} pending email(s)")
    return {"sent": sent}


@dag(
    schedule="*/5 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "email"],
    params={"limit": Param(200, minimum=1, description="Most emails sent in one run")},
)
def notifications_retry() -> None:
    """Retries emails that could not be sent at once (mail server down, rate limits), with backoff."""
    deliver_pending_emails()
