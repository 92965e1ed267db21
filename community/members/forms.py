from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from community.members.models import Profile, User
from community.members.validators import validate_time_zone


class SignupForm(forms.Form):
    """Extra sign-up fields, shown by allauth beside email and password."""

    display_name = forms.CharField(max_length=80, label="Display name", help_text="How the community will see you.")
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        validators=[validate_time_zone],
        label="Time zone",
        help_text="Filled in from your browser; an IANA name such as Europe/Berlin.",
        widget=forms.TextInput(attrs={"data-browser-time-zone": "true", "autocomplete": "off"}),
    )
    accept_code_of_conduct = forms.BooleanField(
        required=True,
        label="I have read and accept the community's code of conduct",
        error_messages={"required": "You must accept the code of conduct to join the community."},
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        Profile.objects.update_or_create(
            user=user,
            defaults={
                "display_name": self.cleaned_data["display_name"],
                "time_zone": self.cleaned_data["time_zone"],
                "code_of_conduct_accepted_at": timezone.now(),
            },
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
