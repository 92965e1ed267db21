"""Input at the edge: every field a member or builder types is checked here before a service runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from community.members.fields import InstantField, SingleLineFieldsMixin
from community.members.models import Area
from community.members.validators import known_time_zones
from mentorship.enums import LANGUAGES, FeedbackStage, Gender, PairRuleKind, Region
from mentorship.matching import MAX_CAPACITY, MIN_CAPACITY
from mentorship.models import Batch, Match, MenteeApplication, MentorApplication


def time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(known_time_zones())]


class ApplicationFields(forms.Form):
    years_experience = forms.IntegerField(min_value=0, max_value=60, label="Years of experience in tech")
    time_zone = forms.ChoiceField(label="Time zone", help_text="Working-hour overlap is computed from it.")
    languages = forms.MultipleChoiceField(
        choices=LANGUAGES, widget=forms.CheckboxSelectMultiple, label="Languages you can be mentored in"
    )
    hours_per_month = forms.IntegerField(min_value=1, max_value=40, initial=2, label="Hours per month")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()


class MentorApplicationForm(SingleLineFieldsMixin, ApplicationFields):
    single_line_fields = ("current_role",)
    areas = forms.ModelMultipleChoiceField(
        queryset=Area.objects.all(), widget=forms.CheckboxSelectMultiple, label="Areas you can help with"
    )
    current_role = forms.CharField(max_length=120, label="Current role", help_text="e.g. Staff engineer at Acme")
    capacity = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(MIN_CAPACITY, MAX_CAPACITY + 1)],
        coerce=int,
        initial=1,
        label="How many mentees can you take?",
    )
    gender = forms.ChoiceField(
        choices=[("", "Prefer not to say"), *Gender.choices],
        required=False,
        help_text="Optional. Mentees may ask for a mentor of a given gender.",
    )
    preferences = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Anything builders should know (optional)"
    )
    field_order = ["areas", "current_role", "years_experience", "capacity", "hours_per_month", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages"].label = "Languages you can mentor in"

    @classmethod
    def initial_from(cls, application: MentorApplication) -> dict[str, Any]:
        return {
            "areas": list(application.areas.all()),
            "current_role": application.current_role,
            "years_experience": application.years_experience,
            "capacity": application.capacity,
            "hours_per_month": application.hours_per_month,
            "time_zone": application.time_zone,
            "languages": application.languages,
            "gender": application.gender,
            "preferences": application.preferences,
        }


class MenteeApplicationForm(ApplicationFields):
    """The wanted Areas are ranked with one "rank" select per Area; the cleaned list is `ranked_areas`."""

    goals = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What do you hope to achieve?")
    preferred_gender = forms.ChoiceField(
        choices=[("", "No preference"), *Gender.choices], required=False, label="Mentor's gender"
    )
    gender_required = forms.BooleanField(required=False, label="Only match me with a mentor of this gender")
    preferred_region = forms.ChoiceField(
        choices=[("", "No preference"), *Region.choices], required=False, label="Mentor's region"
    )
    region_required = forms.BooleanField(required=False, label="Only match me with a mentor from this region")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas = list(Area.objects.all())
        rank_choices = [("", "Not wanted"), *((n, f"Choice {n}") for n in range(1, len(self.areas) + 1))]
        self.rank_fields = []
        for area in self.areas:
            name = f"rank_{area.pk}"
            self.fields[name] = forms.TypedChoiceField(
                choices=rank_choices, coerce=int, required=False, empty_value=None, label=area.name
            )
            self.rank_fields.append(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ranked = [(data.get(f"rank_{area.pk}"), area) for area in self.areas if data.get(f"rank_{area.pk}")]
        if not ranked:
            raise forms.ValidationError("Choose at least one Area and give it a rank.")
        ranks = [rank for rank, _ in ranked]
        if len(set(ranks)) != len(ranks):
            raise forms.ValidationError("Give each chosen Area a different rank.")
        data["ranked_areas"] = [area for _, area in sorted(ranked, key=lambda pair: pair[0])]
        if data.get("gender_required") and not data.get("preferred_gender"):
            self.add_error("preferred_gender", "Choose the gender you require, or untick the box.")
        if data.get("region_required") and not data.get("preferred_region"):
            self.add_error("preferred_region", "Choose the region you require, or untick the box.")
        return data

    @classmethod
    def initial_from(cls, application: MenteeApplication) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "goals": application.goals,
            "years_experience": application.years_experience,
            "hours_per_month": application.hours_per_month,
            "time_zone": application.time_zone,
            "languages": application.languages,
            "preferred_gender": application.preferred_gender,
            "gender_required": application.gender_required,
            "preferred_region": application.preferred_region,
            "region_required": application.region_required,
        }
        for choice in application.area_choices.all():
            initial[f"rank_{choice.area_id}"] = choice.rank
        return initial

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = [
            "goals",
            "years_experience",
            "time_zone",
            "languages",
            "hours_per_month",
            "preferred_gender",
            "gender_required",
            "preferred_region",
            "region_required",
        ]
        return {"ranked_areas": data["ranked_areas"], **{name: data[name] for name in names}}


def mentor_service_arguments(form: MentorApplicationForm) -> dict[str, Any]:
    data = form.cleaned_data
    names = [
        "years_experience",
        "current_role",
        "time_zone",
        "languages",
        "hours_per_month",
        "capacity",
        "gender",
        "preferences",
    ]
    return {"areas": list(data["areas"]), **{name: data[name] for name in names}}


class BatchForm(SingleLineFieldsMixin, forms.ModelForm):
    single_line_fields = ("name",)

    class Meta:
        model = Batch
        fields = [
            "name",
            "description",
            "applications_open_at",
            "applications_close_at",
            "program_starts_on",
            "program_ends_on",
        ]
        field_classes = {"applications_open_at": InstantField, "applications_close_at": InstantField}
        labels = {
            "applications_open_at": "Applications open",
            "applications_close_at": "Applications close",
            "program_starts_on": "Program starts",
            "program_ends_on": "Program ends",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "applications_open_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "applications_close_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "program_starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "program_ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("applications_open_at"), data.get("applications_close_at")
        starts, ends = data.get("program_starts_on"), data.get("program_ends_on")
        if opens and closes and closes <= opens:
            self.add_error("applications_close_at", "Applications must close after they open.")
        if starts and ends and ends <= starts:
            self.add_error("program_ends_on", "The program must end after it starts.")
        if closes and starts and starts < timezone.localdate(closes):
            self.add_error("program_starts_on", "The program starts after applications close.")
        return data

    def validate_constraints(self, exclude: Any = None) -> None:
        # The same rules are reported per field in clean(); skip the duplicate form-wide messages.
        return None


class EndEarlyForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Why does the pair end?")


class FeedbackForm(forms.Form):
    stage = forms.ChoiceField(choices=FeedbackStage.choices, label="Feedback for")
    rating = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)], coerce=int, widget=forms.RadioSelect, label="Rating (1-5)"
    )
    comments = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)


class CheckInForm(forms.Form):
    met = forms.TypedChoiceField(choices=[("yes", "Yes"), ("no", "Not yet")], coerce=lambda v: v == "yes")


class SwapForm(forms.Form):
    first = forms.ModelChoiceField(queryset=Match.objects.none(), label="First pair")
    second = forms.ModelChoiceField(queryset=Match.objects.none(), label="Second pair")

    def __init__(self, *args: Any, batch: Batch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        matches = Match.objects.filter(batch=batch).select_related(
            "mentor_application__member__profile", "mentee_application__member__profile"
        )
        self.fields["first"].queryset = matches
        self.fields["second"].queryset = matches

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            raise forms.ValidationError("Choose two different pairs.")
        return data


class PairRuleForm(forms.Form):
    mentor_application = forms.ModelChoiceField(queryset=MentorApplication.objects.none(), label="Mentor")
    mentee_application = forms.ModelChoiceField(queryset=MenteeApplication.objects.none(), label="Mentee")
    kind = forms.ChoiceField(choices=PairRuleKind.choices, label="Rule")

    def __init__(self, *args: Any, batch: Batch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mentors = MentorApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
        mentees = MenteeApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
        self.fields["mentor_application"].queryset = mentors.select_related("member__profile")
        self.fields["mentee_application"].queryset = mentees.select_related("member__profile")
        self.fields["mentor_application"].label_from_instance = lambda a: a.member.display_name
        self.fields["mentee_application"].label_from_instance = lambda a: a.member.display_name


class ScheduleMatchingForm(forms.Form):
    """When a matching run starts: a moment in the builder's zone, or when the batch's applications close.

    Neither given means now (the "Run matching now" button).
    """

    when = InstantField(
        required=False,
        label="Run at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone.",
    )
    at_close = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, batch: Batch, now_allowed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.now_allowed = now_allowed

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        when = data.get("when")
        if data.get("at_close"):
            when = self.batch.applications_close_at
            if when <= timezone.now():
                raise forms.ValidationError("Applications have already closed: run matching now or choose a moment.")
        elif when is not None and when <= timezone.now():
            self.add_error("when", "Choose a moment in the future.")
        elif when is None and "when" not in self.errors and not self.now_allowed:
            self.add_error("when", "Choose the moment the run should start.")
        data["run_after"] = when
        return data
