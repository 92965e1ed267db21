"""Write use-cases of coffee chats. Each runs in one transaction and raises a ChatError a member can read."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from community.availability import Refusal, WeeklyRule
from community.chats.conf import app_settings
from community.chats.emails import queue_chat_booked, queue_chat_cancelled, queue_chat_rescheduled
from community.chats.enums import ChatOutcome, ChatStatus
from community.chats.errors import (
    ChatStateError,
    HostInactive,
    NotAllowed,
    SelfBooking,
    SlotTaken,
    SlotUnavailable,
    TooManyOpenBookings,
)
from community.chats.models import AvailabilityRule, BlockedDate, CoffeeChat, Host
from community.chats.queries import open_bookings_count, slot_refusal
from community.members.models import Area, User
from community.members.permissions import is_builder


@transaction.atomic
def save_host(
    *,
    member: User,
    areas: Iterable[Area],
    topics: str,
    intro: str,
    slot_minutes: int,
    buffer_minutes: int,
    min_notice_hours: int,
    horizon_days: int,
    weekly_cap: int,
    is_active: bool,
    rules: Sequence[WeeklyRule],
) -> Host:
    """Make the member a host, or update their settings; their weekly rules become exactly `rules`.

    Side effects: locks (or creates) the member's Host row; replaces its AvailabilityRule rows.
    Chats already booked are kept even if they no longer fit the new rules.
    """
    fields = {
        "topics": topics,
        "intro": intro,
        "slot_minutes": slot_minutes,
        "buffer_minutes": buffer_minutes,
        "min_notice_hours": min_notice_hours,
        "horizon_days": horizon_days,
        "weekly_cap": weekly_cap,
        "is_active": is_active,
    }
    host, created = Host.objects.select_for_update().get_or_create(user=member, defaults=fields)
    if not created:
        for name, value in fields.items():
            setattr(host, name, value)
        host.save()
    host.areas.set(areas)
    host.rules.all().delete()
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(host=host, weekday=rule.weekday, start=rule.start, end=rule.end)
        for rule in sorted(set(rules), key=lambda rule: (rule.weekday, rule.start, rule.end))
    )
    return host


@transaction.atomic
def block_date(*, host: Host, day: date, reason: str = "") -> BlockedDate:
    """Take no chats on `day` (host-local). Blocking a day twice keeps the first entry.

    Side effects: inserts a BlockedDate row. Chats already booked that day stay booked.
    """
    blocked, _ = BlockedDate.objects.get_or_create(host=host, date=day, defaults={"reason": reason})
    return blocked


@transaction.atomic
def unblock_date(*, host: Host, day: date) -> None:
    """Open `day` again. Side effects: deletes the host's BlockedDate row for that day, if any."""
    BlockedDate.objects.filter(host=host, date=day).delete()


def _slot_error(refusal: Refusal) -> SlotUnavailable:
    error_class = SlotTaken if refusal is Refusal.TAKEN else SlotUnavailable
    return error_class(refusal.value, reason=refusal)


def _check_slot(host: Host, *, start: datetime, now: datetime, exclude_chat: CoffeeChat | None = None) -> None:
    refusal = slot_refusal(host, start=start, now=now, exclude_chat=exclude_chat)
    if refusal is not None:
        raise _slot_error(refusal)


def _lock_host(host: Host) -> Host:
    return Host.objects.select_for_update(of=("self",)).select_related("user__profile").get(pk=host.pk)


def book_chat(*, guest: User, host: Host, start: datetime, topic: str, note: str = "") -> CoffeeChat:
    """Book the slot starting at `start` with `host` for `guest`.

    Refuses (ChatError) with oneself, with a paused host, over the guest's limit of upcoming
    bookings, and for a start that is too soon, past the horizon, outside the host's rules, on a
    blocked day, over the weekly cap or taken.
    Side effects: locks the Host row, then the guest's User row (always in that order, so two
    bookings cannot deadlock); inserts a CoffeeChat; queues an email with an invite to each side.
    """
    if guest.pk == host.user_id:
        raise SelfBooking
    now = timezone.now()
    with transaction.atomic():
        host = _lock_host(host)
        if not host.is_active or not host.user.is_active:
            raise HostInactive
        guest = User.objects.select_for_update(of=("self",)).select_related("profile").get(pk=guest.pk)
        limit = app_settings.MAX_OPEN_BOOKINGS_PER_MEMBER
        if open_bookings_count(member=guest, now=now) >= limit:
            raise TooManyOpenBookings(
                f"You already have {limit} upcoming coffee chats, the most a member can hold at once. "
                "Once one has taken place or you cancel one, you can book again."
            )
        _check_slot(host, start=start, now=now)
        chat = CoffeeChat(
            host=host,
            guest=guest,
            start=start,
            end=start + timedelta(minutes=host.slot_minutes),
            topic=topic,
            note=note,
        )
        try:
            # The database has the last word on overlaps; a savepoint keeps the transaction usable.
            with transaction.atomic():
                chat.save()
        except IntegrityError as exc:
            raise SlotTaken from exc
        queue_chat_booked(chat)
    return chat


