"""Settings of the notification outbox, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings

DELIVERY_MODES = ("worker", "sweep")


class NotificationSettings:
    prefix = "NOTIFICATIONS_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def DELIVERY(self) -> str:
        """ "worker": a request that queues email asks for a deliver_notifications run after commit;
        "sweep": only the every-minute run delivers (no run per request). Requests never send mail."""
        return str(self._get("DELIVERY", "worker"))

    @property
    def MAX_ATTEMPTS(self) -> int:
        """How many times delivery is tried before a message stays failed for a builder to look at."""
        return int(self._get("MAX_ATTEMPTS", 5))

    @property
    def RETRY_BASE_SECONDS(self) -> int:
        """Wait before the first retry; it doubles with every further attempt."""
        return int(self._get("RETRY_BASE_SECONDS", 60))

    @property
    def LEASE_SECONDS(self) -> int:
        """How long a deliverer owns the emails it claimed; after that another run sends them again."""
        return int(self._get("LEASE_SECONDS", 300))

    @property
    def CLAIM_SIZE(self) -> int:
        """How many emails a deliverer claims at a time (each claim gets a fresh lease)."""
        return int(self._get("CLAIM_SIZE", 100))

    @property
    def RETENTION_DAYS(self) -> int:
        """Sent (and skipped) emails older than this are deleted by the housekeeping DAG."""
        return int(self._get("RETENTION_DAYS", 90))

    @property
    def UNSUBSCRIBE_LINK_DAYS(self) -> int:
        """How long an unsubscribe link in an email keeps working."""
        return int(self._get("UNSUBSCRIBE_LINK_DAYS", 400))

    @property
    def FROM_EMAIL(self) -> str:
        """Sender address of every outbox email."""
        return str(self._get("FROM_EMAIL", settings.DEFAULT_FROM_EMAIL))


app_settings = NotificationSettings()
