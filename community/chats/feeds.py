"""A member's personal calendar: their confirmed workshops and their coffee chats, as one iCalendar feed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from icalendar import Calendar, Event

from community.chats.calendar import PRODID, chat_event
from community.chats.conf import app_settings
from community.chats.queries import chats_for_calendar
from community.members.models import User
from community.workshops.calendar import workshop_event
from community.workshops.enums import SEATED_STATUSES
from community.workshops.models import Workshop, WorkshopSpeaker


def _workshop_events(member: User, *, since: datetime) -> list[Event]:
    """The workshops the member holds a seat at (confirmed, or attended), with their join links."""
    workshops = (
        Workshop.objects.filter(
            registrations__member=member, registrations__status__in=SEATED_STATUSES, ends_at__gt=since
        )
        .distinct()
        .prefetch_related(Prefetch("speakers", queryset=WorkshopSpeaker.objects.select_related("profile")), "areas")
        .order_by("starts_at", "pk")
    )
    return [workshop_event(workshop, include_join_link=True) for workshop in workshops]


def personal_calendar(member: User, *, now: datetime | None = None) -> bytes:
    """The member's feed: upcoming and recent (FEED_PAST_DAYS) chats and confirmed workshops."""
    now = now or timezone.now()
    since = now - timedelta(days=app_settings.FEED_PAST_DAYS)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{settings.SITE_NAME}: {member.display_name}")
    calendar.add("x-wr-caldesc", f"Your workshops and coffee chats at {settings.SITE_NAME}.")
    # Hints for subscribing clients; most poll on their own schedule anyway.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in _workshop_events(member, since=since):
        calendar.add_component(event)
    for chat in chats_for_calendar(member=member, since=since):
        calendar.add_component(chat_event(chat, for_user=member, stamp=now))
    return calendar.to_ical()
