"""Compiling a month's report and sending it to builders. Each function runs in one transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as format_date

from community.members.models import User
from community.members.queries import builders
from community.notifications.enums import EmailKind
from community.notifications.models import Notification
from community.notifications.queries import users_accepting
from community.notifications.services import queue_email
from community.reports.conf import app_settings
from community.reports.errors import InvalidMonth, MonthNotOver, ReportError
from community.reports.figures import compute_figures
from community.reports.models import MonthlyReport
from community.reports.months import Month
from community.reports.presentation import report_tables

EMAIL_KIND = EmailKind.ANNOUNCEMENTS
"""Builders who turned off community announcements are not emailed; the report stays on /reports/."""


def month_label(month: Month) -> str:
    return format_date(month.first_day, "F Y")


def month_for_run(requested: str, *, data_interval_end: datetime) -> Month:
    """The month a run reports on: the one it asks for ("YYYY-MM"), else the month before its interval's end.

    A scheduled run's logical date is the start of the interval it covers (06:00 on the 1st of the
    month that has just ended) and its interval ends on the 1st of the next month: the month before
    that end is the month just over. A manual run's interval ends when it was triggered, so it
    reports on the last complete month. Raises InvalidMonth for text that is not a month.
    """
    if requested.strip():
        try:
            return Month.parse(requested)
        except ValueError as exc:
            raise InvalidMonth(str(exc)) from None
    return Month.containing(data_interval_end, app_settings.zone).previous()


def ensure_month_over(month: Month, *, now: datetime | None = None) -> None:
    """Raise MonthNotOver unless the month has ended in the report zone."""
    end = month.bounds(app_settings.zone)[1]
    if end > (now or timezone.now()):
        raise MonthNotOver(
            f"{month_label(month)} is not over yet: reports cover whole months. Choose an earlier month."
        )


def compile_report(
    *, month: Month, run_id: str = "", requested_by: User | None = None, now: datetime | None = None
) -> MonthlyReport:
    """Compute the month's figures (and the month before's) and store them as the month's report.

    Compiling a month that has a report replaces its figures and records who or what ran it.
    Raises MonthNotOver for the current month or a later one.
    Side effects: creates or updates one MonthlyReport row, locked while it is written.
    """
    ensure_month_over(month, now=now)
    fields = {"run_id": run_id[:250], "requested_by": requested_by}
    with transaction.atomic():
        figures = compute_figures(month, app_settings.zone)
        report = MonthlyReport.objects.select_for_update().filter(month=month.first_day).first()
        if report is None:
            try:
                # A savepoint: a concurrent job that inserted the month first wins, and this one updates it.
                with transaction.atomic():
                    return MonthlyReport.objects.create(month=month.first_day, figures=figures, **fields)
            except IntegrityError:
                report = MonthlyReport.objects.select_for_update().get(month=month.first_day)
        report.figures = figures
        report.run_id, report.requested_by = fields["run_id"], requested_by
        report.save(update_fields=["figures", "run_id", "requested_by", "updated_at"])
    return report


def email_key(report: MonthlyReport, builder: User, *, resend_tag: str = "") -> str:
    period = str(report.period)
    if resend_tag:
        return f"community-report:{period}:resend:{resend_tag}:{builder.pk}"
    return f"community-report:{period}:{builder.pk}"


def email_report(*, month: Month, resend_tag: str = "") -> int:
    """Queue the report to every builder who accepts announcements; return how many emails are new.

    Each email's key names the month and the builder, so a rerun or a retried job sends nothing twice
    (a builder who joined since the first send gets it). A `resend_tag` (e.g. the run asking for it)
    sends the current figures once more, once per tag.
    Side effects: Notification rows (`community_report`), delivered after commit; stamps
    `emailed_at` on the report the first time. Raises MonthlyReport.DoesNotExist before compile_report.
    """
    with transaction.atomic():
        report = MonthlyReport.objects.get(month=month.first_day)
        recipients = list(users_accepting(builders(), EMAIL_KIND))
        keys = {builder.pk: email_key(report, builder, resend_tag=resend_tag) for builder in recipients}
        already = set(Notification.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        context = {
            "report": report,
            "month_label": month_label(report.period),
            "previous_label": month_label(report.period.previous()),
            "tables": report_tables(report.figures),
            "report_path": report.get_absolute_url(),
        }
        for builder in recipients:
            queue_email(
                key=keys[builder.pk],
                recipient=builder,
                template="community_report",
                context=context,
                kind=EMAIL_KIND,
            )
        queued = len(set(keys.values()) - already)
        if recipients:
            MonthlyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return queued


def request_report_run(*, month: Month, resend: bool, by: User) -> str:
    """Ask the report job to compile `month` now, emailing builders again when `resend`; return the run's id.

    Side effects: creates a manual run of the community_report DAG (the scheduler runs it). Raises
    ReportError when the job is not loaded or refuses the request.
    """
    # Imported here: the engine's DAG registry loads this app's dags.py, which imports this module.
    from community.reports.dags import DAG_ID
    from workflows import services as workflow_services
    from workflows.dagbag import get_dagbag
    from workflows.errors import DagNotFound, WorkflowError

    try:
        run = workflow_services.trigger_dag(
            dag=get_dagbag().get(DAG_ID), params={"month": str(month), "resend": resend}, triggered_by=by
        )
    except DagNotFound:
        raise ReportError("The report job is not loaded right now; the Workflows page shows why.") from None
    except WorkflowError as exc:
        raise ReportError(str(exc)) from exc
    return run.run_id
