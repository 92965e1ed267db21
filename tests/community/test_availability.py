"""Slot computation, without a database: a host in Europe/Berlin, a viewer in America/New_York.

2025 clock changes: the US springs forward on 9 March, the EU on 30 March; the EU falls back
on 26 October, the US on 2 November.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from community.availability import (
    Interval,
    Refusal,
    Schedule,
    Slot,
    WeeklyRule,
    open_slots,
    refusal_for,
    slots_by_day,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY, TUESDAY, SUNDAY = 0, 1, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin_host(*rules: WeeklyRule, **options: object) -> Schedule:
    defaults: dict = {"slot_minutes": 30, "min_notice": timedelta(0), "horizon": timedelta(days=60)}
    defaults.update(options)
    return Schedule(time_zone="Europe/Berlin", rules=rules, **defaults)


def starts(slots: list[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


def wall(slots: list[Slot], zone: ZoneInfo) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for slot in slots]


def test_open_slots_follow_host_wall_clock_across_march_changes():
    schedule = berlin_host(WeeklyRule(MONDAY, time(17), time(17, 30)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 3, 1), until=utc(2025, 4, 1))

    assert wall(slots, BERLIN) == [
        "2025-03-03 17:00 CET",
        "2025-03-10 17:00 CET",
        "2025-03-17 17:00 CET",
        "2025-03-24 17:00 CET",
        "2025-03-31 17:00 CEST",
    ]
    # New York moves on 9 March, Berlin on 30 March: for three weeks the gap is five hours.
    assert wall(slots, NEW_YORK) == [
        "2025-03-03 11:00 EST",
        "2025-03-10 12:00 EDT",
        "2025-03-17 12:00 EDT",
        "2025-03-24 12:00 EDT",
        "2025-03-31 11:00 EDT",
    ]
    assert starts(slots)[0] == utc(2025, 3, 3, 16)
    assert starts(slots)[-1] == utc(2025, 3, 31, 15)


def test_open_slots_follow_host_wall_clock_across_autumn_changes():
    schedule = berlin_host(WeeklyRule(MONDAY, time(17), time(17, 30)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 10, 19), until=utc(2025, 11, 4))

    assert starts(slots) == [utc(2025, 10, 20, 15), utc(2025, 10, 27, 16), utc(2025, 11, 3, 16)]
    assert wall(slots, NEW_YORK) == ["2025-10-20 11:00 EDT", "2025-10-27 12:00 EDT", "2025-11-03 11:00 EST"]


def test_open_slots_skip_local_times_that_do_not_exist_in_spring():
    schedule = berlin_host(WeeklyRule(SUNDAY, time(1), time(4)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 3, 29), until=utc(2025, 3, 31))

    assert wall(slots, BERLIN) == [
        "2025-03-30 01:00 CET",
        "2025-03-30 01:30 CET",
        "2025-03-30 03:00 CEST",
        "2025-03-30 03:30 CEST",
    ]
    assert starts(slots) == [utc(2025, 3, 30, 0), utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1), utc(2025, 3, 30, 1, 30)]
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


def test_open_slots_offer_both_occurrences_of_repeated_autumn_hour():
    schedule = berlin_host(WeeklyRule(SUNDAY, time(1), time(4)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 10, 25), until=utc(2025, 10, 27))

    assert wall(slots, BERLIN) == [
        "2025-10-26 01:00 CEST",
        "2025-10-26 01:30 CEST",
        "2025-10-26 02:00 CEST",
        "2025-10-26 02:30 CEST",
        "2025-10-26 02:00 CET",
        "2025-10-26 02:30 CET",
        "2025-10-26 03:00 CET",
        "2025-10-26 03:30 CET",
    ]
    assert starts(slots) == [utc(2025, 10, 25, 23) + timedelta(minutes=30 * i) for i in range(8)]
    # Eastern time is still on summer time: the viewer sees eight distinct, evenly spaced times.
    assert wall(slots, NEW_YORK)[0] == "2025-10-25 19:00 EDT"
    assert wall(slots, NEW_YORK)[-1] == "2025-10-25 22:30 EDT"


def test_open_slots_end_at_the_jump_when_rule_ends_in_skipped_hour():
    schedule = berlin_host(WeeklyRule(SUNDAY, time(1), time(2, 30)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 3, 29), until=utc(2025, 3, 31))

    assert slots == [
        Slot(utc(2025, 3, 30, 0), utc(2025, 3, 30, 0, 30)),
        Slot(utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1)),
    ]


def test_slots_by_day_groups_under_viewer_calendar_day():
    schedule = berlin_host(WeeklyRule(TUESDAY, time(0), time(1)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 6, 1), until=utc(2025, 6, 4))
    groups = slots_by_day(slots, NEW_YORK)

    # Tuesday just after midnight in Berlin is Monday evening in New York.
    assert [(day, wall(day_slots, NEW_YORK)) for day, day_slots in groups] == [
        (date(2025, 6, 2), ["2025-06-02 18:00 EDT", "2025-06-02 18:30 EDT"])
    ]


def test_open_slots_keep_buffer_around_busy_chats():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(12)), buffer_minutes=15)
    booked = Interval(utc(2025, 6, 2, 8), utc(2025, 6, 2, 8, 30))  # 10:00-10:30 in Berlin

    slots = open_slots(schedule, busy=[booked], now=utc(2025, 6, 1), until=utc(2025, 6, 3))

    assert wall(slots, BERLIN) == [
        "2025-06-02 09:00 CEST",
        "2025-06-02 11:00 CEST",
        "2025-06-02 11:30 CEST",
    ]


def test_open_slots_respect_minimum_notice():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(11)), min_notice=timedelta(hours=24))
    now = utc(2025, 6, 1, 8)  # Sunday 10:00 in Berlin

    slots = open_slots(schedule, busy=[], now=now, until=utc(2025, 6, 3))

    assert wall(slots, BERLIN) == ["2025-06-02 10:00 CEST", "2025-06-02 10:30 CEST"]
    assert refusal_for(schedule, start=utc(2025, 6, 2, 7, 30), busy=[], now=now) is Refusal.TOO_SOON


def test_refusal_for_a_time_already_passed_says_so():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(11)), min_notice=timedelta(hours=24))
    now = utc(2025, 6, 2, 9)

    assert refusal_for(schedule, start=utc(2025, 6, 2, 7), busy=[], now=now) is Refusal.PASSED


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), Refusal.PASSED),
        (datetime(9999, 12, 31, 23, 30, tzinfo=UTC), Refusal.PAST_HORIZON),
    ],
)
def test_refusal_for_a_time_at_the_edge_of_the_calendar_is_an_answer_not_an_overflow(start, expected):
    schedule = Schedule(time_zone="America/New_York", rules=[WeeklyRule(MONDAY, time(9), time(11))])

    assert refusal_for(schedule, start=start, busy=[], now=utc(2025, 6, 1)) is expected


def test_open_slots_stop_at_horizon():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(9, 30)), horizon=timedelta(days=14))
    now = utc(2025, 6, 1)

    slots = open_slots(schedule, busy=[], now=now)

    assert starts(slots) == [utc(2025, 6, 2, 7), utc(2025, 6, 9, 7)]
    assert refusal_for(schedule, start=utc(2025, 6, 16, 7), busy=[], now=now) is Refusal.PAST_HORIZON


def test_open_slots_close_week_once_weekly_cap_reached():
    schedule = berlin_host(
        WeeklyRule(MONDAY, time(9), time(10)), WeeklyRule(SUNDAY, time(23), time(23, 30)), weekly_cap=2
    )
    # Two chats in the host's week of 2 June: Monday 09:00 and Sunday 23:00 Berlin time.
    busy = [
        Interval(utc(2025, 6, 2, 7), utc(2025, 6, 2, 7, 30)),
        Interval(utc(2025, 6, 8, 21), utc(2025, 6, 8, 21, 30)),
    ]

    slots = open_slots(schedule, busy=busy, now=utc(2025, 6, 1, 22), until=utc(2025, 6, 10))

    assert wall(slots, BERLIN) == ["2025-06-09 09:00 CEST", "2025-06-09 09:30 CEST"]
    assert refusal_for(schedule, start=utc(2025, 6, 2, 7, 30), busy=busy, now=utc(2025, 6, 1, 22)) is Refusal.WEEKLY_CAP


def test_weekly_cap_counts_host_local_week_not_utc_week():
    schedule = berlin_host(WeeklyRule(MONDAY, time(0, 30), time(1, 30)), weekly_cap=1)
    # Monday 00:30 in Berlin is Sunday 22:30 UTC: in UTC's calendar it belongs to the week before.
    busy = [Interval(utc(2025, 6, 1, 22, 30), utc(2025, 6, 1, 23))]

    slots = open_slots(schedule, busy=busy, now=utc(2025, 5, 31), until=utc(2025, 6, 3))

    assert slots == []


def test_open_slots_skip_blocked_host_local_dates():
    schedule = berlin_host(
        WeeklyRule(MONDAY, time(0), time(0, 30)),
        WeeklyRule(TUESDAY, time(0), time(0, 30)),
        blocked_dates=frozenset({date(2025, 6, 3)}),
    )

    slots = open_slots(schedule, busy=[], now=utc(2025, 6, 1), until=utc(2025, 6, 4))

    # Tuesday 00:00 Berlin is Monday 22:00 UTC, yet it is the host's Tuesday that is blocked.
    assert wall(slots, BERLIN) == ["2025-06-02 00:00 CEST"]
    assert refusal_for(schedule, start=utc(2025, 6, 2, 22), busy=[], now=utc(2025, 6, 1)) is Refusal.BLOCKED_DATE


def test_refusal_for_overlapping_busy_chat_is_taken():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(10)))
    busy = [Interval(utc(2025, 6, 2, 7, 15), utc(2025, 6, 2, 7, 45))]

    assert refusal_for(schedule, start=utc(2025, 6, 2, 7), busy=busy, now=utc(2025, 6, 1)) is Refusal.TAKEN
    assert refusal_for(schedule, start=utc(2025, 6, 2, 7, 30), busy=busy, now=utc(2025, 6, 1)) is Refusal.TAKEN


def test_refusal_for_off_grid_or_skipped_times_is_outside_rules():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(10)), WeeklyRule(SUNDAY, time(1), time(4)))
    now = utc(2025, 3, 1)

    assert refusal_for(schedule, start=utc(2025, 3, 3, 8, 10), busy=[], now=now) is Refusal.OUTSIDE_RULES
    assert refusal_for(schedule, start=utc(2025, 3, 4, 8), busy=[], now=now) is Refusal.OUTSIDE_RULES
    assert refusal_for(schedule, start=utc(2025, 3, 30, 0, 45), busy=[], now=now) is Refusal.OUTSIDE_RULES
    assert refusal_for(schedule, start=utc(2025, 3, 3, 8, 30), busy=[], now=now) is None


def test_refusal_for_accepts_viewer_zone_datetimes():
    schedule = berlin_host(WeeklyRule(MONDAY, time(17), time(18)))

    start = datetime(2025, 3, 10, 12, tzinfo=NEW_YORK)  # 17:00 in Berlin that week

    assert refusal_for(schedule, start=start, busy=[], now=utc(2025, 3, 1)) is None


def test_open_slots_from_overlapping_rules_are_not_duplicated():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(10)), WeeklyRule(MONDAY, time(9, 30), time(10, 30)))

    slots = open_slots(schedule, busy=[], now=utc(2025, 6, 1), until=utc(2025, 6, 3))

    assert wall(slots, BERLIN) == ["2025-06-02 09:00 CEST", "2025-06-02 09:30 CEST", "2025-06-02 10:00 CEST"]


def test_open_slots_reject_naive_now():
    schedule = berlin_host(WeeklyRule(MONDAY, time(9), time(10)))

    with pytest.raises(ValueError, match="timezone-aware"):
        open_slots(schedule, busy=[], now=datetime(2025, 6, 1))


def test_schedule_rejects_unsupported_slot_length():
    with pytest.raises(ValueError, match="slot length"):
        Schedule(time_zone="Europe/Berlin", rules=[], slot_minutes=20)


def test_weekly_rule_must_end_after_start():
    with pytest.raises(ValueError, match="end after"):
        WeeklyRule(MONDAY, time(10), time(9))
