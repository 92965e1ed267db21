"""iCalendar events for workshops, reused by members' personal calendar feeds."""

from collections.abc import Iterable
from datetime import UTC
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from community.workshops.models import Workshop

PRODID = "-//wicn//Workshops//EN"


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def workshop_uid(workshop: Workshop) -> str:
    """Stable across edits and feeds, so calendar apps update the event instead of duplicating it."""
    return f"workshop-{workshop.pk}@{site_host()}"


def _speaker_names(workshop: Workshop) -> list[str]:
    return [speaker.display_name for speaker in workshop.speakers.all()]


def workshop_event(workshop: Workshop, *, include_join_link: bool) -> icalendar.Event:
    """One VEVENT for the workshop, times in UTC. The join link is added only when asked for (confirmed registrants)."""
    page_url = f"{settings.SITE_URL}{workshop.get_absolute_url()}"
    lines = [workshop.description.strip()]
    speakers = _speaker_names(workshop)
    if speakers:
        lines.append("Speakers: " + ", ".join(speakers))
    if include_join_link:
        lines.append(f"Join: {workshop.join_url}")
    lines.append(f"Details: {page_url}")

    event = icalendar.Event()
    event.add("uid", workshop_uid(workshop))
    event.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", workshop.starts_at.astimezone(UTC))
    event.add("dtend", workshop.ends_at.astimezone(UTC))
    event.add("last-modified", workshop.updated_at.astimezone(UTC).replace(microsecond=0))
    # SEQUENCE grows with every edit so calendar apps accept a moved time as an update.
    event.add("sequence", int(workshop.updated_at.timestamp()) - int(workshop.created_at.timestamp()))
    event.add("summary", workshop.title)
    event.add("description", "\n\n".join(line for line in lines if line))
    event.add("url", page_url)
    if workshop.location:
        event.add("location", workshop.location)
    elif include_join_link:
        event.add("location", workshop.join_url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    for area in workshop.areas.all():
        event.add("categories", [area.name])
    return event


def calendar_for(events: Iterable[icalendar.Event], *, name: str, method: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT1H")
    for event in events:
        calendar.add_component(event)
    return calendar


def workshop_ics(workshop: Workshop, *, include_join_link: bool) -> bytes:
    """A whole .ics file with one workshop: the download and the email attachment."""
    return calendar_for(
        [workshop_event(workshop, include_join_link=include_join_link)], name=workshop.title, method="PUBLISH"
    ).to_ical()
