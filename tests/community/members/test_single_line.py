"""One-line texts shown to other members (pages, plain-text emails) refuse line breaks and control characters."""

import pytest
from django.urls import reverse

from community.chats.forms import BookingForm
from community.members.models import Profile, User
from community.podcasts.forms import EpisodeAdminForm
from community.workshops.admin import WorkshopAdminForm, WorkshopSpeakerForm
from mentorship.forms import BatchForm, MentorApplicationForm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Use a single line without control characters."
NAMES = ["Ada\nLovelace", "Ada\x07", "Ada\tLovelace", "Ada\r\nBcc: everyone"]


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_profile_form_refuses_a_display_name_with_control_characters(client, name):
    member = UserFactory(profile__display_name="Ada")
    client.force_login(member)

    response = client.post(
        reverse("members:profile_edit"), {"display_name": name, "time_zone": "UTC", "visibility": "public"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["display_name"] == [MESSAGE]
    assert Profile.objects.get(user=member).display_name == "Ada"


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_signup_form_refuses_a_display_name_with_control_characters(client, name):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "ada@example.com",
            "display_name": name,
            "time_zone": "UTC",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            "accept_code_of_conduct": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["display_name"] == [MESSAGE]
    assert not User.objects.filter(email="ada@example.com").exists()


@pytest.mark.parametrize(
    ("form", "data", "field"),
    [
        (BookingForm, {"start": "2030-01-01T10:00:00+00:00", "topic": "CFP\nreview"}, "topic"),
        (BatchForm, {"name": "Spring\x1b[2J"}, "name"),
        (EpisodeAdminForm, {"title": "Operators\x85part two"}, "title"),
        (WorkshopAdminForm, {"title": "Helm\x0bcharts"}, "title"),
        (WorkshopSpeakerForm, {"name": "Kelsey\nHightower"}, "name"),
        (WorkshopSpeakerForm, {"name": "Kelsey", "affiliation": "Ac\x1bme"}, "affiliation"),
        (MentorApplicationForm, {"current_role": "Staff engineer\nat Acme"}, "current_role"),
    ],
    ids=["chat topic", "batch name", "episode title", "workshop title", "speaker", "affiliation", "mentor role"],
)
def test_other_one_line_fields_refuse_control_characters(form, data, field):
    assert form(data=data).errors[field] == [MESSAGE]


def test_profile_form_keeps_a_one_line_name_with_accents_and_emoji(client):
    member = UserFactory(profile__display_name="Ada")
    client.force_login(member)

    client.post(
        reverse("members:profile_edit"), {"display_name": "Zoë 🚀 O'Brien", "time_zone": "UTC", "visibility": "public"}
    )

    assert Profile.objects.get(user=member).display_name == "Zoë 🚀 O'Brien"
