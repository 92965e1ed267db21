"""Settings of coffee chats (prefix CHATS_), read when used."""

from community.conf import AppSettings


class ChatSettings(AppSettings):
    # How many upcoming booked chats one member may hold as a guest, across all hosts.
    MAX_OPEN_BOOKINGS_PER_MEMBER = 3
    # The "has slots soon" filter of the host list looks this many days ahead.
    BROWSE_WINDOW_DAYS = 7

    class Meta:
        prefix = "chats"


app_settings = ChatSettings()
