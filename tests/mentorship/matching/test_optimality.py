"""The engine's total equals the optimum found independently, and every hard constraint holds."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mentorship.matching import Mentee, Mentor, Options, UnmatchedReason, match, score_matrix
from mentorship.matching.solver import DIRECT_BUDGET, max_score_assignment, solve_flow
from tests.mentorship.matching.instances import REFERENCE, random_instance, violations

OPTIONS = Options(reference_date=REFERENCE, min_overlap_hours=2)


def optimum_by_assignment(
    mentors: list[Mentor],
    mentees: list[Mentee],
    forbidden: list[tuple[str, str]],
    options: Options,
    pins: Sequence[tuple[str, str]] = (),
) -> int:
    """scipy's Hungarian method over mentors copied once per place; infeasible pairs are worth 0.

    Pinned pairs count as made: their score is added and their places are taken before the solve.
    """
    scores, feasible = score_matrix(mentors, mentees, options)
    mentee_ids, mentor_ids = [e.id for e in mentees], [m.id for m in mentors]
    for mentor_id, mentee_id in forbidden:
        feasible[mentee_ids.index(mentee_id), mentor_ids.index(mentor_id)] = False
    worth = np.where(feasible, scores, 0)
    pinned = {mentee_ids.index(e): mentor_ids.index(m) for m, e in pins}
    load = Counter(pinned.values())
    free = [row for row in range(len(mentees)) if row not in pinned]
    places = [col for col, mentor in enumerate(mentors) for _ in range(mentor.capacity - load[col])]
    total = sum(int(scores[row, col]) for row, col in pinned.items())
    if not places or not free:
        return total
    expanded = worth[free][:, places]
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    return total + int(expanded[rows, cols].sum())


def review_pins_and_forbids(
    rng: random.Random, mentors: list[Mentor], mentees: list[Mentee], forbidden: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What a builder's review leaves: some pairs approved (pinned) and, for the same mentees, other pairs rejected.

    Returns the pins and the forbidden pairs (the instance's own plus the rejections).
    """
    _, feasible = score_matrix(mentors, mentees, OPTIONS)
    load: Counter[int] = Counter()
    pins: list[tuple[str, str]] = []
    rejected: list[tuple[str, str]] = []
    for row in rng.sample(range(len(mentees)), k=rng.randint(0, len(mentees))):
        open_cols = [c for c in range(len(mentors)) if feasible[row, c] and load[c] < mentors[c].capacity]
        allowed = [c for c in open_cols if (mentors[c].id, mentees[row].id) not in forbidden]
        if not allowed or rng.random() < 0.4:
            continue
        col = rng.choice(allowed)
        load[col] += 1
        pins.append((str(mentors[col].id), str(mentees[row].id)))
        others = [c for c in range(len(mentors)) if c != col]
        for other in rng.sample(others, k=min(len(others), rng.randint(1, 3))):
            rejected.append((str(mentors[other].id), str(mentees[row].id)))
    return pins, sorted(set(forbidden) | set(rejected))


def true_reason(mentee: Mentee, mentors: list[Mentor], forbidden: list[tuple[str, str]]) -> UnmatchedReason:
    """The first filter that leaves the mentee no mentor, checked pair by pair without the engine."""
    left = [m for m in mentors if m.areas & set(mentee.areas)]
    if not left:
        return UnmatchedReason.NO_SHARED_AREA
    left = [m for m in left if m.languages & mentee.languages]
    if not left:
        return UnmatchedReason.NO_SHARED_LANGUAGE
    left = [m for m in left if "hours" not in violations(m, mentee, min_overlap_hours=OPTIONS.min_overlap_hours)]
    if not left:
        return UnmatchedReason.NO_HOURS_OVERLAP
    left = [m for m in left if all(p.met_by(m.attributes) for p in mentee.preferences if p.hard)]
    if not left:
        return UnmatchedReason.PREFERENCES_UNMET
    left = [m for m in left if m.member != mentee.member and (m.id, mentee.id) not in set(forbidden)]
    if not left:
        return UnmatchedReason.EXCLUDED
    return UnmatchedReason.CAPACITY_EXHAUSTED


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
        assert round(sum(part.points for part in pair.explanation.parts), 2) == pair.score == pair.explanation.score


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


