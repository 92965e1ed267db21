"""The weekly digest: every Monday at 08:00 in each member's own zone, what is coming up and what is new."""

from __future__ import annotations

from datetime import UTC, datetime

from community.digest.services import send_weekly_digests
from workflows.sdk import dag, task


@task(retries=2, retry_delay=120, execution_timeout=1800)
def queue_digests(data_interval_start: datetime, data_interval_end: datetime) -> dict[str, int]:
    """Queue the digest of the members whose local Monday 08:00 falls in this run's data interval."""
    report = send_weekly_digests(interval_start=data_interval_start, interval_end=data_interval_end)
    print(
        f"interval {data_interval_start.isoformat()} to {data_interval_end.isoformat()}: "
        f"{len(report.queued)} digest(s) queued, {len(report.skipped_empty)} skipped"
    )
    for member_id in report.skipped_empty:
        empty = ", ".join(report.empty_sections)
        print(f"skipped member {member_id}: nothing to say this week (empty sections: {empty})")
    return {"queued": len(report.queued), "skipped": len(report.skipped_empty)}


@dag(
    schedule="0 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "email"],
)
def weekly_digest() -> None:
    """Hourly, so that each member gets the digest at Monday 08:00 in their own zone, whatever its offset."""
    queue_digests()
