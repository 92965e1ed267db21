"""Settings of the notification outbox, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings


class NotificationSettings:
    prefix = "NOTIFICATIONS_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def SEND_ON_COMMIT(self) -> bool:
        """Send each email as soon as the transaction that queued it commits (else only the retry job sends)."""
        return bool(self._get("SEND_ON_COMMIT", True))

    @property
    def MAX_ATTEMPTS(self) -> int:
        """How many times delivery is tried before a message stays failed for a builder to look at."""
        return int(self._get("MAX_ATTEMPTS", 5))

    @property
    def RETRY_BASE_SECONDS(self) -> int:
        """Wait before the first retry; it doubles with every further attempt."""
        return int(self._get("RETRY_BASE_SECONDS", 60))

    @property
    def FROM_EMAIL(self) -> str:
        """Sender address of every outbox email."""
        return str(self._get("FROM_EMAIL", settings.DEFAULT_FROM_EMAIL))


app_settings = NotificationSettings()
