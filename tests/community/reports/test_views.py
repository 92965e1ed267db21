"""Builders' report pages: who may open them, what they show, and running the job for a month."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from community.reports.months import Month
from tests.community.reports.factories import MonthlyReportFactory, figures_for
from tests.factories import UserFactory
from workflows.models import DagRun

pytestmark = pytest.mark.django_db

LIST = "/reports/"


@pytest.mark.parametrize("path", [LIST, "/reports/2025-03/"])
def test_report_pages_send_anonymous_visitors_to_log_in(client, path):
    MonthlyReportFactory(month=Month(2025, 3).first_day)
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


@pytest.mark.parametrize("path", [LIST, "/reports/2025-03/"])
def test_report_pages_refuse_members_who_are_not_builders(client, path):
    MonthlyReportFactory(month=Month(2025, 3).first_day)
    client.force_login(UserFactory())
    assert client.get(path).status_code == 403


def test_report_run_refuses_members_who_are_not_builders(client):
    client.force_login(UserFactory())
    assert client.post(LIST, {"month": "2025-03"}).status_code == 403
    assert DagRun.objects.count() == 0


@pytest.mark.parametrize("count", [1, 3])
def test_report_list_shows_reports_newest_first_in_few_queries(client, builder, count, django_assert_max_num_queries):
    months = [Month(2025, 1), Month(2025, 3), Month(2024, 11)][:count]
    for month in months:
        MonthlyReportFactory(month=month.first_day, figures=figures_for(month, new_members=month.month * 10))
    client.force_login(builder)
    with django_assert_max_num_queries(6):
        response = client.get(LIST)
    assert response.status_code == 200
    listed = [report.period for report, _ in response.context["rows"]]
    assert listed == sorted(months, reverse=True)
    assert [values[0] for _, values in response.context["rows"]] == [m.month * 10 for m in listed]
    assert b'href="/reports/2025-01/">January 2025</a>' in response.content
    assert response.content.count(b"by the monthly schedule") == count


def test_report_list_without_reports_offers_the_form(client, builder):
    client.force_login(builder)
    response = client.get(LIST)
    assert b"No report yet." in response.content
    assert b'name="month"' in response.content


def test_report_detail_shows_charts_with_a_table_of_the_same_figures(client, builder):
    MonthlyReportFactory(
        month=Month(2025, 3).first_day, figures=figures_for(Month(2025, 3), new_members=7), requested_by=builder
    )
    client.force_login(builder)
    response = client.get("/reports/2025-03/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Community report: March 2025</h1>" in html
    assert '<svg role="img" aria-labelledby="chart-members-title"' in html
    assert '<title id="chart-members-title">Members: March 2025 and February 2025</title>' in html
    assertInHTML('<tr><th scope="row">New members</th><td>7</td><td>1</td><td>+6</td></tr>', html)
    assert "<script" not in html.split('<main id="main"')[1]
    assert 'style="' not in html


@pytest.mark.parametrize("path", ["/reports/2025-04/", "/reports/2025-13/", "/reports/2025-00/", "/reports/2025-3/"])
def test_report_detail_for_unknown_or_malformed_month_is_not_found(client, builder, path):
    MonthlyReportFactory(month=Month(2025, 3).first_day)
    client.force_login(builder)
    assert client.get(path).status_code == 404


def test_report_run_triggers_the_job_for_the_chosen_month(client, builder):
    client.force_login(builder)
    response = client.post(LIST, {"month": "2025-03"}, follow=True)
    run = DagRun.objects.get()
    assert (run.dag.dag_id, run.params, run.triggered_by) == (
        "community_report",
        {"month": "2025-03", "resend": False},
        builder,
    )
    assert response.redirect_chain == [(reverse("reports:list"), 302)]
    assert f"The report for March 2025 is being compiled ({run.run_id})." in response.content.decode()


def test_report_run_can_ask_to_email_builders_again(client, builder):
    client.force_login(builder)
    client.post(LIST, {"month": "2025-03", "resend": "on"})
    assert DagRun.objects.get().params == {"month": "2025-03", "resend": True}


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2025-13", "2025-13 is not a month."),
        ("March 2025", "Write the month as YYYY-MM, for example 2025-05 (not &#x27;March 2025&#x27;)."),
        ("", "This field is required."),
        ("2999-01", "January 2999 is not over yet: reports cover whole months. Choose an earlier month."),
    ],
)
def test_report_run_refuses_a_bad_or_unfinished_month(client, builder, month, message):
    client.force_login(builder)
    response = client.post(LIST, {"month": month})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert DagRun.objects.count() == 0


def test_report_run_refuses_the_current_month(client, builder, settings):
    from django.utils import timezone

    from community.reports.conf import app_settings

    current = Month.containing(timezone.now(), app_settings.zone)
    client.force_login(builder)
    response = client.post(LIST, {"month": str(current)})
    assert response.status_code == 400
    assert "is not over yet" in response.content.decode()
    assert DagRun.objects.count() == 0
