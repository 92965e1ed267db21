from django.db import models


class AnnouncementStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Outcome unknown"


class WebhookFlavour(models.TextChoices):
    """The payload shape a webhook expects."""

    SLACK = "slack", "Slack"
    DISCORD = "discord", "Discord"
