import pytest

from tests.factories import BuilderFactory, UserFactory


@pytest.fixture
def admin_client_(client, db):
    client.force_login(BuilderFactory(is_superuser=True))
    return client


@pytest.mark.django_db
def test_admin_lists_users_with_their_display_names(admin_client_):
    UserFactory(email="hedy@example.org", profile__display_name="Hedy Novak")

    response = admin_client_.get("/admin/members/user/", {"q": "Novak"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Hedy Novak" in body
    assert "hedy@example.org" in body


@pytest.mark.django_db
def test_admin_user_page_edits_the_profile_inline(admin_client_):
    user = UserFactory(profile__display_name="Hedy Novak")

    response = admin_client_.get(f"/admin/members/user/{user.pk}/change/")

    assert response.status_code == 200
    assert 'name="profile-0-display_name"' in response.content.decode()


@pytest.mark.django_db
def test_admin_profiles_filter_by_code_of_conduct(admin_client_):
    accepted = UserFactory(profile__display_name="Accepted Person")
    missing = UserFactory(profile__display_name="Missing Person")
    missing.profile.code_of_conduct_accepted_at = None
    missing.profile.save()

    body = admin_client_.get("/admin/members/profile/", {"conduct": "missing"}).content.decode()

    assert "Missing Person" in body
    assert accepted.profile.display_name not in body


@pytest.mark.django_db
def test_admin_is_closed_to_members(client):
    client.force_login(UserFactory())

    response = client.get("/admin/members/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
