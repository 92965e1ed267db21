"""Figures for a batch's report page, with bar-chart geometry computed server-side (no JS)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q, Sum

from community.members.models import Area
from mentorship.enums import FeedbackStage, MatchStatus, UnmatchedReasonChoice
from mentorship.models import Batch, CheckIn, Feedback, Match, MenteeApplication, MentorApplication

PUBLISHED_STATUSES = (MatchStatus.APPROVED, MatchStatus.ACTIVE, MatchStatus.COMPLETED, MatchStatus.ENDED_EARLY)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    percent: float  # of the chart's largest value, for the bar's width
    y: int  # top of the bar's row in the SVG, in px


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    unit: str = ""

    @property
    def height(self) -> int:
        return ROW * max(len(self.bars), 1)


ROW = 28


def chart(title: str, values: list[tuple[str, float]], *, unit: str = "") -> Chart:
    top = max((v for _, v in values), default=0) or 1
    return Chart(
        title=title,
        unit=unit,
        bars=[
            Bar(label=label, value=value, percent=round(100 * value / top, 1), y=i * ROW)
            for i, (label, value) in enumerate(values)
        ],
    )


@dataclass(frozen=True)
class BatchReport:
    mentors: int
    mentees: int
    places: int
    matched: int
    match_rate: float | None
    asked: int
    met: int
    met_rate: float | None
    ended_early: int
    charts: list[Chart]
    feedback: list[tuple[str, float | None, int]]  # stage label, average rating, count


def batch_report(batch: Batch) -> BatchReport:
    """Everything the report page shows, in a fixed, small number of queries."""
    mentor_apps = MentorApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
    mentee_apps = MenteeApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
    totals = mentor_apps.aggregate(count=Count("pk"), places=Sum("capacity"))
    mentees = mentee_apps.count()
    per_area = Area.objects.annotate(
        mentors=Count(
            "mentor_applications",
            filter=Q(mentor_applications__batch=batch, mentor_applications__withdrawn_at__isnull=True),
            distinct=True,
        ),
        mentees=Count(
            "mentee_applications",
            filter=Q(mentee_applications__batch=batch, mentee_applications__withdrawn_at__isnull=True),
            distinct=True,
        ),
    ).order_by("position", "name")
    areas = list(per_area)
    matches = Match.objects.filter(batch=batch)
    published = batch.published_at is not None
    live = (
        PUBLISHED_STATUSES if published else (MatchStatus.PROPOSED, MatchStatus.APPROVED)
    )  # before publishing the proposals are the outcome so far
    matched = matches.filter(status__in=live).values("mentee_application").distinct().count()
    reasons = {
        row["unmatched_reason"]: row["n"]
        for row in mentee_apps.exclude(unmatched_reason="").values("unmatched_reason").annotate(n=Count("pk"))
    }
    check_ins = CheckIn.objects.filter(match__batch=batch).aggregate(
        asked=Count("match", filter=Q(asked_at__isnull=False), distinct=True),
        met=Count("match", filter=Q(met=True), distinct=True),
    )
    feedback = {
        row["stage"]: row
        for row in Feedback.objects.filter(match__batch=batch)
        .values("stage")
        .annotate(avg=Avg("rating"), n=Count("pk"))
    }
    charts = [
        chart("Mentee applications per Area", [(a.name, a.mentees) for a in areas]),
        chart("Mentor applications per Area", [(a.name, a.mentors) for a in areas]),
        chart(
            "Why mentees are unmatched",
            [(label, reasons[value]) for value, label in UnmatchedReasonChoice.choices if reasons.get(value)],
        ),
    ]
    return BatchReport(
        mentors=totals["count"],
        mentees=mentees,
        places=totals["places"] or 0,
        matched=matched,
        match_rate=round(100 * matched / mentees, 1) if mentees else None,
        asked=check_ins["asked"],
        met=check_ins["met"],
        met_rate=round(100 * check_ins["met"] / check_ins["asked"], 1) if check_ins["asked"] else None,
        ended_early=matches.filter(status=MatchStatus.ENDED_EARLY).count(),
        charts=charts,
        feedback=[
            (
                label,
                round(feedback[value]["avg"], 2) if value in feedback else None,
                feedback[value]["n"] if value in feedback else 0,
            )
            for value, label in FeedbackStage.choices
        ],
    )
