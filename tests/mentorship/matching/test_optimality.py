"""The engine's total equals the optimum found independently, and every hard constraint holds."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mentorship.matching import Mentee, Mentor, Options, match, score_matrix
from mentorship.matching.solver import max_score_assignment, solve_flow
from tests.mentorship.matching.instances import REFERENCE, random_instance, violations

OPTIONS = Options(reference_date=REFERENCE, min_overlap_hours=2)


def optimum_by_assignment(
    mentors: list[Mentor], mentees: list[Mentee], forbidden: list[tuple[str, str]], options: Options
) -> int:
    """scipy's Hungarian method over mentors copied once per place; infeasible pairs are worth 0."""
    scores, feasible = score_matrix(mentors, mentees, options)
    for mentor_id, mentee_id in forbidden:
        feasible[[e.id for e in mentees].index(mentee_id), [m.id for m in mentors].index(mentor_id)] = False
    worth = np.where(feasible, scores, 0)
    places = [col for col, mentor in enumerate(mentors) for _ in range(mentor.capacity)]
    if not places or not mentees:
        return 0
    expanded = worth[:, places]
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    return int(expanded[rows, cols].sum())


def optimum_by_search(
    mentors: list[Mentor], mentees: list[Mentee], forbidden: list[tuple[str, str]], options: Options
) -> int:
    """Every way to give each mentee a mentor or none, within capacities."""
    scores, feasible = score_matrix(mentors, mentees, options)
    banned = {([m.id for m in mentors].index(m), [e.id for e in mentees].index(e)) for m, e in forbidden}
    best = 0
    for choice in itertools.product(range(-1, len(mentors)), repeat=len(mentees)):
        load = Counter(c for c in choice if c >= 0)
        if any(load[c] > mentors[c].capacity for c in load):
            continue
        if any(c >= 0 and (not feasible[i, c] or (c, i) in banned) for i, c in enumerate(choice)):
            continue
        best = max(best, sum(int(scores[i, c]) for i, c in enumerate(choice) if c >= 0))
    return best


def engine_total(result) -> int:
    return sum(round(pair.score * 100) for pair in result.pairs)


def assert_valid(result, mentors, mentees, forbidden, options) -> None:
    by_id = {m.id: m for m in mentors}
    mentee_by_id = {e.id: e for e in mentees}
    load = Counter(pair.mentor for pair in result.pairs)
    assert all(load[m] <= by_id[m].capacity for m in load)
    assert len({pair.mentee for pair in result.pairs}) == len(result.pairs)
    assert {pair.mentee for pair in result.pairs} | {u.mentee for u in result.unmatched} == set(mentee_by_id)
    for pair in result.pairs:
        assert (pair.mentor, pair.mentee) not in set(forbidden)
        assert (
            violations(by_id[pair.mentor], mentee_by_id[pair.mentee], min_overlap_hours=options.min_overlap_hours) == []
        )
        assert round(sum(part.points for part in pair.explanation.parts), 2) == pytest.approx(pair.score, abs=0.011)


@pytest.mark.parametrize("seed", range(300))
def test_total_equals_hungarian_optimum_on_random_instances(seed: int) -> None:
    rng = random.Random(seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=rng.randint(1, 6), mentees=rng.randint(1, 12))
    result = match(mentors, mentees, options=OPTIONS, forbidden=forbidden)
    assert engine_total(result) == optimum_by_assignment(mentors, mentees, forbidden, OPTIONS)
    assert_valid(result, mentors, mentees, forbidden, OPTIONS)


@pytest.mark.parametrize("seed", range(100))
def test_total_equals_exhaustive_search_on_tiny_instances(seed: int) -> None:
    rng = random.Random(10_000 + seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=rng.randint(1, 3), mentees=rng.randint(1, 5))
    result = match(mentors, mentees, options=OPTIONS, forbidden=forbidden)
    assert engine_total(result) == optimum_by_search(mentors, mentees, forbidden, OPTIONS)
    assert_valid(result, mentors, mentees, forbidden, OPTIONS)


@pytest.mark.parametrize("seed", range(20))
def test_total_is_optimal_when_solving_starts_from_one_edge_per_mentee(seed: int) -> None:
    """Mid-sized cohorts where the pruned start cannot be right, so the duality certificate must add edges."""
    rng = random.Random(20_000 + seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=25, mentees=120)
    options = Options(reference_date=REFERENCE, min_overlap_hours=2, solve_first=1)
    result = match(mentors, mentees, options=options, forbidden=forbidden)
    assert engine_total(result) == optimum_by_assignment(mentors, mentees, forbidden, options)
    assert_valid(result, mentors, mentees, forbidden, options)


@pytest.mark.parametrize("seed", range(30))
def test_certified_solver_matches_full_solve_from_an_empty_start(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_mentees, n_mentors, n_edges = 80, 20, 600
    pairs = np.unique(rng.integers(0, [n_mentees, n_mentors], size=(n_edges, 2)), axis=0)
    mentee, mentor = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
    score = rng.integers(1, 50, size=pairs.shape[0]).astype(np.int64)
    capacity = rng.integers(1, 4, size=n_mentors).astype(np.int64)
    start = np.zeros(pairs.shape[0], dtype=np.bool_)
    certified = max_score_assignment(
        n_mentees=n_mentees, capacity=capacity, mentee=mentee, mentor=mentor, score=score, start=start
    )
    full = solve_flow(n_mentees=n_mentees, capacity=capacity, mentee=mentee, mentor=mentor, score=score)

    def total(assignment: np.ndarray) -> int:
        return int(score[assignment[mentee] == mentor].sum())

    assert total(certified) == total(full)
    assert (np.bincount(certified[certified >= 0], minlength=n_mentors) <= capacity).all()
