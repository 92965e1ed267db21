"""Announcing to the community's chat channels: store one row per (object, webhook), then post each once.

Delivery is at most once. Slack and Discord incoming webhooks have no idempotency key, so a POST whose
answer never came may or may not have created the message; posting it again could show it twice in a
channel read by everyone, with no way to take it back. Such a row is recorded as "unknown" for a builder
to check in the channel and, if it is missing, to post again from the admin. Only answers that prove
the message was not created (429, 5xx, no connection made) are retried automatically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from community.announcements import webhooks
from community.announcements.conf import app_settings
from community.announcements.enums import AnnouncementStatus
from community.announcements.errors import AnnouncementsWaiting, WebhookNotConfigured
from community.announcements.models import Announcement
from community.announcements.queries import DraftData, webhooks_by_id
from community.announcements.webhooks import PostResult


def announcement_key(*, source: str, object_id: str, url: str) -> str:
    return f"announce:{source}:{object_id}:{webhooks.webhook_id(url)}"


@transaction.atomic
def record_announcements(*, drafts: Sequence[DraftData]) -> int:
    """Store a pending row for each draft and each webhook of its source; return how many are new.

    Side effects: inserts Announcement rows under unique keys; a key stored earlier (by a previous
    run or a retry) is left as it is, so nothing is ever announced twice to the same webhook.
    """
    configured = app_settings.WEBHOOKS
    created = 0
    for draft in drafts:
        for url in configured.get(draft["source"], []):
            _, is_new = Announcement.objects.get_or_create(
                key=announcement_key(source=draft["source"], object_id=draft["object_id"], url=url),
                defaults={
                    "source": draft["source"],
                    "object_id": draft["object_id"],
                    "webhook_id": webhooks.webhook_id(url),
                    "webhook_label": webhooks.webhook_label(url),
                    "text": draft["text"],
                },
            )
            created += is_new
    return created


def post_announcement(*, announcement_id: int, url: str) -> PostResult | None:
    """Post one pending, due announcement; return what the webhook said, or None if it was not ours to post.

    Side effects: marks the row "posting" (committed before the request is made, so call this outside
    any transaction), makes one HTTP request, then records the outcome on the row: posted; pending
    again with the time Retry-After allows (429, 5xx, no connection); failed (other 4xx, or too many
    attempts); unknown (no answer).
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = Announcement.objects.filter(due, pk=announcement_id, status=AnnouncementStatus.PENDING).update(
        status=AnnouncementStatus.POSTING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now
    )
    if not claimed:
        return None
    announcement = Announcement.objects.only("text", "attempts").get(pk=announcement_id)
    result = webhooks.post(url, announcement.text, timeout=app_settings.TIMEOUT_SECONDS)
    done = timezone.now()
    outcome: dict[str, object] = {"response_status": result.status, "response_body": result.body[:4000]}
    if result.delivered:
        outcome |= {"status": AnnouncementStatus.POSTED, "posted_at": done, "next_attempt_at": None}
    elif result.delivered is None:
        outcome |= {"status": AnnouncementStatus.UNKNOWN, "next_attempt_at": None}
    elif result.retryable and announcement.attempts < app_settings.MAX_ATTEMPTS:
        wait = timedelta(seconds=result.retry_after or 0)
        outcome |= {"status": AnnouncementStatus.PENDING, "next_attempt_at": done + wait}
    else:
        outcome |= {"status": AnnouncementStatus.FAILED, "next_attempt_at": None}
    Announcement.objects.filter(pk=announcement_id, status=AnnouncementStatus.POSTING).update(
        **outcome, updated_at=done
    )
    return result


def mark_stale_posts_unknown() -> int:
    """Rows left "posting" by a worker that died mid-request: their outcome is unknown; return how many.

    Side effects: moves rows claimed longer ago than the request timeout (plus a margin) to unknown.
    """
    cutoff = timezone.now() - timedelta(seconds=app_settings.TIMEOUT_SECONDS + 60)
    return Announcement.objects.filter(status=AnnouncementStatus.POSTING, claimed_at__lt=cutoff).update(
        status=AnnouncementStatus.UNKNOWN,
        response_body="The post was interrupted before an answer came; check the channel.",
        updated_at=timezone.now(),
    )


