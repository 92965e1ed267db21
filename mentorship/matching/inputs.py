"""What the engine matches: mentors, mentees, their preferences, and the options of a run.

Plain frozen dataclasses so that callers (the Django services, the benchmark, the tests) build
them from whatever storage they use. Identifiers are opaque: the engine only compares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import TypeAlias

CandidateId: TypeAlias = int | str
"""An application's identifier, as the caller knows it."""

MemberId: TypeAlias = int | str
"""The person behind an application; a mentor is never paired with themself."""

MIN_CAPACITY = 1
MAX_CAPACITY = 5
MAX_WEIGHT = 1000.0
"""The most points one part of the score may weigh. Scores are summed in 32-bit integer hundredths
over whole blocks of pairs; with five parts at this bound a score stays far below 2**31."""
WEIGHT_NAMES = ("area", "time_zone", "experience", "hours", "preferences")


@dataclass(frozen=True, slots=True)
class Preference:
    """A mentee's wish about a mentor attribute, e.g. region in {"Europe", "Africa"}.

    A hard preference excludes every mentor who does not meet it; a soft one only adds to the
    score of the mentors who do.
    """

    attribute: str
    values: frozenset[str]
    hard: bool = False

    def met_by(self, attributes: Mapping[str, frozenset[str]]) -> bool:
        return bool(self.values & attributes.get(self.attribute, frozenset()))

    def describe(self) -> str:
        return f"{self.attribute}: {' or '.join(sorted(self.values))}"


@dataclass(frozen=True, slots=True)
class Mentor:
    id: CandidateId
    member: MemberId
    capacity: int
    areas: frozenset[str]
    languages: frozenset[str]
    time_zone: str
    years: int = 0
    hours_per_month: int = 2
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if not MIN_CAPACITY <= self.capacity <= MAX_CAPACITY:
            raise ValueError(
                f"Mentor {self.name}: capacity must be between {MIN_CAPACITY} and {MAX_CAPACITY}, not {self.capacity}."
            )

    @property
    def name(self) -> str:
        return self.label or str(self.id)


@dataclass(frozen=True, slots=True)
class Mentee:
    """A mentee; `areas` is ranked, the first is the one they want most."""

    id: CandidateId
    member: MemberId
    areas: tuple[str, ...]
    languages: frozenset[str]
    time_zone: str
    years: int = 0
    hours_per_month: int = 2
    goals: str = ""
    preferences: tuple[Preference, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        if len(set(self.areas)) != len(self.areas):
            raise ValueError(f"Mentee {self.name}: each Area can be ranked only once.")

    @property
    def name(self) -> str:
        return self.label or str(self.id)


@dataclass(frozen=True, slots=True)
class Weights:
    """How many points (out of their sum) each part of a pair's score is worth."""

    area: float = 40.0
    time_zone: float = 20.0
    experience: float = 15.0
    hours: float = 10.0
    preferences: float = 15.0

    def __post_init__(self) -> None:
        for name in WEIGHT_NAMES:
            if getattr(self, name) < 0:
                raise ValueError(f"The weight of {name} cannot be negative.")
            if getattr(self, name) > MAX_WEIGHT:
                raise ValueError(f"The weight of {name} cannot exceed {MAX_WEIGHT:g} points.")


@dataclass(frozen=True, slots=True)
class Options:
    """The knobs of one matching run.

    Working hours are the same local hours for everyone (09:00-18:00 by default), laid on the
    `reference_date` so that daylight-saving time is that of the program's weeks, not today's.
    """

    weights: Weights = field(default_factory=Weights)
    min_overlap_hours: float = 2.0
    workday_start: time = time(9)
    workday_end: time = time(18)
    reference_date: date | None = None
    ideal_gap_years: tuple[int, int] = (2, 15)
    """A mentor this many more years of experience than the mentee scores full experience points."""
    solve_first: int = 2
    """Each mentee's best this-many edges are solved first; the rest join only if the optimality
    certificate asks for them (see solver). It changes the speed, never the result."""

    def __post_init__(self) -> None:
        if self.workday_end <= self.workday_start:
            raise ValueError("The working day must end after it starts.")
        if self.min_overlap_hours < 0:
            raise ValueError("The minimum working-hour overlap cannot be negative.")
        low, high = self.ideal_gap_years
        if self.solve_first < 1:
            raise ValueError("solve_first must be at least 1.")
        if not 0 < low <= high:
            raise ValueError("The ideal experience gap must be a range of positive years, lowest first.")
