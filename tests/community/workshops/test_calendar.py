from datetime import UTC, datetime

import icalendar
import pytest

from community.workshops.calendar import workshop_event, workshop_ics
from tests.community.workshops.factories import WorkshopFactory, WorkshopSpeakerFactory
from tests.factories import AreaFactory


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://wicn.example"


def make_workshop(**kwargs):
    kwargs.setdefault("starts_at", datetime(2030, 3, 30, 16, 0, tzinfo=UTC))
    kwargs.setdefault("ends_at", datetime(2030, 3, 30, 17, 30, tzinfo=UTC))
    return WorkshopFactory(title="Helm 101", join_url="https://meet.example.org/helm", **kwargs)


@pytest.mark.django_db
def test_workshop_event_has_uid_stamp_times_and_url():
    workshop = make_workshop(location="")
    WorkshopSpeakerFactory(workshop=workshop, name="Ada Lovelace")
    workshop.areas.add(AreaFactory(name="Open source contributions", slug="oss"))

    event = workshop_event(workshop, include_join_link=False)

    assert str(event["UID"]) == f"workshop-{workshop.pk}@wicn.example"
    assert event.DTSTAMP.tzinfo is not None
    assert event.start == datetime(2030, 3, 30, 16, 0, tzinfo=UTC)
    assert event.end == datetime(2030, 3, 30, 17, 30, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Helm 101"
    assert str(event["URL"]) == f"https://wicn.example/workshops/{workshop.slug}/"
    assert "Speakers: Ada Lovelace" in str(event["DESCRIPTION"])
    assert event.categories == ["Open source contributions"]
    assert "meet.example.org" not in event.to_ical().decode()


@pytest.mark.django_db
def test_workshop_event_with_join_link_for_registrants():
    event = workshop_event(make_workshop(), include_join_link=True)
    assert "Join: https://meet.example.org/helm" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "https://meet.example.org/helm"


@pytest.mark.django_db
def test_workshop_ics_parses_back_with_utc_times():
    workshop = make_workshop()
    calendar = icalendar.Calendar.from_ical(workshop_ics(workshop, include_join_link=False))
    [event] = calendar.walk("VEVENT")
    assert str(calendar["VERSION"]) == "2.0"
    assert event.decoded("DTSTART") == datetime(2030, 3, 30, 16, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 3, 30, 17, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_workshop_event_uid_stable_and_sequence_grows_on_edit():
    workshop = make_workshop()
    before = workshop_event(workshop, include_join_link=False)
    workshop.updated_at = workshop.updated_at.replace(year=workshop.updated_at.year + 1)
    after = workshop_event(workshop, include_join_link=False)
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
