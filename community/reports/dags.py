"""The monthly community report: on the 1st at 06:00 (site zone), the month just over, emailed to builders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.sdk import Param, dag, task

DAG_ID = "community_report"


@task(retries=2, retry_delay=120, retry_exponential_backoff=True, execution_timeout=600)
def compile_monthly_report(params: dict[str, Any], data_interval_end: datetime, dag_id: str, run_id: str) -> str:
    """Compute the month's figures beside the month before's and store them as its report."""
    from community.reports.queries import run_requester
    from community.reports.services import compile_report, month_for_run

    month = month_for_run(params["month"], data_interval_end=data_interval_end)
    report = compile_report(month=month, run_id=run_id, requested_by=run_requester(dag_id=dag_id, run_id=run_id))
    print(f"compiled the report for {month} ({report.get_absolute_url()})")
    return str(month)


@task(retries=3, retry_delay=120, retry_exponential_backoff=True, execution_timeout=600)
def email_monthly_report(month: str, params: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Send the report to builders, once per month and builder unless the run asks to resend."""
    from community.reports.months import Month
    from community.reports.services import email_report

    queued = email_report(month=Month.parse(month), resend_tag=run_id if params["resend"] else "")
    print(f"queued {queued} email(s) for {month}")
    return {"month": month, "queued": queued}


@dag(
    DAG_ID,
    schedule="0 6 1 * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["community", "reports", "email"],
    params={
        "month": Param(
            "",
            type="str",
            description="YYYY-MM. Empty: the month before the run (on the schedule, the month just over).",
        ),
        "resend": Param(False, description="Email builders again even if this month's report was sent before."),
    },
)
def community_report() -> None:
    """The previous month's community figures, each beside the month before, stored and emailed to builders."""
    email_monthly_report(compile_monthly_report())
