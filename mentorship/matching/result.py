"""What a matching run returns: pairs with their explanation, unmatched mentees with their reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mentorship.matching.inputs import CandidateId


class UnmatchedReason(enum.StrEnum):
    """Why a mentee got no mentor: the first filter, in this order, that left no mentor standing."""

    NO_SHARED_AREA = "no_shared_area"
    NO_SHARED_LANGUAGE = "no_shared_language"
    NO_HOURS_OVERLAP = "no_hours_overlap"
    PREFERENCES_UNMET = "preferences_unmet"
    EXCLUDED = "excluded"
    CAPACITY_EXHAUSTED = "capacity_exhausted"

    @property
    def text(self) -> str:
        return UNMATCHED_TEXT[self]


UNMATCHED_TEXT = {
    UnmatchedReason.NO_SHARED_AREA: "No mentor shares an Area",
    UnmatchedReason.NO_SHARED_LANGUAGE: "Mentors share an Area but no language",
    UnmatchedReason.NO_HOURS_OVERLAP: "No time-zone overlap: no mentor who shares an Area and a language "
    "has enough working hours in common",
    UnmatchedReason.PREFERENCES_UNMET: "Hard preference unmet by every otherwise suitable mentor",
    UnmatchedReason.EXCLUDED: "Every suitable mentor was forbidden by a builder (or is the mentee themself)",
    UnmatchedReason.CAPACITY_EXHAUSTED: "Capacity exhausted: suitable mentors' places went to better-scoring pairs",
}


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One part of a pair's score: e.g. kind "area", 32 points, "shares Conference speaking (1st choice)"."""

    kind: str
    points: float
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": self.points, "text": self.text}


@dataclass(frozen=True, slots=True)
class Explanation:
    score: float
    parts: tuple[ScorePart, ...]
    shared_areas: tuple[str, ...]
    shared_languages: tuple[str, ...]
    overlap_hours: float

    @property
    def summary(self) -> str:
        """One line a builder reads, e.g. "shares Conference speaking (1st choice); 5 h working-hour overlap"."""
        return "; ".join(part.text for part in self.parts if part.text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "summary": self.summary,
            "parts": [part.as_dict() for part in self.parts],
            "shared_areas": list(self.shared_areas),
            "shared_languages": list(self.shared_languages),
            "overlap_hours": self.overlap_hours,
        }


@dataclass(frozen=True, slots=True)
class Pair:
    mentor: CandidateId
    mentee: CandidateId
    score: float
    explanation: Explanation
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Unmatched:
    mentee: CandidateId
    reason: UnmatchedReason

    @property
    def text(self) -> str:
        return self.reason.text


@dataclass(frozen=True, slots=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    spare_capacity: dict[CandidateId, int] = field(default_factory=dict)
    """Places left per mentor (mentors with none left are absent)."""
    candidate_pairs: int = 0
    """How many mentor-mentee pairs met every hard constraint (the size of the solved graph)."""

    @property
    def total_score(self) -> float:
        return round(sum(pair.score for pair in self.pairs), 2)

    def mentor_of(self, mentee: CandidateId) -> CandidateId | None:
        for pair in self.pairs:
            if pair.mentee == mentee:
                return pair.mentor
        return None
