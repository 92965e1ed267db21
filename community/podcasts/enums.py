from django.db import models


class EpisodeType(models.TextChoices):
    """Apple's itunes:episodeType values."""

    FULL = "full", "Full episode"
    TRAILER = "trailer", "Trailer"
    BONUS = "bonus", "Bonus"


class GuestRole(models.TextChoices):
    """Roles from the Podcasting 2.0 person taxonomy that a community show uses."""

    GUEST = "guest", "Guest"
    HOST = "host", "Host"
    COHOST = "co-host", "Co-host"


class TranscriptFormat(models.TextChoices):
    VTT = "vtt", "WebVTT"
    SRT = "srt", "SubRip"
