"""Mentorship data: batches, applications, matches and their follow-up."""

from mentorship.models.applications import MenteeApplication, MenteeAreaChoice, MentorApplication
from mentorship.models.batch import TRANSITIONS, Batch
from mentorship.models.matches import LIVE_STATUSES, CheckIn, Feedback, Match, MatchingRun, PairRule

__all__ = [
    "LIVE_STATUSES",
    "TRANSITIONS",
    "Batch",
    "CheckIn",
    "Feedback",
    "Match",
    "MatchingRun",
    "MenteeApplication",
    "MenteeAreaChoice",
    "MentorApplication",
    "PairRule",
]
