import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings

from tests.community.members.conftest import PASSWORD
from tests.factories import BuilderFactory

BUILDER_PAGES = ["/admin/", "/workflows/", "/mentorship/manage/"]


@pytest.fixture
def builder_with_totp(db):
    builder = BuilderFactory(email="builder@example.org")
    secret = generate_totp_secret()
    TOTP.activate(builder, secret)
    return builder, secret


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def _failed_logins_allowed_per_account() -> int:
    rates = settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
    return min(int(rate.split("/")[0]) for rate in rates if rate.endswith("/key"))


@pytest.mark.django_db
def test_admin_login_with_password_alone_does_not_sign_in_a_builder_with_totp(client, builder_with_totp):
    response = client.post("/admin/login/?next=/admin/", {"username": "builder@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert [client.get(page).status_code for page in BUILDER_PAGES] == [302, 302, 302]


@pytest.mark.django_db
def test_admin_login_sends_visitors_to_the_community_login(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/login/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200


@pytest.mark.django_db
def test_builder_with_totp_reaches_the_admin_after_password_and_code(client, builder_with_totp):
    _, secret = builder_with_totp

    asked = client.post("/accounts/login/?next=%2Fadmin%2F", {"login": "builder@example.org", "password": PASSWORD})
    before_code = client.get("/admin/")
    signed_in = client.post("/accounts/2fa/authenticate/", {"code": _current_code(secret)})

    assert asked["Location"] == "/accounts/2fa/authenticate/"
    assert before_code.status_code == 302
    assert signed_in["Location"] == "/admin/"
    assert [client.get(page).status_code for page in BUILDER_PAGES] == [200, 200, 200]


@pytest.mark.django_db
def test_builder_with_totp_is_refused_the_admin_with_a_wrong_code(client, builder_with_totp):
    client.post("/accounts/login/?next=%2Fadmin%2F", {"login": "builder@example.org", "password": PASSWORD})

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_wrong_passwords_at_the_admin_login_lock_out_the_right_one(client):
    BuilderFactory(email="builder@example.org")
    admin_login_address = client.get("/admin/login/?next=/admin/", follow=True).redirect_chain[-1][0]

    for _ in range(_failed_logins_allowed_per_account()):
        client.post(admin_login_address, {"login": "builder@example.org", "password": "guess"})
    response = client.post(admin_login_address, {"login": "builder@example.org", "password": PASSWORD})

    assert admin_login_address == "/accounts/login/?next=%2Fadmin%2F"
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_password_guesses_posted_to_the_admin_login_are_never_checked(client):
    BuilderFactory(email="builder@example.org")

    for _ in range(_failed_logins_allowed_per_account() + 1):
        client.post("/admin/login/", {"username": "builder@example.org", "password": "guess"})
    response = client.post("/admin/login/", {"username": "builder@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