@dataclass
class PostingReport:
    """What one pass posted, for the task log."""

    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    troubled: dict[str, str] = field(default_factory=dict)
    """Webhooks (by label) that get nothing more in this pass, with the reason."""

    def summary(self) -> str:
        return (
            f"{len(self.posted)} posted, {len(self.failed)} failed, {len(self.unknown)} unknown, "
            f"{len(self.waiting)} waiting for a retry"
        )


def _fail_unconfigured(row_id: int) -> None:
    Announcement.objects.filter(pk=row_id, status=AnnouncementStatus.PENDING).update(
        status=AnnouncementStatus.FAILED,
        response_body="This webhook is no longer configured.",
        updated_at=timezone.now(),
    )


def _describe(result: PostResult) -> str:
    answer = f"answered {result.status}" if result.status else result.body
    return answer + (f" (retry after {result.retry_after:g} s)" if result.retry_after else "")


def post_pending_announcements(*, sleep: Callable[[float], None] = time.sleep) -> PostingReport:
    """Post every pending announcement once, oldest first; raise AnnouncementsWaiting if some must wait.

    A webhook that answers 429 or 5xx gets nothing more in this pass. A row whose Retry-After ends
    within MAX_WAIT_SECONDS is waited for in place; later ones are left for a retry or the next run.
    Raising once every other row has been handled lets the task's retries post the rest.
    Side effects: as `post_announcement` for each row; rows of webhooks no longer configured fail.
    """
    mark_stale_posts_unknown()
    urls = webhooks_by_id()
    report = PostingReport()
    deadline = time.monotonic() + app_settings.MAX_WAIT_SECONDS
    pending = Announcement.objects.filter(status=AnnouncementStatus.PENDING).order_by("pk")
    for row in pending.values("pk", "key", "webhook_id", "webhook_label", "next_attempt_at"):
        url = urls.get(row["webhook_id"])
        if url is None:
            _fail_unconfigured(row["pk"])
            report.failed.append(row["key"])
            continue
        if row["webhook_label"] in report.troubled:
            report.waiting.append(row["key"])
            continue
        if row["next_attempt_at"] is not None:
            wait = (row["next_attempt_at"] - timezone.now()).total_seconds()
            if wait > deadline - time.monotonic():
                report.waiting.append(row["key"])
                report.troubled[row["webhook_label"]] = f"asked to wait until {row['next_attempt_at']:%H:%M:%S} UTC"
                continue
            sleep(max(wait, 0))
        result = post_announcement(announcement_id=row["pk"], url=url)
        if result is None:
            continue  # another pass took it
        status = Announcement.objects.values_list("status", flat=True).get(pk=row["pk"])
        if status == AnnouncementStatus.PENDING:
            report.waiting.append(row["key"])
            report.troubled[row["webhook_label"]] = _describe(result)
        else:
            {
                AnnouncementStatus.POSTED: report.posted,
                AnnouncementStatus.UNKNOWN: report.unknown,
            }.get(status, report.failed).append(row["key"])
    if report.waiting:
        reasons = "; ".join(f"{label} {reason}" for label, reason in report.troubled.items())
        raise AnnouncementsWaiting(f"{report.summary()}: {reasons}")
    return report


def repost_announcement(*, announcement: Announcement) -> PostResult | None:
    """Post a failed or unknown announcement again now (a builder's action in the admin).

    Side effects: moves the row back to pending (only from failed or unknown), then as
    `post_announcement`. Raises WebhookNotConfigured if its webhook was removed from the settings.
    """
    url = webhooks_by_id().get(announcement.webhook_id)
    if url is None:
        raise WebhookNotConfigured(
            f"The webhook {announcement.webhook_label} is no longer configured, so this cannot be posted again."
        )
    Announcement.objects.filter(
        pk=announcement.pk, status__in=[AnnouncementStatus.FAILED, AnnouncementStatus.UNKNOWN]
    ).update(status=AnnouncementStatus.PENDING, next_attempt_at=None, updated_at=timezone.now())
    return post_announcement(announcement_id=announcement.pk, url=url)
