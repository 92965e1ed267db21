"""Writing the weekly digest: one email per opted-in member per ISO week, queued through the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from community.digest.queries import digest_sections, members_due_digest
from community.digest.registry import DigestSection
from community.members.models import User
from community.notifications.enums import EmailKind
from community.notifications.models import Notification
from community.notifications.services import queue_email

logger = logging.getLogger(__name__)


def digest_key(*, member: User, due_at: datetime) -> str:
    """One key per member per ISO week of their local Monday, so reruns and retries queue nothing twice."""
    year, week, _ = due_at.date().isocalendar()
    return f"weekly-digest:{member.pk}:{year}-W{week:02d}"


@dataclass
class DigestReport:
    """What one run did, for the task log."""

    queued: list[str] = field(default_factory=list)
    skipped_empty: list[int] = field(default_factory=list)
    empty_sections: list[str] = field(default_factory=list)


def queue_weekly_digest(*, member: User, sections: list[DigestSection], due_at: datetime) -> Notification:
    """Queue one member's digest for the week of `due_at` (their local Monday).

    Side effects: one Notification of kind digest under `digest_key` (none if it exists already);
    it is delivered once the transaction commits.
    """
    with transaction.atomic():
        return queue_email(
            key=digest_key(member=member, due_at=due_at),
            recipient=member,
            template="weekly_digest",
            context={"sections": sections, "week_of": due_at.date()},
            kind=EmailKind.DIGEST,
        )


def send_weekly_digests(
    *, interval_start: datetime, interval_end: datetime, now: datetime | None = None
) -> DigestReport:
    """Queue the digest of every opted-in member whose Monday morning falls in [interval_start, interval_end).

    Members with nothing to read (every section empty) get no email. Side effects: as
    `queue_weekly_digest`, once per member due; the sections are read once, as they stand at `now`
    (default: the time of the call), so a late run never lists a workshop that has already started.
    """
    report = DigestReport()
    due = members_due_digest(interval_start, interval_end)
    if not due:
        return report
    all_sections = digest_sections(now=now or timezone.now())
    report.empty_sections = [name for name, section in all_sections.items() if not section.items]
    sections = [section for section in all_sections.values() if section.items]
    for member, due_at in due:
        if not sections:
            report.skipped_empty.append(member.pk)
            continue
        notification = queue_weekly_digest(member=member, sections=sections, due_at=due_at)
        report.queued.append(notification.key)
    return report
