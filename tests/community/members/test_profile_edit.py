import datetime as dt

import pytest

from community.members.models import Profile
from tests.factories import AreaFactory, UserFactory

VALID = {
    "display_name": "Ada Lovelace",
    "pronouns": "she/her",
    "time_zone": "Europe/London",
    "bio": "Analytical engines and Kubernetes operators.",
    "location": "London",
    "github_url": "https://github.com/ada",
    "linkedin_url": "",
    "website_url": "",
    "visibility": "public",
}


@pytest.mark.django_db
def test_profile_page_requires_login(client):
    response = client.get("/profile/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/profile/")


@pytest.mark.django_db
def test_profile_edit_saves_fields_and_interests(member_client, member):
    speaking = AreaFactory(name="Conference speaking", slug="conference-speaking")
    AreaFactory(name="Salary negotiation", slug="salary-negotiation")

    response = member_client.post("/profile/", {**VALID, "interests": [speaking.pk]})

    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert (profile.pronouns, profile.time_zone, profile.location, profile.visibility) == (
        "she/her",
        "Europe/London",
        "London",
        "public",
    )
    assert list(profile.interests.values_list("slug", flat=True)) == ["conference-speaking"]
    assert "Your profile is saved." in member_client.get("/profile/").content.decode()


@pytest.mark.django_db
def test_profile_edit_with_unknown_time_zone_is_refused_and_old_value_kept(member_client, member):
    member.profile.time_zone = "Europe/Berlin"
    member.profile.save()

    response = member_client.post("/profile/", {**VALID, "time_zone": "Europe/Atlantis", "pronouns": "they/them"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "&quot;Europe/Atlantis&quot; is not a time zone we know." in body
    assert 'aria-invalid="true"' in body
    profile = Profile.objects.get(user=member)
    assert (profile.time_zone, profile.pronouns) == ("Europe/Berlin", "")


@pytest.mark.django_db
def test_profile_edit_refuses_a_github_link_to_another_site(member_client, member):
    response = member_client.post("/profile/", {**VALID, "github_url": "https://evil.example/ada"})

    assert response.status_code == 200
    assert "Enter the address of a GitHub profile" in response.content.decode()
    assert Profile.objects.get(user=member).github_url == ""


@pytest.mark.django_db
def test_profile_edit_refuses_a_blank_display_name(member_client, member):
    response = member_client.post("/profile/", {**VALID, "display_name": "   "})

    assert response.status_code == 200
    assert Profile.objects.get(user=member).display_name == "Ada Lovelace"


@pytest.mark.django_db
def test_profile_edit_refuses_unknown_visibility(member_client, member):
    response = member_client.post("/profile/", {**VALID, "visibility": "everyone-and-their-dog"})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.django_db
def test_profile_edit_keeps_the_public_address_after_a_rename(member_client, member):
    address = member.profile.get_absolute_url()

    member_client.post("/profile/", {**VALID, "display_name": "Augusta Ada King"})

    assert Profile.objects.get(user=member).get_absolute_url() == address
    assert "Augusta Ada King" in member_client.get(address).content.decode()


@pytest.mark.django_db
def test_profile_page_is_created_for_an_account_without_one(client):
    user = UserFactory(username="root", email="root@example.org", profile=None)
    client.force_login(user)

    response = client.get("/profile/")

    assert response.status_code == 200
    assert Profile.objects.filter(user=user).exists()
    assert "root@example.org" not in Profile.objects.get(user=user).display_name


@pytest.mark.django_db
def test_profile_page_shows_the_account_links_but_not_two_factor_for_members(member_client):
    body = member_client.get("/profile/").content.decode()

    assert 'href="/accounts/email/"' in body
    assert 'href="/accounts/password/change/"' in body
    assert 'href="/accounts/2fa/"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Asia/Tokyo", "2 March 2025 at 05:30"), ("America/New_York", "1 March 2025 at 15:30")],
)
def test_times_are_rendered_in_the_viewers_time_zone(client, zone, expected):
    user = UserFactory(profile__time_zone=zone)
    user.profile.code_of_conduct_accepted_at = dt.datetime(2025, 3, 1, 20, 30, tzinfo=dt.UTC)
    user.profile.save()
    client.force_login(user)

    body = client.get("/profile/").content.decode()

    assert f"code of conduct</a> on {expected}." in body
    assert f"Times are shown in {zone}" in body


@pytest.mark.django_db
def test_anonymous_visitors_see_times_in_their_browsers_zone(client):
    client.cookies["tz"] = "America/Sao_Paulo"

    assert "Times are shown in America/Sao_Paulo" in client.get("/").content.decode()