def _lock_chat(chat: CoffeeChat) -> CoffeeChat:
    return (
        CoffeeChat.objects.select_for_update(of=("self",))
        .select_related("host__user__profile", "guest__profile")
        .get(pk=chat.pk)
    )


def cancel_chat(*, chat: CoffeeChat, by: User, reason: str = "") -> CoffeeChat:
    """Cancel a booked chat that has not started. Its slot is open again as soon as this commits.

    Either participant may cancel; a builder may cancel on the community's behalf.
    Side effects: locks the CoffeeChat row; bumps its SEQUENCE; queues an email with a
    METHOD:CANCEL invite to each side. A cancelled chat gets no reminders.
    """
    with transaction.atomic():
        chat = _lock_chat(chat)
        if not (chat.involves(by) or is_builder(by)):
            raise NotAllowed
        if chat.status != ChatStatus.BOOKED:
            raise ChatStateError(f"This chat is already {chat.get_status_display().lower()}.")
        if chat.start <= timezone.now():
            raise ChatStateError("This chat has already started; the host can record how it went instead.")
        chat.status = ChatStatus.CANCELLED
        chat.cancel_reason = reason
        chat.cancelled_by = by
        chat.cancelled_at = timezone.now()
        chat.sequence += 1
        chat.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at", "sequence", "updated_at"])
        queue_chat_cancelled(chat, by=by)
    return chat


def reschedule_chat(*, chat: CoffeeChat, by: User, start: datetime) -> CoffeeChat:
    """Move a booked chat that has not started to another open slot of the same host.

    Either participant may do it. The new time must pass the same checks as a new booking
    (the chat's own old time does not count against it).
    Side effects: locks the Host row, then the CoffeeChat row; updates start, end and SEQUENCE;
    queues an email with an updated invite (same UID, higher SEQUENCE) to each side.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock_host(chat.host)
        chat = _lock_chat(chat)
        if not chat.involves(by):
            raise NotAllowed
        if chat.status != ChatStatus.BOOKED:
            raise ChatStateError(f"This chat is {chat.get_status_display().lower()} and cannot be moved.")
        if chat.start <= now:
            raise ChatStateError("This chat has already started and cannot be moved.")
        if start == chat.start:
            raise ChatStateError("The chat is already at that time.")
        _check_slot(chat.host, start=start, now=now, exclude_chat=chat)
        previous = (chat.start, chat.end)
        chat.start = start
        chat.end = start + timedelta(minutes=chat.host.slot_minutes)
        chat.sequence += 1
        try:
            with transaction.atomic():
                chat.save(update_fields=["start", "end", "sequence", "updated_at"])
        except IntegrityError as exc:
            raise SlotTaken from exc
        queue_chat_rescheduled(chat, previous=previous, by=by)
    return chat


def mark_chat_outcome(*, chat: CoffeeChat, by: User, outcome: str) -> CoffeeChat:
    """The host records that a chat took place or that the guest did not come (and may correct it later).

    Side effects: locks the CoffeeChat row and sets its status. No email is sent.
    """
    outcome = ChatOutcome(outcome)
    with transaction.atomic():
        chat = _lock_chat(chat)
        if by.pk != chat.host.user_id:
            raise NotAllowed("Only the host can record how a chat went.")
        if chat.status == ChatStatus.CANCELLED:
            raise ChatStateError("This chat was cancelled.")
        if chat.start > timezone.now():
            raise ChatStateError("You can record how the chat went once it has started.")
        chat.status = outcome.value
        chat.save(update_fields=["status", "updated_at"])
    return chat
