from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.db import transaction
from django.utils import timezone

from community.notifications.services import deliver_pending
from community.workshops.enums import RegistrationStatus
from community.workshops.models import Registration
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory, WorkshopSpeakerFactory
from tests.factories import AreaFactory, BuilderFactory, ProfileFactory, UserFactory


@pytest.fixture
def send_now(monkeypatch):
    def commit_then_deliver(func, using=None, robust=False):
        func()
        deliver_pending()

    monkeypatch.setattr(transaction, "on_commit", commit_then_deliver)


@pytest.fixture
def member_client(client):
    member = UserFactory(profile__time_zone="America/New_York")
    client.force_login(member)
    client.member = member
    return client


@pytest.mark.django_db
def test_workshop_list_shows_upcoming_and_past_with_recordings(client):
    WorkshopFactory(title="Next week")
    WorkshopFactory(title="Long ago, recorded", starts_at=timezone.now() - timedelta(days=30),
                    recording_url="https://video.example.org/1")  # fmt: skip
    WorkshopFactory(title="Long ago, unrecorded", starts_at=timezone.now() - timedelta(days=20))

    html = client.get("/workshops/").content.decode()

    assert "Next week" in html
    assert "Long ago, recorded" in html
    assert "Watch the recording" in html
    assert "Long ago, unrecorded" not in html


@pytest.mark.django_db
def test_workshop_list_query_count_constant(member_client, django_assert_max_num_queries):
    def add_workshop():
        workshop = WorkshopFactory()
        WorkshopSpeakerFactory(workshop=workshop, profile=ProfileFactory(), name="")
        workshop.areas.add(AreaFactory())
        RegistrationFactory(workshop=workshop, member=member_client.member)
        RegistrationFactory(workshop=workshop, status=RegistrationStatus.WAITLISTED)
        WorkshopFactory(starts_at=timezone.now() - timedelta(days=9), recording_url="https://v.example.org/x")

    add_workshop()
    with django_assert_max_num_queries(12) as one:
        member_client.get("/workshops/")
    for _ in range(3):
        add_workshop()
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = member_client.get("/workshops/")
    assert len(response.context["upcoming"]) == 4
    assert response.content.decode().count("You're registered.") == 4


@pytest.mark.django_db
def test_workshop_detail_names_the_viewers_zone(member_client):
    workshop = WorkshopFactory(
        starts_at=datetime(2030, 1, 15, 17, 0, tzinfo=UTC), ends_at=datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    )
    html = member_client.get(workshop.get_absolute_url()).content.decode()
    assert "Tuesday 15 January 2030, 12:00\N{EN DASH}13:30 (America/New_York, EST)" in html


@pytest.mark.django_db
def test_join_link_only_for_confirmed_registrants(client):
    workshop = WorkshopFactory(capacity=1)
    confirmed = RegistrationFactory(workshop=workshop).member
    waitlisted = RegistrationFactory(workshop=workshop, status=RegistrationStatus.WAITLISTED).member

    public = client.get(workshop.get_absolute_url()).content.decode()
    client.force_login(waitlisted)
    as_waitlisted = client.get(workshop.get_absolute_url()).content.decode()
    client.force_login(confirmed)
    as_confirmed = client.get(workshop.get_absolute_url()).content.decode()

    assert workshop.join_url not in public
    assert workshop.join_url not in as_waitlisted
    assert "number 1</strong> on the waitlist" in as_waitlisted
    assert workshop.join_url in as_confirmed


@pytest.mark.django_db
def test_join_link_never_in_list_or_public_calendar(client):
    workshop = WorkshopFactory()
    client.force_login(RegistrationFactory(workshop=workshop).member)
    assert workshop.join_url not in client.get("/workshops/").content.decode()
    assert workshop.join_url not in client.get("/workshops/calendar.ics").content.decode().replace("\r\n ", "")


