"""Open coffee-chat slots, computed from a host's weekly rules. Pure: no Django, no database.

Every instant that enters or leaves this module is an aware datetime; slots come out in UTC.
The host's rules are wall-clock times in the host's own IANA zone, so a rule such as
"Tuesdays 17:00-19:00" stays at 17:00 local time all year, and moves in UTC when the host's
clocks change. A viewer in another zone simply converts the UTC instants.

Daylight-saving decisions, on purpose:

* Slots sit on the host's usual local grid (rule start, then every slot length), so the same
  local times are offered every week, including the weeks the clocks change.
* A local start time that does not exist (the hour skipped when clocks spring forward) is not
  offered. Slots before and after the gap are.
* A local start time that occurs twice (the hour repeated when clocks fall back) is offered
  at both instants: the host is available during both real hours. Viewers see two distinct
  times; the host sees the same wall time twice, each labelled with its UTC offset.
* Every slot lasts exactly the slot length in real time and must end no later than the
  rule's end. When the rule's end falls in a repeated hour its later occurrence counts; when
  it falls in a skipped hour the instant the clocks jump counts.
* Blocked dates and the weekly cap use the host's local calendar (ISO weeks, Monday first).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

SLOT_LENGTHS = (15, 30, 45, 60)


@dataclass(frozen=True)
class WeeklyRule:
    """The host is available on `weekday` (0 = Monday) from `start` to `end`, host-local wall time."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.end <= self.start:
            raise ValueError("a rule must end after it starts")


@dataclass(frozen=True)
class Interval:
    """A busy stretch of time (an existing chat), as aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    """Everything about a host that decides which slots are open."""

    time_zone: str
    rules: Sequence[WeeklyRule]
    slot_minutes: int = 30
    buffer_minutes: int = 0
    min_notice: timedelta = timedelta(hours=24)
    horizon: timedelta = timedelta(days=28)
    weekly_cap: int | None = None
    blocked_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.slot_minutes not in SLOT_LENGTHS:
            raise ValueError(f"slot length must be one of {SLOT_LENGTHS} minutes")
        if self.buffer_minutes < 0:
            raise ValueError("buffer cannot be negative")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


@dataclass(frozen=True, order=True)
class Slot:
    """One bookable stretch of time, in UTC."""

    start: datetime
    end: datetime

    def in_zone(self, zone: tzinfo) -> datetime:
        """The slot's start as wall time in `zone` (the viewer's, or the host's)."""
        return self.start.astimezone(zone)


class Refusal(enum.Enum):
    """Why a start time cannot be booked. The value is a sentence fit for the member."""

    PASSED = "This time has already passed. Please pick one of the open slots."
    TOO_SOON = "This slot starts too soon: the host asks for more notice."
    PAST_HORIZON = "This slot is too far ahead: the host does not take bookings that far out yet."
    OUTSIDE_RULES = "This time is not one of the host's available slots."
    BLOCKED_DATE = "The host is not available on that day."
    WEEKLY_CAP = "The host's chats for that week are fully booked."
    TAKEN = "This slot has just been taken. Please pick another one."


def open_slots(
    schedule: Schedule,
    *,
    busy: Iterable[Interval],
    now: datetime,
    until: datetime | None = None,
) -> list[Slot]:
    """The open slots from `now` to the end of the host's horizon (or `until`, if earlier), sorted."""
    _require_aware(now)
    busy_list = list(busy)
    last = now + schedule.horizon
    if until is not None:
        _require_aware(until)
        last = min(last, until)
    zone = schedule.zone
    bookings_per_week = _bookings_per_week(busy_list, zone)
    index = _BusyIndex(busy_list, schedule.buffer)
    earliest = now + schedule.min_notice
    found = []
    for slot in _candidates(schedule, _local_date(now, zone) - timedelta(days=1), _local_date(last, zone)):
        if slot.start < earliest or slot.start > last:
            continue
        if _refusal(schedule, slot, busy=index, now=now, bookings_per_week=bookings_per_week) is None:
            found.append(slot)
    return sorted(found)


def refusal_for(schedule: Schedule, *, start: datetime, busy: Iterable[Interval], now: datetime) -> Refusal | None:
    """Why `start` cannot be booked right now, or None if it can.

    Checks run in the order a member would want to hear about them: timing first, then
    whether the time is offered at all, then whether it is still free.
    """
    _require_aware(start)
    _require_aware(now)
    busy_list = list(busy)
    start = start.astimezone(UTC)
    # Timing first: it needs no calendar arithmetic, so a start at the edge of the calendar
    # (year 1 or 9999) is refused before any day around it is computed.
    if start <= now:
        return Refusal.PASSED
    if start < now + schedule.min_notice:
        return Refusal.TOO_SOON
    if start > now + schedule.horizon:
        return Refusal.PAST_HORIZON
    day = _local_date(start, schedule.zone)
    slot = next((s for s in _candidates(schedule, day, day) if s.start == start), None)
    if slot is None:
        return Refusal.OUTSIDE_RULES
    return _refusal(
        schedule,
        slot,
        busy=_BusyIndex(busy_list, schedule.buffer),
        now=now,
        bookings_per_week=_bookings_per_week(busy_list, schedule.zone),
    )


