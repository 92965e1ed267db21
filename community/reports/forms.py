"""The builders' form that runs the report job for a month of their choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from community.reports.errors import MonthNotOver
from community.reports.months import Month
from community.reports.services import ensure_month_over


class RunReportForm(forms.Form):
    month = forms.CharField(
        max_length=20,
        label="Month",
        help_text="YYYY-MM, a month that has ended.",
        widget=forms.TextInput(attrs={"placeholder": "2025-05", "inputmode": "numeric", "pattern": r"\d{4}-\d{2}"}),
    )
    resend = forms.BooleanField(
        required=False, label="Email builders again, even if this month's report was sent before"
    )

    def __init__(self, *args: Any, zone: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if zone is not None and not self.is_bound:
            self.fields["month"].initial = str(Month.containing(timezone.now(), zone).previous())

    def clean_month(self) -> Month:
        try:
            month = Month.parse(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        try:
            ensure_month_over(month)
        except MonthNotOver as exc:
            raise forms.ValidationError(exc.message) from None
        return month
