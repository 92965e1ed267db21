"""Matching benchmark: a whole cohort solved optimally.

Defaults are the issue's sizes: 10,000 mentees and 2,000 mentors (capacity 1-3), 6 Areas,
30 time zones and 5 languages, drawn at random with realistic skews (English common, a few Areas
popular, most members in Europe and the Americas). Prints time, peak memory, matched count and
total score, then the BENCH lines. Pure engine: no database is used.

    python -m benchmarks.matching [--mentees N] [--mentors N] [--seed S] [--min-overlap H]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import date

from mentorship.matching import MatchResult, Mentee, Mentor, Options, Preference, match

AREAS = (
    "Technical guidance on projects",
    "Contributing to open source",
    "Leadership and soft skills",
    "Salary negotiation",
    "Career ladder",
    "Conference speaking",
)
AREA_WEIGHTS = (30, 25, 15, 10, 12, 8)
ZONES = (
    ("America/Los_Angeles", "Americas", 6),
    ("America/Denver", "Americas", 2),
    ("America/Chicago", "Americas", 4),
    ("America/New_York", "Americas", 8),
    ("America/Toronto", "Americas", 3),
    ("America/Mexico_City", "Americas", 2),
    ("America/Bogota", "Americas", 2),
    ("America/Sao_Paulo", "Americas", 4),
    ("America/Argentina/Buenos_Aires", "Americas", 2),
    ("Europe/London", "Europe", 8),
    ("Europe/Dublin", "Europe", 2),
    ("Europe/Lisbon", "Europe", 2),
    ("Europe/Madrid", "Europe", 3),
    ("Europe/Paris", "Europe", 4),
    ("Europe/Berlin", "Europe", 6),
    ("Europe/Amsterdam", "Europe", 3),
    ("Europe/Stockholm", "Europe", 2),
    ("Europe/Warsaw", "Europe", 2),
    ("Europe/Athens", "Europe", 1),
    ("Africa/Lagos", "Africa", 3),
    ("Africa/Nairobi", "Africa", 2),
    ("Africa/Johannesburg", "Africa", 1),
    ("Asia/Dubai", "Asia", 1),
    ("Asia/Kolkata", "Asia", 6),
    ("Asia/Singapore", "Asia", 2),
    ("Asia/Shanghai", "Asia", 2),
    ("Asia/Tokyo", "Asia", 2),
    ("Asia/Seoul", "Asia", 1),
    ("Australia/Sydney", "Oceania", 2),
    ("Pacific/Auckland", "Oceania", 1),
)
LANGUAGES = ("en", "es", "pt", "fr", "de")
SECOND_LANGUAGE = {"Americas": ("es", "pt"), "Europe": ("fr", "de", "es"), "Africa": ("fr", "pt")}
GENDERS = ("woman", "non-binary")


def _languages(rng: random.Random, region: str) -> frozenset[str]:
    spoken = set()
    if rng.random() < 0.9:
        spoken.add("en")
    if rng.random() < 0.35 or not spoken:
        spoken.add(rng.choice(SECOND_LANGUAGE.get(region, LANGUAGES)))
    return frozenset(spoken)


def make_cohort(*, mentees: int, mentors: int, seed: int) -> tuple[list[Mentor], list[Mentee]]:
    rng = random.Random(seed)
    zone_weights = [weight for _, _, weight in ZONES]
    mentor_list = []
    for i in range(mentors):
        zone, region, _ = rng.choices(ZONES, zone_weights)[0]
        mentor_list.append(
            Mentor(
                id=f"mentor-{i}",
                member=f"m{i}",
                capacity=rng.randint(1, 3),
                areas=frozenset(rng.choices(AREAS, AREA_WEIGHTS, k=rng.randint(1, 4))),
                languages=_languages(rng, region),
                time_zone=zone,
                years=rng.randint(4, 25),
                hours_per_month=rng.randint(2, 8),
                attributes={"region": frozenset({region}), "gender": frozenset({rng.choice(GENDERS)})},
            )
        )
    mentee_list = []
    for i in range(mentees):
        zone, region, _ = rng.choices(ZONES, zone_weights)[0]
        wanted: list[str] = []
        for area in rng.choices(AREAS, AREA_WEIGHTS, k=rng.randint(1, 3)):
            if area not in wanted:
                wanted.append(area)
        preferences: tuple[Preference, ...] = ()
        draw = rng.random()
        if draw < 0.03:
            preferences = (Preference("region", frozenset({region}), hard=True),)
        elif draw < 0.13:
            preferences = (Preference("gender", frozenset({rng.choice(GENDERS)})),)
        mentee_list.append(
            Mentee(
                id=f"mentee-{i}",
                # A few members apply on both sides, so self-pairing is really excluded.
                member=f"m{i}" if i < mentors and rng.random() < 0.02 else f"e{i}",
                areas=tuple(wanted),
                languages=_languages(rng, region),
                time_zone=zone,
                years=rng.randint(0, 10),
                hours_per_month=rng.randint(1, 4),
                preferences=preferences,
            )
        )
    return mentor_list, mentee_list


HUB_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Paris", "Africa/Lagos", "America/New_York", "Asia/Dubai")


def make_adversarial_cohort(
    *, mentees: int, mentors: int, seed: int, hubs: int = 40
) -> tuple[list[Mentor], list[Mentee]]:
    """A cohort where everyone wants the same few mentors: `hubs` mentors share every Area, speak
    English, sit in London and have the ideal experience and hours, so nearly every mentee's best
    pairs point at them, while their few places leave everyone else to the ordinary mentors."""
    mentor_list, mentee_list = make_cohort(mentees=mentees, mentors=mentors, seed=seed)
    rng = random.Random(seed + 1)
    hub_list = [
        Mentor(
            id=f"hub-{i}",
            member=f"h{i}",
            capacity=1,
            areas=frozenset(AREAS),
            languages=frozenset({"en"}),
            time_zone="Europe/London",
            years=14,
            hours_per_month=8,
        )
        for i in range(min(hubs, mentors))
    ]
    everyone = [
        replace(mentee, languages=mentee.languages | {"en"}, time_zone=rng.choice(HUB_ZONES), preferences=())
        for mentee in mentee_list
    ]
    return hub_list + mentor_list[len(hub_list) :], everyone


def timed(mentors: list[Mentor], mentees: list[Mentee], options: Options) -> tuple[float, MatchResult]:
    started = time.perf_counter()
    result = match(mentors, mentees, options=options)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--min-overlap", type=float, default=2.0, help="hours of working-day overlap required")
    args = parser.parse_args(argv)

    mentors, mentees = make_cohort(mentees=args.mentees, mentors=args.mentors, seed=args.seed)
    options = Options(min_overlap_hours=args.min_overlap, reference_date=date(2026, 3, 2))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    result = match(mentors, mentees, options=options)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    # Peak resident memory of the whole process (interpreter, numpy, OR-tools and the cohort included).
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]

    capacity = sum(m.capacity for m in mentors)
    reasons = Counter(u.reason.value for u in result.unmatched)
    print(f"cohort: {len(mentees)} mentees, {len(mentors)} mentors, {capacity} places (seed {args.seed})")
    print(f"candidate pairs meeting every hard constraint: {result.candidate_pairs:,}")
    print(f"solved in {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU (machine load average {load:.1f})")
    print(f"peak memory {peak_rss:.0f} MiB RSS for the whole process ({rss_before:.0f} MiB before solving)")
    print(f"matched {len(result.pairs)} mentees; total score {result.total_score:.2f}")
    print("unmatched: " + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"))
    print(f"BENCH matching_10k_seconds {seconds:.2f} s")
    print(f"BENCH matching_10k_cpu_seconds {cpu_seconds:.2f} s")
    print(f"BENCH matching_10k_peak_mib {peak_rss:.0f} MiB")
    print(f"BENCH matching_10k_matched {len(result.pairs)} pairs")
    print(f"BENCH matching_10k_total_score {result.total_score:.2f} points")

    # Everyone wants the same few mentors: the pruned start is wrong for nearly every mentee.
    mentors, mentees = make_adversarial_cohort(mentees=args.mentees, mentors=args.mentors, seed=args.seed)
    adversarial_seconds, adversarial = timed(mentors, mentees, options)
    # The same instance solved over every feasible pair at once, with no pruning.
    direct_seconds, direct = timed(mentors, mentees, replace(options, solve_first=len(mentors)))
    load = os.getloadavg()[0]
    print(
        f"adversarial cohort ({args.mentees} mentees wanting the same few mentors): {adversarial.candidate_pairs:,} "
        f"candidate pairs, {adversarial_seconds:.2f} s; solved directly over all pairs {direct_seconds:.2f} s "
        f"(machine load average {load:.1f})"
    )
    if adversarial.total_score != direct.total_score:
        print(f"total scores differ: {adversarial.total_score:.2f} vs {direct.total_score:.2f}", file=sys.stderr)
        return 1
    print(f"BENCH matching_adversarial_10k_seconds {adversarial_seconds:.2f} s")
    print(f"BENCH matching_direct_10k_seconds {direct_seconds:.2f} s")
    print(f"BENCH matching_adversarial_over_direct {adversarial_seconds / direct_seconds:.2f} x")
    print(f"BENCH matching_adversarial_10k_total_score {adversarial.total_score:.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
