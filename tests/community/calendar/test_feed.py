from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from community.calendar import registry
from community.calendar.services import rotate_calendar_token
from community.chats.enums import ChatStatus
from community.members.models import Profile, User
from community.workshops.enums import RegistrationStatus
from tests.community.chats.factories import CoffeeChatFactory, HostFactory
from tests.community.workshops.factories import RegistrationFactory, WorkshopSpeakerFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def feed_url(member) -> str:
    member.profile.refresh_from_db()
    return reverse("calendar:feed", args=[member.profile.calendar_token])


def events(response) -> list:
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_feed_lists_members_chats_as_guest_and_host_with_times(client, guest):
    as_guest = CoffeeChatFactory(guest=guest, host=HostFactory(user__profile__display_name="Hanna Host"))
    as_host = CoffeeChatFactory(host=HostFactory(user=guest), guest=UserFactory(profile__display_name="Gil Guest"))
    CoffeeChatFactory(guest=guest, status=ChatStatus.CANCELLED)
    CoffeeChatFactory()  # someone else's
    before = timezone.now().replace(microsecond=0)

    response = client.get(feed_url(guest))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    by_uid = {str(event["UID"]): event for event in events(response)}
    assert set(by_uid) == {f"chat-{as_guest.pk}@localhost", f"chat-{as_host.pk}@localhost"}
    guest_event = by_uid[f"chat-{as_guest.pk}@localhost"]
    assert (guest_event.decoded("DTSTART"), guest_event.decoded("DTEND")) == (as_guest.start, as_guest.end)
    assert guest_event.decoded("DTSTAMP") >= before
    assert str(guest_event["SUMMARY"]) == "Coffee chat with Hanna Host"
    assert str(by_uid[f"chat-{as_host.pk}@localhost"]["SUMMARY"]) == "Coffee chat with Gil Guest"


def test_feed_drops_chats_older_than_the_feed_window(client, guest, settings):
    settings.CALENDAR_FEED_PAST_DAYS = 30
    recent = CoffeeChatFactory(guest=guest, start=timezone.now() - timedelta(days=3), status=ChatStatus.COMPLETED)
    CoffeeChatFactory(guest=guest, start=timezone.now() - timedelta(days=40), status=ChatStatus.COMPLETED)

    response = client.get(feed_url(guest))

    assert [str(event["UID"]) for event in events(response)] == [f"chat-{recent.pk}@localhost"]


def test_feed_with_unknown_token_is_not_found(client):
    assert client.get(reverse("calendar:feed", args=["nope"])).status_code == 404


def test_feed_of_deactivated_member_is_not_found(client, guest):
    url = feed_url(guest)
    guest.is_active = False
    guest.save()

    assert client.get(url).status_code == 404


def test_rotated_token_makes_old_feed_url_not_found(client, guest):
    old_url = feed_url(guest)

    rotate_calendar_token(member=guest)

    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(guest)).status_code == 200


def test_calendar_page_shows_private_url_and_rotates_it(client, guest):
    client.force_login(guest)
    old_url = feed_url(guest)

    page = client.get(reverse("calendar:settings"))
    response = client.post(reverse("calendar:rotate"), follow=True)

    assert f"http://testserver{old_url}" in page.text
    assert "webcal://testserver" in page.text
    new_url = feed_url(guest)
    assert new_url != old_url
    assert f"http://testserver{new_url}" in response.text
    assert "The old one no longer works" in response.text


@pytest.mark.parametrize("action", ["show", "rotate"])
def test_calendar_page_works_for_an_account_without_a_profile_yet(client, action):
    builder = User.objects.create_superuser("root", "root@example.org", "correct horse battery staple")
    client.force_login(builder)

    if action == "show":
        response = client.get(reverse("calendar:settings"))
    else:
        response = client.post(reverse("calendar:rotate"), follow=True)

    assert response.status_code == 200
    token = Profile.objects.get(user=builder).calendar_token
    assert f"http://testserver/calendar/{token}.ics" in response.text


def test_calendar_page_calls_a_hosts_settings_by_their_name(client, guest):
    client.force_login(guest)
    before = client.get(reverse("calendar:settings"))
    HostFactory(user=guest)

    after = client.get(reverse("calendar:settings"))

    assert "Become a host" in before.text
    assert "My host settings" not in before.text
    assert "My host settings" in after.text
    assert "Become a host" not in after.text


def test_calendar_page_requires_login(client):
    response = client.get(reverse("calendar:settings"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_rotate_requires_post(client, guest):
    client.force_login(guest)
    old_url = feed_url(guest)

    assert client.get(reverse("calendar:rotate")).status_code == 405
    assert feed_url(guest) == old_url


def test_feed_lists_confirmed_workshops_with_join_link_only(client, guest):
    confirmed = RegistrationFactory(
        member=guest, workshop__title="Helm deep dive", workshop__join_url="https://meet.example.org/helm"
    ).workshop
    attended = RegistrationFactory(
        member=guest,
        status=RegistrationStatus.ATTENDED,
        workshop__starts_at=timezone.now() - timedelta(days=2),
        workshop__ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=1),
    ).workshop
    RegistrationFactory(member=guest, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(member=guest, status=RegistrationStatus.CANCELLED)
    RegistrationFactory(workshop=confirmed)  # another member at the same workshop

    response = client.get(feed_url(guest))

    by_uid = {str(event["UID"]): event for event in events(response)}
    assert set(by_uid) == {f"workshop-{confirmed.pk}@localhost", f"workshop-{attended.pk}@localhost"}
    helm = by_uid[f"workshop-{confirmed.pk}@localhost"]
    assert (helm.decoded("DTSTART"), helm.decoded("DTEND")) == (confirmed.starts_at, confirmed.ends_at)
    assert str(helm["SUMMARY"]) == "Helm deep dive"
    assert "https://meet.example.org/helm" in str(helm["DESCRIPTION"])


@pytest.mark.parametrize("rows", [1, 3])
def test_feed_query_count_is_constant(client, guest, django_assert_max_num_queries, rows):
    for _ in range(rows):
        CoffeeChatFactory(guest=guest)
        WorkshopSpeakerFactory(workshop=RegistrationFactory(member=guest).workshop)
    url = feed_url(guest)

    with django_assert_max_num_queries(6):
        response = client.get(url)

    assert len(events(response)) == 2 * rows


def test_workshops_and_chats_feed_the_calendar_in_that_order():
    assert list(registry.event_sources()) == ["workshops", "chats"]


def test_a_registered_source_adds_its_events_to_the_feed(client, guest, monkeypatch):
    monkeypatch.setattr(registry, "_sources", {})
    asked = []

    def office_hours(*, member, since, now):
        asked.append((member, now - since))
        event = icalendar.Event()
        event.add("uid", "office-hours@localhost")
        event.add("summary", "Office hours")
        return [event]

    registry.register_event_source("office_hours", office_hours)

    response = client.get(feed_url(guest))

    assert [str(event["SUMMARY"]) for event in events(response)] == ["Office hours"]
    assert asked == [(guest, timedelta(days=60))]
