"""Working-hour overlap between time zones, for one reference date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

MINUTES_PER_DAY = 24 * 60


def working_window_utc(zone: str, *, on: date, start: time, end: time) -> tuple[int, int]:
    """The local working day of `zone` on `on`, in minutes from `on` 00:00 UTC (may be negative)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f'"{zone}" is not a time zone we know.') from exc
    midnight_utc = datetime.combine(on, time(0), tzinfo=ZoneInfo("UTC"))

    def minutes(moment: time) -> int:
        local = datetime.combine(on, moment, tzinfo=tz)
        return int((local - midnight_utc) / timedelta(minutes=1))

    return minutes(start), minutes(end)


def overlap_minutes(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Minutes two working days share, the other person's day taken as yesterday, today or tomorrow.

    Across the date line a Tuesday morning in Auckland is a Monday afternoon in Los Angeles: they
    can meet, so the neighbouring days count.
    """
    best = 0
    for shift in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY):
        shared = min(a[1], b[1] + shift) - max(a[0], b[0] + shift)
        best = max(best, shared)
    return best


def overlap_matrix(zones: Sequence[str], *, on: date, start: time, end: time) -> npt.NDArray[np.int32]:
    """Overlap in minutes between every two of `zones` (a small square matrix indexed like `zones`)."""
    windows = [working_window_utc(zone, on=on, start=start, end=end) for zone in zones]
    matrix = np.zeros((len(zones), len(zones)), dtype=np.int32)
    for i, a in enumerate(windows):
        for j, b in enumerate(windows):
            matrix[i, j] = overlap_minutes(a, b)
    return matrix
