import pytest

from tests.community.members.conftest import log_in
from tests.factories import UserFactory


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(client):
    UserFactory(email="mae@example.org")
    for _ in range(5):
        log_in(client, email="mae@example.org", password="guess")

    response = log_in(client, email="mae@example.org")

    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_flood_from_one_address_gets_429(client):
    statuses = [log_in(client, email=f"nobody{n}@example.org", password="guess").status_code for n in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert "Too many attempts" in log_in(client, email="x@example.org").content.decode()
