"""Settings of the notification outbox (prefix NOTIFICATIONS_), read when used."""

from django.conf import settings

from community.conf import AppSettings

DELIVERY_MODES = ("worker", "sweep")


class NotificationSettings(AppSettings):
    # "worker": a request that queues email asks for a deliver_notifications run after commit; "sweep": only
    # the every-minute run delivers (no run per request). Requests never send mail.
    DELIVERY = "worker"
    # How many times delivery is tried before a message stays failed for a builder to look at.
    MAX_ATTEMPTS = 5
    # Wait before the first retry; it doubles with every further attempt.
    RETRY_BASE_SECONDS = 60
    # How long a deliverer owns the emails it claimed; after that another run sends them again.
    LEASE_SECONDS = 300
    # How many emails a deliverer claims at a time (each claim gets a fresh lease).
    CLAIM_SIZE = 100
    # Sent (and skipped) emails older than this many days are deleted by the housekeeping DAG.
    RETENTION_DAYS = 90
    # How many days an unsubscribe link in an email keeps working.
    UNSUBSCRIBE_LINK_DAYS = 400
    # Sender address of every outbox email (empty: DEFAULT_FROM_EMAIL).
    FROM_EMAIL = ""

    class Meta:
        prefix = "notifications"

    def clean_from_email(self, value: str) -> str:
        return value or str(settings.DEFAULT_FROM_EMAIL)


app_settings = NotificationSettings()
