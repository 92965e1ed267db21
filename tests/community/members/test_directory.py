import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AreaFactory, UserFactory


def _member(name: str, *, visibility: str = "public", email: str | None = None, interests=()):
    user = UserFactory(
        email=email or f"{name.split(maxsplit=1)[0].lower()}@example.org",
        profile__display_name=name,
        profile__visibility=visibility,
    )
    user.profile.interests.set(interests)
    return user


@pytest.mark.django_db
def test_directory_hides_members_only_profiles_from_anonymous_visitors(client):
    _member("Ada Lovelace", visibility="public")
    _member("Hedy Lamarr", visibility="members")

    body = client.get("/members/").content.decode()

    assert "Ada Lovelace" in body
    assert "Hedy Lamarr" not in body
    assert "Log in</a> to see everyone" in body


@pytest.mark.django_db
def test_directory_shows_members_only_profiles_to_signed_in_members(member_client):
    _member("Hedy Lamarr", visibility="members")

    body = member_client.get("/members/").content.decode()

    assert "Hedy Lamarr" in body
    assert "Ada Lovelace" in body  # the viewer


@pytest.mark.django_db
def test_directory_leaves_out_deactivated_accounts(member_client):
    gone = _member("Hedy Lamarr")
    gone.is_active = False
    gone.save()

    assert "Hedy Lamarr" not in member_client.get("/members/").content.decode()


@pytest.mark.django_db
def test_directory_never_shows_email_addresses(member_client):
    _member("Hedy Lamarr", email="hedy.private@example.net", visibility="members")
    _member("Radia Perlman", email="radia.private@example.net")

    body = member_client.get("/members/").content.decode()

    assert "Hedy Lamarr" in body
    assert "private@example.net" not in body
    assert "hedy.private" not in body


@pytest.mark.django_db
def test_directory_search_by_name_is_case_insensitive(client):
    _member("Ada Lovelace")
    _member("Radia Perlman")

    body = client.get("/members/", {"q": "perl"}).content.decode()

    assert "Radia Perlman" in body
    assert "Ada Lovelace" not in body
    assert "1</strong> member matches your search" in body


@pytest.mark.django_db
def test_directory_filters_by_interest(client):
    speaking = AreaFactory(name="Conference speaking", slug="conference-speaking")
    oss = AreaFactory(name="Contributing to open source", slug="open-source")
    _member("Ada Lovelace", interests=[speaking])
    _member("Radia Perlman", interests=[oss, speaking])
    _member("Hedy Lamarr", interests=[oss])

    body = client.get("/members/", {"area": "open-source"}).content.decode()

    assert "Radia Perlman" in body
    assert "Hedy Lamarr" in body
    assert "Ada Lovelace" not in body


@pytest.mark.django_db
def test_directory_with_an_unknown_interest_explains_and_lists_everyone(client):
    _member("Ada Lovelace")

    response = client.get("/members/", {"area": "no-such-area"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "There is no such interest; choose one from the list." in body
    assert "Ada Lovelace" in body


@pytest.mark.django_db
def test_directory_with_nonsense_page_number_shows_a_page(client):
    _member("Ada Lovelace")

    for page in ("abc", "-3", "999999"):
        response = client.get("/members/", {"page": page})
        assert response.status_code == 200
        assert "Ada Lovelace" in response.content.decode()


@pytest.mark.django_db
def test_directory_paginates_and_keeps_the_search_in_page_links(client):
    for number in range(30):
        _member(f"Member {number:02d}", email=f"m{number}@example.org")

    first = client.get("/members/", {"q": "Member"}).content.decode()
    second = client.get("/members/", {"q": "Member", "page": 2}).content.decode()

    assert "Member 00" in first
    assert "Member 29" not in first
    assert "Member 29" in second
    assert "?q=Member&amp;page=2" in first
    assert "Page 2 of 2" in second


@pytest.mark.django_db
def test_directory_htmx_request_returns_only_the_results(client):
    _member("Ada Lovelace")

    body = client.get("/members/", {"q": "Ada"}, headers={"HX-Request": "true"}).content.decode()

    assert "Ada Lovelace" in body
    assert "<html" not in body


def _queries_for_directory(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/members/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_directory_query_count_does_not_grow_with_members(client, signed_in, django_assert_max_num_queries):
    areas = [AreaFactory(), AreaFactory()]
    viewer = _member("Viewer Person", interests=areas)
    if signed_in:
        client.force_login(viewer)
    _member("Ada Lovelace", interests=areas)
    with_one = _queries_for_directory(client)

    _member("Radia Perlman", interests=areas)
    _member("Hedy Lamarr", interests=areas[:1])
    _member("Grace Hopper", interests=areas[1:])
    with django_assert_max_num_queries(with_one):
        body = client.get("/members/").content.decode()

    assert "Grace Hopper" in body
    assert with_one <= (7 if signed_in else 4)
