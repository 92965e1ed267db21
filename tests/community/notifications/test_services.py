import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from community.notifications.enums import NotificationStatus
from community.notifications.errors import NoRecipientAddress
from community.notifications.models import Notification
from community.notifications.services import deliver, deliver_pending, queue_email, retry_notification
from tests.community.notifications.factories import NotificationFactory
from tests.factories import UserFactory

NOTICE = {"heading": "Room change", "message": "We moved to room B & C.", "action_url": "https://example.org/x"}


def queue_notice(key: str = "notice:1", **kwargs):
    kwargs.setdefault("to", "ada@example.org")
    return queue_email(key=key, template="notice", context=NOTICE, **kwargs)


@pytest.fixture
def failing_backend(monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return monkeypatch


@pytest.mark.django_db
def test_queue_email_sends_rendered_email_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    member = UserFactory(email="grace@example.org", profile__display_name="Grace")
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(key="notice:grace", recipient=member, template="notice", context=NOTICE)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["grace@example.org"]
    assert message.subject == "Room change"
    assert "Hi Grace," in message.body
    assert "We moved to room B & C." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "room B &amp; C." in html
    assert Notification.objects.get().status == NotificationStatus.SENT


@pytest.mark.django_db
def test_queue_email_same_key_twice_sends_once(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_notice()
    with django_capture_on_commit_callbacks(execute=True):
        second = queue_notice(to="someone-else@example.org")

    assert first.pk == second.pk
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_queue_email_rolled_back_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    def queue_then_fail():
        with transaction.atomic():
            queue_notice()
            raise Abort

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort):
        queue_then_fail()

    assert mailoutbox == []
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_queue_email_without_address_is_refused():
    member = UserFactory(email="")
    with pytest.raises(NoRecipientAddress, match="no email address"):
        queue_email(key="notice:none", recipient=member, template="notice", context=NOTICE)


@pytest.mark.django_db
def test_queue_email_attachments_arrive_intact(mailoutbox, django_capture_on_commit_callbacks):
    invite = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        queue_notice(attachments=[("invite.ics", invite, "text/calendar")])

    assert mailoutbox[0].attachments == [("invite.ics", invite.decode(), "text/calendar")]


@pytest.mark.django_db
def test_deliver_failure_is_recorded_then_retry_sends_once(
    mailoutbox, django_capture_on_commit_callbacks, failing_backend, settings
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_notice()

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 1
    assert notification.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=50)

    failing_backend.undo()
    assert deliver_pending() == 0, "a retry before its backoff has passed must wait"
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending() == 1
    assert deliver_pending() == 0

    notification.refresh_from_db()
    assert len(mailoutbox) == 1
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert notification.sent_at is not None


@pytest.mark.django_db
def test_deliver_already_sent_sends_nothing(mailoutbox):
    notification = NotificationFactory(status=NotificationStatus.SENT, sent_at=timezone.now())
    assert deliver(notification_id=notification.pk) is False
    assert mailoutbox == []


@pytest.mark.django_db
def test_deliver_pending_gives_up_after_max_attempts(mailoutbox, failing_backend, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    notification = NotificationFactory()
    assert deliver(notification_id=notification.pk) is False
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending() == 0
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.next_attempt_at is None
    failing_backend.undo()
    assert deliver_pending() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_retry_notification_sends_a_given_up_email(mailoutbox):
    notification = NotificationFactory(status=NotificationStatus.FAILED, attempts=5, next_attempt_at=None)
    assert retry_notification(notification=notification) is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_deliver_pending_sends_oldest_first_up_to_limit(mailoutbox):
    now = timezone.now()
    NotificationFactory(to="second@example.org", next_attempt_at=now - timedelta(minutes=1))
    NotificationFactory(to="first@example.org", next_attempt_at=now - timedelta(minutes=5))
    NotificationFactory(to="later@example.org", next_attempt_at=now + timedelta(minutes=5))

    assert deliver_pending(limit=1) == 1
    assert deliver_pending(limit=10) == 1
    assert [m.to for m in mailoutbox] == [["first@example.org"], ["second@example.org"]]


def _in_thread(target, results, index):
    try:
        results[index] = target()
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deliver_concurrently_sends_once(mailoutbox, monkeypatch):
    notification = NotificationFactory()
    original = EmailBackend.send_messages

    def slow_send(self, messages):
        time.sleep(0.3)  # hold the row lock while the other deliverers arrive
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_send)
    results: list = [None] * 8
    threads = [
        threading.Thread(target=_in_thread, args=(lambda: deliver(notification_id=notification.pk), results, i))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_queue_email_concurrently_same_key_keeps_one_row(mailoutbox, settings):
    settings.NOTIFICATIONS_SEND_ON_COMMIT = True
    barrier = threading.Barrier(10)

    def queue():
        barrier.wait()
        return queue_notice(key="notice:race").pk

    results: list = [None] * 10
    threads = [threading.Thread(target=_in_thread, args=(queue, results, i)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert Notification.objects.filter(key="notice:race").count() == 1
    assert len(mail.outbox) == 1
