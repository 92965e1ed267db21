import smtplib
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from community.notifications.dags import (
    delete_unverified_accounts,
    deliver_notifications,
    deliver_pending_emails,
    housekeeping,
    prune_sent_emails,
)
from community.notifications.enums import NotificationStatus
from community.notifications.models import Notification
from tests.community.notifications.factories import NotificationFactory
from tests.factories import UserFactory
from workflows.dagbag import get_dagbag


def test_deliver_notifications_dag_sweeps_every_minute_one_run_at_a_time():
    assert (deliver_notifications.dag_id, deliver_notifications.schedule, deliver_notifications.max_active_runs) == (
        "deliver_notifications",
        "* * * * *",
        1,
    )
    assert list(deliver_notifications.tasks) == ["deliver_pending_emails"]


def test_housekeeping_dag_runs_daily_beside_the_engine_housekeeping():
    bag = get_dagbag()
    assert (housekeeping.dag_id, housekeeping.schedule) == ("housekeeping", "15 4 * * *")
    assert sorted(housekeeping.tasks) == ["delete_unverified_accounts", "prune_sent_emails"]
    assert {"housekeeping", "workflows_housekeeping", "deliver_notifications"} <= set(bag.dags)
    assert "notifications_retry" not in bag.dags


@pytest.mark.django_db
def test_deliver_pending_emails_task_sends_due_emails(mailoutbox):
    NotificationFactory(to="waiting@example.org")
    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 1}
    assert [m.to for m in mailoutbox] == [["waiting@example.org"]]


@pytest.mark.django_db
def test_retried_delivery_task_sends_nothing_twice(mailoutbox, monkeypatch):
    original = EmailBackend.send_messages

    def drop_second(self, messages):
        if messages[0].to == ["second@example.org"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", drop_second)
    now = timezone.now()
    for n, address in enumerate(["first@example.org", "second@example.org", "third@example.org"]):
        NotificationFactory(to=address, next_attempt_at=now - timedelta(minutes=3 - n))

    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 2}
    monkeypatch.undo()
    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 0}, "the retry waits for its backoff"
    Notification.objects.filter(status=NotificationStatus.FAILED).update(next_attempt_at=timezone.now())
    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 1}
    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 0}

    assert [m.to[0] for m in mailoutbox] == ["first@example.org", "third@example.org", "second@example.org"]


@pytest.mark.django_db
def test_housekeeping_tasks_dry_run_count_and_delete_nothing(settings):
    settings.NOTIFICATIONS_RETENTION_DAYS = 90
    NotificationFactory(status=NotificationStatus.SENT, sent_at=timezone.now() - timedelta(days=91))
    abandoned = UserFactory(verified_email=False, date_joined=timezone.now() - timedelta(days=15))
    EmailAddress.objects.create(user=abandoned, email=abandoned.email, verified=False, primary=True)

    assert delete_unverified_accounts.function({"dry_run": True}) == {"accounts": 1, "dry_run": True}
    assert prune_sent_emails.function({"dry_run": True})["emails"] == 1
    assert (Notification.objects.count(), EmailAddress.objects.filter(user=abandoned).count()) == (1, 1)

    assert delete_unverified_accounts.function({"dry_run": False}) == {"accounts": 1, "dry_run": False}
    assert prune_sent_emails.function({"dry_run": False})["emails"] == 1
    assert Notification.objects.count() == 0
    assert not type(abandoned).objects.filter(pk=abandoned.pk).exists()
