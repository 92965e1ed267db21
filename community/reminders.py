"""When a reminder before a workshop or a coffee chat is due: pure time rules, no models.

A reminder is due only while it is still true: the 24-hour one from 24 h before the start until 1 h
before it, the 1-hour one from then until the start. A late run, or a place given late, gets the
reminders still due and never a stale one. Whatever is reminded records, per reminder, the start time
it was sent for (its `marker` field), so a moved start re-arms its reminders.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.timesince import timeuntil


@dataclass(frozen=True)
class Reminder:
    name: str
    due_from: timedelta
    """Due once the start is at most this far away..."""
    due_until: timedelta
    """...and still more than this far away (after that the next reminder, or the start itself, takes over)."""
    marker: str
    """Field of the reminded row holding the start time this reminder was last sent for."""


REMINDERS = (
    Reminder("24h", due_from=timedelta(hours=24), due_until=timedelta(hours=1), marker="reminded_24h_for"),
    Reminder("1h", due_from=timedelta(hours=1), due_until=timedelta(0), marker="reminded_1h_for"),
)


def starts_in(start: datetime, now: datetime) -> str:
    """The true time left, e.g. "10 hours" or "23 hours, 45 minutes" (never a rounded "tomorrow")."""
    return timeuntil(start, now, depth=2).replace("\xa0", " ")
