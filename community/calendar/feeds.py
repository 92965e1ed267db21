"""A member's personal calendar: the events every registered source has for them, as one iCalendar feed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from community.calendar.conf import app_settings
from community.calendar.ical import build_calendar
from community.calendar.registry import event_sources
from community.members.models import User

# Subscribed calendar apps have known the feed by this product name from its start.
FEED_PRODUCT = "Coffee chats"


def personal_calendar(member: User, *, now: datetime | None = None) -> bytes:
    """The member's feed: their upcoming events and those of the last FEED_PAST_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=app_settings.FEED_PAST_DAYS)
    events = [event for source in event_sources().values() for event in source(member=member, since=since, now=now)]
    return build_calendar(
        events,
        product=FEED_PRODUCT,
        method="PUBLISH",
        name=f"{settings.SITE_NAME}: {member.display_name}",
        description=f"Your workshops and coffee chats at {settings.SITE_NAME}.",
        refresh_interval=timedelta(hours=1),
    ).to_ical()
