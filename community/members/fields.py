from datetime import UTC, datetime
from typing import Any

from django import forms

from community.members.validators import validate_single_line


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


class SingleLineFieldsMixin:
    """Refuse control characters in the form's fields named in `single_line_fields`."""

    single_line_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name in self.single_line_fields:
            field = self.fields[name]  # type: ignore[attr-defined]
            # Each form instance has its own copy of the field, so this never stacks up.
            field.validators = [*field.validators, validate_single_line]
