"""The community_report job: its schedule, the month it reports on, and emails that go out once."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from community.notifications.models import Notification
from community.notifications.services import deliver_pending
from community.reports.dags import community_report
from community.reports.errors import InvalidMonth, MonthNotOver
from community.reports.models import MonthlyReport
from community.reports.months import Month
from community.reports.services import compile_report, month_for_run
from tests.factories import BuilderFactory, UserFactory
from tests.workflows.support import InlineExecutor, install_dags
from workflows import services as workflow_services
from workflows import timetables
from workflows.enums import DagRunState, TaskState
from workflows.models import DagRun, TaskInstance
from workflows.scheduler import Scheduler

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def workflows(settings, monkeypatch, tmp_path):
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    InlineExecutor.ran = []
    return install_dags(monkeypatch, community_report)


def _run(bag, run):
    def finished():
        run.refresh_from_db()
        return run.state in (DagRunState.SUCCESS, DagRunState.FAILED)

    Scheduler(executor_names=["inline"], bag=bag, max_loops=200, until=finished).run()
    return run


def _report_keys():
    return sorted(Notification.objects.filter(template="community_report").values_list("key", flat=True))


def test_community_report_runs_at_six_on_the_first_in_the_site_zone_across_dst():
    assert (community_report.schedule, community_report.catchup) == ("0 6 1 * *", False)
    schedule = community_report.schedule
    winter = timetables.first_tick_at_or_after(schedule, BERLIN, datetime(2025, 1, 15, tzinfo=UTC))
    summer = timetables.first_tick_at_or_after(schedule, BERLIN, datetime(2025, 3, 15, tzinfo=UTC))
    assert (winter, summer) == (datetime(2025, 2, 1, 5, tzinfo=UTC), datetime(2025, 4, 1, 4, tzinfo=UTC))
    assert (winter.astimezone(BERLIN).hour, summer.astimezone(BERLIN).hour) == (6, 6)
    interval = timetables.latest_complete_interval(schedule, BERLIN, datetime(2025, 4, 1, 4, 0, 1, tzinfo=UTC))
    assert (interval.start, interval.end) == (datetime(2025, 3, 1, 5, tzinfo=UTC), datetime(2025, 4, 1, 4, tzinfo=UTC))


def test_default_month_of_a_scheduled_run_is_the_month_just_over():
    # The run created at 06:00 on 1 April has the logical date of 1 March (its interval's start).
    assert month_for_run("", data_interval_end=datetime(2025, 4, 1, 4, tzinfo=UTC)) == Month(2025, 3)


@pytest.mark.parametrize(
    ("triggered_at", "month"),
    [
        (datetime(2025, 4, 15, 12, tzinfo=UTC), Month(2025, 3)),
        (datetime(2025, 3, 31, 22, 30, tzinfo=UTC), Month(2025, 3)),  # 00:30 on 1 April in Berlin
        (datetime(2025, 1, 10, 12, tzinfo=UTC), Month(2024, 12)),
    ],
)
def test_default_month_of_a_manual_run_is_the_last_complete_month_in_the_site_zone(triggered_at, month):
    assert month_for_run("", data_interval_end=triggered_at) == month


def test_month_param_wins_and_bad_text_is_refused():
    now = datetime(2025, 4, 15, tzinfo=UTC)
    assert month_for_run("2024-11", data_interval_end=now) == Month(2024, 11)
    with pytest.raises(InvalidMonth, match="YYYY-MM"):
        month_for_run("11/2024", data_interval_end=now)


@pytest.mark.django_db
def test_compile_report_refuses_a_month_that_is_not_over():
    with pytest.raises(MonthNotOver, match="April 2025 is not over yet"):
        compile_report(month=Month(2025, 4), now=datetime(2025, 4, 30, 21, 59, tzinfo=UTC))
    assert MonthlyReport.objects.count() == 0


@pytest.mark.django_db
def test_forced_rerun_updates_the_figures_and_sends_nothing_twice(workflows, mailoutbox):
    first, second = BuilderFactory(), BuilderFactory()
    UserFactory(date_joined=datetime(2025, 3, 10, tzinfo=UTC))
    run = workflow_services.trigger_dag(dag=community_report, params={"month": "2025-03"}, triggered_by=first)
    assert _run(workflows, run).state == DagRunState.SUCCESS
    keys = [f"community-report:2025-03:{first.pk}", f"community-report:2025-03:{second.pk}"]
    assert _report_keys() == sorted(keys)

    UserFactory(date_joined=datetime(2025, 3, 20, tzinfo=UTC))
    workflow_services.clear_task_instances(
        run=run, dag=community_report, task_ids=["compile_monthly_report"], downstream=True
    )
    assert _run(workflows, run).state == DagRunState.SUCCESS
    report = MonthlyReport.objects.get()
    assert report.figures["sections"]["members"]["new_members"] == {"month": 2, "previous": 0}
    assert (report.run_id, report.requested_by) == (run.run_id, first)
    assert _report_keys() == sorted(keys)
    assert TaskInstance.objects.get(run=run, task_id="email_monthly_report").result == {"month": "2025-03", "queued": 0}
    deliver_pending()
    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.email, second.email])


@pytest.mark.django_db
def test_resend_run_emails_once_more_and_its_retry_does_not(workflows):
    builder = BuilderFactory()
    for resend in (False, True):
        run = workflow_services.trigger_dag(dag=community_report, params={"month": "2025-03", "resend": resend})
        _run(workflows, run)
    workflow_services.clear_task_instances(run=run, dag=community_report, task_ids=["email_monthly_report"])
    _run(workflows, run)
    assert _report_keys() == sorted(
        [f"community-report:2025-03:{builder.pk}", f"community-report:2025-03:resend:{run.run_id}:{builder.pk}"]
    )
    assert MonthlyReport.objects.get().requested_by is None


@pytest.mark.django_db
def test_report_email_lists_the_figures_beside_the_month_before(workflows):
    builder = BuilderFactory()
    UserFactory(date_joined=datetime(2025, 3, 10, tzinfo=UTC))
    _run(workflows, workflow_services.trigger_dag(dag=community_report, params={"month": "2025-03"}))
    email = Notification.objects.get(template="community_report")
    assert (email.to, email.subject, email.kind) == (builder.email, "Community report for March 2025", "announcements")
    assert "- New members: 1 (0; +1)" in email.body_text
    assert "- Attendance rate: {0} ({0}; {0})".format("\N{EN DASH}") in email.body_text
    assert "/reports/2025-03/" in email.body_text


@pytest.mark.django_db
def test_scheduled_run_reports_the_month_before_its_interval_end(workflows, settings):
    BuilderFactory()
    run = workflow_services.create_dag_run(
        dag=community_report,
        run_type="scheduled",
        logical_date=datetime(2025, 3, 1, 5, tzinfo=UTC),
        data_interval=(datetime(2025, 3, 1, 5, tzinfo=UTC), datetime(2025, 4, 1, 4, tzinfo=UTC)),
    )
    assert _run(workflows, run).state == DagRunState.SUCCESS
    assert list(MonthlyReport.objects.values_list("month", flat=True)) == [Month(2025, 3).first_day]
    assert DagRun.objects.get(pk=run.pk).params == {"month": "", "resend": False}
    assert TaskInstance.objects.get(run=run, task_id="compile_monthly_report").state == TaskState.SUCCESS
