"""The candidate graph: every mentee-mentor pair that meets the hard constraints, with its score.

20 million pairs (10,000 mentees x 2,000 mentors) never exist at once: mentees are taken in
blocks, the constraints are checked for a whole block with a few table lookups, and only the
surviving pairs are scored and kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mentorship.matching.result import UnmatchedReason
from mentorship.matching.scoring import Encoded, IntArray, hard_preferences_hold, soft_preference_points

BLOCK_PAIRS = 1 << 19
"""Pairs examined per block: large enough to amortise numpy's per-call cost, small enough for memory."""

STAGES = (
    UnmatchedReason.NO_SHARED_AREA,
    UnmatchedReason.NO_SHARED_LANGUAGE,
    UnmatchedReason.NO_HOURS_OVERLAP,
    UnmatchedReason.PREFERENCES_UNMET,
    UnmatchedReason.EXCLUDED,
)
"""The filters in the order they are applied; a mentee's diagnosis is the first that emptied their list."""
FEASIBLE = len(STAGES)


@dataclass(frozen=True, slots=True)
class Edges:
    """Feasible pairs, grouped by mentee; `top` marks each mentee's best-scoring few."""

    mentee: npt.NDArray[np.int32]
    mentor: npt.NDArray[np.int32]
    score: IntArray
    top: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.mentee.shape[0])


