"""What can be announced: community apps and apps built on top (mentorship) each register a source.

An app higher in the layering registers from its AppConfig.ready(), so that this app never imports it:

    register_source("batches", newly_open_batches)   # fn(*, since, now) -> list[AnnouncementDraft]

The source's name is also the key of its webhooks in ANNOUNCEMENTS_WEBHOOKS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AnnouncementDraft:
    """One object to announce: its id within the source and the message, in plain text."""

    object_id: str
    text: str


AnnouncementSource = Callable[..., list[AnnouncementDraft]]
"""Called as `source(since=<aware datetime>, now=<aware datetime>)`: what went public in [since, now]."""

_sources: dict[str, AnnouncementSource] = {}


def register_source(name: str, source: AnnouncementSource) -> None:
    """Make `name` announceable; registering a name again replaces its source."""
    _sources[name] = source


def registered_sources() -> dict[str, AnnouncementSource]:
    return dict(_sources)
