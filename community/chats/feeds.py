"""A member's personal calendar: their confirmed workshops and their coffee chats, as one iCalendar feed."""

from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from community.chats.calendar import PRODID, chat_event
from community.chats.conf import app_settings
from community.chats.queries import chats_for_calendar
from community.members.models import User


def _workshop_events(member: User, *, since: datetime) -> list[Event]:
    """Events of the member's confirmed workshop registrations, with their join links.

    The workshops app provides both the reads and the event builder; while it is not installed
    the feed simply carries the chats.
    """
    try:
        workshop_calendar: Any = import_module("community.workshops.calendar")
        workshop_queries: Any = import_module("community.workshops.queries")
    except ImportError:
        return []
    registrations = getattr(workshop_queries, "confirmed_workshops_for_calendar", None)
    if registrations is None:
        return []
    return [
        workshop_calendar.workshop_event(workshop, include_join_link=True)
        for workshop in registrations(member=member, since=since)
    ]


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
