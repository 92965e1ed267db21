"""Times sent with any UTC offset a browser or a hand-made request may carry are read as the instant they name."""

from datetime import timedelta, timezone

import pytest
from django.urls import reverse

from community.chats.models import CoffeeChat
from community.chats.services import book_chat
from tests.community.chats.conftest import open_slots

pytestmark = pytest.mark.django_db

# PostgreSQL stores offsets only up to ±15:59; Python reads them up to ±23:59.
OFFSETS = [
    timedelta(hours=16),
    timedelta(hours=23, minutes=59),
    -timedelta(hours=16),
    timedelta(hours=2),
]


@pytest.mark.parametrize("offset", OFFSETS, ids=str)
def test_booking_with_any_offset_books_the_slot_it_names(client, host, guest, offset):
    slot = open_slots(host)[0]
    client.force_login(guest)

    response = client.post(
        reverse("chats:book", args=[host.user.profile.slug]),
        {"start": slot.start.astimezone(timezone(offset)).isoformat(), "topic": "CFP"},
    )

    chat = CoffeeChat.objects.get()
    assert response.status_code == 302
    assert (chat.start, chat.end) == (slot.start, slot.end)


@pytest.mark.parametrize("offset", OFFSETS, ids=str)
def test_rescheduling_with_any_offset_moves_to_the_slot_it_names(client, host, guest, offset):
    slots = open_slots(host)
    chat = book_chat(guest=guest, host=host, start=slots[0].start, topic="x")
    client.force_login(guest)

    response = client.post(
        reverse("chats:reschedule", args=[chat.pk]), {"start": slots[3].start.astimezone(timezone(offset)).isoformat()}
    )

    chat.refresh_from_db()
    assert response.status_code == 302
    assert (chat.start, chat.sequence) == (slots[3].start, 1)


def test_booking_a_time_beyond_the_calendar_with_an_offset_is_refused_with_a_message(client, host, guest):
    client.force_login(guest)

    response = client.post(
        reverse("chats:book", args=[host.user.profile.slug]),
        {"start": "9999-12-31T23:59:00-16:00", "topic": "CFP"},
    )

    assert response.status_code == 200
    assert "That time could not be read" in response.text
    assert CoffeeChat.objects.count() == 0
