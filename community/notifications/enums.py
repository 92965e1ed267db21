from django.db import models


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    # Claimed by a deliverer until its lease runs out; a lease that runs out means the deliverer
    # died mid-send, and the email goes again with the same Message-ID.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Never sent: the member turned this kind of email off (when it was queued or before it went).
    SKIPPED = "skipped", "Skipped (turned off by the member)"


class EmailKind(models.TextChoices):
    """What an email is about. Members may turn off every kind but transactional mail."""

    TRANSACTIONAL = "transactional", "Account and booking emails"
    REMINDERS = "reminders", "Reminders before workshops and coffee chats"
    DIGEST = "digest", "The weekly digest"
    MENTORSHIP = "mentorship", "Mentorship check-ins and feedback requests"
    ANNOUNCEMENTS = "announcements", "Community announcements"
