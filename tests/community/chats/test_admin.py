import pytest
from django.urls import reverse

from tests.community.chats.factories import CoffeeChatFactory, HostFactory
from tests.factories import BuilderFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_chats_and_hosts_for_builders(client):
    chat = CoffeeChatFactory(topic="Mock interview")
    client.force_login(BuilderFactory(is_superuser=True))

    chats = client.get(reverse("admin:chats_coffeechat_changelist"))
    detail = client.get(reverse("admin:chats_coffeechat_change", args=[chat.pk]))
    hosts = client.get(reverse("admin:chats_host_change", args=[HostFactory().pk]))

    assert "Mock interview" in chats.text
    assert detail.status_code == 200
    assert hosts.status_code == 200
    assert client.get(reverse("admin:chats_coffeechat_add")).status_code == 403
