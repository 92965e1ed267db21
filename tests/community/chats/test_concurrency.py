"""Many members racing for one slot, with real threads on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection

from community.chats.enums import ChatStatus
from community.chats.errors import SlotTaken
from community.chats.models import CoffeeChat
from community.chats.services import book_chat
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import HostFactory
from tests.factories import UserFactory

ATTEMPTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_book_chat_twenty_members_racing_for_one_slot_get_one_booking():
    host = HostFactory()
    guests = [UserFactory() for _ in range(ATTEMPTS)]
    slot = open_slots(host)[0]
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[object] = [None] * ATTEMPTS

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = book_chat(guest=guests[index], host=host, start=slot.start, topic="Race")
        except Exception as exc:  # noqa: BLE001 - every outcome is collected and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    booked = [outcome for outcome in outcomes if isinstance(outcome, CoffeeChat)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, SlotTaken)]
    assert (len(booked), len(refused)) == (1, ATTEMPTS - 1), outcomes
    assert {str(error) for error in refused} == {"This slot has just been taken. Please pick another one."}
    assert CoffeeChat.objects.filter(host=host, status=ChatStatus.BOOKED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_refuses_overlapping_booked_chats_of_one_host():
    host = HostFactory()
    slot = open_slots(host)[0]
    CoffeeChat.objects.create(host=host, guest=UserFactory(), start=slot.start, end=slot.end, topic="first")

    # Starts differ, so only the PostgreSQL exclusion constraint can catch this overlap.
    with pytest.raises(IntegrityError, match="chats_chat_no_overlap"):
        CoffeeChat.objects.create(
            host=host,
            guest=UserFactory(),
            start=slot.start + timedelta(minutes=10),
            end=slot.end + timedelta(minutes=10),
            topic="second",
        )
