from django.db import models

from community.announcements.enums import AnnouncementStatus


class Announcement(models.Model):
    """One message about one object (workshop, episode, batch) to one webhook.

    The row, with its unique key, is stored before anything is posted; the status then records
    what happened, so that a rerun or a retried task never posts the same message twice.
    The webhook's address holds its secret token, so only a fingerprint and a redacted label are
    stored; the address itself stays in the settings.
    """

    key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=40, help_text="What is announced: workshops, episodes, batches…")
    object_id = models.CharField(max_length=64)
    webhook_id = models.CharField(max_length=64, help_text="Fingerprint of the webhook address.")
    webhook_label = models.CharField(max_length=200, help_text="The webhook's host and path, token hidden.")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=AnnouncementStatus.choices, default=AnnouncementStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not before this time (Retry-After).")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the latest post started.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.object_id} → {self.webhook_label} ({self.status})"
