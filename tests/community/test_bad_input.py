"""Every member-facing URL answered with wrong methods, unknown objects, malformed input, a stranger's
session and no session at all: each gets a 4xx or a form error, never a 500, and nothing changes."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from community.chats.enums import ChatStatus
from community.chats.models import BlockedDate, CoffeeChat
from community.members.models import User
from community.workshops.enums import RegistrationStatus
from community.workshops.models import Registration
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import BlockedDateFactory, CoffeeChatFactory, HostFactory
from tests.community.podcasts.factories import EpisodeFactory
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory
from tests.factories import AreaFactory, BuilderFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "x" * 20_000


@dataclass
class World:
    host_slug: str
    chat_pk: int
    chat_start: str
    workshop_slug: str
    episode_slug: str
    feed_token: str
    blocked_day: str

    def url(self, template: str) -> str:
        return template.format(**vars(self))


@pytest.fixture
def world(db) -> World:
    AreaFactory(name="Conference speaking", slug="conference-speaking")
    host = HostFactory(user__username="hostess", user__profile__display_name="Hanna Host")
    guest = UserFactory(username="guest", profile__display_name="Grace Guest")
    UserFactory(username="stranger", profile__display_name="Sam Stranger")
    BuilderFactory(username="builder", profile__display_name="Bea Builder")
    start = next(slot.start for slot in open_slots(host) if slot.start > timezone.now() + timedelta(days=2))
    chat = CoffeeChatFactory(host=host, guest=guest, start=start, end=start + timedelta(minutes=30))
    workshop = WorkshopFactory(slug="helm-charts", capacity=5)
    RegistrationFactory(workshop=workshop, member=guest)
    episode = EpisodeFactory(slug="operators", with_transcript=True, with_chapters=True)
    blocked = BlockedDateFactory(host=host, date=timezone.now().date() + timedelta(days=10))
    return World(
        host_slug=host.user.profile.slug,
        chat_pk=chat.pk,
        chat_start=chat.start.isoformat(),
        workshop_slug=workshop.slug,
        episode_slug=episode.slug,
        feed_token=guest.profile.calendar_token,
        blocked_day=blocked.date.isoformat(),
    )


def client_for(username: str | None) -> Client:
    client = Client()
    if username is not None:
        client.force_login(User.objects.get(username=username))
    return client


def state() -> tuple:
    """What a bad request must never change: the chat, the registration, the host's blocked dates."""
    chat = CoffeeChat.objects.values_list("status", "start", "sequence").get()
    registrations = sorted(Registration.objects.values_list("member__username", "status"))
    blocked = sorted(BlockedDate.objects.values_list("date", flat=True))
    return chat, registrations, blocked


def send(client: Client, method: str, url: str, data: dict | None = None):
    return getattr(client, method.lower())(url, data or {})


# Wrong methods ------------------------------------------------------------------------------

READ_ONLY = [
    "/",
    "/code-of-conduct/",
    "/members/",
    "/members/{host_slug}/",
    "/podcast/",
    "/podcast/feed.xml",
    "/podcast/{episode_slug}/",
    "/podcast/{episode_slug}/chapters.json",
    "/podcast/{episode_slug}/transcript",
    "/workshops/",
    "/workshops/calendar.ics",
    "/workshops/{workshop_slug}/",
    "/workshops/{workshop_slug}/calendar.ics",
    "/chats/",
    "/chats/hosts/{host_slug}/",
    "/chats/mine/",
    "/chats/{chat_pk}/",
    "/calendar/",
    "/calendar/{feed_token}.ics",
]

ACTIONS = [
    "/workshops/{workshop_slug}/register/",
    "/workshops/{workshop_slug}/cancel/",
    "/chats/{chat_pk}/outcome/",
    "/chats/host/blocked/",
    "/chats/host/blocked/{blocked_day}/remove/",
    "/calendar/rotate/",
]

FORMS = [
    "/profile/",
    "/chats/hosts/{host_slug}/book/",
    "/chats/{chat_pk}/cancel/",
    "/chats/{chat_pk}/reschedule/",
    "/chats/host/",
]


@pytest.mark.parametrize("path", READ_ONLY)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_read_only_pages_refuse_writing_methods(world, path, method):
    before = state()

    response = send(client_for("guest"), method, world.url(path))

    assert response.status_code == 405
    assert state() == before


