import factory

from community.reports.models import MonthlyReport
from community.reports.months import Month


def figures_for(month: Month, *, new_members: int = 3, previous_members: int = 1) -> dict:
    """Stored figures in the current shape, with only the members section filled."""
    return {
        "version": 1,
        "month": str(month),
        "previous_month": str(month.previous()),
        "sections": {"members": {"new_members": {"month": new_members, "previous": previous_members}}},
    }


class MonthlyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyReport

    month = factory.Sequence(lambda n: Month(2024 - n // 12, 12 - n % 12).first_day)
    figures = factory.LazyAttribute(lambda report: figures_for(Month.of(report.month)))
    run_id = factory.LazyAttribute(lambda report: f"scheduled__{report.month.isoformat()}T05:00:00+00:00")
