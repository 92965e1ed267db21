"""Builders' pages: past reports, one month's report, and running the job for a month."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from community.members.permissions import builder_required
from community.reports import queries
from community.reports.conf import app_settings
from community.reports.dags import DAG_ID
from community.reports.errors import ReportError
from community.reports.forms import RunReportForm
from community.reports.months import Month
from community.reports.presentation import headline_columns, headline_values, report_tables, section_chart
from community.reports.services import month_label, request_report_run


@builder_required
def report_list(request: HttpRequest) -> HttpResponse:
    """GET: past reports, newest first. POST: run the report job for a month."""
    form = RunReportForm(request.POST or None, zone=app_settings.zone)
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        try:
            run_id = request_report_run(month=month, resend=form.cleaned_data["resend"], by=request.user)
        except ReportError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"The report for {month_label(month)} is being compiled ({run_id}).")
            return redirect("reports:list")
    columns = headline_columns()
    rows = [(report, headline_values(report.figures, columns)) for report in queries.reports_newest_first()]
    status = 400 if request.method == "POST" else 200
    context = {
        "columns": [figure for _, figure in columns],
        "rows": rows,
        "form": form,
        "workflow_url": reverse("workflows:dag_detail", args=[DAG_ID]),
    }
    return render(request, "reports/report_list.html", context, status=status)


@builder_required
def report_detail(request: HttpRequest, year: str, month: str) -> HttpResponse:
    try:
        period = Month(int(year), int(month))
    except ValueError:
        raise Http404("There is no such month.") from None
    report = queries.report_for_month(period)
    if report is None:
        raise Http404(f"There is no report for {period} yet.")
    labels = {"month_label": month_label(period), "previous_label": month_label(period.previous())}
    sections = [(table, section_chart(table, **labels)) for table in report_tables(report.figures)]
    return render(request, "reports/report_detail.html", {"report": report, "sections": sections, **labels})
