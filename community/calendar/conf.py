"""Settings of the personal calendar, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings


class CalendarSettings:
    prefix = "CALENDAR_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def FEED_PAST_DAYS(self) -> int:
        """How far back the personal calendar feed keeps past events (chats, workshops)."""
        return int(self._get("FEED_PAST_DAYS", 60))


app_settings = CalendarSettings()
