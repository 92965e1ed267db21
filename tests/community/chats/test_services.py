from datetime import time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar

from community.availability import Refusal, WeeklyRule
from community.chats.enums import ChatStatus
from community.chats.errors import (
    ChatStateError,
    HostInactive,
    NotAllowed,
    SelfBooking,
    SlotTaken,
    SlotUnavailable,
    TooManyOpenBookings,
)
from community.chats.models import CoffeeChat
from community.chats.queries import chats_needing_reminder
from community.chats.services import (
    block_date,
    book_chat,
    cancel_chat,
    mark_chat_outcome,
    reschedule_chat,
    save_host,
)
from community.notifications.services import deliver_pending
from tests.community.chats.conftest import open_slots, slots_on_one_day
from tests.community.chats.factories import CoffeeChatFactory, HostFactory
from tests.factories import AreaFactory, UserFactory

pytestmark = pytest.mark.django_db


def invite_of(message) -> Calendar:
    _name, content, mimetype = message.attachments[0]
    assert mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def only_event(calendar: Calendar):
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def book(host, guest, slot, **kwargs):
    return book_chat(guest=guest, host=host, start=slot.start, topic=kwargs.pop("topic", "Career ladder"), **kwargs)


def test_book_chat_books_slot_and_emails_both_sides_an_invite(host, guest):
    slot = open_slots(host)[0]

    chat = book(host, guest, slot, note="I am preparing my first CFP.")
    deliver_pending()

    assert (chat.status, chat.start, chat.end, chat.guest, chat.host) == (
        ChatStatus.BOOKED,
        slot.start,
        slot.start + timedelta(minutes=30),
        guest,
        host,
    )
    assert sorted(message.to[0] for message in mail.outbox) == ["guest@example.org", "hostess@example.org"]
    for message in mail.outbox:
        calendar = invite_of(message)
        event = only_event(calendar)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == f"chat-{chat.pk}@localhost"
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == slot.start
        assert event.decoded("DTEND") == slot.end
        assert f"/chats/{chat.pk}/cancel/" in str(event["DESCRIPTION"])
        assert f"/chats/{chat.pk}/reschedule/" in str(event["DESCRIPTION"])
    guest_mail = next(message for message in mail.outbox if message.to == ["guest@example.org"])
    assert "Coffee chat with Hanna Host booked" in guest_mail.subject
    assert "(America/New_York)" in guest_mail.body
    assert "(Europe/Berlin) for Hanna Host" in guest_mail.body


def test_book_chat_refuses_taken_slot(host, guest):
    slot = open_slots(host)[0]
    book(host, UserFactory(), slot)

    with pytest.raises(SlotTaken, match="just been taken"):
        book(host, guest, slot)


def test_book_chat_refuses_slot_inside_existing_longer_chat(host, guest):
    slot = open_slots(host)[0]
    book(host, UserFactory(), slot)
    host.slot_minutes = 15  # the host shortened their chats after this one was booked
    host.save()

    with pytest.raises(SlotUnavailable) as refused:
        book_chat(guest=guest, host=host, start=slot.start + timedelta(minutes=15), topic="x")

    assert refused.value.reason is Refusal.TAKEN


def test_book_chat_refuses_time_outside_rules(host, guest):
    off_grid = open_slots(host)[0].start + timedelta(minutes=10)

    with pytest.raises(SlotUnavailable, match="not one of the host's available slots"):
        book_chat(guest=guest, host=host, start=off_grid, topic="x")


def test_book_chat_refuses_too_soon(guest):
    host = HostFactory(min_notice_hours=48)
    soon = open_slots(HostFactory(min_notice_hours=0, user__profile__time_zone=host.time_zone))[0]

    with pytest.raises(SlotUnavailable, match="too soon"):
        book(host, guest, soon)


def test_book_chat_refuses_past_horizon(host, guest):
    far = open_slots(host)[-1]
    host.horizon_days = 3
    host.save()

    with pytest.raises(SlotUnavailable, match="too far ahead"):
        book(host, guest, far)


def test_book_chat_refuses_over_weekly_cap(guest):
    host = HostFactory(weekly_cap=1)
    first, second = slots_on_one_day(host, 2)
    book(host, UserFactory(), first)

    with pytest.raises(SlotUnavailable, match="fully booked"):
        book(host, guest, second)


def test_book_chat_refuses_blocked_day(host, guest):
    slot = open_slots(host)[0]
    block_date(host=host, day=slot.start.astimezone(host.zone).date())

    with pytest.raises(SlotUnavailable, match="not available on that day"):
        book(host, guest, slot)


def test_book_chat_refuses_booking_with_oneself(host):
    with pytest.raises(SelfBooking, match="yourself"):
        book(host, host.user, open_slots(host)[0])


def test_book_chat_refuses_over_members_open_booking_limit(guest, settings):
    settings.CHATS_MAX_OPEN_BOOKINGS_PER_MEMBER = 2
    hosts = [HostFactory() for _ in range(3)]
    book(hosts[0], guest, open_slots(hosts[0])[0])
    book(hosts[1], guest, open_slots(hosts[1])[0])

    with pytest.raises(TooManyOpenBookings, match="already have 2 upcoming coffee chats"):
        book(hosts[2], guest, open_slots(hosts[2])[0])


def test_book_chat_limit_ignores_cancelled_and_past_chats(guest, settings):
    settings.CHATS_MAX_OPEN_BOOKINGS_PER_MEMBER = 1
    CoffeeChatFactory(guest=guest, status=ChatStatus.CANCELLED)
    CoffeeChatFactory(guest=guest, start=timezone.now() - timedelta(days=3), status=ChatStatus.COMPLETED)
    host = HostFactory()

    chat = book(host, guest, open_slots(host)[0])

    assert chat.status == ChatStatus.BOOKED


