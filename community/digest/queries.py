"""Reads behind the weekly digest: who is due in a run's interval, and what the sections say."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta, tzinfo

from django.conf import settings

from community.digest.conf import app_settings
from community.digest.registry import DigestSection, registered_sections
from community.members.models import Profile, User
from community.members.validators import known_time_zones
from community.notifications.enums import EmailKind
from community.notifications.queries import users_accepting


def digest_moment(zone: tzinfo, start: datetime, end: datetime) -> datetime | None:
    """The latest Monday SEND_HOUR:00 of `zone` inside [start, end), or None.

    Built from the local date and hour rather than by adding offsets to UTC, so that DST changes
    and zones with odd offsets (+05:45, +12:45) land in exactly one hourly interval.
    """
    local_start = start.astimezone(zone)
    monday = local_start.date() - timedelta(days=local_start.weekday())
    send_at = time(app_settings.SEND_HOUR)
    found = None
    while True:
        moment = datetime.combine(monday, send_at, tzinfo=zone)
        if moment >= end:
            return found
        if moment >= start:
            found = moment
        monday += timedelta(days=7)


def members_due_digest(start: datetime, end: datetime) -> list[tuple[User, datetime]]:
    """Opted-in active members whose Monday digest moment falls in [start, end), with that moment.

    A profile with a zone the platform does not know is read in the site's default zone, as its
    emails are.
    """
    known = known_time_zones()
    default_zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    moments: dict[str, datetime] = {}
    for name in Profile.objects.values_list("time_zone", flat=True).distinct():
        zone = zoneinfo.ZoneInfo(name) if name in known else default_zone
        moment = digest_moment(zone, start, end)
        if moment is not None:
            moments[name] = moment
    if not moments:
        return []
    members = users_accepting(
        User.objects.filter(is_active=True, profile__time_zone__in=moments).exclude(email=""), EmailKind.DIGEST
    ).select_related("profile")
    return [(member, moments[member.profile.time_zone]) for member in members.order_by("pk")]


def digest_sections(*, now: datetime) -> dict[str, DigestSection]:
    """Every registered section as it reads at `now`, in registration order (empty ones included)."""
    return {name: source(now=now) for name, source in registered_sections().items()}
