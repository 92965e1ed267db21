"""Mentorship's announcement source: batches that opened for applications."""

from __future__ import annotations

from datetime import datetime

from community.announcements.registry import AnnouncementDraft
from community.announcements.sources import utc_label
from community.links import absolute_url
from mentorship.enums import BatchStatus
from mentorship.models import Batch


def newly_open_batches(*, since: datetime, now: datetime) -> list[AnnouncementDraft]:
    """Batches open and accepting applications that opened in [since, now].

    A batch records no opening time of its own; opening it is its latest change while it is open, so
    `updated_at` stands in for it. A batch edited while open is seen again, but its announcement row
    already exists for each webhook, so it is not posted twice.
    """
    batches = Batch.objects.filter(
        status=BatchStatus.OPEN, applications_close_at__gt=now, updated_at__gte=since, updated_at__lte=now
    ).order_by("updated_at", "pk")
    return [
        AnnouncementDraft(
            object_id=str(batch.pk),
            text=(
                f"Mentorship applications are open: {batch.name}\n"
                f"Apply by {utc_label(batch.applications_close_at)}\n"
                f"{absolute_url(batch.get_absolute_url())}"
            ),
        )
        for batch in batches
    ]
