"""Optimal mentor-mentee matching, independent of Django: see `match`."""

from mentorship.matching.engine import MatchingInputError, match, score_matrix
from mentorship.matching.inputs import (
    MAX_CAPACITY,
    MAX_WEIGHT,
    MIN_CAPACITY,
    WEIGHT_NAMES,
    Mentee,
    Mentor,
    Options,
    Preference,
    Weights,
)
from mentorship.matching.result import Explanation, MatchResult, Pair, ScorePart, Unmatched, UnmatchedReason

__all__ = [
    "MAX_CAPACITY",
    "MAX_WEIGHT",
    "MIN_CAPACITY",
    "WEIGHT_NAMES",
    "Explanation",
    "MatchResult",
    "MatchingInputError",
    "Mentee",
    "Mentor",
    "Options",
    "Pair",
    "Preference",
    "ScorePart",
    "Unmatched",
    "UnmatchedReason",
    "Weights",
    "match",
    "score_matrix",
]
