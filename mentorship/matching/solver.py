"""Maximum-total-score assignment of mentees to mentors with capacities, by min-cost flow (OR-tools).

The network: each mentee node supplies one unit; it can flow to a mentor it has an edge with
(capacity 1, cost = -score) or straight to the sink (capacity 1, cost 0: "unmatched"); each mentor
passes at most its capacity to the sink. Every unit of supply must reach the sink, so the problem is
always feasible, and its minimum cost is minus the maximum total score.

This maximises the total score, not the number of pairs: a pair is made only when it adds to the
total (the engine gives every feasible pair at least one unit, so a free place is never left
unused), but one excellent pair can win over two mediocre ones. Mentees who must be served first get a priority
bonus on their edges (see engine).

Large cohorts: solving over every feasible pair (7 million for 10,000 x 2,000) is slow and
memory-hungry, and nearly all of those pairs cannot be in any optimum. So the solver first works
on each mentee's best few edges, then proves the result optimal for the whole graph with linear-
programming duality: the b-matching polytope is integral, so mentor prices v >= 0 and mentee values
u >= 0 with u_i + v_j >= w_ij on every feasible edge and sum(u) + sum(capacity * v) equal to the
total found certify that no assignment scores more. The prices come from longest alternating paths
in the solved subgraph; any edge left out that violates u_i + v_j >= w_ij is added and the
subgraph re-solved. The answer is exact whatever the pruning; the pruning only decides the speed.

When many mentees want the same few mentors, the first prices are far too low and most left-out
edges violate them. Each round therefore adds edges from both sides: every mentee's most violated
few, and every mentor's most violated share (doubled each round that does not halve the
violations), which lets the prices of crowded mentors rise in a few rounds instead of dozens. The
rounds together may solve at most `DIRECT_BUDGET` of the whole graph's edges; past that, or if a
certificate cannot be built (it should not happen), the whole graph is solved directly, so pruning
never costs much more than a direct solve would.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from mentorship.matching.edges import best_per_mentor
from mentorship.matching.scoring import IntArray

MAX_ROUNDS = 12
"""Rounds of add-violated-edges-and-re-solve before falling back to the whole graph."""
DIRECT_BUDGET = 0.15
"""The rounds may solve, all together, this share of the whole graph's edges. A solve costs about
its number of edges (somewhat more per edge on small graphs), so falling back when the budget runs
out keeps the worst case near 1.2 times a direct solve, while cohorts that converge (nearly all,
and the crowded ones measured by `make bench ONLY=matching`) finish far below it."""
ADDED_PER_MENTEE = 2
"""Violated edges joining the subgraph per mentee and round: the most violated ones, as in column
generation; adding every violated edge at once would bring back most of the graph."""
ADDED_PER_PLACE = 30
"""Violated edges joining per mentor place in the first round (plus `ADDED_PER_MENTOR`), doubled
each round that fails to halve the violations: a crowded mentor's price is set by the many
mentees competing for it, so those edges must come from the mentor's side."""
ADDED_PER_MENTOR = 20


class SolverError(RuntimeError):
    """The solver did not prove an optimum (it should never happen for this network)."""


def max_score_assignment(
    *,
    n_mentees: int,
    capacity: IntArray,
    mentee: npt.NDArray[np.int32],
    mentor: npt.NDArray[np.int32],
    score: IntArray,
    start: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.int64]:
    """For each mentee 0..n_mentees-1, the index of its mentor, or -1 when it stays unmatched.

    `start` marks the edges to solve over first (all when None); the result is optimal over all
    edges either way.
    """
    active = np.ones(score.shape[0], dtype=np.bool_) if start is None else start.copy()
    total = score.shape[0]
    budget = DIRECT_BUDGET * total
    solved = 0
    per_place = ADDED_PER_PLACE
    violated_before = total
    for _ in range(MAX_ROUNDS):
        chosen = np.nonzero(active)[0]
        if chosen.shape[0] == total:
            break
        if solved + chosen.shape[0] > budget:
            break
        solved += chosen.shape[0]
        assignment = solve_flow(
            n_mentees=n_mentees, capacity=capacity, mentee=mentee[chosen], mentor=mentor[chosen], score=score[chosen]
        )
        reduced = reduced_scores(
            assignment=assignment, capacity=capacity, active=chosen, mentee=mentee, mentor=mentor, score=score
        )
        if reduced is None:
            break
        violating = np.flatnonzero(reduced > 0)
        if not violating.shape[0]:
            return assignment
        if violating.shape[0] > violated_before // 2:
            per_place *= 2
        violated_before = violating.shape[0]
        active[most_violated(reduced, mentee=mentee, per_mentee=ADDED_PER_MENTEE)] = True
        crowded = best_per_mentor(
            mentor[violating],
            reduced[violating],
            capacity=capacity,
            per_place=per_place,
            extra=ADDED_PER_MENTOR,
        )
        active[violating[crowded]] = True
    return solve_flow(n_mentees=n_mentees, capacity=capacity, mentee=mentee, mentor=mentor, score=score)


