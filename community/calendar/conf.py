"""Settings of the personal calendar (prefix CALENDAR_), read when used."""

from community.conf import AppSettings


class CalendarSettings(AppSettings):
    # How many days back the personal calendar feed keeps past events (chats, workshops).
    FEED_PAST_DAYS = 60

    class Meta:
        prefix = "calendar"


app_settings = CalendarSettings()
