"""Mentorship's section of the monthly community report (community.reports cannot import mentorship)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q

from community.reports.registry import Figure, FigureValue, register_section
from mentorship.enums import MatchStatus
from mentorship.models import CheckIn, Match

# Pairs that went live once their batch was published; proposed and rejected pairs never ran.
RAN = (MatchStatus.APPROVED, MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED_EARLY)


def mentorship_figures(start: datetime, end: datetime) -> dict[str, FigureValue]:
    """Pairs running at some point in [start, end), and how many of them had said they met by `end`.

    A pair runs from its batch's publication until it ends (completed or ended early).
    """
    running = Match.objects.filter(status__in=RAN, batch__published_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    met_by_end = CheckIn.objects.filter(match=OuterRef("pk"), met=True, answered_at__lt=end)
    counts = running.annotate(said_met=Exists(met_by_end)).aggregate(
        active=Count("pk"), met=Count("pk", filter=Q(said_met=True))
    )
    return {"active_pairs": counts["active"], "met_pairs": counts["met"]}


def register_report_section() -> None:
    register_section(
        "mentorship",
        mentorship_figures,
        title="Mentorship",
        figures=[Figure("active_pairs", "Pairs active"), Figure("met_pairs", "Pairs that met")],
    )
