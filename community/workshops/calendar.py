"""iCalendar for workshops: the .ics download, the public feed and a member's seats in their personal calendar."""

from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar
from django.utils import timezone

from community.calendar.ical import build_calendar
from community.links import absolute_url, site_host
from community.members.models import User
from community.workshops.models import Workshop
from community.workshops.queries import seated_workshops

PRODUCT = "Workshops"


def workshop_uid(workshop: Workshop) -> str:
    """Stable across edits and feeds, so calendar apps update the event instead of duplicating it."""
    return f"workshop-{workshop.pk}@{site_host()}"


def _speaker_names(workshop: Workshop) -> list[str]:
    return [speaker.display_name for speaker in workshop.speakers.all()]


def workshop_event(workshop: Workshop, *, include_join_link: bool) -> icalendar.Event:
    """One VEVENT for the workshop, times in UTC. The join link is added only when asked for (confirmed registrants)."""
    page_url = absolute_url(workshop.get_absolute_url())
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


def workshop_ics(workshop: Workshop, *, include_join_link: bool) -> bytes:
    """A whole .ics file with one workshop: the download and the email attachment."""
    event = workshop_event(workshop, include_join_link=include_join_link)
    return build_calendar([event], product=PRODUCT, method="PUBLISH", name=workshop.title).to_ical()


def workshops_ics(workshops: Iterable[Workshop]) -> bytes:
    """The public feed of workshops: never any join link."""
    events = [workshop_event(workshop, include_join_link=False) for workshop in workshops]
    return build_calendar(events, product=PRODUCT, name="Workshops").to_ical()


def seated_workshop_events(*, member: User, since: datetime, now: datetime) -> list[icalendar.Event]:
    """The workshops the member holds a seat at (confirmed, or attended), with their join links."""
    return [
        workshop_event(workshop, include_join_link=True) for workshop in seated_workshops(member=member, since=since)
    ]
