"""Hard constraints and the soft score, computed with numpy over many pairs at once.

Each part of a score depends on a few attributes with few distinct values (a mentee's ranked
Areas and a mentor's Area set, two time zones, two experience levels, ...). `encode` numbers the
distinct values and computes each part once per combination, in integer hundredths of a point;
`evaluate` then only gathers from these small tables. The index arrays given to `evaluate`
broadcast: a column of mentees against a row of mentors covers a block, two equal-length vectors
a list of pairs. Both run the same arithmetic, so an explanation always adds up to the score the
solver used, and integer scores make optima compare exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from mentorship.matching.hours import overlap_matrix
from mentorship.matching.inputs import MAX_WEIGHT, WEIGHT_NAMES, Mentee, Mentor, Options, Preference

RANK_VALUES = (1.0, 0.8, 0.65, 0.5, 0.4, 0.3)
"""Share of the Area points a pair earns by the mentee's rank of the best Area they share."""
LOWEST_RANK_VALUE = 0.25
EXTRA_AREA_VALUE = 0.1
"""Each further shared Area adds this share (up to the full Area points)."""
SCALE = 100
"""Points reach the solver as integers in hundredths."""
assert len(WEIGHT_NAMES) * MAX_WEIGHT * SCALE < 2**31 - 1, "block sums of scores are 32-bit"
MAX_YEARS = 60

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
K = TypeVar("K", bound=Hashable)


def rank_value(rank: int) -> float:
    """Rank 1 is the mentee's first choice."""
    return RANK_VALUES[rank - 1] if rank <= len(RANK_VALUES) else LOWEST_RANK_VALUE


def _numbered(values: Iterable[K]) -> tuple[list[K], IntArray]:
    """The distinct values (first-seen order) and, per input, the number of its value."""
    index: dict[K, int] = {}
    numbers = [index.setdefault(value, len(index)) for value in values]
    return list(index), np.array(numbers, dtype=np.int64)


def _hundredths(points: FloatArray) -> IntArray:
    return np.rint(points * SCALE).astype(np.int64)


def experience_share(gap: FloatArray, ideal: tuple[int, int]) -> FloatArray:
    """Full marks for a mentor `ideal` years ahead; less when barely ahead, behind, or far ahead."""
    low, high = ideal
    return np.where(
        gap <= 0,
        0.0,
        np.where(gap < low, gap / low, np.where(gap <= high, 1.0, np.maximum(0.5, 1.0 - (gap - high) / 20.0))),
    )


@dataclass(frozen=True, slots=True)
class Encoded:
    """Candidates as arrays (mentee arrays by mentee row, mentor arrays by mentor column) and part tables."""

    options: Options
    mentee_areas: IntArray  # ranked-Area profile number
    mentor_areas: IntArray  # Area-set number
    area_shared: BoolArray  # (profiles, sets)
    area_points: IntArray  # (profiles, sets)
    mentee_languages: IntArray
    mentor_languages: IntArray
    language_shared: BoolArray
    mentee_zone: IntArray
    mentor_zone: IntArray
    zone_overlap: npt.NDArray[np.int32]  # minutes
    zone_points: IntArray
    mentee_years: IntArray  # clipped to MAX_YEARS
    mentor_years: IntArray
    experience_points: IntArray  # (mentee years, mentor years)
    mentee_hours: IntArray  # number of the hours wanted
    mentor_share: IntArray  # number of the hours offered per mentee
    hours_points: IntArray
    mentee_member: IntArray
    mentor_member: IntArray
    preference_met: BoolArray  # (preferences, mentors); row 0 is "no preference", always met
    mentee_hard: IntArray  # (mentees, most hard preferences of anyone), padded with 0
    mentee_soft: IntArray  # (mentees, most soft preferences of anyone), padded with 0
    mentee_soft_count: IntArray
    preference_points: IntArray  # (soft preferences stated, met)
    # Combined tables for scanning whole blocks: a "type" is (Areas, languages, zone); a "level"
    # is (years, hours). type_stage counts the hard filters a type pair passes in STAGES order.
    mentee_type: IntArray
    mentor_type: IntArray
    type_stage: npt.NDArray[np.int8]
    type_points: npt.NDArray[np.int32]  # Area + time-zone points
    mentee_level: IntArray
    mentor_level: IntArray
    level_points: npt.NDArray[np.int32]  # experience + hours points
    any_hard: bool
    any_soft: bool

    @property
    def min_overlap_minutes(self) -> int:
        return round(self.options.min_overlap_hours * 60)


