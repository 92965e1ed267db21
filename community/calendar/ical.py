"""The one place a VCALENDAR is put together: the personal feed, the workshops feed, the single-event
.ics downloads and the coffee chat invites all wrap their events here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event


def product_id(product: str) -> str:
    """PRODID of the files one part of the site writes, e.g. "-//wicn//Workshops//EN"."""
    return f"-//wicn//{product}//EN"


def build_calendar(
    events: Iterable[Event],
    *,
    product: str,
    method: str | None = None,
    name: str | None = None,
    description: str | None = None,
    refresh_interval: timedelta | None = None,
    published: bool = True,
) -> Calendar:
    """A VCALENDAR holding `events`.

    `published` marks a file meant for calendar apps to keep (CALSCALE and a one-hour X-PUBLISHED-TTL);
    an iTIP message sent by email (METHOD REQUEST or CANCEL) is not one. `refresh_interval` hints
    subscribing clients how often to poll; most do on their own schedule anyway.
    """
    calendar = Calendar()
    calendar.add("prodid", product_id(product))
    calendar.add("version", "2.0")
    if published:
        calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    if refresh_interval is not None:
        calendar.add("refresh-interval", refresh_interval, parameters={"VALUE": "DURATION"})
    if published:
        calendar.add("x-published-ttl", "PT1H")
    for event in events:
        calendar.add_component(event)
    return calendar
