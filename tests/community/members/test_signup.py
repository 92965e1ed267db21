import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from community.members.models import Profile, User
from community.notifications.enums import EmailKind, NotificationStatus
from community.notifications.models import Notification
from community.notifications.services import deliver_pending
from tests.community.members.conftest import PASSWORD, log_in
from tests.factories import UserFactory

SIGNUP = {
    "email": "grace@example.org",
    "display_name": "Grace Hopper",
    "time_zone": "America/New_York",
    "password1": "a long and unusual passphrase",
    "password2": "a long and unusual passphrase",
    "accept_code_of_conduct": "on",
}


def _confirmation_link(message) -> str:
    match = re.search(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_signup_sends_verification_email_and_following_it_logs_in(client):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert mail.outbox == [], "the request only queues; the worker sends"
    [queued] = Notification.objects.all()
    assert (queued.to, queued.kind, queued.status, queued.key.startswith("account:account/email/")) == (
        "grace@example.org",
        EmailKind.TRANSACTIONAL,
        NotificationStatus.QUEUED,
        True,
    )
    assert deliver_pending() == 1
    assert [m.to for m in mail.outbox] == [["grace@example.org"]]
    assert client.get("/profile/").status_code == 302  # not logged in before verifying

    link = _confirmation_link(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "grace@example.org" in page.content.decode()  # one's own address, on one's own confirmation page
    confirmed = client.post(link)

    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="grace@example.org").verified is True
    profile_page = client.get("/profile/")
    assert profile_page.status_code == 200
    assert "Grace Hopper" in profile_page.content.decode()


@pytest.mark.django_db
def test_signup_stores_profile_with_code_of_conduct_timestamp(client):
    client.post("/accounts/signup/", SIGNUP)

    profile = Profile.objects.get(user__email="grace@example.org")
    assert (profile.display_name, profile.time_zone) == ("Grace Hopper", "America/New_York")
    assert profile.code_of_conduct_accepted_at is not None
    assert profile.slug == "grace-hopper"


@pytest.mark.django_db
def test_signup_without_code_of_conduct_is_refused_with_a_reason(client):
    data = {key: value for key, value in SIGNUP.items() if key != "accept_code_of_conduct"}

    response = client.post("/accounts/signup/", data)

    assert response.status_code == 200
    assert "You must accept the code of conduct to join the community." in response.content.decode()
    assert not User.objects.filter(email="grace@example.org").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_signup_with_unknown_time_zone_is_refused_with_a_reason(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()
    assert not User.objects.filter(email="grace@example.org").exists()


@pytest.mark.django_db
def test_unverified_member_cannot_log_in(client):
    UserFactory(username="linus", email="linus@example.org", verified_email=False)

    response = log_in(client, email="linus@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert client.get("/profile/").status_code == 302
    deliver_pending()
    assert [m.to for m in mail.outbox] == [["linus@example.org"]]  # a fresh link is sent


@pytest.mark.django_db
def test_verified_member_logs_in_with_email_and_password(client):
    UserFactory(username="mae", email="mae@example.org")

    response = log_in(client, email="mae@example.org")

    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    UserFactory(username="mae", email="mae@example.org")

    response = log_in(client, email="mae@example.org", password="not the password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signup_page_uses_the_site_layout_and_links_the_code_of_conduct(client):
    body = client.get("/accounts/signup/").content.decode()

    assert '<a class="skip-link" href="#main">' in body
    assert 'href="/code-of-conduct/"' in body
    assert '<label for="id_accept_code_of_conduct">' in body
    # The code of conduct is the last field before the button.
    assert body.index('name="password2"') < body.index('name="accept_code_of_conduct"')


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/",
    ],
)
def test_account_pages_render_inside_the_site_layout(client, path):
    response = client.get(path)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<nav aria-label="Main">' in body
    assert '<main id="main"' in body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/password/change/"])
def test_account_management_pages_render_inside_the_site_layout(member_client, path):
    response = member_client.get(path)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<nav class="subnav" aria-label="Your account">' in body
    assert '<main id="main"' in body


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    UserFactory(username="mae", email="mae@example.org")

    client.post("/accounts/password/reset/", {"email": "mae@example.org"})
    deliver_pending()
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )

    assert log_in(client, email="mae@example.org", password="a brand new passphrase").status_code == 302
    assert client.get("/profile/").status_code == 200


@pytest.mark.django_db
def test_changing_password_requires_the_old_one(client):
    user = UserFactory(username="mae", email="mae@example.org")
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": "another long passphrase", "password2": "another long passphrase"},
    )

    assert response.status_code == 200
    assert "Please type your current password." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_verification_email_names_the_community_not_a_placeholder_site(client, settings):
    client.post("/accounts/signup/", SIGNUP)
    deliver_pending()

    message = mail.outbox[0]
    assert settings.SITE_NAME in message.subject
    assert f"Hello from {settings.SITE_NAME}" in message.body
    assert "example.com" not in message.body


@pytest.mark.django_db
def test_each_password_reset_request_sends_its_own_email(client):
    UserFactory(username="mae", email="mae@example.org")

    client.post("/accounts/password/reset/", {"email": "mae@example.org"})
    client.post("/accounts/password/reset/", {"email": "mae@example.org"})

    assert deliver_pending() == 2
    assert [m.to for m in mail.outbox] == [["mae@example.org"], ["mae@example.org"]]
    first, second = (m.message()["Message-ID"] for m in mail.outbox)
    assert first != second
