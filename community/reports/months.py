"""Calendar months and their bounds in a time zone. Pure: no Django import, tested without a database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

_PATTERN = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month, written "YYYY-MM"."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month.")

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2025-05" -> Month(2025, 5); ValueError with a message for a person otherwise."""
        match = _PATTERN.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"Write the month as YYYY-MM, for example 2025-05 (not {text.strip()!r}).")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime, zone: tzinfo) -> Month:
        """The month a moment falls in, on the calendar of `zone`."""
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day to local midnight of the next month's first day.

        Each bound gets the offset in force on its own day, so a month that spans a DST change is
        an hour shorter or longer than its days suggest, as it is on the local calendar.
        """
        return self._start(zone), self.next()._start(zone)

    def _start(self, zone: tzinfo) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)
