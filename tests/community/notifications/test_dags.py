import pytest

from community.notifications.dags import deliver_pending_emails, notifications_retry
from tests.community.notifications.factories import NotificationFactory


def test_notifications_retry_dag_runs_every_five_minutes():
    assert notifications_retry.dag_id == "notifications_retry"
    assert notifications_retry.schedule == "*/5 * * * *"


@pytest.mark.django_db
def test_deliver_pending_emails_task_sends_due_emails(mailoutbox):
    NotificationFactory(to="waiting@example.org")
    assert deliver_pending_emails.function({"limit": 10}) == {"sent": 1}
    assert [m.to for m in mailoutbox] == [["waiting@example.org"]]
