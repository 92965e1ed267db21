import pytest
from allauth.mfa.models import Authenticator

from tests.community.members.conftest import PASSWORD, log_in
from tests.factories import BuilderFactory, UserFactory

MANAGEMENT_PAGES = ["/accounts/2fa/", "/accounts/2fa/totp/activate/", "/accounts/2fa/recovery-codes/generate/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", MANAGEMENT_PAGES)
def test_two_factor_pages_are_forbidden_to_members(client, path):
    UserFactory(email="mae@example.org")
    log_in(client, email="mae@example.org")

    response = client.get(path)

    assert response.status_code == 403


@pytest.mark.django_db
def test_two_factor_pages_send_anonymous_visitors_to_log_in(client):
    response = client.get("/accounts/2fa/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_builder_can_start_totp_activation(client):
    BuilderFactory(email="builder@example.org")
    log_in(client, email="builder@example.org")

    index = client.get("/accounts/2fa/")
    # allauth asks for the password again before a security change.
    asked = client.get("/accounts/2fa/totp/activate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    activate = client.get("/accounts/2fa/totp/activate/")

    assert index.status_code == 200
    assert "Authenticator App" in index.content.decode()
    assert asked["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    assert activate.status_code == 200
    body = activate.content.decode()
    assert "data:image/svg+xml" in body  # the QR code to scan
    assert "Authenticator secret" in body
    assert '<main id="main"' in body


@pytest.mark.django_db
def test_builder_sees_two_factor_link_on_profile_page(client):
    builder = BuilderFactory()
    client.force_login(builder)

    body = client.get("/profile/").content.decode()

    assert 'href="/accounts/2fa/"' in body


@pytest.mark.django_db
def test_former_builder_with_totp_can_still_reach_it_to_switch_it_off(client):
    user = UserFactory(email="former@example.org")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(user)

    assert client.get("/accounts/2fa/").status_code == 200
