import datetime as dt

import pytest

from tests.community.workshops.factories import WorkshopFactory
from tests.factories import UserFactory

# The cookie exactly as static/js/site.js writes it: the zone passed through encodeURIComponent.
TOKYO_COOKIE = "Asia%2FTokyo"


@pytest.fixture
def workshop():
    return WorkshopFactory(
        slug="helm-in-tokyo",
        starts_at=dt.datetime(2030, 3, 1, 20, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 3, 1, 22, 0, tzinfo=dt.UTC),
    )


@pytest.mark.django_db
def test_anonymous_page_shows_times_in_the_zone_of_the_encoded_browser_cookie(client, workshop):
    client.cookies["tz"] = TOKYO_COOKIE

    body = client.get("/workshops/helm-in-tokyo/").content.decode()

    assert "Saturday 2 March 2030, 05:30\N{EN DASH}07:00 (Asia/Tokyo, JST)" in body
    assert "Times are shown in Asia/Tokyo." in body


@pytest.mark.django_db
def test_anonymous_page_falls_back_to_utc_when_the_cookie_names_no_known_zone(client, workshop):
    client.cookies["tz"] = "Mars%2FOlympus_Mons"

    body = client.get("/workshops/helm-in-tokyo/").content.decode()

    assert "Friday 1 March 2030, 20:30\N{EN DASH}22:00 (UTC)" in body
    assert "Times are shown in UTC." in body


@pytest.mark.django_db
def test_profile_zone_wins_over_the_browser_cookie(client, workshop):
    client.force_login(UserFactory(profile__time_zone="America/New_York"))
    client.cookies["tz"] = TOKYO_COOKIE

    body = client.get("/workshops/helm-in-tokyo/").content.decode()

    assert "Friday 1 March 2030, 15:30\N{EN DASH}17:00 (America/New_York, EST)" in body
