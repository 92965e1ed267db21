"""The matching engine's input built from stored applications: the one bridge between models and engine."""

from __future__ import annotations

from mentorship.matching import Mentee, Mentor, Preference
from mentorship.models import MenteeApplication, MentorApplication


def mentor_candidate(application: MentorApplication) -> Mentor:
    attributes = {"region": frozenset({application.region})}
    if application.gender:
        attributes["gender"] = frozenset({application.gender})
    return Mentor(
        id=application.pk,
        member=application.member_id,
        capacity=application.capacity,
        areas=frozenset(area.name for area in application.areas.all()),
        languages=frozenset(application.languages),
        time_zone=application.time_zone,
        years=application.years_experience,
        hours_per_month=application.hours_per_month,
        attributes=attributes,
        label=application.member.display_name,
    )


def mentee_candidate(application: MenteeApplication) -> Mentee:
    preferences = []
    if application.preferred_gender:
        preferences.append(
            Preference("gender", frozenset({application.preferred_gender}), hard=application.gender_required)
        )
    if application.preferred_region:
        preferences.append(
            Preference("region", frozenset({application.preferred_region}), hard=application.region_required)
        )
    choices = sorted(application.area_choices.all(), key=lambda choice: choice.rank)
    return Mentee(
        id=application.pk,
        member=application.member_id,
        areas=tuple(choice.area.name for choice in choices),
        languages=frozenset(application.languages),
        time_zone=application.time_zone,
        years=application.years_experience,
        hours_per_month=application.hours_per_month,
        goals=application.goals,
        preferences=tuple(preferences),
        label=application.member.display_name,
    )
