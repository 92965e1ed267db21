"""Mentorship's part of a member's profile page: the pairs they completed, as a record."""

from __future__ import annotations

from typing import Any

from community.members import queries as member_queries
from community.members.models import Profile
from community.members.profile_sections import ProfileSection
from mentorship.queries import mentorship_record


def mentorship_record_section(*, profile: Profile, viewer: Any) -> ProfileSection | None:
    """Completed pairs, naming the other side only where the viewer may see their profile."""
    pairs = []
    for match in mentorship_record(profile.user):
        as_mentor = match.mentor_application.member_id == profile.user_id
        other = (match.mentee_application if as_mentor else match.mentor_application).member.profile
        pairs.append((match, as_mentor, other))
    if not pairs:
        return None
    # Only the profiles this page names are checked, so the page costs the same however many members there are.
    visible = set(
        member_queries.visible_profiles(viewer=viewer)
        .filter(pk__in={other.pk for _, _, other in pairs})
        .values_list("pk", flat=True)
    )
    record = [
        {
            "batch": match.batch,
            "role": "Mentor" if as_mentor else "Mentee",
            "other": other if other.pk in visible else None,
        }
        for match, as_mentor, other in pairs
    ]
    return ProfileSection("mentorship/_profile_record.html", {"record": record})
