"""The digest's sections: community apps and apps built on top (mentorship) each contribute one.

An app higher in the layering registers its section from its AppConfig.ready(), so that this app
never imports it:

    register_section("batches", open_batches)   # open_batches(*, now) -> DigestSection

Sections appear in the digest in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DigestItem:
    """One line of a section: a title linking to a page of the site, with an optional time and note."""

    title: str
    path: str
    when: datetime | None = None
    when_label: str = ""
    note: str = ""


@dataclass(frozen=True)
class DigestSection:
    heading: str
    items: list[DigestItem] = field(default_factory=list)


SectionSource = Callable[..., DigestSection]
"""Called as `source(now=<aware datetime>)`; returns the section (empty items when there is nothing)."""

_sections: dict[str, SectionSource] = {}


def register_section(name: str, source: SectionSource) -> None:
    """Add a section to every digest; registering a name again replaces its source in place."""
    _sections[name] = source


def registered_sections() -> dict[str, SectionSource]:
    return dict(_sections)
