from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from community.members.models import Profile, User
from tests.community.members.conftest import log_in


def _counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seed_demo_twice_leaves_the_same_data():
    call_command("seed_demo", stdout=StringIO())
    first = _counts()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _counts() == first
    assert first["members.User"] >= 13
    assert "Demo community ready." in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_creates_a_builder_who_can_log_in_with_the_published_password(client):
    call_command("seed_demo", stdout=StringIO())

    builder = User.objects.get(email="builder@example.org")
    response = log_in(client, email="builder@example.org", password="wicn-demo-builder")

    assert (builder.is_staff, builder.is_superuser) == (True, True)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_seed_demo_members_log_in_and_span_the_world(client):
    call_command("seed_demo", stdout=StringIO())

    profiles = Profile.objects.filter(user__is_staff=False)
    regions = {profile.time_zone.split("/", 1)[0] for profile in profiles}

    assert log_in(client, email="ada@example.org", password="wicn-demo-member").status_code == 302
    assert {"Europe", "America", "Asia", "Africa"} <= regions
    assert {profile.visibility for profile in profiles} == {"public", "members"}
    assert all(profile.code_of_conduct_accepted_at for profile in profiles)
    assert all(profile.interests.exists() for profile in profiles)


@pytest.mark.django_db
def test_seed_demo_keeps_a_password_a_demo_member_changed():
    call_command("seed_demo", stdout=StringIO())
    ada = User.objects.get(email="ada@example.org")
    ada.set_password("my own secret phrase")
    ada.save()

    call_command("seed_demo", stdout=StringIO())

    ada.refresh_from_db()
    assert ada.check_password("my own secret phrase")