def encode(mentors: Sequence[Mentor], mentees: Sequence[Mentee], options: Options) -> Encoded:
    weights = options.weights
    areas = _area_tables(mentors, mentees)
    mentee_language_sets, mentee_languages = _numbered(e.languages for e in mentees)
    mentor_language_sets, mentor_languages = _numbered(m.languages for m in mentors)
    language_shared = np.array(
        [[bool(a & b) for b in mentor_language_sets] for a in mentee_language_sets], dtype=np.bool_
    ).reshape(len(mentee_language_sets), len(mentor_language_sets))

    zones, all_zones = _numbered([*(e.time_zone for e in mentees), *(m.time_zone for m in mentors)])
    start, end = options.workday_start, options.workday_end
    zone_overlap = overlap_matrix(zones, on=options.reference_date or datetime.now(UTC).date(), start=start, end=end)
    window = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    mentee_zone, mentor_zone = all_zones[: len(mentees)], all_zones[len(mentees) :]

    years = np.arange(MAX_YEARS + 1, dtype=np.float64)
    wanted, mentee_hours = _numbered(max(e.hours_per_month, 1) for e in mentees)
    offered, mentor_share = _numbered(m.hours_per_month / m.capacity for m in mentors)
    hours_share = np.minimum(1.0, np.array(offered, dtype=np.float64)[None, :] / np.array(wanted)[:, None])
    mentee_years = np.clip([e.years for e in mentees], 0, MAX_YEARS).astype(np.int64)
    mentor_years = np.clip([m.years for m in mentors], 0, MAX_YEARS).astype(np.int64)
    members = _numbered([*(e.member for e in mentees), *(m.member for m in mentors)])[1]

    area_points = _hundredths(weights.area * areas.share)
    zone_points = _hundredths(weights.time_zone * np.minimum(1.0, zone_overlap / window))
    experience_points = _hundredths(
        weights.experience * experience_share(years[None, :] - years[:, None], options.ideal_gap_years)
    )
    hours_points = _hundredths(weights.hours * hours_share)
    preferences = _preference_tables(mentors, mentees, weights.preferences)

    mentee_type, mentor_type, (ea, el, ez), (ma, ml, mz) = _combined(
        (areas.mentee, mentee_languages, mentee_zone), (areas.mentor, mentor_languages, mentor_zone)
    )
    area_ok = areas.shared[ea, ma]
    language_ok = area_ok & language_shared[el, ml]
    hours_ok = language_ok & (zone_overlap >= round(options.min_overlap_hours * 60))[ez, mz]
    type_stage = area_ok.astype(np.int8)
    type_stage += language_ok
    type_stage += hours_ok
    mentee_level, mentor_level, (ey, eh), (my, mh) = _combined(
        (mentee_years, mentee_hours), (mentor_years, mentor_share)
    )

    return Encoded(
        options=options,
        mentee_areas=areas.mentee,
        mentor_areas=areas.mentor,
        area_shared=areas.shared,
        area_points=area_points,
        mentee_languages=mentee_languages,
        mentor_languages=mentor_languages,
        language_shared=language_shared,
        mentee_zone=mentee_zone,
        mentor_zone=mentor_zone,
        zone_overlap=zone_overlap,
        zone_points=zone_points,
        mentee_years=mentee_years,
        mentor_years=mentor_years,
        experience_points=experience_points,
        mentee_hours=mentee_hours,
        mentor_share=mentor_share,
        hours_points=hours_points,
        mentee_member=members[: len(mentees)],
        mentor_member=members[len(mentees) :],
        preference_met=preferences.met,
        mentee_hard=preferences.hard,
        mentee_soft=preferences.soft,
        mentee_soft_count=preferences.soft_count,
        preference_points=preferences.points,
        mentee_type=mentee_type,
        mentor_type=mentor_type,
        type_stage=type_stage,
        type_points=(area_points[ea, ma] + zone_points[ez, mz]).astype(np.int32),
        mentee_level=mentee_level,
        mentor_level=mentor_level,
        level_points=(experience_points[ey, my] + hours_points[eh, mh]).astype(np.int32),
        any_hard=bool(preferences.hard.any()),
        any_soft=bool(preferences.soft.any()),
    )


