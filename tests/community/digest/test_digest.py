"""The weekly digest: who gets it in which hourly run, what it says, and that it is sent once."""

from datetime import UTC, datetime, timedelta

import pytest

from community.digest.dags import queue_digests, weekly_digest
from community.digest.queries import members_due_digest
from community.digest.services import send_weekly_digests
from community.notifications.enums import EmailKind
from community.notifications.models import EmailPreferences, Notification
from community.notifications.services import deliver_pending
from mentorship.enums import BatchStatus
from tests.community.podcasts.factories import EpisodeFactory
from tests.community.workshops.factories import WorkshopFactory
from tests.factories import UserFactory
from tests.mentorship.factories import BatchFactory
from tests.workflows.support import install_dags
from workflows import services as workflow_services
from workflows.enums import DagRunState, DagRunType
from workflows.models import TaskTry
from workflows.scheduler import Scheduler

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
# Europe switched to summer time on Sunday 30 March 2025 and New Zealand back to standard time on
# Sunday 6 April 2025, so these two Mondays fall on either side of a DST change somewhere.
MONDAY = datetime(2025, 3, 31, tzinfo=UTC)
NEXT_MONDAY = datetime(2025, 4, 7, tzinfo=UTC)


def _member(username: str, zone: str, *, digest: bool | None = True):
    member = UserFactory(username=username, profile__time_zone=zone)
    if digest is not None:
        EmailPreferences.objects.create(user=member, digest=digest)
    return member


def _hourly_runs(start: datetime, end: datetime):
    moment = start
    while moment < end:
        yield moment, moment + HOUR
        moment += HOUR


def test_weekly_digest_dag_runs_hourly():
    assert (weekly_digest.dag_id, weekly_digest.schedule, list(weekly_digest.tasks)) == (
        "weekly_digest",
        "0 * * * *",
        ["queue_digests"],
    )


def test_members_due_digest_each_zone_once_per_monday_across_dst():
    zones = {
        "berlin": "Europe/Berlin",
        "newyork": "America/New_York",
        "kolkata": "Asia/Kolkata",
        "kathmandu": "Asia/Kathmandu",
        "auckland": "Pacific/Auckland",
        "chatham": "Pacific/Chatham",
    }
    for username, zone in zones.items():
        _member(username, zone)

    picked: dict[str, list[datetime]] = {username: [] for username in zones}
    for start, end in _hourly_runs(MONDAY - timedelta(days=2), NEXT_MONDAY + timedelta(days=1)):
        for member, due_at in members_due_digest(start, end):
            assert start <= due_at < end
            picked[member.username].append(start)

    assert picked == {
        # 08:00 CEST after the change, not 08:00 CET.
        "berlin": [datetime(2025, 3, 31, 6, tzinfo=UTC), datetime(2025, 4, 7, 6, tzinfo=UTC)],
        "newyork": [datetime(2025, 3, 31, 12, tzinfo=UTC), datetime(2025, 4, 7, 12, tzinfo=UTC)],
        # 02:30 UTC and 02:15 UTC: inside the 02:00 run, once.
        "kolkata": [datetime(2025, 3, 31, 2, tzinfo=UTC), datetime(2025, 4, 7, 2, tzinfo=UTC)],
        "kathmandu": [datetime(2025, 3, 31, 2, tzinfo=UTC), datetime(2025, 4, 7, 2, tzinfo=UTC)],
        # NZDT (+13) then NZST (+12) once summer time ended on 6 April.
        "auckland": [datetime(2025, 3, 30, 19, tzinfo=UTC), datetime(2025, 4, 6, 20, tzinfo=UTC)],
        "chatham": [datetime(2025, 3, 30, 18, tzinfo=UTC), datetime(2025, 4, 6, 19, tzinfo=UTC)],
    }


def test_members_due_digest_only_opted_in_members():
    _member("yes", "Europe/Berlin", digest=True)
    _member("no", "Europe/Berlin", digest=False)
    _member("never-asked", "Europe/Berlin", digest=None)
    start = datetime(2025, 3, 31, 6, tzinfo=UTC)
    assert [member.username for member, _ in members_due_digest(start, start + HOUR)] == ["yes"]


def test_members_due_digest_late_run_uses_its_interval_not_the_clock():
    _member("berlin", "Europe/Berlin")
    # Whenever it actually runs (here: now, years later), the run for this hour picks the Berlin member.
    start = datetime(2025, 3, 31, 6, tzinfo=UTC)
    assert [(m.username, due) for m, due in members_due_digest(start, start + HOUR)] == [
        ("berlin", datetime(2025, 3, 31, 6, tzinfo=UTC))
    ]
    assert members_due_digest(start + HOUR, start + 2 * HOUR) == []


def test_queue_digests_rerun_and_retry_send_nothing_twice(mailoutbox):
    member = _member("berlin", "Europe/Berlin")
    WorkshopFactory(starts_at=datetime.now(UTC) + timedelta(days=2))
    start = datetime(2025, 3, 31, 6, tzinfo=UTC)

    first = queue_digests.function(data_interval_start=start, data_interval_end=start + HOUR)
    again = queue_digests.function(data_interval_start=start, data_interval_end=start + HOUR)
    deliver_pending()

    assert (first, again) == ({"queued": 1, "skipped": 0}, {"queued": 1, "skipped": 0})
    assert list(Notification.objects.values_list("key", "to", "kind", "template")) == [
        (f"weekly-digest:{member.pk}:2025-W14", "berlin@example.org", EmailKind.DIGEST, "weekly_digest")
    ]
    assert [message.to for message in mailoutbox] == [["berlin@example.org"]]


