"""Reminders before a coffee chat: 24 hours and 1 hour before it starts, to the guest and to the host.

A reminder is due only while it is still true: the 24-hour one from 24 h before the start until 1 h
before it, the 1-hour one from then until the start. Each chat records the start time each reminder was
sent for, so a rescheduled chat is reminded at its new time, and a cancelled one is never reminded.
"""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from community.chats.emails import chat_reminder_emails
from community.chats.models import CoffeeChat
from community.chats.queries import chats_due_for_reminder
from community.members.models import User
from community.notifications.enums import EmailKind
from community.notifications.queries import users_accepting
from community.notifications.services import queue_emails
from community.reminders import REMINDERS, Reminder, starts_in


def _claim_batch(reminder: Reminder, *, now: datetime, batch_size: int) -> list[CoffeeChat]:
    skip_locked = connection.features.has_select_for_update_skip_locked
    due = chats_due_for_reminder(
        starts_after=now + reminder.due_until, starts_until=now + reminder.due_from, marker=reminder.marker
    )
    # Only the chat rows are locked, and rows another scheduler holds are skipped: two runs share the work.
    return list(
        due.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("host__user__profile", "guest__profile")
        .order_by("start", "pk")[:batch_size]
    )


def _accepting(chats: list[CoffeeChat]) -> set[int]:
    """Participants of these chats who can be emailed and keep reminders on, in one query."""
    ids = {chat.guest_id for chat in chats} | {chat.host.user_id for chat in chats}
    members = User.objects.filter(pk__in=ids, is_active=True).exclude(email="")
    return set(users_accepting(members, EmailKind.REMINDERS).values_list("pk", flat=True))


def send_chat_reminders(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Queue every coffee chat reminder due at `now` (default: the current time); return how many emails of each.

    Side effects: per batch of at most `batch_size` chats, one transaction that locks the chat rows
    (skipping rows another run holds), queues a `chat_reminder` email of kind reminders to each side
    who keeps reminders on (key `chat-reminder-<24h|1h>:<chat>:<start as UTC timestamp>:<guest|host>`),
    with the time in their own zone and the cancel and reschedule links, and records on each chat the
    start time it was reminded for. Running it again, or twice at once, queues nothing twice.
    """
    now = now or timezone.now()
    counts = {}
    for reminder in REMINDERS:
        counts[reminder.name] = 0
        while True:
            with transaction.atomic():
                batch = _claim_batch(reminder, now=now, batch_size=batch_size)
                if not batch:
                    break
                recipients = _accepting(batch)
                emails = []
                by_start: dict[datetime, list[int]] = {}
                for chat in batch:
                    emails += chat_reminder_emails(
                        chat, reminder=reminder.name, starts_in=starts_in(chat.start, now), recipient_ids=recipients
                    )
                    by_start.setdefault(chat.start, []).append(chat.pk)
                queue_emails(emails=emails)
                counts[reminder.name] += len(emails)
                # Marked with the start the emails announced: a chat moved meanwhile is reminded again.
                for start, ids in by_start.items():
                    CoffeeChat.objects.filter(pk__in=ids).update(**{reminder.marker: start})
    return counts
