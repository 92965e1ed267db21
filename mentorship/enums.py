from django.db import models


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for applications"
    CLOSED = "closed", "Applications closed"
    MATCHING = "matching", "Matching"
    PROPOSED = "proposed", "Pairs proposed"
    PUBLISHED = "published", "Pairs published"
    ACTIVE = "active", "Program running"
    COMPLETED = "completed", "Completed"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENDED_EARLY = "ended_early", "Ended early"


class PairRuleKind(models.TextChoices):
    PIN = "pin", "Pinned: always match"
    FORBID = "forbid", "Forbidden: never match"


class FeedbackStage(models.TextChoices):
    MID = "mid", "Mid-program"
    END = "end", "End of program"


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    NON_BINARY = "non-binary", "Non-binary"
    MAN = "man", "Man"


class Region(models.TextChoices):
    AFRICA = "Africa", "Africa"
    AMERICAS = "Americas", "Americas"
    ASIA = "Asia", "Asia"
    EUROPE = "Europe", "Europe"
    OCEANIA = "Oceania", "Oceania"


class UnmatchedReasonChoice(models.TextChoices):
    """Mirrors mentorship.matching.UnmatchedReason, stored on a mentee's application after a run."""

    NO_SHARED_AREA = "no_shared_area", "No mentor shares an Area"
    NO_SHARED_LANGUAGE = "no_shared_language", "No mentor shares a language"
    NO_HOURS_OVERLAP = "no_hours_overlap", "No time-zone overlap"
    PREFERENCES_UNMET = "preferences_unmet", "Hard preference unmet"
    EXCLUDED = "excluded", "Every suitable mentor was forbidden"
    CAPACITY_EXHAUSTED = "capacity_exhausted", "Capacity exhausted by better-scoring pairs"


LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("fr", "French"),
    ("de", "German"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("uk", "Ukrainian"),
    ("tr", "Turkish"),
    ("ar", "Arabic"),
    ("hi", "Hindi"),
    ("zh", "Chinese"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("sw", "Swahili"),
    ("yo", "Yoruba"),
]
"""ISO 639-1 codes members can choose from."""
LANGUAGE_NAMES = dict(LANGUAGES)

REGION_BY_ZONE_PREFIX = {
    "Africa": Region.AFRICA,
    "America": Region.AMERICAS,
    "Atlantic": Region.EUROPE,
    "Europe": Region.EUROPE,
    "Asia": Region.ASIA,
    "Indian": Region.ASIA,
    "Australia": Region.OCEANIA,
    "Pacific": Region.OCEANIA,
}


def region_of(time_zone: str) -> str:
    """The world region of an IANA zone ("Europe/Berlin" -> "Europe"), or "" when it has none."""
    return str(REGION_BY_ZONE_PREFIX.get(time_zone.split("/", 1)[0], ""))
