"""A pair's score is exactly the sum of the parts its explanation shows, whatever the weights."""

from __future__ import annotations

import random

import pytest

from mentorship.matching import MAX_WEIGHT, Mentee, Mentor, Options, Weights, match
from tests.mentorship.matching.instances import REFERENCE, random_instance
from tests.mentorship.matching.test_optimality import engine_total, optimum_by_assignment

PARTS = ("area", "time_zone", "experience", "hours", "preferences")


def random_weights(rng: random.Random) -> Weights:
    """Odd fractions that round awkwardly in hundredths, some parts switched off."""
    return Weights(
        **{name: 0.0 if rng.random() < 0.3 else round(rng.uniform(0, 60), rng.randint(0, 4)) for name in PARTS}
    )


def test_pair_whose_parts_are_all_zero_scores_zero_and_is_still_made() -> None:
    rng = random.Random(7)
    mentors, mentees, _ = random_instance(rng, mentors=4, mentees=6)
    options = Options(reference_date=REFERENCE, weights=Weights(0, 0, 0, 0, 0))

    result = match(mentors, mentees, options=options)
    reference = match(mentors, mentees, options=Options(reference_date=REFERENCE))

    assert [(p.score, p.explanation.score, [part.points for part in p.explanation.parts]) for p in result.pairs] == [
        (0.0, 0.0, [0.0] * 5) for _ in result.pairs
    ]
    # Scoring nothing, pairs are still made wherever a compatible mentor has a place.
    assert len(result.pairs) == len(reference.pairs) > 0


@pytest.mark.parametrize("seed", range(200))
def test_score_equals_the_sum_of_its_parts_for_random_weights(seed: int) -> None:
    rng = random.Random(40_000 + seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=rng.randint(1, 6), mentees=rng.randint(1, 12))
    options = Options(reference_date=REFERENCE, weights=random_weights(rng))

    result = match(mentors, mentees, options=options, forbidden=forbidden)

    assert [round(sum(part.points for part in p.explanation.parts), 2) for p in result.pairs] == [
        p.score for p in result.pairs
    ]
    assert [p.explanation.score for p in result.pairs] == [p.score for p in result.pairs]


@pytest.mark.parametrize("seed", range(100))
def test_largest_allowed_weights_still_give_the_optimal_pairs(seed: int) -> None:
    rng = random.Random(50_000 + seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=rng.randint(1, 6), mentees=rng.randint(1, 12))
    weights = Weights(**{name: MAX_WEIGHT if rng.random() < 0.7 else rng.uniform(0, MAX_WEIGHT) for name in PARTS})
    options = Options(reference_date=REFERENCE, weights=weights)

    result = match(mentors, mentees, options=options, forbidden=forbidden)

    assert engine_total(result) == optimum_by_assignment(mentors, mentees, forbidden, options)
    assert [round(sum(part.points for part in p.explanation.parts), 2) for p in result.pairs] == [
        p.score for p in result.pairs
    ]


def test_first_choice_mentor_wins_at_the_largest_allowed_area_weight() -> None:
    first, second = "Conference speaking", "Open source"
    mentors = [
        Mentor(id=name, member=name, capacity=1, areas=frozenset({area}), languages=frozenset({"en"}), time_zone="UTC")
        for name, area in (("second", second), ("first", first))
    ]
    mentee = Mentee(id="bo", member="bo", areas=(first, second), languages=frozenset({"en"}), time_zone="UTC")
    options = Options(reference_date=REFERENCE, weights=Weights(area=MAX_WEIGHT, time_zone=0, experience=0, hours=0))

    result = match(mentors, [mentee], options=options)

    assert [(p.mentor, p.score) for p in result.pairs] == [("first", MAX_WEIGHT + 15.0)]


def test_weight_past_the_largest_allowed_is_refused() -> None:
    with pytest.raises(ValueError, match="The weight of area cannot exceed 1000 points"):
        Weights(area=MAX_WEIGHT + 0.01)
