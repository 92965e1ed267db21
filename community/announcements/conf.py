"""Settings of community announcements (prefix ANNOUNCEMENTS_), read when used."""

from datetime import timedelta

from community.conf import AppSettings


class AnnouncementSettings(AppSettings):
    # Incoming-webhook addresses per source, e.g. {"workshops": [...], "episodes": [...], "batches": [...]};
    # hooks.slack.com addresses get Slack's payload, discord.com ones Discord's (community.announcements.webhooks).
    WEBHOOKS: dict[str, list[str]] = {}
    # Only objects published this many hours ago or less are announced, so a first deploy does not flood channels.
    LOOKBACK_HOURS = 24.0
    # How many seconds one post may take before its outcome is considered unknown.
    TIMEOUT_SECONDS = 10.0
    # Posts tried per announcement (429, 5xx, no connection) before it stays failed for a builder.
    MAX_ATTEMPTS = 8
    # The longest (seconds) a retried task waits in place for a webhook's Retry-After before posting.
    MAX_WAIT_SECONDS = 60.0

    class Meta:
        prefix = "announcements"

    def clean_webhooks(self, value: dict[str, list[str]] | None) -> dict[str, list[str]]:
        return {source: [url for url in urls if url] for source, urls in (value or {}).items()}

    @property
    def lookback(self) -> timedelta:
        """LOOKBACK_HOURS as a duration."""
        return timedelta(hours=self.LOOKBACK_HOURS)


app_settings = AnnouncementSettings()
