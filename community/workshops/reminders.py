"""Reminders before a workshop: 24 hours and 1 hour before it starts, to everyone holding a seat.

A reminder is due only while it is still true: the 24-hour one from 24 h before the start until 1 h
before it, the 1-hour one from then until the start. So a member promoted from the waitlist late, or a
run that comes late, gets the reminders still due and never a stale one. Each registration records the
start time each reminder was sent for, so a workshop moved to another time is reminded again.
"""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from community.members.models import User
from community.members.zones import member_zone
from community.notifications.enums import EmailKind
from community.notifications.services import queue_emails
from community.reminders import REMINDERS, Reminder, starts_in
from community.workshops.calendar import workshop_ics
from community.workshops.models import Registration, Workshop
from community.workshops.queries import registrations_due_for_reminder
from community.workshops.templatetags.workshop_tags import workshop_when

Attachments = list[tuple[str, bytes, str]]


def reminder_key(reminder: Reminder, registration: Registration, starts_at: datetime) -> str:
    """One outbox key per registration, reminder and start time: a moved workshop gets new keys."""
    return f"workshop-reminder-{reminder.name}:{registration.pk}:{int(starts_at.timestamp())}"


def _invite(workshop: Workshop, cache: dict[tuple[int, datetime], Attachments]) -> Attachments:
    # Every registrant of a workshop gets the same invite, so it is built once per workshop and start time.
    key = (workshop.pk, workshop.starts_at)
    if key not in cache:
        ics = workshop_ics(workshop, include_join_link=True)
        cache[key] = [(f"{workshop.slug}.ics", ics, "text/calendar; method=PUBLISH")]
    return cache[key]


def _when(workshop: Workshop, member: User, cache: dict[tuple[int, datetime, str], str]) -> str:
    # The date line depends only on the workshop and the reader's zone: worked out once per pair, not per email.
    zone = member_zone(member, default=None)
    key = (workshop.pk, workshop.starts_at, zone.key if zone else "")
    if key not in cache:
        with timezone.override(zone):
            cache[key] = workshop_when(workshop)
    return cache[key]


def _claim_batch(reminder: Reminder, *, now: datetime, batch_size: int) -> list[Registration]:
    skip_locked = connection.features.has_select_for_update_skip_locked
    due = registrations_due_for_reminder(
        starts_after=now + reminder.due_until,
        starts_until=now + reminder.due_from,
        marker=reminder.marker,
        kind=EmailKind.REMINDERS,
    )
    # Only the registration rows are locked (not their workshops), and rows another scheduler holds are
    # skipped, so two runs at once share the work instead of waiting for each other or doing it twice.
    return list(
        due.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("workshop", "member__profile")
        .order_by("workshop__starts_at", "pk")[:batch_size]
    )


def _send_batch(
    reminder: Reminder, batch: list[Registration], *, now: datetime, invites: dict[tuple[int, datetime], Attachments]
) -> None:
    emails = []
    by_start: dict[datetime, list[int]] = {}
    workshops: dict[int, Workshop] = {}
    dates: dict[tuple[int, datetime, str], str] = {}
    for registration in batch:
        # One instance per workshop, so speakers and areas for the invite are fetched once.
        workshop = workshops.setdefault(registration.workshop_id, registration.workshop)
        emails.append(
            {
                "key": reminder_key(reminder, registration, workshop.starts_at),
                "recipient": registration.member,
                "template": "workshops/reminder",
                "context": {
                    "workshop": workshop,
                    "registration": registration,
                    "reminder": reminder.name,
                    "starts_in": starts_in(workshop.starts_at, now),
                    "when": _when(workshop, registration.member, dates),
                },
                "attachments": _invite(workshop, invites),
                "kind": EmailKind.REMINDERS,
            }
        )
        by_start.setdefault(workshop.starts_at, []).append(registration.pk)
    queue_emails(emails=emails)
    # Marked with the start the email announced: if the workshop moved meanwhile, the next run reminds again.
    for starts_at, ids in by_start.items():
        Registration.objects.filter(pk__in=ids).update(**{reminder.marker: starts_at})


def send_workshop_reminders(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Queue every workshop reminder due at `now` (default: the current time); return how many of each.

    Side effects: per batch of at most `batch_size` registrations, one transaction that locks the
    registration rows (skipping rows another run holds), queues one `workshops/reminder` email of kind
    reminders with the join link and the .ics invite for each (key `workshop-reminder-<24h|1h>:<registration>:
    <start as UTC timestamp>`), and records on each registration the start time it was reminded for.
    Running it again, or twice at once, queues nothing twice.
    """
    now = now or timezone.now()
    invites: dict[tuple[int, datetime], Attachments] = {}
    counts = {}
    for reminder in REMINDERS:
        counts[reminder.name] = 0
        while True:
            with transaction.atomic():
                batch = _claim_batch(reminder, now=now, batch_size=batch_size)
                if not batch:
                    break
                _send_batch(reminder, batch, now=now, invites=invites)
            counts[reminder.name] += len(batch)
    return counts
