"""The outbox's jobs: delivering queued email, and daily housekeeping of old rows and dead sign-ups.

deliver_notifications runs every minute as a sweep and on demand: a request that queued email asks
for a run after it commits (coalesced with a run already waiting). Its task runs on the default
executor: with the Celery executor first in WORKFLOWS_EXECUTORS, that is a Celery worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from workflows.sdk import Param, dag, task


@task(retries=2, retry_delay=30, execution_timeout=1800)
def deliver_pending_emails(params: dict[str, Any]) -> dict[str, int]:
    """Send queued emails and due retries over one mail server connection, oldest first."""
    from community.notifications.services import deliver_pending

    sent = deliver_pending(limit=params["limit"])
    print(f"sent {sent} email(s)")
    return {"sent": sent}


@dag(
    schedule="* * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["community", "email"],
    params={"limit": Param(10_000, minimum=1, description="Most emails sent in one run")},
)
def deliver_notifications() -> None:
    """Sends the outbox: new emails within seconds of being queued, retries with backoff, and emails
    whose sender died mid-send (again, with the same Message-ID)."""
    deliver_pending_emails()


@task(retries=2, retry_delay=300, execution_timeout=1800)
def delete_unverified_accounts(params: dict[str, Any]) -> dict[str, Any]:
    """Delete sign-ups that never verified their address nor logged in (MEMBERS_UNVERIFIED_ACCOUNT_DAYS)."""
    from community.members.services import delete_unverified_accounts as delete

    count = delete(dry_run=params["dry_run"])
    print(f"{'dry run: would delete' if params['dry_run'] else 'deleted'} {count} unverified account(s)")
    return {"accounts": count, "dry_run": params["dry_run"]}


@task(retries=2, retry_delay=300, execution_timeout=1800)
def prune_sent_emails(params: dict[str, Any]) -> dict[str, Any]:
    """Delete sent and skipped emails older than NOTIFICATIONS_RETENTION_DAYS."""
    from community.notifications.conf import app_settings
    from community.notifications.services import prune_delivered_notifications

    cutoff = timezone.now() - timedelta(days=app_settings.RETENTION_DAYS)
    count = prune_delivered_notifications(older_than=cutoff, dry_run=params["dry_run"])
    print(
        f"{'dry run: would delete' if params['dry_run'] else 'deleted'} {count} email(s) "
        f"sent before {cutoff:%Y-%m-%d %H:%M} UTC"
    )
    return {"emails": count, "cutoff": cutoff.isoformat(), "dry_run": params["dry_run"]}


@dag(
    schedule="15 4 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "housekeeping"],
    params={"dry_run": Param(False, description="Only count what would be deleted")},
)
def housekeeping() -> None:
    """Keeps the community's data tidy: deletes abandoned sign-ups and old delivered emails."""
    delete_unverified_accounts()
    prune_sent_emails()
