"""What a member's personal calendar holds: each app that has events of a member registers a source.

Apps register from their AppConfig.ready(), so that the calendar never imports them:

    register_event_source("workshops", seated_workshop_events)

A source is called as `source(member=<User>, since=<aware datetime>, now=<aware datetime>)` and returns
the member's events (icalendar Events) that end after `since`; `now` is the feed's DTSTAMP for sources
that stamp their events with it. Events appear source by source, in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from icalendar import Event

EventSource = Callable[..., Iterable[Event]]

_sources: dict[str, EventSource] = {}


def register_event_source(name: str, source: EventSource) -> None:
    """Add a source to every personal calendar; registering a name again replaces its source in place."""
    _sources[name] = source


def event_sources() -> dict[str, EventSource]:
    return dict(_sources)