@pytest.mark.parametrize("seed", range(300))
def test_total_is_optimal_when_a_review_pins_and_forbids_pairs_of_the_same_mentees(seed: int) -> None:
    """Approving a mentee's pair and rejecting their others must cost no other mentee a mentor."""
    rng = random.Random(30_000 + seed)
    mentors, mentees, forbidden = random_instance(rng, mentors=rng.randint(1, 6), mentees=rng.randint(1, 12))
    pins, forbidden = review_pins_and_forbids(rng, mentors, mentees, forbidden)

    result = match(mentors, mentees, options=OPTIONS, pins=pins, forbidden=forbidden)

    assert engine_total(result) == optimum_by_assignment(mentors, mentees, forbidden, OPTIONS, pins)
    assert_valid(result, mentors, mentees, forbidden, OPTIONS)
    made = {(pair.mentor, pair.mentee) for pair in result.pairs}
    assert set(pins) <= made
    assert {pair.mentee for pair in result.pairs if pair.pinned} == {e for _, e in pins}
    by_id = {e.id: e for e in mentees}
    assert [(u.mentee, u.reason) for u in result.unmatched] == [
        (u.mentee, true_reason(by_id[u.mentee], mentors, forbidden)) for u in result.unmatched
    ]


def hub_instance(
    n_mentees: int = 2000, n_mentors: int = 200, hubs: int = 4
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every mentee's best pairs point at a few single-place hubs, so nearly everyone is left to the rest."""
    rng = np.random.default_rng(5)
    mentee = np.repeat(np.arange(n_mentees, dtype=np.int32), n_mentors)
    mentor = np.tile(np.arange(n_mentors, dtype=np.int32), n_mentees)
    score = np.where(mentor < hubs, 100, rng.integers(1, 60, size=mentee.shape[0])).astype(np.int64)
    capacity = np.ones(n_mentors, dtype=np.int64)
    return n_mentees, capacity, mentee, mentor, score, mentor < 2


def solve_hub_instance(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, list[int], int]:
    """The certified solver's total on the hub instance, a direct solve's total, and the sizes of
    the solves the certified one made, with the number of edges in the whole graph."""
    n_mentees, capacity, mentee, mentor, score, start = hub_instance()
    solves: list[int] = []

    def counted(**kwargs: np.ndarray) -> np.ndarray:
        solves.append(int(kwargs["score"].shape[0]))
        return solve_flow(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("mentorship.matching.solver.solve_flow", counted)
    certified = max_score_assignment(
        n_mentees=n_mentees, capacity=capacity, mentee=mentee, mentor=mentor, score=score, start=start
    )
    full = solve_flow(n_mentees=n_mentees, capacity=capacity, mentee=mentee, mentor=mentor, score=score)

    def total(assignment: np.ndarray) -> int:
        return int(score[assignment[mentee] == mentor].sum())

    return total(certified), total(full), solves, int(score.shape[0])


def test_solver_proves_the_optimum_cheaply_when_everyone_wants_the_same_few_mentors(monkeypatch) -> None:
    """The crowded mentors' prices rise within a few rounds, so the rounds together solve far fewer
    edges than one direct solve of the whole graph, and the total is the direct solve's."""
    certified, full, solves, edges = solve_hub_instance(monkeypatch)

    assert certified == full
    assert edges not in solves
    assert sum(solves) <= DIRECT_BUDGET * edges


def test_solver_solves_the_whole_graph_once_the_rounds_use_up_their_budget(monkeypatch) -> None:
    """However the rounds go, they never cost more than their share of a direct solve before it."""
    monkeypatch.setattr("mentorship.matching.solver.DIRECT_BUDGET", 0.01)
    certified, full, solves, edges = solve_hub_instance(monkeypatch)

    assert certified == full
    assert solves[-1] == edges
    assert sum(solves[:-1]) <= 0.01 * edges