@dataclass(frozen=True, slots=True)
class _Areas:
    mentee: IntArray  # ranked-profile number per mentee
    mentor: IntArray  # Area-set number per mentor
    shared: BoolArray  # (profiles, sets)
    share: FloatArray  # (profiles, sets) share of the Area points


def _area_tables(mentors: Sequence[Mentor], mentees: Sequence[Mentee]) -> _Areas:
    profiles, mentee_areas = _numbered(e.areas for e in mentees)
    area_sets, mentor_areas = _numbered(m.areas for m in mentors)
    names = sorted({a for p in profiles for a in p} | {a for s in area_sets for a in s})
    column = {name: i for i, name in enumerate(names)}
    values = np.zeros((len(profiles), len(names)), dtype=np.float64)
    for row, profile in enumerate(profiles):
        for rank, area in enumerate(profile, start=1):
            values[row, column[area]] = rank_value(rank)
    has = np.zeros((len(area_sets), len(names)), dtype=np.float64)
    for row, area_set in enumerate(area_sets):
        for area in area_set:
            has[row, column[area]] = 1.0
    best = np.zeros((len(profiles), len(area_sets)), dtype=np.float64)
    for a in range(len(names)):
        np.maximum(best, values[:, a][:, None] * has[:, a][None, :], out=best)
    shared = (values > 0).astype(np.float64) @ has.T
    share = np.minimum(1.0, best + EXTRA_AREA_VALUE * np.maximum(shared - 1, 0))
    return _Areas(mentee=mentee_areas, mentor=mentor_areas, shared=shared > 0, share=share)


@dataclass(frozen=True, slots=True)
class _Preferences:
    met: BoolArray
    hard: IntArray
    soft: IntArray
    soft_count: IntArray
    points: IntArray


def _preference_tables(mentors: Sequence[Mentor], mentees: Sequence[Mentee], weight: float) -> _Preferences:
    rows: dict[tuple[str, frozenset[str]], int] = {}
    for mentee in mentees:
        for preference in mentee.preferences:
            rows.setdefault((preference.attribute, preference.values), len(rows) + 1)
    met = np.ones((len(rows) + 1, len(mentors)), dtype=np.bool_)
    for (attribute, values), row in rows.items():
        probe = Preference(attribute, values)
        met[row] = [probe.met_by(m.attributes) for m in mentors]

    def padded(pick_hard: bool) -> IntArray:
        chosen = [[rows[(p.attribute, p.values)] for p in e.preferences if p.hard is pick_hard] for e in mentees]
        out = np.zeros((len(mentees), max(1, max((len(c) for c in chosen), default=0))), dtype=np.int64)
        for i, c in enumerate(chosen):
            out[i, : len(c)] = c
        return out

    soft = padded(pick_hard=False)
    stated = np.arange(soft.shape[1] + 1, dtype=np.float64)
    # A mentee who states no soft preference is satisfied by every mentor.
    share = np.where(stated[:, None] > 0, stated[None, :] / np.maximum(stated[:, None], 1), 1.0)
    return _Preferences(
        met=met,
        hard=padded(pick_hard=True),
        soft=soft,
        soft_count=(soft > 0).sum(axis=1).astype(np.int64),
        points=_hundredths(weight * share),
    )


