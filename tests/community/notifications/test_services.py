import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from community.notifications.enums import EmailKind, NotificationStatus
from community.notifications.errors import NoRecipientAddress
from community.notifications.models import EmailPreferences, Notification
from community.notifications.services import (
    DELIVERY_DAG_ID,
    deliver_pending,
    message_id,
    prune_delivered_notifications,
    queue_email,
    queue_emails,
    queue_rendered_email,
    retry_notifications,
    turn_off_email,
    update_email_preferences,
)
from tests.community.notifications.backends import CountingBackend, ProcessDied
from tests.community.notifications.factories import NotificationFactory
from tests.factories import UserFactory
from workflows.dagbag import get_dagbag
from workflows.models import DagRun
from workflows.services import DagRunRequest, request_dag_run, trigger_dag

NOTICE = {"heading": "Room change", "message": "We moved to room B & C.", "action_url": "https://example.org/x"}
BACKENDS = "tests.community.notifications.backends"


def queue_notice(key: str = "notice:1", **kwargs):
    kwargs.setdefault("to", "ada@example.org")
    return queue_email(key=key, template="notice", context=NOTICE, **kwargs)


def parts(message) -> list[bytes]:
    """The decoded bodies of a sent message: text, HTML, attachments."""
    return [part.get_payload(decode=True) for part in message.walk() if not part.is_multipart()]


def delivery_runs() -> list[str]:
    return list(DagRun.objects.filter(dag__dag_id=DELIVERY_DAG_ID).values_list("state", flat=True))


