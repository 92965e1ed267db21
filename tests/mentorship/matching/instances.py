"""Random small matching instances and an independent checker of the hard constraints."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mentorship.matching import Mentee, Mentor, Options, Preference

AREAS = ("Open source", "Leadership", "Salary negotiation", "Conference speaking")
LANGUAGES = ("en", "es", "fr")
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Africa/Lagos",
)
REGIONS = ("Europe", "Americas", "Asia")
REFERENCE = date(2026, 3, 2)


def random_instance(
    rng: random.Random, *, mentors: int, mentees: int
) -> tuple[list[Mentor], list[Mentee], list[tuple[str, str]]]:
    """Mentors, mentees and a few forbidden (mentor, mentee) pairs; some members apply on both sides."""
    mentor_list = [
        Mentor(
            id=f"r{i}",
            member=f"p{i}",
            capacity=rng.randint(1, 3),
            areas=frozenset(rng.sample(AREAS, rng.randint(1, 3))),
            languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
            time_zone=rng.choice(ZONES),
            years=rng.randint(0, 25),
            hours_per_month=rng.randint(1, 8),
            attributes={"region": frozenset({rng.choice(REGIONS)})},
        )
        for i in range(mentors)
    ]
    mentee_list = []
    for i in range(mentees):
        preferences: tuple[Preference, ...] = ()
        if rng.random() < 0.3:
            preferences = (Preference("region", frozenset({rng.choice(REGIONS)}), hard=rng.random() < 0.4),)
        mentee_list.append(
            Mentee(
                id=f"e{i}",
                member=f"p{i}" if rng.random() < 0.15 else f"q{i}",
                areas=tuple(rng.sample(AREAS, rng.randint(1, 3))),
                languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                time_zone=rng.choice(ZONES),
                years=rng.randint(0, 12),
                hours_per_month=rng.randint(1, 5),
                preferences=preferences,
            )
        )
    forbidden = [
        (rng.choice(mentor_list).id, rng.choice(mentee_list).id)
        for _ in range(rng.randint(0, 2))
        if mentor_list and mentee_list
    ]
    return mentor_list, mentee_list, [(str(m), str(e)) for m, e in forbidden]


def overlap_hours(zone_a: str, zone_b: str, *, on: date = REFERENCE, options: Options | None = None) -> float:
    """Hours two local 09:00-18:00 working days share, written independently of the engine."""
    options = options or Options()

    def window(zone: str, day: date) -> tuple[datetime, datetime]:
        tz = ZoneInfo(zone)
        return (
            datetime.combine(day, options.workday_start, tzinfo=tz),
            datetime.combine(day, options.workday_end, tzinfo=tz),
        )

    a_start, a_end = window(zone_a, on)
    best = timedelta(0)
    for shift in (-1, 0, 1):
        b_start, b_end = window(zone_b, on + timedelta(days=shift))
        best = max(best, min(a_end, b_end) - max(a_start, b_start))
    return best / timedelta(hours=1)


def violations(mentor: Mentor, mentee: Mentee, *, min_overlap_hours: float) -> list[str]:
    problems = []
    if mentor.member == mentee.member:
        problems.append("self")
    if not mentor.areas & set(mentee.areas):
        problems.append("area")
    if not mentor.languages & mentee.languages:
        problems.append("language")
    if overlap_hours(mentor.time_zone, mentee.time_zone) < min_overlap_hours:
        problems.append("hours")
    if any(p.hard and not p.met_by(mentor.attributes) for p in mentee.preferences):
        problems.append("preference")
    return problems


__all__ = ["REFERENCE", "overlap_hours", "random_instance", "time", "violations"]
