from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from community.reports.months import Month


class MonthlyReport(models.Model):
    """The community's figures for one calendar month (in the site's zone), beside the month before.

    Compiled by the `community_report` job; compiling a month again replaces its figures.
    """

    month = models.DateField(unique=True, help_text="First day of the month the report covers.")
    figures = models.JSONField(help_text="Figures by section, with their version; see community/reports/figures.py.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    run_id = models.CharField(max_length=250, blank=True, help_text="The workflow run that compiled it last.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The builder who asked for the last compilation; empty for the monthly schedule.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When it was first sent to builders.")

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="reports_month_is_first_day",
                violation_error_message="A report's month is stored as its first day.",
            ),
        ]

    def __str__(self) -> str:
        return f"Community report {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", kwargs={"year": f"{self.month.year:04d}", "month": f"{self.month.month:02d}"})

    @property
    def period(self) -> Month:
        return Month.of(self.month)

    @property
    def compiled_by(self) -> str:
        """Who or what compiled it last, for people: a builder's name, the schedule, or a manual run."""
        if self.requested_by is not None:
            return self.requested_by.display_name
        if self.run_id.startswith("scheduled__"):
            return "the monthly schedule"
        return "a manual run"