@pytest.mark.parametrize("path", READ_ONLY)
def test_read_only_pages_answer_head_like_get(world, path):
    """Podcast apps, calendar apps and link checkers ask with HEAD before they GET."""
    client = client_for("guest")

    head = client.head(world.url(path))
    get = client.get(world.url(path))

    assert head.status_code == get.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]


@pytest.mark.parametrize("path", ACTIONS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_actions_only_accept_post(world, path, method):
    before = state()

    response = send(client_for("hostess"), method, world.url(path))

    assert response.status_code == 405
    assert state() == before


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_form_pages_refuse_methods_other_than_get_and_post(world, path, method):
    before = state()

    response = send(client_for("guest"), method, world.url(path))

    assert response.status_code == 405
    assert state() == before


def test_builder_attendance_page_refuses_delete(world):
    response = client_for("builder").delete(world.url("/workshops/{workshop_slug}/manage/"))

    assert response.status_code == 405


# Unknown objects ----------------------------------------------------------------------------

UNKNOWN = [
    ("GET", "/members/nobody-here/"),
    ("GET", "/podcast/no-such-episode/"),
    ("GET", "/podcast/no-such-episode/chapters.json"),
    ("GET", "/podcast/no-such-episode/transcript"),
    ("GET", "/workshops/no-such-workshop/"),
    ("GET", "/workshops/no-such-workshop/calendar.ics"),
    ("POST", "/workshops/no-such-workshop/register/"),
    ("POST", "/workshops/no-such-workshop/cancel/"),
    ("GET", "/chats/hosts/nobody-here/"),
    ("GET", "/chats/hosts/nobody-here/book/?start={chat_start}"),
    ("POST", "/chats/hosts/nobody-here/book/"),
    ("GET", "/chats/999999/"),
    ("GET", "/chats/999999/cancel/"),
    ("POST", "/chats/999999/cancel/"),
    ("GET", "/chats/999999/reschedule/"),
    ("POST", "/chats/999999/outcome/"),
    ("GET", "/calendar/not-a-token.ics"),
    ("POST", "/chats/host/blocked/2027-13-45/remove/"),
    ("POST", "/chats/host/blocked/99999999999/remove/"),
]


@pytest.mark.parametrize(("method", "path"), UNKNOWN)
def test_unknown_objects_are_not_found(world, method, path):
    before = state()

    response = send(client_for("hostess"), method, world.url(path))

    assert response.status_code == 404
    assert state() == before


def test_attendance_page_of_unknown_workshop_is_not_found(world):
    assert client_for("builder").get("/workshops/no-such-workshop/manage/").status_code == 404


# Malformed query strings --------------------------------------------------------------------

LISTS = [
    "/members/?page=abc",
    "/members/?page=99999",
    "/members/?page=-1",
    "/members/?area=unknown-area",
    "/members/?q=" + HUGE,
    "/members/?q=%00",
    "/members/?area=%00&q=a%00b",
    "/podcast/?page=abc",
    "/podcast/?page=99999",
    "/podcast/?page=0",
    "/workshops/?page=abc",
    "/workshops/?page=99999",
    "/chats/?page=x",
    "/chats/?page=99999",
    "/chats/?area=unknown-area&soon=maybe",
    "/chats/?topic=" + HUGE,
    "/chats/?topic=%00",
    "/chats/?area[]=a&area=b&area=c",
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("who", [None, "guest"])
def test_lists_survive_malformed_query_strings(world, path, who):
    response = client_for(who).get(path)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("", "Please pick a time"),
        ("abc", "Please pick a time"),
        ("%00", "Please pick a time"),
        ("2026-02-30T10:00:00%2B00:00", "Please pick a time"),
        ("9999-12-31T23:59:59%2B00:00", "too far ahead"),
        ("0001-01-01T00:00:00%2B00:00", "already passed"),
        ("2999-01-01T00:00:00%2B14:00", "too far ahead"),
    ],
)
def test_book_page_with_unusable_start_goes_back_to_host_with_message(world, start, message):
    response = client_for("guest").get(world.url("/chats/hosts/{host_slug}/book/") + "?start=" + start, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == world.url("/chats/hosts/{host_slug}/")
    assert message in response.text


# Invalid forms ------------------------------------------------------------------------------

INVALID_FORMS = [
    (
        "/profile/",
        {"display_name": " ", "time_zone": "Mars/Olympus", "visibility": "public"},
        "not a time zone we know",
    ),
    ("/profile/", {"display_name": HUGE, "time_zone": "UTC", "visibility": "public"}, "at most 80 characters"),
    ("/profile/", {"display_name": "Ada", "time_zone": "UTC", "visibility": "everyone"}, "Select a valid choice"),
    (
        "/profile/",
        {"display_name": "Ada", "time_zone": "UTC", "visibility": "public", "github_url": "https://evil.example"},
        "Enter the address of a GitHub profile",
    ),
    ("/chats/hosts/{host_slug}/book/", {"start": "{chat_start}", "topic": ""}, "This field is required"),
    ("/chats/hosts/{host_slug}/book/", {"start": "{chat_start}", "topic": HUGE}, "at most 200 characters"),
    ("/chats/hosts/{host_slug}/book/", {"start": "{chat_start}", "topic": "CFP"}, "just been taken"),
    ("/chats/hosts/{host_slug}/book/", {"start": "not a time", "topic": "CFP"}, "could not be read"),
    ("/chats/{chat_pk}/cancel/", {"reason": HUGE}, "at most 1000 characters"),
    ("/chats/{chat_pk}/reschedule/", {"start": "yesterday"}, "could not be read"),
    ("/chats/host/", {}, "This field is required"),
    (
        "/chats/host/",
        {
            "slot_minutes": "17",
            "buffer_minutes": "-5",
            "min_notice_hours": "0",
            "horizon_days": "1000",
            "weekly_cap": "3",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-0-weekday": "9",
            "rules-0-start": "25:00",
            "rules-0-end": "x",
        },
        "Select a valid choice",
    ),
]


@pytest.mark.parametrize(("path", "data", "message"), INVALID_FORMS)
def test_invalid_forms_answer_with_a_message_and_change_nothing(world, path, data, message):
    data = {key: world.url(value) if isinstance(value, str) and "{" in value else value for key, value in data.items()}
    before = state()

    response = client_for("guest").post(world.url(path), data)

    assert response.status_code == 200
    assert message in response.text
    assert state() == before


def test_too_many_availability_rows_are_refused_without_building_them(world):
    client = client_for("hostess")

    response = client.post(
        "/chats/host/",
        {
            "slot_minutes": "30",
            "buffer_minutes": "0",
            "min_notice_hours": "0",
            "horizon_days": "28",
            "weekly_cap": "3",
            "rules-TOTAL_FORMS": "1000000",
            "rules-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Please submit at most 28 forms" in response.text
    assert len(response.context["formset"].forms) <= 28


@pytest.mark.parametrize("day", ["", "not-a-date", "2020-01-01", "9999-12-31"])
def test_blocking_an_unusable_date_is_refused_with_a_message(world, day):
    before = state()

    response = client_for("hostess").post("/chats/host/blocked/", {"day": day}, follow=True)

    assert response.status_code == 200
    assert response.context["messages"]
    assert all(message.level_tag == "error" for message in response.context["messages"])
    assert state() == before


# Someone else's objects ---------------------------------------------------------------------

STRANGER_ACTIONS = [
    ("GET", "/chats/{chat_pk}/", {}),
    ("GET", "/chats/{chat_pk}/cancel/", {}),
    ("POST", "/chats/{chat_pk}/cancel/", {"reason": "not mine"}),
    ("GET", "/chats/{chat_pk}/reschedule/", {}),
    ("POST", "/chats/{chat_pk}/reschedule/", {"start": "{chat_start}"}),
    ("POST", "/chats/{chat_pk}/outcome/", {"outcome": "no_show"}),
]


@pytest.mark.parametrize(("method", "path", "data"), STRANGER_ACTIONS)
def test_a_strangers_chat_is_not_found_and_not_touched(world, method, path, data):
    data = {key: world.url(value) for key, value in data.items()}
    before = state()

    response = send(client_for("stranger"), method, world.url(path), data)

    assert response.status_code == 404
    assert state() == before


def test_cancelling_a_workshop_place_one_does_not_hold_leaves_others_registered(world):
    before = state()

    response = client_for("stranger").post(world.url("/workshops/{workshop_slug}/cancel/"), follow=True)

    assert response.status_code == 200
    assert state() == before
    assert Registration.objects.get(member__username="guest").status == RegistrationStatus.CONFIRMED


def test_unblocking_removes_only_ones_own_blocked_date(world):
    other_host = HostFactory(user=User.objects.get(username="stranger"))
    before = state()

    response = client_for("stranger").post(world.url("/chats/host/blocked/{blocked_day}/remove/"))

    assert response.status_code == 302
    assert state() == before
    assert other_host.blocked_dates.count() == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_attendance_page_is_for_builders_only(world, method):
    before = state()

    response = send(
        client_for("guest"), method, world.url("/workshops/{workshop_slug}/manage/"), {"save_attendance": "1"}
    )

    assert response.status_code == 403
    assert state() == before


# Anonymous visitors -------------------------------------------------------------------------

MEMBERS_ONLY = [
    ("GET", "/profile/"),
    ("POST", "/profile/"),
    ("GET", "/chats/mine/"),
    ("GET", "/chats/host/"),
    ("POST", "/chats/host/"),
    ("GET", "/chats/hosts/{host_slug}/book/?start={chat_start}"),
    ("POST", "/chats/hosts/{host_slug}/book/"),
    ("GET", "/chats/{chat_pk}/"),
    ("POST", "/chats/{chat_pk}/cancel/"),
    ("POST", "/chats/{chat_pk}/reschedule/"),
    ("POST", "/chats/{chat_pk}/outcome/"),
    ("POST", "/chats/host/blocked/"),
    ("POST", "/chats/host/blocked/{blocked_day}/remove/"),
    ("GET", "/calendar/"),
    ("POST", "/calendar/rotate/"),
    ("POST", "/workshops/{workshop_slug}/register/"),
    ("POST", "/workshops/{workshop_slug}/cancel/"),
    ("GET", "/workshops/{workshop_slug}/manage/"),
]


@pytest.mark.parametrize(("method", "path"), MEMBERS_ONLY)
def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(world, method, path):
    before = state()

    response = send(Client(), method, world.url(path).replace("+", "%2B"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert state() == before


# Control characters in the address ---------------------------------------------------------

ROUTE_PART = re.compile(r"<(?:\w+:)?(\w+)>")


def routes_with_text_segments(patterns=None, prefix: str = "", converters=None) -> Iterator[str]:
    """Every routed address of the site whose path takes a text segment, with a NUL in each of them.

    Numbers get an id that may exist; a NUL in a text segment is what PostgreSQL refuses to compare.
    """
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + entry.pattern._route
        found = {**(converters or {}), **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            yield from routes_with_text_segments(entry.url_patterns, route, found)
        elif isinstance(entry, URLPattern) and ROUTE_PART.search(route):
            filled = ROUTE_PART.sub(
                lambda part, found=found: "1" if isinstance(found.get(part[1]), IntConverter) else "%00", route
            )
            if "%00" in filled:
                yield "/" + filled


# Regex routes whose groups take any character, and the two addresses first reported.
NUL_ADDRESSES = sorted(
    {
        *routes_with_text_segments(),
        "/admin/%00",
        "/accounts/password/reset/key/1-%00/",
        "/calendar/%00.ics",
        "/workflows/deliver_notifications/runs/1/tasks/%00/",
        "/workflows/deliver_notifications/runs/1/tasks/%00/clear/",
    }
)


def test_the_nul_sweep_covers_every_kind_of_text_route():
    assert {
        "/calendar/%00.ics",
        "/members/%00/",
        "/podcast/%00/",
        "/workshops/%00/manage/",
        "/chats/host/blocked/%00/remove/",
        "/mentorship/check-in/%00/",
        "/email/unsubscribe/%00/",
        "/workflows/%00/runs/1/tasks/%00/",
        "/admin/members/profile/%00/change/",
    } <= set(NUL_ADDRESSES)


@pytest.mark.parametrize("path", NUL_ADDRESSES)
def test_a_nul_in_the_address_is_not_found(db, path):
    BuilderFactory(username="builder")
    answers = {
        (who, method): send(client_for(who), method, path).status_code
        for who in (None, "builder")
        for method in ("GET", "POST")
    }

    assert answers == {(None, "GET"): 404, (None, "POST"): 404, ("builder", "GET"): 404, ("builder", "POST"): 404}


@pytest.mark.parametrize("character", ["%01", "%09", "%0A", "%0D", "%1B", "%7F", "%C2%85"])
def test_other_control_characters_in_the_address_are_not_found(db, character):
    response = client_for(None).get(f"/podcast/a{character}b/")

    assert response.status_code == 404


def test_chat_still_booked_after_the_sweep(world):
    """The fixture's chat really is booked, so the "nothing changed" checks above compare a live chat."""
    assert CoffeeChat.objects.get().status == ChatStatus.BOOKED
