import threading

import pytest
from django.db import connection

from community.notifications.models import Notification
from community.reports.models import MonthlyReport
from community.reports.months import Month
from community.reports.services import compile_report, email_report
from tests.factories import BuilderFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_jobs_compiling_and_emailing_one_month_at_once_store_one_report_and_send_once(settings):
    builder = BuilderFactory()
    jobs = 4
    barrier = threading.Barrier(jobs)
    errors: list[BaseException] = []

    def job(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            compile_report(month=Month(2025, 3), run_id=f"manual__{n}")
            email_report(month=Month(2025, 3))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=job, args=(n,)) for n in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert MonthlyReport.objects.count() == 1
    assert list(Notification.objects.values_list("key", flat=True)) == [f"community-report:2025-03:{builder.pk}"]