def slots_by_day(slots: Iterable[Slot], zone: tzinfo) -> list[tuple[date, list[Slot]]]:
    """Group slots under the calendar day they start on in `zone` (normally the viewer's)."""
    groups: dict[date, list[Slot]] = {}
    for slot in sorted(slots):
        groups.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    return list(groups.items())


def local_week(instant: datetime, zone: tzinfo) -> tuple[int, int]:
    """The ISO (year, week) that `instant` falls in, on the host's local calendar."""
    iso = instant.astimezone(zone).isocalendar()
    return iso.year, iso.week


# Internals ---------------------------------------------------------------------------------


def _refusal(
    schedule: Schedule,
    slot: Slot,
    *,
    busy: _BusyIndex,
    now: datetime,
    bookings_per_week: dict[tuple[int, int], int],
) -> Refusal | None:
    zone = schedule.zone
    if slot.start < now + schedule.min_notice:
        return Refusal.TOO_SOON
    if slot.start > now + schedule.horizon:
        return Refusal.PAST_HORIZON
    if _local_date(slot.start, zone) in schedule.blocked_dates:
        return Refusal.BLOCKED_DATE
    if busy.conflicts(slot):
        return Refusal.TAKEN
    if (
        schedule.weekly_cap is not None
        and bookings_per_week.get(local_week(slot.start, zone), 0) >= schedule.weekly_cap
    ):
        return Refusal.WEEKLY_CAP
    return None


def _candidates(schedule: Schedule, first_day: date, last_day: date) -> Iterator[Slot]:
    """Every slot the rules offer on the host-local days first_day..last_day, ignoring bookings."""
    zone = schedule.zone
    length = schedule.slot_length
    by_weekday: dict[int, list[WeeklyRule]] = {}
    for rule in schedule.rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    seen: set[datetime] = set()
    day = first_day
    while day <= last_day:
        for rule in by_weekday.get(day.weekday(), ()):
            window_end = _window_end(day, rule.end, zone)
            wall = datetime.combine(day, rule.start)
            wall_end = datetime.combine(day, rule.end)
            while wall < wall_end:
                for start in _instants(wall, zone):
                    end = start + length
                    if end <= window_end and start not in seen:
                        seen.add(start)
                        yield Slot(start, end)
                wall += length
        day += timedelta(days=1)


def _instants(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the host's clock shows `wall`: none (skipped), one, or two (repeated)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return [first]
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return sorted([first, second])
    return []


def _window_end(day: date, end: time, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, end)
    instants = _instants(wall, zone)
    if instants:
        return instants[-1]
    # The end falls in a skipped hour: the window ends at the jump. PEP 495 maps a skipped wall
    # time to one instant on either side of the jump; search between them for the change of offset.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def _bookings_per_week(busy: Iterable[Interval], zone: ZoneInfo) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for interval in busy:
        week = local_week(interval.start, zone)
        counts[week] = counts.get(week, 0) + 1
    return counts


class _BusyIndex:
    """Busy intervals sorted by start, answering "does this slot come within `buffer` of any?" in O(log n)."""

    def __init__(self, busy: Iterable[Interval], buffer: timedelta) -> None:
        ordered = sorted(busy, key=lambda interval: interval.start)
        self._starts = [interval.start for interval in ordered]
        # The latest end among the first i intervals: overlapping bookings need not be sorted by end.
        self._max_ends: list[datetime] = []
        for interval in ordered:
            self._max_ends.append(max(interval.end, self._max_ends[-1]) if self._max_ends else interval.end)
        self._buffer = buffer

    def conflicts(self, slot: Slot) -> bool:
        # Intervals starting before the slot's end (plus buffer) are candidates; one of them
        # conflicts exactly when the latest end among them reaches past the slot's start (minus buffer).
        count = bisect.bisect_left(self._starts, slot.end + self._buffer)
        return count > 0 and self._max_ends[count - 1] + self._buffer > slot.start


def _local_date(instant: datetime, zone: tzinfo) -> date:
    return instant.astimezone(zone).date()


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetimes given to availability must be timezone-aware")
