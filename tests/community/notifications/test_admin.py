import pytest
from django.utils import timezone

from community.notifications.enums import EmailKind, NotificationStatus
from community.notifications.models import Notification
from community.notifications.services import deliver_pending, message_id
from tests.community.notifications.factories import NotificationFactory
from tests.factories import BuilderFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications/notification/"


@pytest.fixture
def admin_client_(client):
    client.force_login(BuilderFactory(is_superuser=True))
    return client


def test_changelist_shows_kind_and_status_and_filters_by_kind(admin_client_):
    NotificationFactory(subject="Your chat tomorrow", kind=EmailKind.REMINDERS, status=NotificationStatus.SKIPPED)
    NotificationFactory(subject="Booked", kind=EmailKind.TRANSACTIONAL)

    body = admin_client_.get(CHANGELIST, {"kind__exact": "reminders"}).content.decode()

    assert "Your chat tomorrow" in body
    assert "Booked" not in body
    assert "Reminders before workshops and coffee chats" in body
    assert "Skipped (turned off by the member)" in body


def test_detail_page_shows_the_message_id(admin_client_):
    notification = NotificationFactory()

    body = admin_client_.get(f"{CHANGELIST}{notification.pk}/change/").content.decode()

    assert message_id(notification).replace("<", "&lt;").replace(">", "&gt;") in body


def test_send_again_action_hands_failed_emails_to_the_worker(admin_client_, mailoutbox):
    given_up = NotificationFactory(status=NotificationStatus.FAILED, attempts=5, next_attempt_at=None)
    sent = NotificationFactory(status=NotificationStatus.SENT, sent_at=timezone.now())

    response = admin_client_.post(
        CHANGELIST, {"action": "send_again", "_selected_action": [given_up.pk, sent.pk]}, follow=True
    )

    assert "1 email(s) will be sent again within a minute" in response.content.decode()
    assert mailoutbox == []
    assert deliver_pending() == 1
    assert [m.to for m in mailoutbox] == [[given_up.to]]
    assert Notification.objects.get(pk=given_up.pk).status == NotificationStatus.SENT


def test_send_again_action_on_sent_emails_says_why_nothing_happens(admin_client_):
    sent = NotificationFactory(status=NotificationStatus.SENT, sent_at=timezone.now())

    response = admin_client_.post(CHANGELIST, {"action": "send_again", "_selected_action": [sent.pk]}, follow=True)

    assert "None of the selected emails can be sent again" in response.content.decode()
