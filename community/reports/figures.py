"""What the monthly report counts, app by app, and how the sections compose into the stored figures.

Every count is over a half-open interval [start, end) so that a moment on a boundary (local midnight
of the 1st) belongs to exactly one month.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Count, Q

from community.chats.enums import ChatStatus
from community.chats.models import CoffeeChat
from community.members.models import User
from community.podcasts.models import Episode
from community.reports import registry
from community.reports.months import Month
from community.reports.registry import Figure, FigureValue
from community.workshops.enums import SEATED_STATUSES, RegistrationStatus
from community.workshops.models import Registration, Workshop

FIGURES_VERSION = 1
"""Bumped whenever the meaning or shape of the stored figures changes, so old reports can be told apart."""


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def member_figures(start: datetime, end: datetime) -> dict[str, FigureValue]:
    """Accounts created in the interval (whether or not they are still active)."""
    return {"new_members": User.objects.filter(date_joined__gte=start, date_joined__lt=end).count()}


def workshop_figures(start: datetime, end: datetime) -> dict[str, FigureValue]:
    """Workshops that ended in the interval, and attendance at them.

    Seated registrations are confirmed or attended ones; waitlisted and cancelled places never count.
    The rate is attended / seated, in percent.
    """
    ended = Q(workshop__ends_at__gte=start, workshop__ends_at__lt=end)
    seats = Registration.objects.filter(ended).aggregate(
        seated=Count("pk", filter=Q(status__in=SEATED_STATUSES)),
        attended=Count("pk", filter=Q(status=RegistrationStatus.ATTENDED)),
    )
    return {
        "workshops_held": Workshop.objects.filter(ends_at__gte=start, ends_at__lt=end).count(),
        "seated": seats["seated"],
        "attended": seats["attended"],
        "attendance_rate": percent(seats["attended"], seats["seated"]),
    }


def chat_figures(start: datetime, end: datetime) -> dict[str, FigureValue]:
    """Coffee chats booked (created) and cancelled in the interval; completed and no-shows by when they were held."""
    held = Q(start__gte=start, start__lt=end)
    return CoffeeChat.objects.aggregate(
        booked=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        cancelled=Count("pk", filter=Q(status=ChatStatus.CANCELLED, cancelled_at__gte=start, cancelled_at__lt=end)),
        completed=Count("pk", filter=held & Q(status=ChatStatus.COMPLETED)),
        no_show=Count("pk", filter=held & Q(status=ChatStatus.NO_SHOW)),
    )


def episode_figures(start: datetime, end: datetime) -> dict[str, FigureValue]:
    """Episodes whose publish time falls in the interval."""
    return {"episodes_published": Episode.objects.filter(publish_at__gte=start, publish_at__lt=end).count()}


def register_community_sections() -> None:
    registry.register_section(
        "members", member_figures, title="Members", figures=[Figure("new_members", "New members")]
    )
    registry.register_section(
        "workshops",
        workshop_figures,
        title="Workshops",
        figures=[
            Figure("workshops_held", "Workshops held"),
            Figure("seated", "Seated registrations"),
            Figure("attended", "Attended"),
            Figure("attendance_rate", "Attendance rate", percent=True),
        ],
    )
    registry.register_section(
        "chats",
        chat_figures,
        title="Coffee chats",
        figures=[
            Figure("booked", "Chats booked"),
            Figure("cancelled", "Chats cancelled"),
            Figure("completed", "Chats completed"),
            Figure("no_show", "No-shows"),
        ],
    )
    registry.register_section(
        "podcast", episode_figures, title="Podcast", figures=[Figure("episodes_published", "Episodes published")]
    )


def compute_figures(month: Month, zone: tzinfo) -> dict[str, Any]:
    """The stored shape of a report: every registered section's figures for `month` and the month before.

    {"version": 1, "month": "2025-05", "previous_month": "2025-04",
     "sections": {"members": {"new_members": {"month": 12, "previous": 9}}, ...}}
    """
    previous = month.previous()
    current_bounds, previous_bounds = month.bounds(zone), previous.bounds(zone)
    sections: dict[str, dict[str, dict[str, FigureValue]]] = {}
    for section in registry.sections():
        now, before = section.compute(*current_bounds), section.compute(*previous_bounds)
        sections[section.name] = {key: {"month": now[key], "previous": before[key]} for key in section.keys}
    return {"version": FIGURES_VERSION, "month": str(month), "previous_month": str(previous), "sections": sections}
