"""The matching engine: hard constraints, soft score, optimal assignment, explanations."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np

from mentorship.matching.edges import FEASIBLE, STAGES, best_per_mentor, candidate_edges
from mentorship.matching.inputs import CandidateId, Mentee, Mentor, Options
from mentorship.matching.result import Explanation, MatchResult, Pair, ScorePart, Unmatched, UnmatchedReason
from mentorship.matching.scoring import SCALE, Encoded, Evaluation, IntArray, encode, evaluate
from mentorship.matching.solver import max_score_assignment

START_PER_PLACE = 10
START_EXTRA = 20
"""Each mentor's best `START_PER_PLACE * capacity + START_EXTRA` edges join the first solve. Mentors
are the scarce side, so their prices are set by their best few applicants: with these sizes the
certificate usually holds after the first solve (measured on the benchmark cohort)."""


class MatchingInputError(ValueError):
    """The run cannot start as asked (an impossible pin, an unknown candidate); the message says why."""


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def match(
    mentors: Sequence[Mentor],
    mentees: Sequence[Mentee],
    *,
    options: Options | None = None,
    pins: Iterable[tuple[CandidateId, CandidateId]] = (),
    forbidden: Iterable[tuple[CandidateId, CandidateId]] = (),
    priority: Collection[CandidateId] = (),
) -> MatchResult:
    """Assign mentees to mentors for the maximum total score under the hard constraints.

    `pins` and `forbidden` are (mentor id, mentee id) pairs a builder fixed or ruled out. Pinned
    pairs must meet the hard constraints; they are made first and use up their mentor's places.
    Mentees in `priority` (waiting for a rematch) are served before everyone else: their pairs carry
    a bonus larger than any total the others could reach, so the solver never leaves one of them
    unmatched to gain score elsewhere. Raises MatchingInputError when the input is inconsistent.
    """
    options = options or Options()
    mentor_col = _index(mentors, "mentor")
    mentee_row = _index(mentees, "mentee")
    enc = encode(mentors, mentees, options)
    n_mentors = len(mentors)

    forbidden_keys = sorted(
        {mentee_row[e] * n_mentors + mentor_col[m] for m, e in forbidden if m in mentor_col and e in mentee_row}
    )
    pinned = _validated_pins(enc, mentors, mentees, mentor_col, mentee_row, pins, set(forbidden_keys))

    capacity = np.array([m.capacity for m in mentors], dtype=np.int64)
    for col in pinned.values():
        capacity[col] -= 1
    free_rows = np.array([row for row in range(len(mentees)) if row not in pinned], dtype=np.int64)
    edges, stage = candidate_edges(
        enc, rows=free_rows, excluded=np.array(forbidden_keys, dtype=np.int64), keep_top=options.solve_first
    )
    candidate_pairs = len(edges)

    # Mentors whose places all went to pins take no part in the solve.
    open_edge = capacity[edges.mentor] > 0
    edge_mentee, edge_mentor, edge_score = edges.mentee[open_edge], edges.mentor[open_edge], edges.score[open_edge]
    # The solver starts from each mentee's and each mentor's best few edges; it proves the result
    # optimal over all of them (see solver), so these sizes tune speed only.
    edge_top = edges.top | best_per_mentor(
        edges.mentor, edges.score, capacity=np.maximum(capacity, 0), per_place=START_PER_PLACE, extra=START_EXTRA
    )
    edge_top = edge_top[open_edge]
    # Solve over the free mentees only: their positions in free_rows are the solver's node numbers.
    position = np.full(len(mentees), -1, dtype=np.int64)
    position[free_rows] = np.arange(free_rows.shape[0])
    # Scores first, then the number of pairs: a pair scoring 0 is still made when a place is free,
    # yet no extra pair can outweigh a single hundredth of total score (at most one unit per mentee).
    solver_score = edge_score * (free_rows.shape[0] + 1) + 1
    priority_rows = np.array(sorted(mentee_row[e] for e in priority if e in mentee_row), dtype=np.int64)
    if priority_rows.size and edge_score.size:
        # Larger than the whole score every other mentee could bring: serving one more priority mentee
        # always beats any rearrangement of the rest, and among priority mentees score still decides.
        bonus = int(solver_score.max()) * max(1, free_rows.shape[0]) + 1
        solver_score[np.isin(edge_mentee, priority_rows)] += bonus
    assignment = max_score_assignment(
        n_mentees=free_rows.shape[0],
        capacity=capacity,
        mentee=position[edge_mentee].astype(np.int32),
        mentor=edge_mentor,
        score=solver_score,
        start=edge_top,
    )

    pair_rows = [*pinned.keys(), *(int(free_rows[i]) for i in np.nonzero(assignment >= 0)[0])]
    pair_cols = [*pinned.values(), *(int(c) for c in assignment[assignment >= 0])]
    evaluation = evaluate(enc, np.array(pair_rows, dtype=np.int64), np.array(pair_cols, dtype=np.int64))
    pairs = tuple(
        Pair(
            mentor=mentors[col].id,
            mentee=mentees[row].id,
            score=float(evaluation.score[k]) / SCALE,
            explanation=explain(mentors[col], mentees[row], evaluation, k),
            pinned=row in pinned,
        )
        for k, (row, col) in enumerate(zip(pair_rows, pair_cols, strict=True))
    )

    unmatched = []
    for i in np.nonzero(assignment < 0)[0]:
        row_stage = int(stage[i])
        reason = UnmatchedReason.CAPACITY_EXHAUSTED if row_stage == FEASIBLE else STAGES[row_stage]
        unmatched.append(Unmatched(mentee=mentees[int(free_rows[i])].id, reason=reason))

    used = np.bincount(np.array(pair_cols, dtype=np.int64), minlength=n_mentors)
    spare = {
        mentors[c].id: int(mentors[c].capacity - used[c]) for c in range(n_mentors) if used[c] < mentors[c].capacity
    }
    return MatchResult(
        pairs=pairs, unmatched=tuple(unmatched), spare_capacity=spare, candidate_pairs=candidate_pairs + len(pinned)
    )


def _index(candidates: Sequence[Mentor | Mentee], kind: str) -> dict[CandidateId, int]:
    index: dict[CandidateId, int] = {}
    for position, candidate in enumerate(candidates):
        if candidate.id in index:
            raise MatchingInputError(f"The {kind} {candidate.name} appears twice.")
        index[candidate.id] = position
    return index


def _validated_pins(
    enc: Encoded,
    mentors: Sequence[Mentor],
    mentees: Sequence[Mentee],
    mentor_col: dict[CandidateId, int],
    mentee_row: dict[CandidateId, int],
    pins: Iterable[tuple[CandidateId, CandidateId]],
    forbidden_keys: set[int],
) -> dict[int, int]:
    """Pinned pairs as {mentee row: mentor column}, after checking each one can be made."""
    pinned: dict[int, int] = {}
    per_mentor: dict[int, int] = {}
    for mentor_id, mentee_id in pins:
        if mentor_id not in mentor_col:
            raise MatchingInputError(f"Cannot pin: mentor {mentor_id} is not part of this run.")
        if mentee_id not in mentee_row:
            raise MatchingInputError(f"Cannot pin: mentee {mentee_id} is not part of this run.")
        row, col = mentee_row[mentee_id], mentor_col[mentor_id]
        mentor, mentee = mentors[col], mentees[row]
        label = f"{mentor.name} with {mentee.name}"
        if row in pinned and pinned[row] != col:
            raise MatchingInputError(f"Cannot pin {label}: {mentee.name} is already pinned to another mentor.")
        if row * len(mentors) + col in forbidden_keys:
            raise MatchingInputError(f"Cannot pin {label}: the pair is also forbidden.")
        check = evaluate(enc, np.array([row], dtype=np.int64), np.array([col], dtype=np.int64))
        problems = [
            text
            for flag, text in (
                (check.not_self, "a member cannot mentor themself"),
                (check.shares_area, "they share no Area"),
                (check.shares_language, "they share no language"),
                (check.hours_overlap, f"their working hours overlap less than {enc.options.min_overlap_hours:g} h"),
                (check.preferences_hold, "the mentor does not meet the mentee's hard preferences"),
            )
            if not bool(flag[0])
        ]
        if problems:
            raise MatchingInputError(f"Cannot pin {label}: {'; '.join(problems)}.")
        if row not in pinned:
            pinned[row] = col
            per_mentor[col] = per_mentor.get(col, 0) + 1
            if per_mentor[col] > mentor.capacity:
                raise MatchingInputError(
                    f"Cannot pin {label}: {mentor.name} takes {mentor.capacity} mentee(s) and more are pinned."
                )
    return pinned


def explain(mentor: Mentor, mentee: Mentee, evaluation: Evaluation, k: int) -> Explanation:
    """The parts of pair k's score in words a builder reads."""
    shared = [(rank, area) for rank, area in enumerate(mentee.areas, start=1) if area in mentor.areas]
    area_words = [
        f"{area} (mentee's {ordinal(rank)} choice)" if i == 0 else f"{area} ({ordinal(rank)})"
        for i, (rank, area) in enumerate(shared)
    ]
    area_text = "shares " + (
        area_words[0] if len(area_words) == 1 else ", ".join(area_words[:-1]) + " and " + area_words[-1]
    )
    hours = float(evaluation.overlap_minutes[k]) / 60
    gap = mentor.years - mentee.years
    if gap > 0:
        experience_text = f"mentor has {gap} more year{'s' if gap != 1 else ''} of experience"
    elif gap == 0:
        experience_text = "same years of experience"
    else:
        experience_text = f"mentor has {-gap} fewer year{'s' if gap != -1 else ''} of experience"
    share = mentor.hours_per_month / mentor.capacity
    hours_text = f"{share:g} h/month per mentee offered, {mentee.hours_per_month} h wanted"
    soft = [p for p in mentee.preferences if not p.hard]
    hard = [p for p in mentee.preferences if p.hard]
    preference_words = [f"meets required {p.describe()}" for p in hard]
    preference_words += [
        f"meets preferred {p.describe()}" if p.met_by(mentor.attributes) else f"misses preferred {p.describe()}"
        for p in soft
    ]
    parts = (
        ScorePart("area", _points(evaluation.area_points[k]), area_text),
        ScorePart("time_zone", _points(evaluation.time_zone_points[k]), f"{hours:g} h working-hour overlap"),
        ScorePart("experience", _points(evaluation.experience_points[k]), experience_text),
        ScorePart("hours", _points(evaluation.hours_points[k]), hours_text),
        ScorePart("preferences", _points(evaluation.preference_points[k]), ", ".join(preference_words)),
    )
    return Explanation(
        score=float(evaluation.score[k]) / SCALE,
        parts=parts,
        shared_areas=tuple(area for _, area in shared),
        shared_languages=tuple(sorted(mentor.languages & mentee.languages)),
        overlap_hours=hours,
    )


def _points(hundredths: np.integer | int) -> float:
    return round(int(hundredths) / SCALE, 2)


def score_matrix(
    mentors: Sequence[Mentor], mentees: Sequence[Mentee], options: Options | None = None
) -> tuple[IntArray, np.ndarray]:
    """Dense (mentees x mentors) scores in hundredths and feasibility; for small instances and checks."""
    enc = encode(mentors, mentees, options or Options())
    rows = np.arange(len(mentees), dtype=np.int64)[:, None]
    cols = np.arange(len(mentors), dtype=np.int64)[None, :]
    evaluation = evaluate(enc, rows, cols)
    return evaluation.score, evaluation.feasible
