import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from community.notifications.dags import deliver_pending_emails
from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences, Notification
from community.notifications.services import DELIVERY_DAG_ID, deliver_pending, queue_email
from community.notifications.tokens import unsubscribe_token, unsubscribe_url
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import HostFactory
from tests.factories import UserFactory
from workflows.models import DagRun

pytestmark = pytest.mark.django_db


def unsubscribe_path(member, kind=EmailKind.REMINDERS) -> str:
    return reverse("notifications:unsubscribe", args=[unsubscribe_token(member_id=member.pk, kind=kind)])


def preferences_of(member) -> dict[str, bool]:
    row = EmailPreferences.objects.filter(user=member).first()
    fields = ["reminders", "digest", "mentorship", "announcements"]
    return {name: getattr(row, name) if row else EmailPreferences.default_for(name) for name in fields}


# The request path ---------------------------------------------------------------------------------


def test_booking_a_chat_queues_two_emails_and_requests_one_delivery_run(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    host = HostFactory(user__email="hostess@example.org")
    guest = UserFactory(email="guest@example.org")
    client.force_login(guest)
    slot = open_slots(host)[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("chats:book", args=[host.user.profile.slug]), {"start": slot.start.isoformat(), "topic": "CFPs"}
        )

    assert response.status_code == 302
    assert mailoutbox == [], "nothing is sent inside the request"
    assert Notification.objects.filter(status="queued").count() == 2
    assert list(DagRun.objects.filter(dag__dag_id=DELIVERY_DAG_ID).values_list("run_type", "state")) == [
        ("manual", "queued")
    ]

    assert deliver_pending_emails.function({"limit": 100}) == {"sent": 2}
    assert sorted(m.to[0] for m in mailoutbox) == ["guest@example.org", "hostess@example.org"]


# Email preferences --------------------------------------------------------------------------------


def test_preferences_page_asks_visitors_to_log_in(client):
    response = client.get("/email/preferences/")
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/email/preferences/")


def test_preferences_page_shows_the_defaults_and_explains_transactional_mail(client):
    client.force_login(UserFactory())

    body = client.get("/email/preferences/").content.decode()

    assert re.search(r'<input type="checkbox" name="reminders"[^>]*checked', body)
    assert not re.search(r'<input type="checkbox" name="digest"[^>]*checked', body)
    assert "Account and booking emails are not optional" in body
    assert 'style="' not in body
    assert "<script>" not in body.split("</head>")[1]


def test_preferences_page_saves_the_choices(client):
    member = UserFactory()
    client.force_login(member)

    response = client.post("/email/preferences/", {"digest": "on", "announcements": "on"}, follow=True)

    assert response.redirect_chain == [("/email/preferences/", 302)]
    assert "Your email preferences are saved." in response.content.decode()
    assert preferences_of(member) == {"reminders": False, "digest": True, "mentorship": False, "announcements": True}


def test_profile_page_links_the_email_preferences(client):
    client.force_login(UserFactory())
    assert 'href="/email/preferences/"' in client.get("/profile/").content.decode()


# Unsubscribe --------------------------------------------------------------------------------------


def test_unsubscribe_get_shows_what_will_stop_and_changes_nothing(client):
    member = UserFactory(email="ada@example.org")

    response = client.get(unsubscribe_path(member))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Stop sending <strong>reminders before workshops and coffee chats</strong> to ada@example.org?" in body
    assert '<button type="submit">' in body
    assert preferences_of(member)["reminders"] is True


def test_unsubscribe_one_click_post_without_session_turns_the_kind_off():
    member = UserFactory()
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        unsubscribe_path(member), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert preferences_of(member) == {"reminders": False, "digest": False, "mentorship": True, "announcements": True}


def test_unsubscribe_link_from_a_delivered_email_works(client, mailoutbox):
    member = UserFactory()
    queue_email(
        key="news:1",
        recipient=member,
        template="notice",
        context={"heading": "News", "message": "Hi"},
        kind=EmailKind.ANNOUNCEMENTS,
    )
    deliver_pending()
    link = mailoutbox[0].message()["List-Unsubscribe"].strip("<>")

    assert client.post(link).status_code == 200
    assert preferences_of(member)["announcements"] is False


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        signing.dumps({"m": 1, "k": "reminders"}, salt="another.salt"),
        signing.dumps({"m": 1, "k": "transactional"}, salt="community.notifications.unsubscribe"),
        signing.dumps(["not", "a", "dict"], salt="community.notifications.unsubscribe"),
    ],
    ids=["not-signed", "other-salt", "transactional-kind", "not-a-mapping"],
)
def test_unsubscribe_with_a_forged_or_malformed_link_answers_400_and_changes_nothing(client, token):
    member = UserFactory()

    response = client.post(reverse("notifications:unsubscribe", args=[token]))

    assert response.status_code == 400
    body = response.content.decode()
    assert "This unsubscribe link cannot be used" in body
    assert "Nothing was changed." in body
    assert EmailPreferences.objects.filter(user=member).count() == 0


def test_unsubscribe_link_of_a_deleted_account_answers_400(client):
    member = UserFactory()
    path = unsubscribe_path(member)
    member.delete()

    response = client.get(path)

    assert response.status_code == 400
    assert "names an account that no longer exists" in response.content.decode()


def test_unsubscribe_link_past_its_life_answers_400_with_the_way_out(client, settings, monkeypatch):
    settings.NOTIFICATIONS_UNSUBSCRIBE_LINK_DAYS = 400
    member = UserFactory()
    path = unsubscribe_path(member)
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 401 * 86400)

    response = client.get(path)

    assert response.status_code == 400
    assert "This unsubscribe link has expired." in response.content.decode()


def test_unsubscribe_url_is_absolute_on_the_site(settings):
    settings.SITE_URL = "https://wicn.example"
    url = unsubscribe_url(member_id=7, kind="digest")
    assert url.startswith("https://wicn.example/email/unsubscribe/")
    assert url.endswith("/")