@pytest.mark.django_db
def test_register_button_without_js_confirms_and_redirects(member_client, send_now, mailoutbox):
    workshop = WorkshopFactory()
    response = member_client.post(f"/workshops/{workshop.slug}/register/", follow=True)
    assert response.redirect_chain == [(workshop.get_absolute_url(), 302)]
    assert "emailed you the join link and a calendar invite" in response.content.decode()
    assert workshop.join_url in response.content.decode()
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_register_with_htmx_returns_the_updated_panel(member_client, send_now):
    workshop = WorkshopFactory(capacity=1)
    RegistrationFactory(workshop=workshop)
    response = member_client.post(f"/workshops/{workshop.slug}/register/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="registration"')
    assert "on the waitlist and we&#x27;ll email you if a seat frees up" in html
    assert "number 1</strong> on the waitlist" in html
    assert "Leave the waitlist" in html


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["register", "cancel"])
def test_htmx_action_after_the_session_ended_sends_the_whole_page_to_log_in(client, action):
    workshop = WorkshopFactory()

    response = client.post(f"/workshops/{workshop.slug}/{action}/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next=/workshops/{workshop.slug}/"
    assert response.content == b""
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_register_twice_shows_a_clear_message(member_client, send_now):
    workshop = WorkshopFactory()
    member_client.post(f"/workshops/{workshop.slug}/register/")
    response = member_client.post(f"/workshops/{workshop.slug}/register/", follow=True)
    assert "You are already registered for this workshop." in response.content.decode()
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_register_anonymous_is_sent_to_log_in(client):
    workshop = WorkshopFactory()
    response = client.post(f"/workshops/{workshop.slug}/register/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/workshops/")
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_register_get_or_unknown_workshop_does_not_500(member_client):
    workshop = WorkshopFactory()
    assert member_client.get(f"/workshops/{workshop.slug}/register/").status_code == 405
    assert member_client.post("/workshops/no-such-thing/register/").status_code == 404


@pytest.mark.django_db
def test_cancel_button_frees_the_seat_for_the_waitlist(member_client, send_now, mailoutbox):
    workshop = WorkshopFactory(capacity=1)
    RegistrationFactory(workshop=workshop, member=member_client.member)
    waiting = RegistrationFactory(workshop=workshop, status=RegistrationStatus.WAITLISTED)

    response = member_client.post(f"/workshops/{workshop.slug}/cancel/", follow=True)

    assert "Your registration is cancelled." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert [m.to for m in mailoutbox] == [[member_client.member.email], [waiting.member.email]]


@pytest.mark.django_db
def test_ics_download_parses_back_and_has_join_link_only_for_seated(client):
    workshop = WorkshopFactory(
        starts_at=datetime(2030, 10, 27, 9, 0, tzinfo=UTC), ends_at=datetime(2030, 10, 27, 10, 0, tzinfo=UTC)
    )
    public = client.get(f"/workshops/{workshop.slug}/calendar.ics")
    client.force_login(RegistrationFactory(workshop=workshop).member)
    seated = client.get(f"/workshops/{workshop.slug}/calendar.ics")

    assert public["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = icalendar.Calendar.from_ical(public.content).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2030, 10, 27, 9, 0, tzinfo=UTC)
    assert workshop.join_url not in str(event["DESCRIPTION"])
    [seated_event] = icalendar.Calendar.from_ical(seated.content).walk("VEVENT")
    assert workshop.join_url in str(seated_event["DESCRIPTION"])


@pytest.mark.django_db
def test_calendar_feed_lists_only_upcoming_workshops(client):
    soon = WorkshopFactory(title="Soon")
    WorkshopFactory(title="Over", starts_at=timezone.now() - timedelta(days=3))
    calendar = icalendar.Calendar.from_ical(client.get("/workshops/calendar.ics").content)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Soon"]
    assert events[0].decoded("DTSTART") == soon.starts_at


@pytest.mark.django_db
def test_manage_page_is_for_builders_only(client):
    workshop = WorkshopFactory()
    assert client.get(f"/workshops/{workshop.slug}/manage/").status_code == 302
    client.force_login(UserFactory())
    assert client.get(f"/workshops/{workshop.slug}/manage/").status_code == 403


@pytest.mark.django_db
def test_manage_page_marks_attendance_and_publishes_recording(client, send_now, mailoutbox):
    workshop = WorkshopFactory(starts_at=timezone.now() - timedelta(hours=3))
    came = RegistrationFactory(workshop=workshop)
    missed = RegistrationFactory(workshop=workshop)
    client.force_login(BuilderFactory())
    url = f"/workshops/{workshop.slug}/manage/"

    response = client.post(url, {"save_attendance": "1", "attended": [str(came.pk)]}, follow=True)
    assert "Attendance saved: 1 of 2 attended." in response.content.decode()
    response = client.post(url, {"save_recording": "1", "recording_url": "video.example.org/helm"}, follow=True)
    assert "Recording published; 2 registrants are told by email." in response.content.decode()

    came.refresh_from_db()
    missed.refresh_from_db()
    assert (came.status, missed.status) == ("attended", "confirmed")
    assert len(mailoutbox) == 2
    assert "https://video.example.org/helm" in mailoutbox[0].body


@pytest.mark.django_db
def test_manage_page_bad_input_is_explained(client):
    workshop = WorkshopFactory()
    client.force_login(BuilderFactory())
    url = f"/workshops/{workshop.slug}/manage/"
    response = client.post(url, {"save_recording": "1", "recording_url": "not a link"})
    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    response = client.post(url, {"save_attendance": "1", "attended": ["999999"]})
    assert response.status_code == 400
