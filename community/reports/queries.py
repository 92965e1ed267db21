"""Reads of stored reports, shared by the pages and the job."""

from __future__ import annotations

from django.db.models import QuerySet

from community.members.models import User
from community.reports.models import MonthlyReport
from community.reports.months import Month


def reports_newest_first() -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.select_related("requested_by__profile").order_by("-month")


def report_for_month(month: Month) -> MonthlyReport | None:
    return MonthlyReport.objects.select_related("requested_by__profile").filter(month=month.first_day).first()


def run_requester(*, dag_id: str, run_id: str) -> User | None:
    """The builder who triggered a workflow run by hand; None for scheduled runs."""
    from workflows.models import DagRun

    run = DagRun.objects.filter(dag__dag_id=dag_id, run_id=run_id).select_related("triggered_by").first()
    return run.triggered_by if run is not None else None
