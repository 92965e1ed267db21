"""Settings of community announcements, each read lazily from django.conf.settings with its default."""

from datetime import timedelta
from typing import Any

from django.conf import settings


class AnnouncementSettings:
    prefix = "ANNOUNCEMENTS_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def WEBHOOKS(self) -> dict[str, list[str]]:
        """Incoming-webhook addresses per source, e.g. {"workshops": [...], "episodes": [...], "batches": [...]}.

        hooks.slack.com addresses get Slack's {"text"} payload; discord.com addresses get Discord's
        {"content"} payload with ?wait=true. See `community.announcements.webhooks`.
        """
        configured = self._get("WEBHOOKS", {}) or {}
        return {source: [url for url in urls if url] for source, urls in configured.items()}

    @property
    def LOOKBACK(self) -> timedelta:
        """Only objects published this recently are announced, so a first deploy does not flood the channels."""
        return timedelta(hours=float(self._get("LOOKBACK_HOURS", 24)))

    @property
    def TIMEOUT_SECONDS(self) -> float:
        """How long one post may take before its outcome is considered unknown."""
        return float(self._get("TIMEOUT_SECONDS", 10))

    @property
    def MAX_ATTEMPTS(self) -> int:
        """Posts tried per announcement (429, 5xx, no connection) before it stays failed for a builder."""
        return int(self._get("MAX_ATTEMPTS", 8))

    @property
    def MAX_WAIT_SECONDS(self) -> float:
        """The longest a retried task waits in place for a webhook's Retry-After before posting."""
        return float(self._get("MAX_WAIT_SECONDS", 60))


app_settings = AnnouncementSettings()
