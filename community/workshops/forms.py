from typing import Any

from django import forms

from community.workshops.models import Registration


class AttendanceForm(forms.Form):
    attended = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Who attended")

    def __init__(self, *args: Any, registrations: list[Registration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attended"]
        field.choices = [(str(r.pk), r.member.display_name) for r in registrations]  # type: ignore[attr-defined]
        field.initial = [str(r.pk) for r in registrations if r.status == "attended"]

    def attended_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["attended"]]


class RecordingForm(forms.Form):
    recording_url = forms.URLField(
        max_length=500, assume_scheme="https", label="Recording link", help_text="Registrants get it by email."
    )
