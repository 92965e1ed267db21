from datetime import UTC, datetime

import pytest
from django import forms

from community.members.fields import InstantField
from mentorship.forms import BatchForm, ScheduleMatchingForm


@pytest.mark.parametrize(
    ("typed", "instant"),
    [
        ("2026-12-04T16:00:00+16:00", datetime(2026, 12, 4, 0, 0, tzinfo=UTC)),
        ("2026-12-04T16:00:00+23:59", datetime(2026, 12, 3, 16, 1, tzinfo=UTC)),
        ("2026-12-04T16:00:00-16:00", datetime(2026, 12, 5, 8, 0, tzinfo=UTC)),
        ("2026-12-04T16:00:00+01:00", datetime(2026, 12, 4, 15, 0, tzinfo=UTC)),
    ],
)
def test_instant_field_hands_on_the_instant_in_utc(typed, instant):
    value = InstantField().clean(typed)

    assert (value, value.utcoffset()) == (instant, UTC.utcoffset(None))


def test_instant_field_refuses_an_offset_past_the_end_of_the_calendar():
    with pytest.raises(forms.ValidationError) as refused:
        InstantField().clean("9999-12-31T23:59:00-16:00")

    assert refused.value.messages == ["Enter a valid date/time."]


def test_mentorship_moments_arrive_in_utc(db):
    batch = BatchForm(
        data={
            "name": "Spring",
            "applications_open_at": "2026-12-04T16:00+16:00",
            "applications_close_at": "2026-12-20T16:00-16:00",
            "program_starts_on": "2027-01-10",
            "program_ends_on": "2027-03-10",
        }
    )
    assert batch.is_valid(), batch.errors
    assert (batch.cleaned_data["applications_open_at"], batch.cleaned_data["applications_close_at"]) == (
        datetime(2026, 12, 4, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 21, 8, 0, tzinfo=UTC),
    )
    assert ScheduleMatchingForm.base_fields["when"].clean("2026-12-04T16:00+23:59") == datetime(
        2026, 12, 3, 16, 1, tzinfo=UTC
    )
