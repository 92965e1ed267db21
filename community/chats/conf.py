"""Settings of coffee chats, each read lazily from django.conf.settings with its default."""

from typing import Any

from django.conf import settings


class ChatSettings:
    prefix = "CHATS_"

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, self.prefix + name, default)

    @property
    def MAX_OPEN_BOOKINGS_PER_MEMBER(self) -> int:
        """How many upcoming booked chats one member may hold as a guest, across all hosts."""
        return int(self._get("MAX_OPEN_BOOKINGS_PER_MEMBER", 3))

    @property
    def FEED_PAST_DAYS(self) -> int:
        """How far back the personal calendar feed keeps past chats and workshops."""
        return int(self._get("FEED_PAST_DAYS", 60))

    @property
    def BROWSE_WINDOW_DAYS(self) -> int:
        """The "has slots soon" filter of the host list looks this many days ahead."""
        return int(self._get("BROWSE_WINDOW_DAYS", 7))


app_settings = ChatSettings()
