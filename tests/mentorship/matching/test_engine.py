"""Crafted cases: explanations, unmatched reasons, pins, forbidden pairs, rematch priority."""

from __future__ import annotations

from datetime import date, time

import pytest

from mentorship.matching import (
    MatchingInputError,
    Mentee,
    Mentor,
    Options,
    Preference,
    UnmatchedReason,
    Weights,
    match,
)
from mentorship.matching.hours import overlap_minutes, working_window_utc
from tests.mentorship.matching.instances import REFERENCE, overlap_hours

OPTIONS = Options(reference_date=REFERENCE, min_overlap_hours=2)


def mentor(id: str, **overrides: object) -> Mentor:
    values: dict[str, object] = {
        "id": id,
        "member": f"member-{id}",
        "capacity": 1,
        "areas": frozenset({"Conference speaking", "Open source"}),
        "languages": frozenset({"en"}),
        "time_zone": "Europe/Berlin",
        "years": 10,
        "hours_per_month": 4,
    }
    values.update(overrides)
    return Mentor(**values)  # type: ignore[arg-type]


def mentee(id: str, **overrides: object) -> Mentee:
    values: dict[str, object] = {
        "id": id,
        "member": f"member-{id}",
        "areas": ("Conference speaking", "Open source"),
        "languages": frozenset({"en"}),
        "time_zone": "Europe/Paris",
        "years": 2,
        "hours_per_month": 2,
    }
    values.update(overrides)
    return Mentee(**values)  # type: ignore[arg-type]


def test_explanation_names_shared_areas_with_rank_and_overlap_hours() -> None:
    result = match([mentor("ada")], [mentee("bo", time_zone="Europe/London")], options=OPTIONS)

    (pair,) = result.pairs
    assert pair.explanation.summary.startswith(
        "shares Conference speaking (mentee's 1st choice) and Open source (2nd); 8 h working-hour overlap"
    )
    assert pair.explanation.shared_areas == ("Conference speaking", "Open source")
    assert pair.explanation.overlap_hours == 8
    assert sum(part.points for part in pair.explanation.parts) == pytest.approx(pair.score)


def test_explanation_parts_follow_the_weights() -> None:
    weights = Weights(area=100, time_zone=0, experience=0, hours=0, preferences=0)
    options = Options(reference_date=REFERENCE, weights=weights)
    result = match([mentor("ada", areas=frozenset({"Open source"}))], [mentee("bo")], options=options)

    # Open source is the mentee's 2nd choice: 80 % of the Area points.
    assert result.pairs[0].score == 80
    assert [part.points for part in result.pairs[0].explanation.parts] == [80, 0, 0, 0, 0]


def test_mentee_gets_the_mentor_sharing_their_first_choice() -> None:
    speaking = mentor("speaking", areas=frozenset({"Conference speaking"}))
    source = mentor("source", areas=frozenset({"Open source"}))
    result = match([source, speaking], [mentee("bo")], options=OPTIONS)
    assert result.mentor_of("bo") == "speaking"
    assert result.spare_capacity == {"source": 1}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"areas": ("Salary negotiation",)}, UnmatchedReason.NO_SHARED_AREA),
        ({"languages": frozenset({"pt"})}, UnmatchedReason.NO_SHARED_LANGUAGE),
        ({"time_zone": "Pacific/Kiritimati"}, UnmatchedReason.NO_HOURS_OVERLAP),
        (
            {"preferences": (Preference("region", frozenset({"Africa"}), hard=True),)},
            UnmatchedReason.PREFERENCES_UNMET,
        ),
    ],
)
def test_unmatched_mentee_carries_the_first_failed_constraint(
    change: dict[str, object], reason: UnmatchedReason
) -> None:
    result = match(
        [mentor("ada", attributes={"region": frozenset({"Europe"})})], [mentee("bo", **change)], options=OPTIONS
    )
    assert result.pairs == ()
    assert [(u.mentee, u.reason) for u in result.unmatched] == [("bo", reason)]


def test_unmatched_mentee_loses_to_a_better_scoring_pair_when_capacity_runs_out() -> None:
    close = mentee("close", time_zone="Europe/Berlin", years=3)
    far = mentee("far", time_zone="America/New_York", years=9, areas=("Open source",))
    result = match([mentor("ada")], [far, close], options=OPTIONS)
    assert result.mentor_of("close") == "ada"
    assert [(u.mentee, u.reason) for u in result.unmatched] == [("far", UnmatchedReason.CAPACITY_EXHAUSTED)]
    assert "Capacity exhausted" in result.unmatched[0].text


def test_member_is_never_their_own_mentor() -> None:
    result = match([mentor("ada", member="same")], [mentee("bo", member="same")], options=OPTIONS)
    assert result.unmatched[0].reason == UnmatchedReason.EXCLUDED


