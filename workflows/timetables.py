"""When scheduled runs are due: cron ticks read in the engine's time zone (DST-correct via croniter).

As in Apache Airflow, a run covers a data interval between two ticks; its logical date is the
interval's start, and it is created once the interval has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from croniter import croniter


@dataclass(frozen=True)
class DataInterval:
    start: datetime
    end: datetime


def _next_tick(schedule: str, tz: tzinfo, after: datetime) -> datetime:
    tick: datetime = croniter(schedule, after.astimezone(tz)).get_next(datetime)
    return tick.astimezone(UTC).replace(fold=0)


def _prev_tick(schedule: str, tz: tzinfo, before: datetime) -> datetime:
    tick: datetime = croniter(schedule, before.astimezone(tz)).get_prev(datetime)
    return tick.astimezone(UTC).replace(fold=0)


def first_tick_at_or_after(schedule: str, tz: tzinfo, moment: datetime) -> datetime:
    return _next_tick(schedule, tz, moment - timedelta(seconds=1))


def interval_starting_at(schedule: str, tz: tzinfo, start: datetime) -> DataInterval:
    return DataInterval(start=start, end=_next_tick(schedule, tz, start))


def first_interval(schedule: str, tz: tzinfo, start_date: datetime) -> DataInterval:
    return interval_starting_at(schedule, tz, first_tick_at_or_after(schedule, tz, start_date))


def latest_complete_interval(schedule: str, tz: tzinfo, now: datetime) -> DataInterval:
    """The last interval that has fully ended by `now`."""
    end = _prev_tick(schedule, tz, now + timedelta(seconds=1))
    return DataInterval(start=_prev_tick(schedule, tz, end), end=end)


def next_interval(
    schedule: str,
    tz: tzinfo,
    *,
    start_date: datetime,
    last_logical_date: datetime | None,
    catchup: bool,
    now: datetime,
) -> DataInterval:
    """The interval of the next run to create after the one at `last_logical_date`.

    Without catchup, intervals missed while the DAG was paused or the scheduler down are skipped
    and only the latest complete one runs.
    """
    if last_logical_date is None:
        candidate = first_interval(schedule, tz, start_date)
    else:
        candidate = interval_starting_at(schedule, tz, _next_tick(schedule, tz, last_logical_date))
    if not catchup and candidate.end <= now:
        latest = latest_complete_interval(schedule, tz, now)
        if latest.start > candidate.start and latest.start >= start_date:
            candidate = latest
    return candidate


def describe_schedule(schedule: str) -> str:
    """A cron line in words ("At 03:30 AM"), for people."""
    if not schedule:
        return "Manual runs only"
    from cron_descriptor import get_description

    try:
        return str(get_description(schedule))
    except Exception:  # noqa: BLE001 - a description is a nicety; the raw cron line is still right
        return schedule
