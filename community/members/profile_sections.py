"""Sections that apps built on the members app add to a member's profile page.

An app higher in the layering registers its section from its AppConfig.ready(), so that members never
imports it:

    register_profile_section("mentorship", mentorship_record_section)

A source is called as `source(profile=<Profile>, viewer=<User or AnonymousUser>)` and returns a
`ProfileSection` (a template and its context), or None when it has nothing to show on that profile.
Sections follow the profile's own parts, in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from community.members.models import Profile


@dataclass(frozen=True)
class ProfileSection:
    template_name: str
    context: Mapping[str, Any] = field(default_factory=dict)


SectionSource = Callable[..., ProfileSection | None]

_sources: dict[str, SectionSource] = {}


def register_profile_section(name: str, source: SectionSource) -> None:
    """Add a section to every profile page; registering a name again replaces its source in place."""
    _sources[name] = source


def profile_sections(*, profile: Profile, viewer: Any) -> list[ProfileSection]:
    """The sections `viewer` sees on `profile`'s page, in registration order."""
    sections = (source(profile=profile, viewer=viewer) for source in _sources.values())
    return [section for section in sections if section is not None]
