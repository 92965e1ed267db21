"""Every page obeys the Content-Security-Policy: no inline script, event handler or style anywhere."""

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from community.members.models import User
from tests.community.chats.conftest import open_slots
from tests.community.chats.factories import BlockedDateFactory, CoffeeChatFactory, HostFactory
from tests.community.podcasts.factories import EpisodeFactory
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory
from tests.factories import BuilderFactory, UserFactory
from tests.mentorship.factories import MatchFactory
from tests.workflows.factories import TaskInstanceFactory

pytestmark = pytest.mark.django_db

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "media-src": "'self' https:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return dict(directives)


def test_pages_carry_the_content_security_policy(client):
    response = client.get("/")

    assert policy(response) == EXPECTED_POLICY


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, on… handlers, style attributes and elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"<{tag} {name}=…>" for name in sorted(names) if name == "style" or name.startswith("on")]


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_inline_code_finder_sees_what_the_policy_blocks():
    html = '<script>x()</script><script src="/a.js"></script><p style="color:red" onclick="y()"><style>p{}</style>'

    assert inline_code(html) == ["<script> without src", "<p onclick=…>", "<p style=…>", "<style>"]


PART = re.compile(r"<(?:(\w+):)?(\w+)>")
SKIPPED = {
    "admin/r/<path:content_type_id>/<path:object_id>/",  # a redirect to the object's own page
}


def routes(patterns=None, prefix: str = "") -> Iterator[str]:
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes (reports by month, the admin's catch-all) are listed by hand below
        route = prefix + entry.pattern._route
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route not in SKIPPED:
            yield route


@pytest.fixture
def site_paths() -> list[str]:
    """One address per route of the site, filled with real objects where the route names one."""
    host = HostFactory(user__username="hostess")
    guest = UserFactory(username="guest")
    BuilderFactory(username="builder")
    start = next(slot.start for slot in open_slots(host) if slot.start > timezone.now() + timedelta(days=2))
    chat = CoffeeChatFactory(host=host, guest=guest, start=start, end=start + timedelta(minutes=30))
    workshop = WorkshopFactory()
    RegistrationFactory(workshop=workshop, member=guest)
    episode = EpisodeFactory(with_transcript=True, with_chapters=True)
    blocked = BlockedDateFactory(host=host, date=timezone.localdate() + timedelta(days=10))
    match = MatchFactory(mentee_application__member=guest)
    task = TaskInstanceFactory()
    values = [
        ("podcast/", "slug", episode.slug),
        ("workshops/", "slug", workshop.slug),
        ("chats/hosts/", "slug", host.user.profile.slug),
        ("members/", "slug", host.user.profile.slug),
        ("mentorship/", "slug", match.batch.slug),
        ("mentorship/applications/mentor/", "pk", match.mentor_application.pk),
        ("mentorship/applications/", "pk", match.mentee_application.pk),
        ("mentorship/applications/", "role", "mentee"),
        ("mentorship/manage/matches/", "decision", "approve"),
        ("mentorship/", "pk", match.pk),
        ("chats/", "pk", chat.pk),
        ("chats/", "day", blocked.date.isoformat()),
        ("calendar/", "token", guest.profile.calendar_token),
        ("workflows/", "dag_id", task.run.dag.dag_id),
        ("workflows/", "run_pk", task.run.pk),
        ("workflows/", "task_id", task.task_id),
    ]

    def fill(route: str, part: re.Match) -> str:
        converter, name = part[1], part[2]
        for prefix, param, value in values:
            if route.startswith(prefix) and param == name:
                return str(value)
        return "1" if converter == "int" else "unknown"

    paths = {"/" + PART.sub(lambda part, route=route: fill(route, part), route) for route in routes()}
    paths |= {"/reports/2026-01/", "/admin/members/"}
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        paths |= {reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))}
    return sorted(paths)


def test_no_page_has_inline_script_or_style(site_paths):
    # Social sign-in without a configured provider fails on its own (a 500), which must not stop the sweep.
    clients = {None: Client(raise_request_exception=False)}
    for username in ("guest", "hostess", "builder"):
        clients[username] = Client(raise_request_exception=False)
        clients[username].force_login(User.objects.get(username=username))

    offending = {}
    for who, client in clients.items():
        for path in site_paths:
            response = client.get(path)
            # Server errors are left out: their page depends on DEBUG, and they are bugs of their own.
            if response.status_code < 500 and response.get("Content-Type", "").startswith("text/html"):
                found = inline_code(response.content.decode())
                if found:
                    offending[(who, path)] = sorted(set(found))

    assert offending == {}


def test_the_page_sweep_reaches_pages_with_objects(site_paths):
    assert len(site_paths) > 100
    assert any(path.startswith("/podcast/") and path.count("/") == 3 and "unknown" not in path for path in site_paths)
