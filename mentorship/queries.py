"""Reads that views, services and jobs share, with their joins done once here."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from community.members.models import User
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.models import (
    LIVE_STATUSES,
    Batch,
    CheckIn,
    Match,
    MenteeApplication,
    MenteeAreaChoice,
    MentorApplication,
)


def mentor_applications(batch: Batch) -> QuerySet[MentorApplication]:
    """Active (not withdrawn) mentor applications with their member, profile and Areas."""
    return (
        MentorApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
        .select_related("member__profile")
        .prefetch_related("areas")
        .order_by("pk")
    )


def mentee_applications(batch: Batch) -> QuerySet[MenteeApplication]:
    """Active mentee applications with their member, profile and ranked Areas."""
    return (
        MenteeApplication.objects.filter(batch=batch, withdrawn_at__isnull=True)
        .select_related("member__profile")
        .prefetch_related(
            Prefetch("area_choices", queryset=MenteeAreaChoice.objects.select_related("area").order_by("rank"))
        )
        .order_by("pk")
    )


def rematch_queue(batch: Batch) -> QuerySet[MenteeApplication]:
    """Mentees of `batch` the next run serves first: their pair was rejected or ended early (here or in
    an earlier batch) and they have no live match since."""
    earlier_request = MenteeApplication.objects.filter(
        member=OuterRef("member"), rematch_requested_at__isnull=False
    ).exclude(batch=batch)
    live = Match.objects.filter(mentee_application=OuterRef("pk"), status__in=LIVE_STATUSES)
    return (
        mentee_applications(batch)
        .filter(Q(rematch_requested_at__isnull=False) | Exists(earlier_request))
        .exclude(Exists(live))
    )


def batch_matches(batch: Batch, *, statuses: tuple[str, ...] = ()) -> QuerySet[Match]:
    matches = Match.objects.filter(batch=batch).select_related(
        "mentor_application__member__profile", "mentee_application__member__profile"
    )
    return matches.filter(status__in=statuses) if statuses else matches


def unmatched_mentees(batch: Batch) -> QuerySet[MenteeApplication]:
    """Active mentee applications without a live match (the waiting list once published)."""
    live = Match.objects.filter(mentee_application=OuterRef("pk"), status__in=LIVE_STATUSES)
    return mentee_applications(batch).exclude(Exists(live))


def mentors_with_spare_capacity(batch: Batch) -> list[MentorApplication]:
    """Mentors with places left, each annotated with `taken` and `spare`."""
    mentors = mentor_applications(batch).annotate(
        taken=Count("matches", filter=Q(matches__status__in=LIVE_STATUSES), distinct=True)
    )
    spare = []
    for mentor in mentors:
        mentor.spare = mentor.capacity - mentor.taken
        if mentor.spare > 0:
            spare.append(mentor)
    return spare


def open_batches() -> QuerySet[Batch]:
    return Batch.objects.filter(status=BatchStatus.OPEN, applications_close_at__gt=timezone.now()).order_by(
        "applications_close_at"
    )


def matches_of_member(member: User) -> QuerySet[Match]:
    """Every match the member is part of, on either side (rejected proposals excluded)."""
    return (
        Match.objects.filter(Q(mentor_application__member=member) | Q(mentee_application__member=member))
        .exclude(status__in=[MatchStatus.PROPOSED, MatchStatus.REJECTED])
        .exclude(batch__status__in=[BatchStatus.CLOSED, BatchStatus.MATCHING, BatchStatus.PROPOSED])
        .select_related("batch", "mentor_application__member__profile", "mentee_application__member__profile")
        .order_by("-batch__program_starts_on", "pk")
    )


def mentorship_record(member: User) -> QuerySet[Match]:
    """Completed pairs, kept as a record on both members' profiles."""
    return matches_of_member(member).filter(status=MatchStatus.COMPLETED)


NOT_MET_GRACE = timedelta(days=7)
"""A check-in left unanswered this long after asking counts as "not met"."""


def pairs_not_met(batch: Batch, *, now: timezone.datetime | None = None) -> QuerySet[Match]:
    """Published pairs flagged to builders: nobody said "we met", and someone said no or stayed silent
    for a week after being asked."""
    now = now or timezone.now()
    said_yes = CheckIn.objects.filter(match=OuterRef("pk"), met=True)
    said_no = CheckIn.objects.filter(match=OuterRef("pk"), met=False)
    silent = CheckIn.objects.filter(match=OuterRef("pk"), met__isnull=True, asked_at__lte=now - NOT_MET_GRACE)
    return (
        batch_matches(batch, statuses=(MatchStatus.APPROVED, MatchStatus.ACTIVE))
        .exclude(Exists(said_yes))
        .filter(Exists(said_no) | Exists(silent))
    )


def waiting_list(batch: Batch) -> list[MenteeApplication]:
    """Unmatched mentees in the order an open place is offered to them: the rematch queue first
    (longest waiting first), then everyone else by application time."""
    queued = set(rematch_queue(batch).values_list("pk", flat=True))
    mentees = list(unmatched_mentees(batch))
    return sorted(
        mentees,
        key=lambda m: (
            m.pk not in queued,
            (m.rematch_requested_at or m.created_at) if m.pk in queued else m.created_at,
            m.pk,
        ),
    )


def early_ends_by_mentor(batch: Batch) -> dict[int, int]:
    """How many pairs of each mentor application of `batch` ended early (mentors with none are absent)."""
    rows = (
        Match.objects.filter(batch=batch, status=MatchStatus.ENDED_EARLY)
        .values("mentor_application_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["mentor_application_id"]: row["n"] for row in rows}


def waiting_applications_of(member: User) -> QuerySet[MenteeApplication]:
    """The member's mentee applications still waiting for a mentor in a published or running batch."""
    live = Match.objects.filter(mentee_application=OuterRef("pk"), status__in=LIVE_STATUSES)
    return MenteeApplication.objects.filter(
        member=member, withdrawn_at__isnull=True, batch__status__in=(BatchStatus.PUBLISHED, BatchStatus.ACTIVE)
    ).exclude(Exists(live))
