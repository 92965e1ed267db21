"""The digest sections the community apps contribute: upcoming workshops and new episodes."""

from __future__ import annotations

from datetime import datetime, timedelta

from community.digest.conf import app_settings
from community.digest.registry import DigestItem, DigestSection
from community.podcasts.models import Episode
from community.workshops.models import Workshop


def upcoming_workshops(*, now: datetime) -> DigestSection:
    """Workshops starting within the next WORKSHOP_DAYS days, soonest first."""
    horizon = now + timedelta(days=app_settings.WORKSHOP_DAYS)
    workshops = Workshop.objects.filter(starts_at__gt=now, starts_at__lte=horizon).order_by("starts_at", "pk")
    return DigestSection(
        heading="Upcoming workshops",
        items=[
            DigestItem(title=w.title, path=w.get_absolute_url(), when=w.starts_at, when_label="Starts")
            for w in workshops
        ],
    )


def new_episodes(*, now: datetime) -> DigestSection:
    """Episodes that went live within the last EPISODE_DAYS days, newest first."""
    since = now - timedelta(days=app_settings.EPISODE_DAYS)
    episodes = Episode.objects.published(now=now).filter(publish_at__gt=since).order_by("-publish_at", "-pk")
    return DigestSection(
        heading="New podcast episodes",
        items=[DigestItem(title=e.title, path=e.get_absolute_url(), note=e.duration_label) for e in episodes],
    )
