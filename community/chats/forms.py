from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone

from community.availability import WeeklyRule
from community.chats.conf import app_settings
from community.chats.enums import ChatOutcome, Weekday
from community.chats.models import Host
from community.members.fields import InstantField, SingleLineFieldsMixin
from community.members.models import Area


class HostForm(SingleLineFieldsMixin, forms.ModelForm):
    single_line_fields = ("topics",)

    areas = forms.ModelMultipleChoiceField(
        queryset=Area.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Areas you can talk about",
    )

    class Meta:
        model = Host
        fields = [
            "intro",
            "areas",
            "topics",
            "slot_minutes",
            "buffer_minutes",
            "min_notice_hours",
            "horizon_days",
            "weekly_cap",
            "is_active",
        ]
        labels = {
            "intro": "About your chats",
            "topics": "Other topics",
            "slot_minutes": "Length of a chat",
            "buffer_minutes": "Buffer between chats (minutes)",
            "min_notice_hours": "Minimum notice (hours)",
            "horizon_days": "Booking horizon (days)",
            "weekly_cap": "Most chats per week",
            "is_active": "Taking bookings",
        }
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}


class RuleForm(forms.Form):
    # The empty choice lets a blank extra row stay blank (and be ignored) instead of meaning "Monday".
    weekday = forms.TypedChoiceField(choices=[("", "Choose a day"), *Weekday.choices], coerce=int, label="Day")
    start = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            raise forms.ValidationError("The end time must be later than the start time on the same day.")
        return data


class BaseRuleFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        rules = self.rules()
        for index, rule in enumerate(rules):
            for other in rules[index + 1 :]:
                if rule.weekday == other.weekday and rule.start < other.end and other.start < rule.end:
                    day = Weekday(rule.weekday).label
                    raise forms.ValidationError(
                        f"Two {day} rules overlap ({rule.start:%H:%M}-{rule.end:%H:%M} and "
                        f"{other.start:%H:%M}-{other.end:%H:%M}). Merge them into one."
                    )

    def rules(self) -> list[WeeklyRule]:
        """The filled-in, non-deleted rows as rules (blank extra rows are ignored)."""
        rules = []
        for form in self.forms:
            # Blank extra rows have no cleaned data; unchanged existing rows do, and are kept.
            if not form.cleaned_data or (self.can_delete and self._should_delete_form(form)):
                continue
            data = form.cleaned_data
            rules.append(WeeklyRule(data["weekday"], data["start"], data["end"]))
        return rules


# absolute_max: a forged TOTAL_FORMS cannot make the server build (and render) a thousand rows.
RuleFormSet = forms.formset_factory(
    RuleForm, formset=BaseRuleFormSet, extra=2, can_delete=True, max_num=28, absolute_max=28, validate_max=True
)


class BlockDateForm(forms.Form):
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=120, required=False, label="Reason (only you see it)")

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        if day < self.today:
            raise forms.ValidationError("Pick today or a later date.")
        if day > self.today + timedelta(days=366):
            raise forms.ValidationError("Pick a date within the next year.")
        return day


class SlotField(InstantField):
    """A slot's start, as sent by the slot buttons: an ISO 8601 time with its UTC offset."""

    default_error_messages = {
        "invalid": "That time could not be read. Please pick a slot from the list.",
        "required": "Please pick a time.",
        "too_far": "That time is too far ahead. Please pick a slot from the list.",
        "passed": "This time has already passed. Please pick a slot from the list.",
    }

    # No host takes bookings further out than this (the longest horizon is 90 days). Refusing
    # past and far-off times here also keeps arithmetic on the time (its end, the week around
    # it, showing it in the viewer's zone) inside the calendar.
    furthest = timedelta(days=366)

    def validate(self, value: datetime | None) -> None:
        super().validate(value)
        if value is None:
            return
        now = timezone.now()
        if value <= now:
            raise forms.ValidationError(self.error_messages["passed"], code="passed")
        if value > now + self.furthest:
            raise forms.ValidationError(self.error_messages["too_far"], code="too_far")


class SlotChoiceForm(forms.Form):
    start = SlotField()


class BookingForm(SingleLineFieldsMixin, forms.Form):
    single_line_fields = ("topic",)

    start = SlotField(widget=forms.HiddenInput)
    topic = forms.CharField(max_length=200, label="What would you like to talk about?")
    note = forms.CharField(
        max_length=2000,
        required=False,
        label="A note for your host (optional)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Some context helps your host prepare: your role, a link, a question.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        required=False,
        label="Reason (shared with the other person)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=ChatOutcome.choices)


class HostFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        queryset=Area.objects.all(), to_field_name="slug", required=False, empty_label="All areas", label="Area"
    )
    topic = forms.CharField(max_length=80, required=False, label="Topic")
    soon = forms.BooleanField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        days = app_settings.BROWSE_WINDOW_DAYS
        self.fields["soon"].label = f"Has open slots in the coming {days} day{'s' if days != 1 else ''}"
