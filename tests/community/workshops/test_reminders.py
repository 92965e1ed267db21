"""Reminders before a workshop: who gets which, when, in which words and local time, and never twice."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences, Notification
from community.notifications.services import deliver_pending
from community.workshops.dags import send_reminders, workshop_reminders
from community.workshops.enums import RegistrationStatus
from community.workshops.reminders import send_workshop_reminders
from community.workshops.services import cancel_registration, register
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory
from tests.factories import UserFactory
from tests.workflows.support import install_dags
from workflows import services as workflow_services
from workflows.enums import DagRunState
from workflows.models import DagRun
from workflows.scheduler import Scheduler

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


def _workshop(start: datetime, **kwargs):
    return WorkshopFactory(title="Helm charts from scratch", starts_at=start, ends_at=start + HOUR, **kwargs)


def _member(name: str, zone: str = "Europe/Berlin"):
    return UserFactory(username=name, profile__display_name=name.title(), profile__time_zone=zone)


def _reminders() -> list[Notification]:
    return list(Notification.objects.filter(template="workshops/reminder").order_by("pk"))


def _sent(*, to: str | None = None) -> list[tuple[str, str]]:
    """(address, which reminder) for each reminder queued, oldest first."""
    return [
        (n.to, n.key.split(":")[0].removeprefix("workshop-reminder-")) for n in _reminders() if to is None or n.to == to
    ]


def _when_line(notification: Notification) -> str:
    return next(line for line in notification.body_text.splitlines() if line.startswith("When: "))


# Each start sits on a night when the clocks change for the member's zone (or near it for zones without
# DST), so the reminder, sent under the old offset, must announce the time under the new one.
DST_CASES = [
    # The European change to summer time, 28 March 2027 at 01:00 UTC.
    (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "Europe/Berlin", "Sunday 28 March 2027", "03:30", "04:30", "CEST"),
    (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "America/New_York", "Saturday 27 March 2027", "21:30", "22:30", "EDT"),
    (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "Asia/Kolkata", "Sunday 28 March 2027", "07:00", "08:00", "IST"),
    (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "Pacific/Auckland", "Sunday 28 March 2027", "14:30", "15:30", "NZDT"),
    # The European change back, 31 October 2027: 02:30 happens twice in Berlin; this is the second one.
    (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "Europe/Berlin", "Sunday 31 October 2027", "02:30", "03:30", "CET"),
    # New York springs forward on 14 March 2027 and falls back on 7 November 2027 (01:30 twice).
    (datetime(2027, 3, 14, 7, 30, tzinfo=UTC), "America/New_York", "Sunday 14 March 2027", "03:30", "04:30", "EDT"),
    (datetime(2027, 11, 7, 6, 30, tzinfo=UTC), "America/New_York", "Sunday 7 November 2027", "01:30", "02:30", "EST"),
    # Auckland leaves summer time on 4 April 2027 (02:30 twice) and returns on 26 September 2027.
    (datetime(2027, 4, 3, 14, 30, tzinfo=UTC), "Pacific/Auckland", "Sunday 4 April 2027", "02:30", "03:30", "NZST"),
    (
        datetime(2027, 9, 25, 14, 30, tzinfo=UTC),
        "Pacific/Auckland",
        "Sunday 26 September 2027",
        "03:30",
        "04:30",
        "NZDT",
    ),
    (datetime(2027, 9, 25, 14, 30, tzinfo=UTC), "Asia/Kolkata", "Saturday 25 September 2027", "20:00", "21:00", "IST"),
]


@pytest.mark.parametrize(("start", "zone", "day", "from_time", "to_time", "abbreviation"), DST_CASES)
def test_reminders_state_the_local_time_with_the_zone_across_clock_changes(
    start, zone, day, from_time, to_time, abbreviation
):
    when = f"{day}, {from_time}\N{EN DASH}{to_time} ({zone}, {abbreviation})"
    workshop = _workshop(start)
    RegistrationFactory(workshop=workshop, member=_member("ada", zone))

    assert send_workshop_reminders(now=start - DAY) == {"24h": 1, "1h": 0}
    assert send_workshop_reminders(now=start - HOUR) == {"24h": 0, "1h": 1}

    day_before, hour_before = _reminders()
    assert [day_before.subject, hour_before.subject] == [
        "Reminder: Helm charts from scratch starts in 1 day",
        "Reminder: Helm charts from scratch starts in 1 hour",
    ]
    assert [_when_line(day_before), _when_line(hour_before)] == [f"When: {when}", f"When: {when}"]
    assert when in day_before.body_html


def test_reminder_carries_join_link_and_invite():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start, join_url="https://meet.example.org/helm", slug="helm-charts")
    RegistrationFactory(workshop=workshop, member=_member("ada"))

    send_workshop_reminders(now=start - timedelta(hours=20))

    (reminder,) = _reminders()
    assert reminder.kind == EmailKind.REMINDERS
    assert reminder.to == "ada@example.org"
    assert "Join link: https://meet.example.org/helm" in reminder.body_text
    ((filename, ics, mimetype),) = reminder.decoded_attachments()
    assert (filename, mimetype) == ("helm-charts.ics", "text/calendar; method=PUBLISH")
    assert b"DTSTART:20270504T160000Z" in ics
    assert b"https://meet.example.org/helm" in ics


def test_reminder_cancel_link_is_absolute(settings):
    settings.SITE_URL = "https://wicn.example.org"
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start, slug="helm-charts")
    RegistrationFactory(workshop=workshop, member=_member("ada"))

    send_workshop_reminders(now=start - HOUR)

    (reminder,) = _reminders()
    assert "https://wicn.example.org/workshops/helm-charts/" in reminder.body_text
    assert 'href="https://wicn.example.org/workshops/helm-charts/"' in reminder.body_html


def test_reminder_wording_says_the_real_time_left():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    RegistrationFactory(workshop=_workshop(start), member=_member("ada"))

    send_workshop_reminders(now=start - timedelta(hours=23, minutes=47))

    (reminder,) = _reminders()
    assert reminder.subject == "Reminder: Helm charts from scratch starts in 23 hours, 47 minutes"
    assert reminder.body_text.splitlines()[2] == (
        '"Helm charts from scratch" starts in 23 hours, 47 minutes, and you have a seat.'
    )


def test_reminders_are_not_due_outside_their_windows():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    RegistrationFactory(workshop=_workshop(start), member=_member("ada"))

    for now in (start - DAY - timedelta(minutes=1), start, start + HOUR):
        assert send_workshop_reminders(now=now) == {"24h": 0, "1h": 0}
    assert _reminders() == []


def test_waitlisted_and_cancelled_registrants_get_no_reminder():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start)
    RegistrationFactory(workshop=workshop, member=_member("seated"))
    RegistrationFactory(workshop=workshop, member=_member("waiting"), status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(workshop=workshop, member=_member("gone"), status=RegistrationStatus.CANCELLED)

    send_workshop_reminders(now=start - DAY)
    send_workshop_reminders(now=start - HOUR)

    assert _sent() == [("seated@example.org", "24h"), ("seated@example.org", "1h")]


def test_moved_workshop_is_reminded_again_at_its_new_time_only():
    old_start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    new_start = old_start + timedelta(days=2, hours=3)
    workshop = _workshop(old_start)
    registration = RegistrationFactory(workshop=workshop, member=_member("ada"))
    send_workshop_reminders(now=old_start - DAY)

    # A builder moves it in the admin after the first reminder went out.
    workshop.starts_at, workshop.ends_at = new_start, new_start + HOUR
    workshop.save()
    for now in (old_start - HOUR, old_start - timedelta(minutes=10), new_start - DAY, new_start - HOUR):
        send_workshop_reminders(now=now)
        send_workshop_reminders(now=now + timedelta(minutes=15))

    old, new = int(old_start.timestamp()), int(new_start.timestamp())
    assert [n.key for n in _reminders()] == [
        f"workshop-reminder-24h:{registration.pk}:{old}",
        f"workshop-reminder-24h:{registration.pk}:{new}",
        f"workshop-reminder-1h:{registration.pk}:{new}",
    ]
    new_time = "When: Thursday 6 May 2027, 21:00\N{EN DASH}22:00 (Europe/Berlin, CEST)"
    assert [_when_line(n) for n in _reminders()[1:]] == [new_time, new_time]
    registration.refresh_from_db()
    assert (registration.reminded_24h_for, registration.reminded_1h_for) == (new_start, new_start)


def test_member_promoted_half_an_hour_before_gets_only_the_one_hour_reminder():
    now = timezone.now().replace(microsecond=0)
    start = now + timedelta(minutes=30)
    workshop = _workshop(start, capacity=1)
    first, second = _member("first"), _member("second")
    register(member=first, workshop=workshop)
    register(member=second, workshop=workshop)
    send_workshop_reminders(now=start - DAY)

    cancel_registration(member=first, workshop=workshop)
    send_workshop_reminders(now=now)
    send_workshop_reminders(now=now + timedelta(minutes=15))

    assert _sent() == [("first@example.org", "24h"), ("second@example.org", "1h")]
    assert _reminders()[1].subject == "Reminder: Helm charts from scratch starts in 30 minutes"


def test_member_promoted_ten_hours_before_hears_the_true_time_then_the_last_hour():
    now = timezone.now().replace(microsecond=0)
    start = now + timedelta(hours=10)
    workshop = _workshop(start, capacity=1)
    first, second = _member("first"), _member("second", "Asia/Kolkata")
    register(member=first, workshop=workshop)
    register(member=second, workshop=workshop)
    cancel_registration(member=first, workshop=workshop)

    for at in (now, now + timedelta(minutes=15), start - HOUR, start - timedelta(minutes=45)):
        send_workshop_reminders(now=at)

    assert [n.subject for n in _reminders() if n.to == "second@example.org"] == [
        "Reminder: Helm charts from scratch starts in 10 hours",
        "Reminder: Helm charts from scratch starts in 1 hour",
    ]
    assert _sent(to="first@example.org") == []


def test_member_who_turned_reminders_off_gets_none_while_others_do():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start)
    quiet = _member("quiet")
    EmailPreferences.objects.create(user=quiet, reminders=False)
    RegistrationFactory(workshop=workshop, member=quiet)
    RegistrationFactory(workshop=workshop, member=_member("keen"))

    send_workshop_reminders(now=start - DAY)
    send_workshop_reminders(now=start - HOUR)

    assert _sent() == [("keen@example.org", "24h"), ("keen@example.org", "1h")]


def test_running_again_sends_nothing_twice(mailoutbox):
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start)
    for name in ("ada", "grace", "linus"):
        RegistrationFactory(workshop=workshop, member=_member(name))

    first = send_workshop_reminders(now=start - HOUR, batch_size=2)
    second = send_workshop_reminders(now=start - HOUR, batch_size=2)
    deliver_pending()
    deliver_pending()

    assert (first, second) == ({"24h": 0, "1h": 3}, {"24h": 0, "1h": 0})
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.org", "grace@example.org", "linus@example.org"]


def test_retried_task_sends_nothing_twice(mailoutbox):
    workshop = _workshop(timezone.now().replace(microsecond=0) + timedelta(minutes=40))
    RegistrationFactory(workshop=workshop, member=_member("ada"))

    call_command("workflows", "test", "workshop_reminders", "send_reminders")
    call_command("workflows", "test", "workshop_reminders", "send_reminders")
    assert send_reminders.function({"batch_size": 500}) == {"24h": 0, "1h": 0}
    deliver_pending()

    assert _sent() == [("ada@example.org", "1h")]
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


def test_workshop_reminders_dag_runs_every_quarter_hour_without_catchup():
    assert (workshop_reminders.dag_id, workshop_reminders.schedule, workshop_reminders.catchup) == (
        "workshop_reminders",
        "*/15 * * * *",
        False,
    )
    assert list(workshop_reminders.tasks) == ["send_reminders"]


def test_workshop_reminders_dag_run_by_the_scheduler_reminds_once(monkeypatch, settings, tmp_path):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    workshop = _workshop(timezone.now().replace(microsecond=0) + timedelta(hours=5))
    RegistrationFactory(workshop=workshop, member=_member("ada"))
    bag = install_dags(monkeypatch, workshop_reminders)

    runs = [workflow_services.trigger_dag(dag=workshop_reminders) for _ in range(2)]
    done = DagRun.objects.filter(pk__in=[run.pk for run in runs], state=DagRunState.SUCCESS)
    Scheduler(executor_names=["inline"], bag=bag, max_loops=200, until=lambda: done.count() == 2).run()

    assert done.count() == 2
    assert _sent() == [("ada@example.org", "24h")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_share_the_reminders_without_doubles():
    start = datetime(2027, 5, 4, 16, 0, tzinfo=UTC)
    workshop = _workshop(start, capacity=60)
    for index in range(60):
        RegistrationFactory(workshop=workshop, member=_member(f"member{index}"))
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = send_workshop_reminders(now=start - HOUR, batch_size=5)
        except Exception as exc:  # noqa: BLE001 - every outcome is collected and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Each run counts the rows it claimed: a row claimed by both would make the total exceed 60.
    assert sum(outcome["1h"] for outcome in outcomes) == 60, outcomes  # type: ignore[index]
    assert Notification.objects.filter(template="workshops/reminder").count() == 60