def solve_flow(
    *,
    n_mentees: int,
    capacity: IntArray,
    mentee: npt.NDArray[np.int32],
    mentor: npt.NDArray[np.int32],
    score: IntArray,
) -> npt.NDArray[np.int64]:
    """The min-cost-flow solve over exactly the given edges."""
    assignment = np.full(n_mentees, -1, dtype=np.int64)
    if n_mentees == 0 or score.shape[0] == 0:
        return assignment
    n_mentors = capacity.shape[0]
    sink = n_mentees + n_mentors
    mentee_nodes = np.arange(n_mentees, dtype=np.int64)
    mentor_nodes = np.arange(n_mentors, dtype=np.int64) + n_mentees
    tails = np.concatenate([mentee.astype(np.int64), mentee_nodes, mentor_nodes])
    heads = np.concatenate([mentor.astype(np.int64) + n_mentees, np.full(n_mentees, sink), np.full(n_mentors, sink)])
    capacities = np.concatenate(
        [np.ones(score.shape[0], dtype=np.int64), np.ones(n_mentees, dtype=np.int64), capacity.astype(np.int64)]
    )
    costs = np.concatenate([-score.astype(np.int64), np.zeros(n_mentees + n_mentors, dtype=np.int64)])

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_mentees] = 1
    supplies[sink] = -n_mentees
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"The min-cost-flow solver stopped with status {status!r}.")
    used = flow.flows(arcs[: score.shape[0]]) > 0
    assignment[mentee[used]] = mentor[used]
    return assignment


def reduced_scores(
    *,
    assignment: npt.NDArray[np.int64],
    capacity: IntArray,
    active: npt.NDArray[np.intp],
    mentee: npt.NDArray[np.int32],
    mentor: npt.NDArray[np.int32],
    score: IntArray,
) -> IntArray | None:
    """Per edge, w_ij - v_j - u_i under the prices that certify `assignment` on the active edges.

    No positive value: `assignment` is optimal over all edges. A positive value marks an edge that
    could improve it. None when no certificate could be built (the caller then solves it all).
    """
    n_mentors = capacity.shape[0]
    am, aj, aw = mentee[active].astype(np.int64), mentor[active].astype(np.int64), score[active]
    matched_to = assignment
    taken = matched_to[am] == aj
    w_matched = np.zeros(matched_to.shape[0], dtype=np.int64)
    w_matched[am[taken]] = aw[taken]

    # Mentor prices: the least v >= 0 with v_k >= w_ik for free mentees i, and v_k >= v_j + w_ik - w_ij
    # when i holds a place at j (moving i from j to k); longest paths, by Bellman-Ford relaxation.
    source = matched_to[am]
    price = np.zeros(n_mentors, dtype=np.int64)
    free = source < 0
    np.maximum.at(price, aj[free], aw[free])
    moving = (source >= 0) & ~taken
    origin, target, gain = source[moving], aj[moving], aw[moving] - w_matched[am[moving]]
    for _ in range(n_mentors + 1):
        relaxed = price.copy()
        np.maximum.at(relaxed, target, price[origin] + gain)
        if np.array_equal(relaxed, price):
            break
        price = relaxed
    else:
        return None
    value = np.where(matched_to >= 0, w_matched - price[np.maximum(matched_to, 0)], 0)
    if (value < 0).any():
        return None
    reduced = score - price[mentor] - value[mentee]
    if not (reduced > 0).any() and int(value.sum() + (capacity * price).sum()) != int(w_matched.sum()):
        return None
    return reduced


def most_violated(reduced: IntArray, *, mentee: npt.NDArray[np.int32], per_mentee: int) -> npt.NDArray[np.intp]:
    """Per mentee, the indices of up to `per_mentee` edges with the largest positive `reduced` value.

    Edges come grouped by mentee (candidate_edges makes them so), which keeps this linear.
    """
    remaining = np.nonzero(reduced > 0)[0]
    picked: list[npt.NDArray[np.intp]] = []
    for _ in range(per_mentee):
        if not remaining.size:
            break
        groups = mentee[remaining]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        values = reduced[remaining]
        best = np.maximum.reduceat(values, starts)
        group_of = np.repeat(np.arange(starts.shape[0]), np.diff(np.r_[starts, remaining.shape[0]]))
        hits = np.flatnonzero(values == best[group_of])
        first = hits[np.r_[True, group_of[hits][1:] != group_of[hits][:-1]]]
        picked.append(remaining[first])
        keep = np.ones(remaining.shape[0], dtype=np.bool_)
        keep[first] = False
        remaining = remaining[keep]
    return np.concatenate(picked) if picked else np.zeros(0, dtype=np.intp)
