from datetime import timedelta

import icalendar

from community.calendar.ical import build_calendar


def lines(calendar: icalendar.Calendar) -> list[str]:
    return calendar.to_ical().decode().splitlines()


def test_a_published_calendar_names_itself_and_keeps_its_events():
    event = icalendar.Event()
    event.add("uid", "one@example.org")

    calendar = build_calendar(
        [event],
        product="Workshops",
        method="PUBLISH",
        name="Workshops",
        description="All of them.",
        refresh_interval=timedelta(hours=1),
    )

    assert lines(calendar) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//wicn//Workshops//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALDESC:All of them.",
        "X-WR-CALNAME:Workshops",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VEVENT",
        "UID:one@example.org",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_an_emailed_invite_carries_only_its_method():
    calendar = build_calendar([], product="Coffee chats", method="CANCEL", published=False)

    assert lines(calendar) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//wicn//Coffee chats//EN",
        "METHOD:CANCEL",
        "END:VCALENDAR",
    ]
