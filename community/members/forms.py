from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.http import HttpRequest
from django.utils.html import format_html

from community.members import services
from community.members.enums import Visibility
from community.members.fields import SingleLineFieldsMixin
from community.members.models import Area, Profile, User
from community.members.validators import known_time_zones, validate_time_zone

TIME_ZONE_HELP = 'An IANA name such as "Europe/Berlin" or "America/Sao_Paulo"; times on the site are shown in it.'


class TimeZoneInput(forms.TextInput):
    """A text box suggesting the IANA zone names as one types (a datalist), so a free-typed zone can
    still be refused with a clear message instead of a bare "select a valid choice"."""

    template_name = "members/widgets/time_zone.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"autocomplete": "off", "spellcheck": "false"}
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}-choices"
        context["widget"]["zones"] = sorted(known_time_zones())
        return context


class SignupForm(SingleLineFieldsMixin, forms.Form):
    """Extra sign-up fields, shown by allauth beside email and password (and on the social sign-up form)."""

    # allauth adds its own fields after these; the code of conduct is the last thing one reads before joining.
    field_order = ["email", "display_name", "time_zone", "password1", "password2", "accept_code_of_conduct"]
    single_line_fields = ("display_name",)

    display_name = forms.CharField(max_length=80, label="Display name", help_text="How the community will see you.")
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        validators=[validate_time_zone],
        label="Time zone",
        help_text="Filled in from your browser; " + TIME_ZONE_HELP[0].lower() + TIME_ZONE_HELP[1:],
        widget=TimeZoneInput(attrs={"data-browser-time-zone": "true"}),
    )
    accept_code_of_conduct = forms.BooleanField(
        required=True,
        label="I have read and accept the community's code of conduct",
        help_text=format_html(
            'Read the <a href="{}" target="_blank" rel="noopener">code of conduct</a>.', "/code-of-conduct/"
        ),
        error_messages={"required": "You must accept the code of conduct to join the community."},
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Tell the community what to call you.")
        return name

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip()

    def signup(self, request: HttpRequest, user: User) -> None:
        services.record_signup(
            user=user,
            display_name=self.cleaned_data["display_name"],
            time_zone=self.cleaned_data["time_zone"],
            accepted_code_of_conduct=self.cleaned_data["accept_code_of_conduct"],
        )


def _host_matches(url: str, domain: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == domain or host.endswith("." + domain)


class ProfileForm(SingleLineFieldsMixin, forms.ModelForm):
    """A member's own profile. The email address is deliberately absent: it is managed on the account pages."""

    single_line_fields = ("display_name", "pronouns", "location")

    interests = forms.ModelMultipleChoiceField(
        queryset=Area.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used by the directory's filter and to suggest mentorship matches.",
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, widget=forms.RadioSelect, label="Who can see my profile")
    github_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="GitHub profile",
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/your-name"}),
    )
    linkedin_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="LinkedIn profile",
        widget=forms.URLInput(attrs={"placeholder": "https://www.linkedin.com/in/your-name"}),
    )
    website_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Website",
        widget=forms.URLInput(attrs={"placeholder": "https://example.org"}),
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "pronouns",
            "time_zone",
            "bio",
            "location",
            "github_url",
            "linkedin_url",
            "website_url",
            "interests",
            "visibility",
        ]
        labels = {
            "display_name": "Display name",
            "pronouns": "Pronouns",
            "time_zone": "Time zone",
            "bio": "Short bio",
            "location": "Location",
        }
        help_texts = {
            "pronouns": "Optional, e.g. she/her, they/them.",
            "time_zone": TIME_ZONE_HELP,
            "bio": "A few sentences: what you work on, what you would like to learn or share (1000 characters).",
            "location": "Optional and as broad as you like, e.g. a city or a country.",
        }
        widgets = {
            "time_zone": TimeZoneInput(),
            "bio": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Tell the community what to call you.")
        return name

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"].strip()
        validate_time_zone(zone)
        return zone

    def clean_github_url(self) -> str:
        url = self.cleaned_data["github_url"]
        if url and not _host_matches(url, "github.com"):
            raise forms.ValidationError("Enter the address of a GitHub profile, e.g. https://github.com/your-name.")
        return url

    def clean_linkedin_url(self) -> str:
        url = self.cleaned_data["linkedin_url"]
        if url and not _host_matches(url, "linkedin.com"):
            raise forms.ValidationError(
                "Enter the address of a LinkedIn profile, e.g. https://www.linkedin.com/in/your-name."
            )
        return url

    def changes(self) -> services.ProfileChanges:
        data = self.cleaned_data
        return services.ProfileChanges(
            display_name=data["display_name"],
            pronouns=data["pronouns"],
            time_zone=data["time_zone"],
            bio=data["bio"],
            location=data["location"],
            github_url=data["github_url"],
            linkedin_url=data["linkedin_url"],
            website_url=data["website_url"],
            visibility=data["visibility"],
            interests=data["interests"],
        )


class DirectoryFilterForm(forms.Form):
    """The directory's search: a piece of a name and one interest, both optional."""

    q = forms.CharField(max_length=80, required=False, label="Name", widget=forms.SearchInput())
    area = forms.SlugField(required=False, label="Interest")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas = list(Area.objects.all())
        self.fields["area"].widget = forms.Select(
            choices=[("", "Any interest"), *((area.slug, area.name) for area in self.areas)]
        )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()

    def clean_area(self) -> str:
        slug = self.cleaned_data["area"]
        if slug and slug not in {area.slug for area in self.areas}:
            raise forms.ValidationError("There is no such interest; choose one from the list.")
        return slug
