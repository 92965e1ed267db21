"""Announcements: new workshops, episodes that went live and batches that opened, posted to chat channels."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from community.announcements.queries import DraftData, announcement_drafts, configured_sources
from community.announcements.registry import registered_sources
from community.announcements.services import post_pending_announcements, record_announcements
from workflows.errors import SkipTask
from workflows.sdk import dag, task


@task(retries=1, retry_delay=30, execution_timeout=120)
def find_new() -> list[DraftData]:
    """What went public within the lookback window, for every source that has a webhook."""
    sources = configured_sources()
    if not sources:
        message = (
            "no announcement webhook is configured (ANNOUNCE_WORKSHOP_WEBHOOKS, ANNOUNCE_EPISODE_WEBHOOKS, "
            "ANNOUNCE_BATCH_WEBHOOKS are empty); nothing to announce"
        )
        print(message)
        raise SkipTask(message)
    for name in registered_sources():
        if name not in sources:
            print(f"no webhook configured for {name}; they are not announced")
    drafts = announcement_drafts(now=timezone.now())
    print(f"{len(drafts)} object(s) published recently in {', '.join(sources)}")
    return drafts


@task(retries=1, retry_delay=30, execution_timeout=120)
def store_announcements(drafts: list[DraftData]) -> int:
    """One row per (object, webhook) under a unique key, stored before anything is posted."""
    created = record_announcements(drafts=drafts)
    print(f"{created} new announcement(s) stored, {len(drafts)} object(s) seen")
    return created


@task(retries=3, retry_delay=30, retry_exponential_backoff=True, max_retry_delay=300, execution_timeout=300)
def post_announcements() -> dict[str, int]:
    """Post each pending announcement once and mark it; fails (and is retried) while a webhook answers 429 or 5xx."""
    report = post_pending_announcements()
    print(report.summary())
    return {"posted": len(report.posted), "failed": len(report.failed), "unknown": len(report.unknown)}


@dag(
    schedule="*/10 * * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "announcements"],
)
def announcements() -> None:
    """Posts what is new to the community's Slack and Discord channels, once per object and webhook."""
    stored = store_announcements(find_new())
    stored >> post_announcements()
