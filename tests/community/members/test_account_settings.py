import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from community.notifications.services import deliver_pending
from tests.factories import UserFactory


@pytest.mark.django_db
def test_changing_email_keeps_the_old_address_until_the_new_one_is_confirmed(client):
    user = UserFactory(email="mae@example.org")
    client.force_login(user)

    response = client.post("/accounts/email/", {"action_add": "", "email": "mae.new@example.org"})

    assert response.status_code == 302
    assert mail.outbox == []
    assert deliver_pending() == 1
    assert [m.to for m in mail.outbox] == [["mae.new@example.org"]]
    user.refresh_from_db()
    assert user.email == "mae@example.org"
    assert EmailAddress.objects.get(email="mae.new@example.org").verified is False

    link = re.search(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)", mail.outbox[0].body).group(1)
    client.post(link)

    user.refresh_from_db()
    assert user.email == "mae.new@example.org"


@pytest.mark.django_db
def test_email_address_of_another_member_is_never_attached_nor_revealed(client):
    owner = UserFactory(email="taken@example.org")
    mae = UserFactory(email="mae@example.org")
    client.force_login(mae)

    response = client.post("/accounts/email/", {"action_add": "", "email": "taken@example.org"})

    # The answer looks like any other change, so the form cannot be used to find out who is a member.
    assert response.status_code == 302
    assert "already registered" not in client.get("/accounts/email/").content.decode()
    assert list(
        EmailAddress.objects.filter(email="taken@example.org", verified=True).values_list("user", flat=True)
    ) == [owner.pk]
    mae.refresh_from_db()
    assert mae.email == "mae@example.org"
