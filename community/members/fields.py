from datetime import UTC, datetime
from typing import Any

from django import forms


class InstantField(forms.DateTimeField):
    """A moment typed or sent by a person, handed on in UTC.

    Python reads UTC offsets up to ±23:59, PostgreSQL stores only up to ±15:59: converted here,
    any offset a browser or a hand-made request sends is kept as the instant it names. A time
    without an offset is read in the viewer's zone, as Django does for every form.
    """

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError:
            # An offset at the very edge of the calendar (year 1 or 9999) names no storable moment.
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
