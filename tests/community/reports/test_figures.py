"""The figures of March 2025 beside February 2025, counted on the Berlin calendar (DST starts 30 March)."""

import ast
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat
from community.reports.figures import compute_figures
from community.reports.months import Month
from community.reports.registry import Figure, register_section, section
from community.workshops.enums import RegistrationStatus
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.models import CheckIn
from tests.community.chats.factories import CoffeeChatFactory
from tests.community.podcasts.factories import EpisodeFactory
from tests.community.workshops.factories import RegistrationFactory, WorkshopFactory
from tests.factories import UserFactory
from tests.mentorship.factories import BatchFactory, MatchFactory

BERLIN = ZoneInfo("Europe/Berlin")
MARCH_STARTS = datetime(2025, 2, 28, 23, tzinfo=UTC)  # 1 March 00:00 CET
APRIL_STARTS = datetime(2025, 3, 31, 22, tzinfo=UTC)  # 1 April 00:00 CEST
JUST_BEFORE_MARCH = datetime(2025, 2, 28, 22, 59, 59, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _members() -> None:
    for joined in (JUST_BEFORE_MARCH, MARCH_STARTS, utc(2025, 3, 15, 12), utc(2025, 3, 31, 21, 59, 59), APRIL_STARTS):
        UserFactory(date_joined=joined)


def _workshop(ends_at: datetime, *statuses: str) -> None:
    workshop = WorkshopFactory(starts_at=ends_at.replace(hour=ends_at.hour - 1), ends_at=ends_at)
    for status in statuses:
        RegistrationFactory(workshop=workshop, status=status)


def _workshops() -> None:
    attended, confirmed = RegistrationStatus.ATTENDED, RegistrationStatus.CONFIRMED
    waitlisted, cancelled = RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED
    _workshop(utc(2025, 3, 10, 18), attended, attended, confirmed, waitlisted, cancelled)
    _workshop(MARCH_STARTS, attended)
    _workshop(JUST_BEFORE_MARCH, confirmed, waitlisted, waitlisted)
    _workshop(APRIL_STARTS, attended, attended)


def _chat(*, created: datetime, start: datetime, status: str, cancelled: datetime | None = None) -> None:
    chat = CoffeeChatFactory(start=start, status=status, cancelled_at=cancelled)
    CoffeeChat.objects.filter(pk=chat.pk).update(created_at=created)  # auto_now_add ignores a given value


def _chats() -> None:
    _chat(created=utc(2025, 3, 5, 9), start=utc(2025, 3, 6, 9), status=ChatStatus.COMPLETED)
    _chat(created=utc(2025, 2, 20, 9), start=MARCH_STARTS, status=ChatStatus.NO_SHOW)
    _chat(
        created=utc(2025, 3, 10, 9),
        start=utc(2025, 3, 15, 9),
        status=ChatStatus.CANCELLED,
        cancelled=utc(2025, 3, 11, 9),
    )
    _chat(created=JUST_BEFORE_MARCH, start=utc(2025, 2, 28, 22, 30), status=ChatStatus.COMPLETED)
    _chat(created=APRIL_STARTS, start=utc(2025, 4, 2, 9), status=ChatStatus.BOOKED)
    _chat(
        created=utc(2025, 2, 10, 9),
        start=utc(2025, 3, 3, 9),
        status=ChatStatus.CANCELLED,
        cancelled=utc(2025, 2, 28, 23, 30),
    )


def _episodes() -> None:
    for publish_at in (utc(2025, 3, 15, 6), MARCH_STARTS, utc(2025, 2, 14, 6), None, APRIL_STARTS):
        EpisodeFactory(publish_at=publish_at)


def _check_in(pair, *, met: bool, answered: datetime) -> None:
    CheckIn.objects.create(match=pair, member=pair.mentor, asked_at=answered, met=met, answered_at=answered)


def _mentorship() -> None:
    february = BatchFactory(status=BatchStatus.ACTIVE, published_at=utc(2025, 2, 15, 10))
    running = MatchFactory(batch=february, status=MatchStatus.ACTIVE)
    _check_in(running, met=True, answered=utc(2025, 3, 10, 8))  # says so in March: met by March, not by February
    ended = MatchFactory(batch=february, status=MatchStatus.ENDED_EARLY, ended_at=JUST_BEFORE_MARCH)
    _check_in(ended, met=True, answered=utc(2025, 2, 20, 8))
    MatchFactory(batch=february, status=MatchStatus.COMPLETED, ended_at=MARCH_STARTS)  # ran none of March
    MatchFactory(batch=february, status=MatchStatus.PROPOSED)
    MatchFactory(batch=february, status=MatchStatus.REJECTED)
    april = BatchFactory(status=BatchStatus.PUBLISHED, published_at=APRIL_STARTS)
    MatchFactory(batch=april, status=MatchStatus.APPROVED)
    march = BatchFactory(status=BatchStatus.ACTIVE, published_at=MARCH_STARTS)
    _check_in(MatchFactory(batch=march, status=MatchStatus.ACTIVE), met=False, answered=utc(2025, 3, 20, 8))


@pytest.mark.django_db
def test_compute_figures_counts_each_item_in_its_local_month():
    _members()
    _workshops()
    _chats()
    _episodes()
    _mentorship()
    assert compute_figures(Month(2025, 3), BERLIN) == {
        "version": 1,
        "month": "2025-03",
        "previous_month": "2025-02",
        "sections": {
            "members": {"new_members": {"month": 3, "previous": 1}},
            "workshops": {
                "workshops_held": {"month": 2, "previous": 1},
                "seated": {"month": 4, "previous": 1},
                "attended": {"month": 3, "previous": 0},
                "attendance_rate": {"month": 75.0, "previous": 0.0},
            },
            "chats": {
                "booked": {"month": 2, "previous": 3},
                "cancelled": {"month": 2, "previous": 0},
                "completed": {"month": 1, "previous": 1},
                "no_show": {"month": 1, "previous": 0},
            },
            "podcast": {"episodes_published": {"month": 2, "previous": 1}},
            "mentorship": {
                "active_pairs": {"month": 2, "previous": 3},
                "met_pairs": {"month": 1, "previous": 1},
            },
        },
    }


@pytest.mark.django_db
def test_compute_figures_without_activity_has_zero_counts_and_no_rates():
    figures = compute_figures(Month(2025, 1), BERLIN)
    assert figures["sections"]["workshops"] == {
        "workshops_held": {"month": 0, "previous": 0},
        "seated": {"month": 0, "previous": 0},
        "attended": {"month": 0, "previous": 0},
        "attendance_rate": {"month": None, "previous": None},
    }
    assert figures["previous_month"] == "2024-12"


def test_register_section_refuses_a_second_section_with_a_taken_name():
    with pytest.raises(ValueError, match="named 'members' is already registered"):
        register_section(
            "members", lambda start, end: {"joined": 0}, title="Joins", figures=[Figure("joined", "Joined")]
        )
    assert [figure.key for figure in section("members").figures] == ["new_members"]


def test_reports_app_does_not_import_mentorship():
    root = Path(__file__).resolve().parents[3] / "community" / "reports"
    imported = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert "mentorship" not in imported


def test_month_bounds_follow_the_local_calendar_across_dst():
    assert Month(2025, 3).bounds(BERLIN) == (MARCH_STARTS, APRIL_STARTS)
    assert Month(2025, 10).bounds(BERLIN) == (utc(2025, 9, 30, 22), utc(2025, 10, 31, 23))
    assert Month(2025, 1).previous() == Month(2024, 12)


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-3", "May 2025", "", "2025-03-01"])
def test_month_parse_refuses_what_is_not_a_month(text):
    with pytest.raises(ValueError, match="month"):
        Month.parse(text)