def test_queue_digests_next_week_is_a_new_digest():
    member = _member("berlin", "Europe/Berlin")
    WorkshopFactory(starts_at=datetime.now(UTC) + timedelta(days=2))
    for monday in (MONDAY, NEXT_MONDAY):
        start = monday.replace(hour=6)
        queue_digests.function(data_interval_start=start, data_interval_end=start + HOUR)
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        f"weekly-digest:{member.pk}:2025-W14",
        f"weekly-digest:{member.pk}:2025-W15",
    ]


def test_queue_digests_nothing_to_say_skips_the_member_and_says_so(capsys):
    member = _member("berlin", "Europe/Berlin")
    WorkshopFactory(starts_at=datetime.now(UTC) + timedelta(days=30))  # beyond the two weeks
    BatchFactory(status=BatchStatus.DRAFT)
    start = datetime(2025, 3, 31, 6, tzinfo=UTC)

    result = queue_digests.function(data_interval_start=start, data_interval_end=start + HOUR)

    assert result == {"queued": 0, "skipped": 1}
    assert Notification.objects.count() == 0
    assert (
        f"skipped member {member.pk}: nothing to say this week (empty sections: workshops, episodes, batches)"
        in capsys.readouterr().out
    )


def test_send_weekly_digests_sections_list_what_is_coming_and_new_in_the_member_zone():
    member = _member("newyork", "America/New_York")
    member.profile.display_name = "Ada"
    member.profile.save()
    now = datetime(2025, 3, 31, 12, 5, tzinfo=UTC)
    WorkshopFactory(title="Helm from scratch", slug="helm", starts_at=datetime(2025, 4, 2, 17, 30, tzinfo=UTC))
    WorkshopFactory(title="Too far away", slug="far", starts_at=now + timedelta(days=15))
    WorkshopFactory(title="Already started", slug="started", starts_at=now - timedelta(minutes=5))
    EpisodeFactory(title="Operators in practice", slug="operators", publish_at=now - timedelta(days=2))
    EpisodeFactory(title="Old news", slug="old", publish_at=now - timedelta(days=8))
    EpisodeFactory(title="Not out yet", slug="scheduled", publish_at=now + timedelta(hours=1))
    BatchFactory(
        name="Spring cohort",
        slug="spring",
        applications_open_at=now - timedelta(days=3),
        applications_close_at=datetime(2025, 4, 10, 21, tzinfo=UTC),
    )
    BatchFactory(name="Draft cohort", slug="draft", status=BatchStatus.DRAFT)
    BatchFactory(
        name="Window over",
        slug="over",
        applications_open_at=now - timedelta(days=9),
        applications_close_at=now - timedelta(days=1),
    )
    start = datetime(2025, 3, 31, 12, tzinfo=UTC)

    report = send_weekly_digests(interval_start=start, interval_end=start + HOUR, now=now)

    notification = Notification.objects.get()
    assert report.queued == [notification.key]
    assert notification.subject == "Your week at Women in Cloud Native: 31 March"
    content, _footer = notification.body_text.split("\n-- \n")
    assert content == (
        "Hi Ada,\n\n"
        "Here is what is coming up and what is new this week. Times are in America/New_York.\n\n"
        "Upcoming workshops\n\n"
        "- Helm from scratch\n"
        "  Starts: Wednesday 2 April 2025, 13:30 (America/New_York)\n"
        "  http://localhost:8000/workshops/helm/\n\n"
        "New podcast episodes\n\n"
        "- Operators in practice\n"
        "  42 min\n"
        "  http://localhost:8000/podcast/operators/\n\n"
        "Mentorship batches open for applications\n\n"
        "- Spring cohort\n"
        "  Applications close: Thursday 10 April 2025, 17:00 (America/New_York)\n"
        "  http://localhost:8000/mentorship/batches/spring/\n\n"
        "You receive this digest because you asked for it.\n"
    )
    assert 'href="http://localhost:8000/workshops/helm/"' in notification.body_html
    assert "Wednesday 2 April 2025, 13:30 (America/New_York)" in notification.body_html


def test_weekly_digest_scheduled_run_picks_members_from_its_data_interval(settings, monkeypatch, tmp_path):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    bag = install_dags(monkeypatch, weekly_digest)
    berlin = _member("berlin", "Europe/Berlin")
    _member("kolkata", "Asia/Kolkata")
    WorkshopFactory(starts_at=datetime.now(UTC) + timedelta(days=2))
    start = datetime(2025, 3, 31, 6, tzinfo=UTC)
    run = workflow_services.create_dag_run(
        dag=weekly_digest, run_type=DagRunType.SCHEDULED, logical_date=start, data_interval=(start, start + HOUR)
    )

    def finished() -> bool:
        run.refresh_from_db()
        return run.state in {DagRunState.SUCCESS, DagRunState.FAILED}

    Scheduler(executor_names=["inline"], bag=bag, max_loops=100, until=finished).run()

    log = TaskTry.objects.get(task_instance__run=run).log
    assert run.state == DagRunState.SUCCESS
    assert list(Notification.objects.values_list("key", flat=True)) == [f"weekly-digest:{berlin.pk}:2025-W14"]
    assert "interval 2025-03-31T06:00:00+00:00 to 2025-03-31T07:00:00+00:00: 1 digest(s) queued, 0 skipped" in log
