from django.db import models


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailKind(models.TextChoices):
    """What an email is about. Members may turn off every kind but transactional mail."""

    TRANSACTIONAL = "transactional", "Account and booking emails"
    REMINDERS = "reminders", "Reminders before workshops and coffee chats"
    DIGEST = "digest", "The weekly digest"
    MENTORSHIP = "mentorship", "Mentorship check-ins and feedback requests"
    ANNOUNCEMENTS = "announcements", "Community announcements"
