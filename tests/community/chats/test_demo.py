import pytest

from community.chats import demo
from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat, Host
from community.members.demo_members import seed_members

pytestmark = pytest.mark.django_db


def test_demo_seed_makes_bookable_hosts_and_is_idempotent(client):
    builder, members = seed_members()

    first = demo.seed(members=members, builder=builder)
    second = demo.seed(members=members, builder=builder)

    assert first == "4 hosts, 3 chats (3 new)"
    assert second == "4 hosts, 3 chats (0 new)"
    assert Host.objects.count() == 4
    assert CoffeeChat.objects.filter(status=ChatStatus.BOOKED).count() == 2
    hedy = Host.objects.get(user__email="hedy@example.org")
    client.force_login(members[-1])
    page = client.get(f"/chats/hosts/{hedy.user.profile.slug}/")
    assert page.status_code == 200
    assert "/book/?start=" in page.text
