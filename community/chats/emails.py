"""The emails of a coffee chat: both sides hear about a booking, a new time, a cancellation and reminders."""

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats

from community.chats.calendar import chat_invite, chat_links
from community.chats.models import CoffeeChat
from community.members.models import User
from community.members.zones import member_zone
from community.notifications.enums import EmailKind
from community.notifications.services import queue_email


def describe_time(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """E.g. "Monday 3 March 2025, 17:00-17:30 (Europe/Berlin)": the reader's own zone, named."""
    start = start.astimezone(zone)
    end = end.astimezone(zone)
    day = formats.date_format(start, "l j F Y")
    return f"{day}, {start:%H:%M}-{end:%H:%M} ({zone.key})"


def _participants(chat: CoffeeChat) -> list[tuple[str, User, User]]:
    """(role, recipient, the other person) for both sides of the chat."""
    host_user = chat.host.user
    return [("guest", chat.guest, host_user), ("host", host_user, chat.guest)]


def _queue(
    chat: CoffeeChat,
    *,
    template: str,
    key: str,
    method: str,
    extra: dict | None = None,
    previous: tuple[datetime, datetime] | None = None,
) -> None:
    for role, recipient, other in _participants(chat):
        zone = member_zone(recipient)
        context = {
            "chat": chat,
            "role": role,
            "other_name": other.display_name,
            "when": describe_time(chat.start, chat.end, zone),
            "host_when": describe_time(chat.start, chat.end, chat.host.zone),
            "previous_when": describe_time(*previous, zone) if previous else "",
            **chat_links(chat),
            **(extra or {}),
        }
        invite = chat_invite(chat, recipient=recipient, method=method)
        filename = "cancel.ics" if method == "CANCEL" else "invite.ics"
        queue_email(
            key=f"{key}:{role}",
            recipient=recipient,
            template=template,
            context=context,
            attachments=[(filename, invite, f"text/calendar; method={method}")],
        )


def queue_chat_booked(chat: CoffeeChat) -> None:
    """Both sides get the booking with an invite (METHOD:REQUEST)."""
    _queue(chat, template="chat_booked", key=f"chat-booked:{chat.pk}", method="REQUEST")


def queue_chat_rescheduled(chat: CoffeeChat, *, previous: tuple[datetime, datetime], by: User) -> None:
    """Both sides get the new time; the invite carries the same UID and a higher SEQUENCE."""
    _queue(
        chat,
        template="chat_rescheduled",
        key=f"chat-rescheduled:{chat.pk}:{chat.sequence}",
        method="REQUEST",
        extra={"changed_by": by.display_name},
        previous=previous,
    )


def queue_chat_cancelled(chat: CoffeeChat, *, by: User) -> None:
    """Both sides hear of the cancellation; the METHOD:CANCEL invite removes it from their calendars."""
    _queue(
        chat,
        template="chat_cancelled",
        key=f"chat-cancelled:{chat.pk}",
        method="CANCEL",
        extra={"cancelled_by_name": by.display_name},
    )


def chat_reminder_emails(
    chat: CoffeeChat, *, reminder: str, starts_in: str, recipient_ids: Collection[int]
) -> list[dict[str, Any]]:
    """The reminder emails of the chat for the sides whose ids are in `recipient_ids`, for `queue_emails`.

    One key per chat, reminder, start time and side (`chat-reminder-<24h|1h>:<chat>:<start as UTC
    timestamp>:<guest|host>`), so a rescheduled chat is reminded again at its new time.
    """
    return [
        {
            "key": f"chat-reminder-{reminder}:{chat.pk}:{int(chat.start.timestamp())}:{role}",
            "recipient": recipient,
            "template": "chat_reminder",
            "context": {
                "chat": chat,
                "role": role,
                "other_name": other.display_name,
                "starts_in": starts_in,
                "when": describe_time(chat.start, chat.end, member_zone(recipient)),
                "other_when": describe_time(chat.start, chat.end, member_zone(other)),
                **chat_links(chat),
            },
            "kind": EmailKind.REMINDERS,
        }
        for role, recipient, other in _participants(chat)
        if recipient.pk in recipient_ids
    ]