def test_forbidden_pair_is_never_proposed() -> None:
    result = match([mentor("ada"), mentor("cy", years=30)], [mentee("bo")], options=OPTIONS, forbidden=[("ada", "bo")])
    assert result.mentor_of("bo") == "cy"


def test_forbidding_the_only_mentor_leaves_mentee_excluded() -> None:
    result = match([mentor("ada")], [mentee("bo")], options=OPTIONS, forbidden=[("ada", "bo")])
    assert [(u.mentee, u.reason) for u in result.unmatched] == [("bo", UnmatchedReason.EXCLUDED)]


def test_pinned_pair_is_kept_and_uses_the_mentors_place() -> None:
    best = mentee("best", time_zone="Europe/Berlin", years=3)
    weaker = mentee("weaker", time_zone="America/New_York")
    result = match([mentor("ada")], [best, weaker], options=OPTIONS, pins=[("ada", "weaker")])
    assert [(p.mentor, p.mentee, p.pinned) for p in result.pairs] == [("ada", "weaker", True)]
    assert [u.mentee for u in result.unmatched] == ["best"]
    assert result.spare_capacity == {}


def test_pin_that_breaks_a_hard_constraint_is_refused_with_the_reason() -> None:
    with pytest.raises(MatchingInputError, match="Cannot pin ada with bo: they share no language"):
        match([mentor("ada")], [mentee("bo", languages=frozenset({"es"}))], options=OPTIONS, pins=[("ada", "bo")])


def test_pins_beyond_a_mentors_capacity_are_refused() -> None:
    with pytest.raises(MatchingInputError, match="takes 1 mentee"):
        match([mentor("ada")], [mentee("bo"), mentee("cy")], options=OPTIONS, pins=[("ada", "bo"), ("ada", "cy")])


def test_pin_of_a_forbidden_pair_is_refused() -> None:
    with pytest.raises(MatchingInputError, match="also forbidden"):
        match([mentor("ada")], [mentee("bo")], options=OPTIONS, pins=[("ada", "bo")], forbidden=[("ada", "bo")])


def test_rematch_priority_mentee_is_served_before_a_better_scoring_one() -> None:
    best = mentee("best", time_zone="Europe/Berlin", years=3)
    waiting = mentee("waiting", time_zone="America/New_York", areas=("Open source",))
    plain = match([mentor("ada")], [best, waiting], options=OPTIONS)
    assert plain.mentor_of("best") == "ada"

    prioritised = match([mentor("ada")], [best, waiting], options=OPTIONS, priority={"waiting"})
    assert prioritised.mentor_of("waiting") == "ada"
    # The reported score is the pair's own, without the priority bonus.
    assert prioritised.pairs[0].score < 100


def test_duplicate_candidate_ids_are_refused() -> None:
    with pytest.raises(MatchingInputError, match="appears twice"):
        match([mentor("ada"), mentor("ada")], [mentee("bo")], options=OPTIONS)


def test_capacity_outside_one_to_five_is_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 5"):
        mentor("ada", capacity=0)


def test_empty_cohort_gives_an_empty_result() -> None:
    assert match([], [mentee("bo")], options=OPTIONS).unmatched[0].reason == UnmatchedReason.NO_SHARED_AREA
    assert match([mentor("ada")], [], options=OPTIONS).pairs == ()


def test_working_hours_overlap_across_the_date_line() -> None:
    # Auckland (UTC+13) on Tuesday 09:00-18:00 is Los Angeles (UTC-8) on Monday 12:00-21:00.
    assert overlap_hours("Pacific/Auckland", "America/Los_Angeles") == 6
    auckland = working_window_utc("Pacific/Auckland", on=REFERENCE, start=time(9), end=time(18))
    los_angeles = working_window_utc("America/Los_Angeles", on=REFERENCE, start=time(9), end=time(18))
    assert overlap_minutes(auckland, los_angeles) == 6 * 60


def test_working_hours_follow_daylight_saving_time_of_the_reference_date() -> None:
    # New York moves its clocks on 8 March 2026, Berlin on 29 March: three weeks with a 5 h gap.
    assert overlap_hours("Europe/Berlin", "America/New_York", on=date(2026, 3, 2)) == 3
    assert overlap_hours("Europe/Berlin", "America/New_York", on=date(2026, 3, 16)) == 4
    result = match(
        [mentor("ada")],
        [mentee("bo", time_zone="America/New_York")],
        options=Options(reference_date=date(2026, 3, 16), min_overlap_hours=4),
    )
    assert result.pairs[0].explanation.overlap_hours == 4


def test_working_day_is_configurable() -> None:
    long_day = Options(reference_date=REFERENCE, workday_start=time(7), workday_end=time(20), min_overlap_hours=6)
    result = match([mentor("ada")], [mentee("bo", time_zone="America/New_York")], options=long_day)
    assert result.pairs[0].explanation.overlap_hours == 7
