"""The engine's own housekeeping: finished runs (with their tries and logs) past retention are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from workflows.sdk import Param, dag, task


@task(retries=2, retry_delay=60, execution_timeout=600)
def prune_old_runs(params: dict[str, Any]) -> dict[str, Any]:
    """Delete finished runs that ended more than `retention_days` days ago."""
    from workflows import services
    from workflows.conf import workflows_settings

    days = params["retention_days"] or workflows_settings.RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    if params["dry_run"]:
        count = services.prune_finished_runs(older_than=cutoff, dry_run=True)
        print(f"dry run: {count} finished run(s) ended before {cutoff:%Y-%m-%d %H:%M} UTC would be deleted")
        return {"deleted": 0, "would_delete": count, "cutoff": cutoff.isoformat()}
    deleted = services.prune_finished_runs(older_than=cutoff)
    print(f"deleted {deleted} finished run(s) that ended before {cutoff:%Y-%m-%d %H:%M} UTC")
    return {"deleted": deleted, "cutoff": cutoff.isoformat()}


@task(trigger_rule="all_done")
def report(pruned: dict[str, Any] | None) -> str:
    """Summarise what housekeeping did (also when pruning failed)."""
    if pruned is None:
        return "pruning did not finish; see the prune_old_runs log"
    return f"{pruned.get('deleted', 0)} run(s) deleted, cutoff {pruned.get('cutoff')}"


@dag(
    schedule="30 3 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["platform", "housekeeping"],
    params={
        "retention_days": Param(0, minimum=0, description="Keep runs this many days (0: WORKFLOWS_RETENTION_DAYS)"),
        "dry_run": Param(False, description="Only count what would be deleted"),
    },
)
def workflows_housekeeping() -> None:
    """Keeps the workflow history small: prunes finished runs, tries and logs past retention."""
    report(prune_old_runs())