def candidate_edges(
    enc: Encoded,
    *,
    rows: IntArray,
    excluded: IntArray,
    keep_top: int,
) -> tuple[Edges, npt.NDArray[np.int8]]:
    """Feasible edges from the mentee `rows` (sorted), and per row how far its mentors survived.

    `excluded` holds forbidden pairs as `row * n_mentors + col` keys. The second result gives, per
    row, the index in STAGES of the first filter that left no mentor, or FEASIBLE. Each mentee's
    `keep_top` best edges are marked in `Edges.top`.
    """
    n_mentors = enc.mentor_zone.shape[0]
    stage = np.zeros(rows.shape[0], dtype=np.int8)
    found: list[Edges] = []
    block = max(1, BLOCK_PAIRS // max(n_mentors, 1))
    for start in range(0, rows.shape[0] if n_mentors else 0, block):
        edges, stage[start : start + block] = _scan_block(
            enc, rows[start : start + block], excluded=excluded, keep_top=keep_top
        )
        found.append(edges)
    return Edges(
        np.concatenate([e.mentee for e in found]) if found else np.zeros(0, dtype=np.int32),
        np.concatenate([e.mentor for e in found]) if found else np.zeros(0, dtype=np.int32),
        np.concatenate([e.score for e in found]) if found else np.zeros(0, dtype=np.int64),
        np.concatenate([e.top for e in found]) if found else np.zeros(0, dtype=np.bool_),
    ), stage


def _scan_block(
    enc: Encoded, chunk: IntArray, *, excluded: IntArray, keep_top: int
) -> tuple[Edges, npt.NDArray[np.int8]]:
    n_mentors = enc.mentor_zone.shape[0]
    column = chunk[:, None]
    cols = np.arange(n_mentors, dtype=np.int64)[None, :]
    passed = enc.type_stage[enc.mentee_type[column], enc.mentor_type[cols]]
    alive = [(passed > level).any(axis=1) for level in range(3)]
    ok = passed == 3
    del passed
    if enc.any_hard:
        hard_rows = np.flatnonzero(enc.mentee_hard[chunk, 0] > 0)
        ok[hard_rows] &= hard_preferences_hold(enc, chunk[hard_rows][:, None], cols)
    alive.append(ok.any(axis=1))
    ok &= enc.mentee_member[column] != enc.mentor_member[cols]
    if excluded.size:
        forbid = excluded[(excluded >= chunk[0] * n_mentors) & (excluded < (chunk[-1] + 1) * n_mentors)]
        forbid_row, forbid_col = forbid // n_mentors, forbid % n_mentors
        # Rows are sorted, so a row number finds its place in the block by search. A forbidden row
        # within the block's range may be absent from it (a pinned mentee is not solved): search
        # then lands on the next row, which must not lose that mentor.
        place = np.searchsorted(chunk, forbid_row)
        present = chunk[place] == forbid_row
        ok[place[present], forbid_col[present]] = False

    dense = enc.type_points[enc.mentee_type[column], enc.mentor_type[cols]]
    dense += enc.level_points[enc.mentee_level[column], enc.mentor_level[cols]]
    base_preference = enc.preference_points[0, 0]
    dense += np.int32(base_preference)
    if enc.any_soft:
        soft_rows = np.flatnonzero(enc.mentee_soft_count[chunk] > 0)
        extra = soft_preference_points(enc, chunk[soft_rows][:, None], cols) - base_preference
        dense[soft_rows] += extra.astype(np.int32)
    local, col = np.nonzero(ok)
    alive.append(np.bincount(local, minlength=chunk.shape[0]) > 0)
    # Walk the filters backwards so that each row ends with the first one that emptied it.
    stage = np.full(chunk.shape[0], FEASIBLE, dtype=np.int8)
    for index in range(len(alive) - 1, -1, -1):
        stage[~alive[index]] = index

    score = dense[local, col].astype(np.int64)
    # For ranking only: every feasible pair, even one scoring 0, above the zeros of infeasible ones.
    dense += 1
    dense *= ok
    top = np.zeros(score.shape[0], dtype=np.bool_)
    if keep_top >= n_mentors:
        top[:] = True
    else:
        # Exactly keep_top per mentee, ties broken arbitrarily (a score threshold would keep every
        # tie). A few row-wise argmax passes beat a partition for a small keep_top.
        keys = local * n_mentors + col
        every_row = np.arange(chunk.shape[0])
        for _ in range(keep_top):
            best_col = dense.argmax(axis=1)
            real = dense[every_row, best_col] > 0
            top[np.searchsorted(keys, every_row[real] * n_mentors + best_col[real])] = True
            dense[every_row, best_col] = 0
    return Edges(chunk[local].astype(np.int32), col.astype(np.int32), score, top), stage


def best_per_mentor(
    mentor: npt.NDArray[np.int32], score: IntArray, *, capacity: IntArray, per_place: int, extra: int
) -> npt.NDArray[np.bool_]:
    """For edges given by their `mentor` and non-negative `score`, each mentor's
    `per_place * capacity + extra` best-scoring ones (ties broken arbitrarily).

    Scores are bucketed to find, per mentor, the bucket where that count is reached: edges above it
    are all kept, and the bucket itself is cut to size in edge order. No sort of all edges needed.
    """
    chosen = np.zeros(mentor.shape[0], dtype=np.bool_)
    if not mentor.shape[0]:
        return chosen
    n_mentors = capacity.shape[0]
    buckets = 1024
    # In place and in 32 bits where the values allow: on millions of edges each fresh temporary
    # costs more in page faults than in arithmetic.
    bucket = score * buckets
    bucket //= int(score.max()) + 1
    bucket = bucket.astype(np.int32)
    key = mentor.astype(np.int32) * np.int32(buckets)
    key += bucket
    counts = np.bincount(key, minlength=n_mentors * buckets).reshape(n_mentors, buckets)
    del key
    above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # above[j, b]: edges of j in bucket b or higher
    wanted = per_place * capacity + extra
    cut = np.maximum((above >= wanted[:, None]).sum(axis=1) - 1, 0)
    strictly_above = np.where(cut + 1 < buckets, above[np.arange(n_mentors), np.minimum(cut + 1, buckets - 1)], 0)
    edge_cut = cut.astype(np.int32)[mentor]
    chosen[bucket > edge_cut] = True
    at_cut = np.flatnonzero(bucket == edge_cut)
    del edge_cut
    order = at_cut[np.argsort(mentor[at_cut], kind="stable")]
    sorted_mentor = mentor[order].astype(np.int64)
    rank = np.arange(order.shape[0]) - np.searchsorted(sorted_mentor, sorted_mentor, side="left")
    chosen[order[rank < (wanted - strictly_above)[sorted_mentor]]] = True
    return chosen