def test_book_chat_refuses_paused_host(host, guest):
    slot = open_slots(host)[0]
    host.is_active = False
    host.save()

    with pytest.raises(HostInactive, match="not taking coffee chats"):
        book(host, guest, slot)


def test_cancel_chat_frees_slot_at_once(host, guest):
    slot = open_slots(host)[0]
    chat = book(host, guest, slot)
    deliver_pending()
    mail.outbox.clear()

    cancel_chat(chat=chat, by=guest, reason="Something came up")
    deliver_pending()

    assert slot in open_slots(host)
    other = book(host, UserFactory(), slot)
    assert other.status == ChatStatus.BOOKED
    chat.refresh_from_db()
    assert (chat.status, chat.cancelled_by, chat.cancel_reason) == (ChatStatus.CANCELLED, guest, "Something came up")
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        calendar = invite_of(message)
        event = only_event(calendar)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == f"chat-{chat.pk}@localhost"
        assert int(event["SEQUENCE"]) == 1
        assert str(event["STATUS"]) == "CANCELLED"
    host_mail = next(message for message in mail.outbox if message.to == ["hostess@example.org"])
    assert "Grace Guest cancelled your coffee chat" in host_mail.body
    assert "Something came up" in host_mail.body


def test_cancelled_chat_needs_no_reminder(host, guest):
    kept = book(host, guest, open_slots(host)[0])
    dropped = book(host, UserFactory(), open_slots(host)[0])
    cancel_chat(chat=dropped, by=host.user, reason="")

    due = chats_needing_reminder(window_start=timezone.now(), window_end=timezone.now() + timedelta(days=30))

    assert list(due) == [kept]


def test_cancel_chat_refuses_stranger_and_second_cancel(host, guest):
    chat = book(host, guest, open_slots(host)[0])

    with pytest.raises(NotAllowed):
        cancel_chat(chat=chat, by=UserFactory(), reason="")
    cancel_chat(chat=chat, by=host.user, reason="")
    with pytest.raises(ChatStateError, match="already cancelled"):
        cancel_chat(chat=chat, by=guest, reason="")


def test_reschedule_chat_moves_chat_and_sends_update_with_higher_sequence(host, guest):
    first, later = slots_on_one_day(host, 2)
    chat = book(host, guest, first)
    deliver_pending()
    mail.outbox.clear()

    moved = reschedule_chat(chat=chat, by=guest, start=later.start)
    deliver_pending()

    assert (moved.start, moved.end, moved.sequence) == (later.start, later.end, 1)
    assert first in open_slots(host)
    assert len(mail.outbox) == 2
    event = only_event(invite_of(mail.outbox[0]))
    assert (str(event["UID"]), int(event["SEQUENCE"]), event.decoded("DTSTART")) == (
        f"chat-{chat.pk}@localhost",
        1,
        later.start,
    )
    assert "moved" in mail.outbox[0].subject


def test_reschedule_chat_refuses_taken_slot(host, guest):
    first, second = slots_on_one_day(host, 2)
    chat = book(host, guest, first)
    book(host, UserFactory(), second)

    with pytest.raises(SlotTaken):
        reschedule_chat(chat=chat, by=guest, start=second.start)

    chat.refresh_from_db()
    assert chat.start == first.start


def test_reschedule_chat_refuses_stranger(host, guest):
    first, second = slots_on_one_day(host, 2)
    chat = book(host, guest, first)

    with pytest.raises(NotAllowed):
        reschedule_chat(chat=chat, by=UserFactory(), start=second.start)


def test_mark_chat_outcome_by_host_after_start(host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest, start=timezone.now() - timedelta(minutes=40))

    mark_chat_outcome(chat=chat, by=host.user, outcome="no_show")

    chat.refresh_from_db()
    assert chat.status == ChatStatus.NO_SHOW


def test_mark_chat_outcome_refuses_guest_and_future_chat(host, guest):
    past = CoffeeChatFactory(host=host, guest=guest, start=timezone.now() - timedelta(hours=2))
    future = CoffeeChatFactory(host=host, guest=guest)

    with pytest.raises(NotAllowed, match="Only the host"):
        mark_chat_outcome(chat=past, by=guest, outcome="completed")
    with pytest.raises(ChatStateError, match="once it has started"):
        mark_chat_outcome(chat=future, by=host.user, outcome="completed")


def test_save_host_makes_member_a_host_and_replaces_rules():
    member = UserFactory()
    area = AreaFactory()
    options = {
        "areas": [area],
        "topics": "Kubernetes",
        "intro": "",
        "slot_minutes": 45,
        "buffer_minutes": 15,
        "min_notice_hours": 12,
        "horizon_days": 21,
        "weekly_cap": 2,
        "is_active": True,
    }
    save_host(member=member, rules=[WeeklyRule(0, *map(_time, ("09:00", "12:00")))], **options)

    host = save_host(member=member, rules=[WeeklyRule(2, *map(_time, ("18:00", "20:00")))], **options)

    assert [(rule.weekday, str(rule.start), str(rule.end)) for rule in host.rules.all()] == [
        (2, "18:00:00", "20:00:00")
    ]
    assert list(host.areas.all()) == [area]
    assert host.slot_minutes == 45


def _time(text: str) -> time:
    return time.fromisoformat(text)


def test_chat_database_refuses_two_bookings_of_one_slot(host, guest):
    chat = CoffeeChatFactory(host=host, guest=guest)

    with pytest.raises(IntegrityError), transaction.atomic():
        CoffeeChat.objects.create(host=host, guest=UserFactory(), start=chat.start, end=chat.end, topic="x")
