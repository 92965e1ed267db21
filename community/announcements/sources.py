"""The community's own announcement sources: workshops newly published and episodes that went live."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateformat import format as date_format

from community.announcements.registry import AnnouncementDraft
from community.links import absolute_url
from community.podcasts.models import Episode
from community.workshops.models import Workshop


def utc_label(moment: datetime) -> str:
    """E.g. "Tuesday 3 March 2026, 15:30 UTC": channels are read in every zone, so the zone is named."""
    return f"{date_format(moment.astimezone(UTC), 'l j F Y, H:i')} UTC"


def new_workshops(*, since: datetime, now: datetime) -> list[AnnouncementDraft]:
    """Workshops created in [since, now] that have not started yet."""
    workshops = Workshop.objects.filter(created_at__gte=since, created_at__lte=now, starts_at__gt=now)
    return [
        AnnouncementDraft(
            object_id=str(w.pk),
            text=f"New workshop: {w.title}\n{utc_label(w.starts_at)}\n{absolute_url(w.get_absolute_url())}",
        )
        for w in workshops.order_by("created_at", "pk")
    ]


def new_episodes(*, since: datetime, now: datetime) -> list[AnnouncementDraft]:
    """Episodes whose publish time passed in [since, now] (scheduled ones are announced when they go live)."""
    episodes = Episode.objects.published(now=now).filter(publish_at__gte=since)
    return [
        AnnouncementDraft(
            object_id=str(e.pk),
            text=f"New episode: {e.title} ({e.duration_label})\n{absolute_url(e.get_absolute_url())}",
        )
        for e in episodes.order_by("publish_at", "pk")
    ]
