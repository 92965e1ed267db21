import base64

from django.conf import settings
from django.db import models

from community.notifications.enums import EmailKind, NotificationStatus


class Notification(models.Model):
    """One email the platform must send, rendered when queued, queued once per idempotency key.

    Delivery is at least once: a deliverer that dies between the mail server's acceptance and
    recording it leaves the row "sending" until its lease runs out, and the next run sends it again
    with the same Message-ID (see docs/email-delivery.md).
    """

    key = models.CharField(
        max_length=200,
        unique=True,
        help_text="Idempotency key, e.g. 'workshop-promoted:12:34'. Queuing the same key again sends nothing new.",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    to = models.EmailField(help_text="Address the email goes to, fixed when it was queued.")
    template = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=16,
        choices=EmailKind.choices,
        default=EmailKind.TRANSACTIONAL,
        help_text="Members may turn off every kind of email but transactional ones.",
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "mimetype": ..., "content": <base64>}]: small files such as .ics invites.
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the retry job may try again; empty once sent."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="One-click unsubscribe link of an optional kind of email, in its footer and List-Unsubscribe.",
    )
    lease_id = models.UUIDField(null=True, blank=True, editable=False, help_text="The deliverer run that claimed it.")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While sending: when another run may take it over and send it again."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_pending_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="notification_lease_idx"),
            models.Index(fields=["lease_id"], name="notification_lease_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.SENT) | models.Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.SENDING)
                | models.Q(lease_id__isnull=False, lease_expires_at__isnull=False),
                name="notification_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    def decoded_attachments(self) -> list[tuple[str, bytes, str]]:
        return [(item["filename"], base64.b64decode(item["content"]), item["mimetype"]) for item in self.attachments]


class EmailPreferences(models.Model):
    """Which optional kinds of email a member receives. Transactional email cannot be turned off.

    A member without a row has the defaults: reminders, mentorship and announcements on, the digest off
    (the digest is only for members who opted in).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences")
    reminders = models.BooleanField("Reminders before workshops and coffee chats", default=True)
    digest = models.BooleanField("The weekly digest", default=False)
    mentorship = models.BooleanField("Mentorship check-ins and feedback requests", default=True)
    announcements = models.BooleanField("Community announcements", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "email preferences"

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"

    @classmethod
    def default_for(cls, kind: str) -> bool:
        field = cls._meta.get_field(kind)
        if not isinstance(field, models.BooleanField):
            raise ValueError(f"{kind!r} is not a kind of email a member can choose")
        return bool(field.default)
