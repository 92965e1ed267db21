from datetime import timedelta

import pytest
from django.utils import timezone

from community.availability import Slot
from community.chats.models import Host
from community.chats.queries import open_slots_for_host
from tests.community.chats.factories import HostFactory
from tests.factories import UserFactory


def open_slots(host: Host) -> list[Slot]:
    return open_slots_for_host(host, now=timezone.now())


def slots_on_one_day(host: Host, count: int) -> list[Slot]:
    """`count` open slots on the same host-local day (so in the same week), at least an hour from now."""
    by_day: dict = {}
    for slot in open_slots(host):
        if slot.start < timezone.now() + timedelta(hours=1):
            continue
        by_day.setdefault(slot.start.astimezone(host.zone).date(), []).append(slot)
    for slots in by_day.values():
        if len(slots) >= count * 2:
            return slots[::2][:count]
    raise AssertionError("no day with enough slots")


@pytest.fixture
def host(db) -> Host:
    return HostFactory(user__username="hostess", user__profile__display_name="Hanna Host")


@pytest.fixture
def guest(db):
    return UserFactory(username="guest", profile__display_name="Grace Guest", profile__time_zone="America/New_York")