def _combined(
    mentee_parts: tuple[IntArray, ...], mentor_parts: tuple[IntArray, ...]
) -> tuple[IntArray, IntArray, list[IntArray], list[IntArray]]:
    """Number the distinct combinations of several attribute numbers on each side.

    Returns each side's combination numbers and, per attribute, the value of each combination as a
    column (mentees) or a row (mentors), ready to broadcast into a combinations table.
    """

    def side(parts: tuple[IntArray, ...], shape: tuple[int, int]) -> tuple[IntArray, list[IntArray]]:
        stacked = np.stack(parts, axis=1) if parts[0].size else np.zeros((0, len(parts)), dtype=np.int64)
        distinct, numbers = np.unique(stacked, axis=0, return_inverse=True)
        return numbers.reshape(-1).astype(np.int64), [distinct[:, k].reshape(shape) for k in range(len(parts))]

    mentee_numbers, mentee_values = side(mentee_parts, (-1, 1))
    mentor_numbers, mentor_values = side(mentor_parts, (1, -1))
    return mentee_numbers, mentor_numbers, mentee_values, mentor_values


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Per pair (in the broadcast shape of the inputs): which constraints hold, and the score's parts."""

    shares_area: BoolArray
    shares_language: BoolArray
    hours_overlap: BoolArray
    preferences_hold: BoolArray
    not_self: BoolArray
    overlap_minutes: npt.NDArray[np.int32]
    area_points: IntArray
    time_zone_points: IntArray
    experience_points: IntArray
    hours_points: IntArray
    preference_points: IntArray

    @property
    def feasible(self) -> BoolArray:
        return self.shares_area & self.shares_language & self.hours_overlap & self.preferences_hold & self.not_self

    @property
    def score(self) -> IntArray:
        """The total in hundredths of a point: exactly the sum of the parts an explanation shows.

        A pair may score 0; the solver still prefers making it to leaving the mentee alone (see engine).
        """
        total: IntArray = self.area_points + self.time_zone_points + self.experience_points
        return total + self.hours_points + self.preference_points


def hard_preferences_hold(enc: Encoded, mentees: IntArray, mentors: IntArray) -> BoolArray:
    ok = np.ones(np.broadcast_shapes(mentees.shape, mentors.shape), dtype=np.bool_)
    if not enc.any_hard:
        return ok
    for k in range(enc.mentee_hard.shape[1]):
        ok &= enc.preference_met[enc.mentee_hard[mentees, k], mentors]
    return ok


def evaluate(enc: Encoded, mentees: IntArray, mentors: IntArray) -> Evaluation:
    """Evaluate mentee rows against mentor columns; the index arrays broadcast (e.g. (n, 1) and (1, m))."""
    profile, area_set = enc.mentee_areas[mentees], enc.mentor_areas[mentors]
    mentee_zone, mentor_zone = enc.mentee_zone[mentees], enc.mentor_zone[mentors]
    overlap = enc.zone_overlap[mentee_zone, mentor_zone]
    return Evaluation(
        shares_area=enc.area_shared[profile, area_set],
        shares_language=enc.language_shared[enc.mentee_languages[mentees], enc.mentor_languages[mentors]],
        hours_overlap=overlap >= enc.min_overlap_minutes,
        preferences_hold=hard_preferences_hold(enc, mentees, mentors),
        not_self=enc.mentee_member[mentees] != enc.mentor_member[mentors],
        overlap_minutes=overlap,
        area_points=enc.area_points[profile, area_set],
        time_zone_points=enc.zone_points[mentee_zone, mentor_zone],
        experience_points=enc.experience_points[enc.mentee_years[mentees], enc.mentor_years[mentors]],
        hours_points=enc.hours_points[enc.mentee_hours[mentees], enc.mentor_share[mentors]],
        preference_points=soft_preference_points(enc, mentees, mentors),
    )


def scores(enc: Encoded, mentees: IntArray, mentors: IntArray) -> IntArray:
    """Only the total score of each pair, in hundredths (the solver's weights); same sums as `evaluate`."""
    total = enc.type_points[enc.mentee_type[mentees], enc.mentor_type[mentors]].astype(np.int64)
    total += enc.level_points[enc.mentee_level[mentees], enc.mentor_level[mentors]]
    total += soft_preference_points(enc, mentees, mentors)
    return total


def soft_preference_points(enc: Encoded, mentees: IntArray, mentors: IntArray) -> IntArray:
    shape = np.broadcast_shapes(mentees.shape, mentors.shape)
    if not enc.any_soft:
        return np.full(shape, enc.preference_points[0, 0], dtype=np.int64)
    soft_met = np.zeros(shape, dtype=np.int64)
    for k in range(enc.mentee_soft.shape[1]):
        row = enc.mentee_soft[mentees, k]
        soft_met += (row > 0) & enc.preference_met[row, mentors]
    points: IntArray = enc.preference_points[enc.mentee_soft_count[mentees], soft_met]
    return points