@pytest.fixture
def failing_backend(monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return monkeypatch


# Queuing ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_email_sends_nothing_until_delivery_then_the_rendered_email(mailoutbox):
    member = UserFactory(email="grace@example.org", profile__display_name="Grace")
    queue_email(key="notice:grace", recipient=member, template="notice", context=NOTICE)

    assert mailoutbox == []
    assert deliver_pending() == 1
    [message] = mailoutbox
    assert (message.to, message.subject) == (["grace@example.org"], "Room change")
    assert "Hi Grace," in message.body
    assert "We moved to room B & C." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "room B &amp; C." in html
    assert Notification.objects.get().status == NotificationStatus.SENT


@pytest.mark.django_db
def test_queue_email_same_key_twice_sends_once(mailoutbox):
    first = queue_notice()
    second = queue_notice(to="someone-else@example.org")
    deliver_pending()

    assert first.pk == second.pk
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


@pytest.mark.django_db
def test_queue_email_rolled_back_leaves_nothing_to_send(mailoutbox, django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    def queue_then_fail():
        with transaction.atomic():
            queue_notice()
            raise Abort

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        queue_then_fail()

    assert callbacks == []
    assert deliver_pending() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_queue_email_without_address_is_refused():
    member = UserFactory(email="")
    with pytest.raises(NoRecipientAddress, match="no email address"):
        queue_email(key="notice:none", recipient=member, template="notice", context=NOTICE)


@pytest.mark.django_db
def test_queue_email_attachments_arrive_intact(mailoutbox):
    invite = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    queue_notice(attachments=[("invite.ics", invite, "text/calendar")])
    deliver_pending()

    assert mailoutbox[0].attachments == [("invite.ics", invite.decode(), "text/calendar")]


@pytest.mark.django_db
def test_queuing_many_emails_in_one_transaction_requests_one_delivery_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for n in range(5):
            queue_notice(key=f"notice:{n}")

    assert callbacks == [DagRunRequest(DELIVERY_DAG_ID)]
    assert delivery_runs() == ["queued"]


@pytest.mark.django_db
def test_delivery_request_while_a_run_waits_adds_no_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_notice(key="notice:first")
    with django_capture_on_commit_callbacks(execute=True):
        queue_notice(key="notice:second")
    request_dag_run(dag_id=DELIVERY_DAG_ID)

    assert delivery_runs() == ["queued"]


@pytest.mark.django_db
def test_delivery_request_once_the_waiting_run_started_queues_a_new_one():
    request_dag_run(dag_id=DELIVERY_DAG_ID)
    DagRun.objects.filter(dag__dag_id=DELIVERY_DAG_ID).update(state="running", start_date=timezone.now())
    request_dag_run(dag_id=DELIVERY_DAG_ID)
    request_dag_run(dag_id=DELIVERY_DAG_ID)

    assert sorted(delivery_runs()) == ["queued", "running"]


@pytest.mark.django_db
def test_delivery_request_is_not_absorbed_by_a_run_scheduled_for_later():
    later = trigger_dag(dag=get_dagbag().get(DELIVERY_DAG_ID), run_after=timezone.now() + timedelta(hours=1))
    request_dag_run(dag_id=DELIVERY_DAG_ID)

    now_run = DagRun.objects.filter(dag__dag_id=DELIVERY_DAG_ID).exclude(pk=later.pk).get()
    assert (now_run.state, now_run.run_after) == ("queued", None)


@pytest.mark.django_db
def test_sweep_mode_requests_no_run_but_the_sweep_delivers(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_DELIVERY = "sweep"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue_notice()

    assert (callbacks, delivery_runs()) == ([], [])
    assert deliver_pending() == 1


@pytest.mark.django_db
def test_queue_rendered_email_sends_the_given_text_as_transactional(mailoutbox):
    member = UserFactory(email="mae@example.org")
    queue_rendered_email(
        key="account:reset:1",
        to="mae@example.org",
        recipient=member,
        template="account/email/password_reset_key",
        subject="[Site]  Password\nreset",
        text="Follow https://example.org/reset/x/",
        html="<p>Follow</p>",
    )
    deliver_pending()

    [message] = mailoutbox
    assert (message.subject, message.body, message.alternatives[0][0]) == (
        "[Site] Password reset",
        "Follow https://example.org/reset/x/",
        "<p>Follow</p>",
    )
    assert "List-Unsubscribe" not in message.message()
    assert Notification.objects.get().kind == EmailKind.TRANSACTIONAL


# Kinds and unsubscribe headers --------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_email_carries_one_click_unsubscribe_headers_and_footer_link(settings, mailoutbox):
    settings.SITE_URL = "https://wicn.example"
    member = UserFactory()
    queue_notice(recipient=member, to=None, kind=EmailKind.ANNOUNCEMENTS)
    deliver_pending()

    [message] = mailoutbox
    link = Notification.objects.get().unsubscribe_url
    assert link.startswith("https://wicn.example/email/unsubscribe/")
    headers = message.message()
    assert (headers["List-Unsubscribe"], headers["List-Unsubscribe-Post"]) == (
        f"<{link}>",
        "List-Unsubscribe=One-Click",
    )
    assert f"Don't want community announcements? Unsubscribe: {link}" in message.body
    assert "Choose which emails you get: https://wicn.example/email/preferences/" in message.body
    assert f'href="{link}"' in message.alternatives[0][0]


@pytest.mark.django_db
def test_transactional_email_has_no_unsubscribe_header_nor_footer(mailoutbox):
    queue_notice(recipient=UserFactory(), to=None)
    deliver_pending()

    [message] = mailoutbox
    headers = message.message()
    assert (headers["List-Unsubscribe"], headers["List-Unsubscribe-Post"]) == (None, None)
    assert "Unsubscribe" not in message.body
    assert "unsubscribe" not in message.alternatives[0][0]


@pytest.mark.django_db
def test_member_who_turned_reminders_off_gets_no_reminder_queued(mailoutbox, django_capture_on_commit_callbacks):
    member = UserFactory()
    update_email_preferences(member=member, choices={"reminders": False})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = queue_notice(recipient=member, to=None, kind=EmailKind.REMINDERS)

    assert (notification.status, notification.last_error) == (
        NotificationStatus.SKIPPED,
        "Not sent: the member turned off “Reminders before workshops and coffee chats” emails.",
    )
    assert (callbacks, deliver_pending(), mailoutbox) == ([], 0, [])
    assert queue_notice(recipient=member, to=None, kind=EmailKind.REMINDERS).pk == notification.pk


@pytest.mark.django_db
def test_member_who_turned_reminders_off_after_queuing_gets_no_reminder_delivered(mailoutbox):
    member, other = UserFactory(), UserFactory()
    queue_notice(key="reminder:member", recipient=member, to=None, kind=EmailKind.REMINDERS)
    queue_notice(key="reminder:other", recipient=other, to=None, kind=EmailKind.REMINDERS)
    queue_notice(key="booking:member", recipient=member, to=None)

    turn_off_email(member=member, kind=EmailKind.REMINDERS)

    assert deliver_pending() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([other.email, member.email])
    statuses = dict(Notification.objects.values_list("key", "status"))
    assert statuses == {
        "reminder:member": NotificationStatus.SKIPPED,
        "reminder:other": NotificationStatus.SENT,
        "booking:member": NotificationStatus.SENT,
    }


@pytest.mark.django_db
def test_digest_is_only_delivered_to_members_who_opted_in(mailoutbox):
    opted_in, silent = UserFactory(), UserFactory()
    update_email_preferences(member=opted_in, choices={"digest": True})
    for member in (opted_in, silent):
        queue_notice(key=f"digest:{member.pk}", recipient=member, to=None, kind=EmailKind.DIGEST)

    deliver_pending()

    assert [m.to for m in mailoutbox] == [[opted_in.email]]


@pytest.mark.django_db
def test_queue_emails_stores_what_queue_email_would_in_one_pass(django_capture_on_commit_callbacks):
    keen, quiet, known = UserFactory(), UserFactory(), UserFactory()
    update_email_preferences(member=quiet, choices={"reminders": False})
    reminder = {"template": "notice", "context": NOTICE, "kind": EmailKind.REMINDERS}

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        existing = queue_notice("reminder:known", recipient=known, to=None, kind=EmailKind.REMINDERS)
        single = queue_notice("reminder:single", recipient=keen, to=None, kind=EmailKind.REMINDERS)
        new = queue_emails(
            emails=[{"key": f"reminder:{m.pk}", "recipient": m, **reminder} for m in (keen, quiet)]
            + [{"key": "reminder:known", "recipient": known, "template": "notice", "context": NOTICE}]
        )

    rows = {n.key: n for n in Notification.objects.all()}
    assert new == 2
    assert callbacks == [DagRunRequest(DELIVERY_DAG_ID)]
    assert rows["reminder:known"].pk == existing.pk
    assert (rows[f"reminder:{keen.pk}"].status, rows[f"reminder:{quiet.pk}"].status) == ("queued", "skipped")
    bulk = rows[f"reminder:{keen.pk}"]
    assert (bulk.subject, bulk.body_text, bulk.kind) == (single.subject, single.body_text, "reminders")
    assert bulk.unsubscribe_url.startswith("http://localhost:8000/email/unsubscribe/")


@pytest.mark.django_db
def test_update_email_preferences_refuses_transactional_mail():
    with pytest.raises(ValueError, match="not an optional kind of email: transactional"):
        update_email_preferences(member=UserFactory(), choices={"transactional": False})
    assert EmailPreferences.objects.count() == 0


# Delivery -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_send_of_a_row_carries_its_own_stable_message_id(settings, mailoutbox):
    settings.NOTIFICATIONS_FROM_EMAIL = "Women in Cloud Native <hello@wicn.example>"
    first, second = queue_notice("notice:a"), queue_notice("notice:b")
    deliver_pending()

    ids = [m.message()["Message-ID"] for m in mailoutbox]
    assert ids == [message_id(first), message_id(second)]
    assert ids[0].startswith(f"<notification-{first.pk}.")
    assert ids[0].endswith("@wicn.example>")
    assert ids[0] != ids[1]
    assert message_id(Notification.objects.get(pk=first.pk)) == ids[0]


@pytest.mark.django_db
def test_message_id_falls_back_to_the_site_domain(settings):
    settings.NOTIFICATIONS_FROM_EMAIL = "no address here"
    settings.SITE_URL = "https://wicn.example"
    assert message_id(queue_notice()).endswith("@wicn.example>")


@pytest.mark.django_db
def test_process_dying_after_the_server_accepted_resends_with_same_message_id_and_body(settings, mailoutbox):
    queue_notice(recipient=UserFactory(), to=None, kind=EmailKind.ANNOUNCEMENTS)
    settings.EMAIL_BACKEND = f"{BACKENDS}.DiesAfterAcceptingBackend"

    with pytest.raises(ProcessDied):
        deliver_pending()

    row = Notification.objects.get()
    assert (row.status, row.attempts, row.sent_at) == (NotificationStatus.SENDING, 1, None)
    assert len(mailoutbox) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending() == 0, "the lease still holds: its deliverer may be alive"

    Notification.objects.filter(pk=row.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert deliver_pending() == 1

    first, again = (m.message() for m in mailoutbox)
    assert first["Message-ID"] == again["Message-ID"] == message_id(row)
    assert (again["Subject"], again["List-Unsubscribe"]) == (first["Subject"], first["List-Unsubscribe"])
    assert parts(again) == parts(first)
    assert b"Don't want community announcements?" in parts(again)[0]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)


@pytest.mark.django_db
def test_interrupted_run_records_what_the_server_accepted(settings, mailoutbox):
    rows = [
        NotificationFactory(key=f"n:{n}", next_attempt_at=timezone.now() - timedelta(minutes=5 - n)) for n in range(4)
    ]
    settings.EMAIL_BACKEND = f"{BACKENDS}.DiesOnThirdBackend"

    with pytest.raises(ProcessDied):
        deliver_pending()

    statuses = list(
        Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("key").values_list("status", flat=True)
    )
    assert statuses == ["sent", "sent", "sending", "sending"]
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_row_abandoned_mid_send_too_often_is_failed_for_a_builder(settings, mailoutbox):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    row = NotificationFactory(
        status=NotificationStatus.SENDING,
        attempts=2,
        lease_id="6a1f0a5e-0000-4000-8000-000000000000",
        lease_expires_at=timezone.now() - timedelta(minutes=1),
    )

    assert deliver_pending() == 0

    row.refresh_from_db()
    assert (row.status, row.next_attempt_at, mailoutbox) == (NotificationStatus.FAILED, None, [])
    assert row.last_error.startswith("Delivery stopped part-way too many times")


@pytest.mark.django_db
def test_a_run_sends_all_its_emails_over_one_connection(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{BACKENDS}.CountingBackend"
    settings.NOTIFICATIONS_CLAIM_SIZE = 10
    CountingBackend.opened = 0
    for n in range(25):
        NotificationFactory(key=f"bulk:{n}")

    assert deliver_pending() == 25

    assert CountingBackend.opened == 1
    assert len({m.to[0] for m in mailoutbox}) == 25
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


@pytest.mark.django_db
def test_failure_is_recorded_with_backoff_then_retry_sends_once(mailoutbox, failing_backend, settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    notification = queue_notice()

    assert deliver_pending() == 0
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.FAILED,
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
    )
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=50)

    failing_backend.undo()
    assert deliver_pending() == 0, "a retry before its backoff has passed must wait"
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending() == 1
    assert deliver_pending() == 0

    notification.refresh_from_db()
    assert len(mailoutbox) == 1
    assert (notification.status, notification.attempts, notification.lease_id) == (NotificationStatus.SENT, 2, None)


@pytest.mark.django_db
def test_one_failed_message_does_not_stop_the_others(mailoutbox, monkeypatch):
    original = EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == ["bounce@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"bounce@example.org": (550, b"No such user")})
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_one)
    now = timezone.now()
    NotificationFactory(to="first@example.org", next_attempt_at=now - timedelta(minutes=3))
    NotificationFactory(to="bounce@example.org", next_attempt_at=now - timedelta(minutes=2))
    NotificationFactory(to="last@example.org", next_attempt_at=now - timedelta(minutes=1))

    assert deliver_pending() == 2
    assert [m.to for m in mailoutbox] == [["first@example.org"], ["last@example.org"]]
    assert Notification.objects.get(to="bounce@example.org").status == NotificationStatus.FAILED


@pytest.mark.django_db
def test_unreachable_mail_server_fails_the_claim_and_stops(mailoutbox, monkeypatch, settings):
    settings.NOTIFICATIONS_CLAIM_SIZE = 2

    def unreachable(self):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailBackend, "open", unreachable)
    for n in range(3):
        NotificationFactory(key=f"n:{n}")

    assert deliver_pending() == 0
    assert sorted(Notification.objects.values_list("status", flat=True)) == [
        NotificationStatus.FAILED,
        NotificationStatus.FAILED,
        NotificationStatus.QUEUED,
    ]
    assert set(Notification.objects.exclude(status="queued").values_list("last_error", flat=True)) == {
        "ConnectionRefusedError: [Errno 111] Connection refused"
    }


@pytest.mark.django_db
def test_deliver_pending_gives_up_after_max_attempts(mailoutbox, failing_backend, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    notification = NotificationFactory()
    assert deliver_pending() == 0
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending() == 0
    notification.refresh_from_db()
    assert (notification.attempts, notification.next_attempt_at) == (2, None)
    failing_backend.undo()
    assert deliver_pending() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_retry_notifications_sends_a_given_up_email_through_the_worker(mailoutbox, django_capture_on_commit_callbacks):
    given_up = NotificationFactory(status=NotificationStatus.FAILED, attempts=5, next_attempt_at=None)
    sent = NotificationFactory(status=NotificationStatus.SENT, sent_at=timezone.now(), next_attempt_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert retry_notifications(notification_ids=[given_up.pk, sent.pk]) == 1

    assert mailoutbox == []
    assert delivery_runs() == ["queued"]
    assert deliver_pending() == 1
    assert [m.to for m in mailoutbox] == [[given_up.to]]


@pytest.mark.django_db
def test_deliver_pending_sends_oldest_first_up_to_limit(mailoutbox):
    now = timezone.now()
    NotificationFactory(to="second@example.org", next_attempt_at=now - timedelta(minutes=1))
    NotificationFactory(to="first@example.org", next_attempt_at=now - timedelta(minutes=5))
    NotificationFactory(to="later@example.org", next_attempt_at=now + timedelta(minutes=5))

    assert deliver_pending(limit=1) == 1
    assert deliver_pending(limit=10) == 1
    assert [m.to for m in mailoutbox] == [["first@example.org"], ["second@example.org"]]


# Housekeeping -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_delivered_notifications_keeps_recent_and_unfinished_rows():
    now = timezone.now()
    old = now - timedelta(days=91)
    NotificationFactory(key="old-sent", status=NotificationStatus.SENT, sent_at=old)
    NotificationFactory(key="new-sent", status=NotificationStatus.SENT, sent_at=now)
    NotificationFactory(key="old-failed", status=NotificationStatus.FAILED)
    skipped = NotificationFactory(key="old-skipped", status=NotificationStatus.SKIPPED)
    Notification.objects.filter(key__startswith="old-").update(created_at=old)

    cutoff = now - timedelta(days=90)
    assert prune_delivered_notifications(older_than=cutoff, dry_run=True) == 2
    assert Notification.objects.count() == 4
    assert prune_delivered_notifications(older_than=cutoff) == 2
    assert sorted(Notification.objects.values_list("key", flat=True)) == ["new-sent", "old-failed"]
    assert not Notification.objects.filter(pk=skipped.pk).exists()


# Concurrency (PostgreSQL) -------------------------------------------------------------------------


def _in_thread(target, results, index):
    try:
        results[index] = target()
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliverers_never_send_a_row_twice(settings):
    settings.EMAIL_BACKEND = f"{BACKENDS}.SlowBackend"
    settings.NOTIFICATIONS_CLAIM_SIZE = 10
    rows = [NotificationFactory(key=f"bulk:{n}") for n in range(120)]
    mail.outbox = []
    barrier = threading.Barrier(4)

    def deliver():
        barrier.wait()
        return deliver_pending()

    results: list = [None] * 4
    threads = [threading.Thread(target=_in_thread, args=(deliver, results, i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent_ids = sorted(m.message()["Message-ID"] for m in mail.outbox)
    assert sent_ids == sorted(message_id(row) for row in rows)
    assert sum(results) == 120
    assert [r > 0 for r in results].count(True) > 1, "the deliverers shared the work"
    assert set(Notification.objects.values_list("status", "attempts")) == {(NotificationStatus.SENT, 1)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_queue_email_concurrently_same_key_keeps_one_row():
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
    assert delivery_runs() == ["queued"]
