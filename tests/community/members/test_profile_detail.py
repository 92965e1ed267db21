import pytest

from tests.factories import AreaFactory, UserFactory


@pytest.fixture
def hedy(db):
    user = UserFactory(
        email="hedy.private@example.net",
        profile__display_name="Hedy Lamarr",
        profile__visibility="members",
        profile__time_zone="America/Los_Angeles",
    )
    profile = user.profile
    profile.pronouns = "she/her"
    profile.bio = "Frequency hopping, then service meshes."
    profile.github_url = "https://github.com/hedy"
    profile.save()
    profile.interests.set([AreaFactory(name="Conference speaking", slug="conference-speaking")])
    return user


@pytest.mark.django_db
def test_members_only_profile_is_404_for_anonymous_visitors(client, hedy):
    response = client.get(hedy.profile.get_absolute_url())

    assert response.status_code == 404


@pytest.mark.django_db
def test_unknown_profile_is_404(client):
    assert client.get("/members/nobody-by-that-name/").status_code == 404


@pytest.mark.django_db
def test_members_only_profile_is_shown_to_members_without_email(member_client, hedy):
    response = member_client.get(hedy.profile.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert "Hedy Lamarr" in body
    assert "she/her" in body
    assert "Frequency hopping, then service meshes." in body
    assert 'href="https://github.com/hedy"' in body
    assert 'href="/members/?area=conference-speaking"' in body
    assert "America/Los_Angeles" in body
    assert "hedy.private" not in body
    assert "@example.net" not in body


@pytest.mark.django_db
def test_public_profile_is_shown_to_anonymous_visitors(client):
    user = UserFactory(profile__display_name="Radia Perlman", profile__visibility="public")

    response = client.get(user.profile.get_absolute_url())

    assert response.status_code == 200
    assert "Radia Perlman" in response.content.decode()
    assert user.email not in response.content.decode()


@pytest.mark.django_db
def test_own_profile_offers_an_edit_link(member_client, member):
    body = member_client.get(member.profile.get_absolute_url()).content.decode()

    assert 'href="/profile/">Edit your profile' in body


@pytest.mark.django_db
def test_profiles_with_the_same_name_get_distinct_addresses(db):
    first = UserFactory(profile__display_name="Ada Lovelace").profile
    second = UserFactory(profile__display_name="Ada Lovelace").profile

    assert (first.slug, second.slug) == ("ada-lovelace", "ada-lovelace-2")


@pytest.mark.django_db
def test_profile_address_never_shadows_directory_paths(db):
    assert UserFactory(profile__display_name="Page").profile.slug == "page-member"


@pytest.mark.django_db
def test_home_page_invites_visitors_to_join_and_shows_public_members_only(client, hedy):
    UserFactory(profile__display_name="Radia Perlman", profile__visibility="public")

    body = client.get("/").content.decode()

    assert 'href="/accounts/signup/"' in body
    for section in ("/mentorship/", "/chats/", "/workshops/", "/podcast/"):
        assert f'href="{section}"' in body
    assert "Radia Perlman" in body
    assert "Hedy Lamarr" not in body


@pytest.mark.django_db
def test_code_of_conduct_page_explains_how_to_report(client):
    response = client.get("/code-of-conduct/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Code of conduct</h1>" in body
    assert "Reporting a concern" in body
    assert "mailto:" in body


@pytest.mark.django_db
def test_code_of_conduct_names_the_configured_contact(client, settings):
    settings.MEMBERS_CONDUCT_CONTACT = "conduct@wicn.example.org"

    body = client.get("/code-of-conduct/").content.decode()

    assert 'href="mailto:conduct@wicn.example.org"' in body


@pytest.mark.django_db
@pytest.mark.parametrize("members", [1, 30])
def test_profile_page_queries_do_not_grow_with_the_number_of_members(client, django_assert_max_num_queries, members):
    shown = UserFactory(profile__display_name="Grace Hopper", profile__visibility="public")
    UserFactory.create_batch(members - 1, profile__visibility="public")
    with django_assert_max_num_queries(12) as captured:
        response = client.get(shown.profile.get_absolute_url())

    assert response.status_code == 200
    assert "Grace Hopper" in response.content.decode()
    narrowing = ('"members_profile"."slug" = ', '"members_profile"."id" IN (', '"members_profile"."id" = ')
    unbounded = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "members_profile"' in q["sql"] and not any(term in q["sql"] for term in narrowing)
    ]
    assert unbounded == []
