"""The daily follow-up mail of published batches: feedback requests, the builders' list of pairs that
have not met, and places that open for mentees still waiting.

Each function is safe to run again at any time: every email has an idempotency key naming what it is
about, so a rerun, a retried task or a second scheduler queues nothing twice.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from community.members.models import User
from community.members.queries import builders
from community.notifications.enums import EmailKind
from community.notifications.models import Notification
from community.notifications.queries import users_accepting
from community.notifications.services import queue_email
from mentorship import queries
from mentorship.conf import app_settings
from mentorship.enums import BatchStatus, FeedbackStage, MatchStatus
from mentorship.models import Batch, Feedback, Match

FOLLOWED = (BatchStatus.PUBLISHED, BatchStatus.ACTIVE)
RUNNING = (MatchStatus.APPROVED, MatchStatus.ACTIVE)


def feedback_stage_due(batch: Batch, today: date) -> str | None:
    """The feedback stage to ask about on the local date `today`, or None.

    The last week is the final FEEDBACK_END_DAYS days of the program, `program_ends_on` included:
    end-of-program feedback is asked then. Mid-program feedback is asked from the middle day
    (`program_starts_on` + half the program's days, rounded down) until the last week starts, so a
    program shorter than about two weeks only asks at its end. Nothing is asked after the last day.
    """
    starts, ends = batch.program_starts_on, batch.program_ends_on
    last_week = ends - timedelta(days=app_settings.FEEDBACK_END_DAYS - 1)
    middle = starts + timedelta(days=(ends - starts).days // 2)
    if last_week <= today <= ends:
        return FeedbackStage.END
    if middle <= today < last_week:
        return FeedbackStage.MID
    return None


def _local_date(now: datetime, zone_name: str) -> date:
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return now.astimezone(zone).date()


def _reachable(user_ids: set[int], kind: str) -> set[int]:
    users = User.objects.filter(pk__in=user_ids).exclude(email="")
    return set(users_accepting(users, kind).values_list("pk", flat=True))


def _already_queued(keys: list[str]) -> set[str]:
    return set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))


@transaction.atomic
def ask_for_feedback(*, now: datetime | None = None) -> int:
    """Ask both sides of every running pair of a published or active batch for mid-program and
    end-of-program feedback, each once.

    When is decided per side on the side's own local date (the time zone of their application), by
    `feedback_stage_due`: a member in Auckland reaches the middle of the program hours before one in
    New York. Not asked: someone who already gave that stage's feedback, who turned mentorship email
    off, or who has no address. Queues `mentorship_feedback_request`
    (`mentorship-feedback-request:<stage>:<match>:<member>`, kind mentorship) with a link to the
    feedback form on the match page. Locks the pairs it asks about with SKIP LOCKED, so two runs share
    the work. Returns how many requests it queued.
    """
    now = now or timezone.now()
    # Zones run up to a day either side of UTC: a batch that ended yesterday may still be on its last day.
    earliest_end = _local_date(now, "UTC") - timedelta(days=1)
    pairs = list(
        Match.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=RUNNING, batch__status__in=FOLLOWED, batch__program_ends_on__gte=earliest_end)
        .select_related("batch", "mentor_application__member__profile", "mentee_application__member__profile")
        .order_by("pk")
    )
    due = []
    for pair in pairs:
        for application, other in ((pair.mentor_application, pair.mentee), (pair.mentee_application, pair.mentor)):
            stage = feedback_stage_due(pair.batch, _local_date(now, application.time_zone))
            if stage is not None:
                due.append((pair, application.member, other, stage))
    if not due:
        return 0
    given = set(
        Feedback.objects.filter(match__in={pair.pk for pair, *_ in due}).values_list("match_id", "member_id", "stage")
    )
    reachable = _reachable({member.pk for _, member, _, _ in due}, EmailKind.MENTORSHIP)
    keys = {
        (pair.pk, member.pk, stage): f"mentorship-feedback-request:{stage}:{pair.pk}:{member.pk}"
        for pair, member, _, stage in due
    }
    queued = _already_queued(list(keys.values()))
    asked = 0
    for pair, member, other, stage in due:
        key = keys[(pair.pk, member.pk, stage)]
        if (pair.pk, member.pk, stage) in given or member.pk not in reachable or key in queued:
            continue
        queue_email(
            key=key,
            recipient=member,
            template="mentorship_feedback_request",
            context={
                "batch": pair.batch,
                "other": other,
                "stage": stage,
                "stage_label": FeedbackStage(stage).label,
                "feedback_path": reverse("mentorship:match", kwargs={"pk": pair.pk}) + "#feedback-heading",
            },
            kind=EmailKind.MENTORSHIP,
        )
        asked += 1
    return asked


@transaction.atomic
def tell_builders_pairs_not_met(*, now: datetime | None = None) -> int:
    """Send each builder the pairs of a published or active batch that have not met
    (`queries.pairs_not_met`), at most once per batch per day, and only when there are some.

    The day is the site's calendar day (settings.TIME_ZONE), so the key
    `mentorship-not-met:<batch>:<YYYY-MM-DD>:<builder>` lets a rerun that day send nothing.
    Queues `mentorship_not_met` (transactional: builders' operational mail) with a link to the
    batch's report. Locks the followed batches, so a second run waits for the first and then finds
    its emails queued. Returns how many emails it queued.
    """
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    recipients = list(builders())
    if not recipients:
        return 0
    sent = 0
    followed = Batch.objects.select_for_update(of=("self",)).filter(status__in=FOLLOWED, published_at__isnull=False)
    for batch in followed.order_by("pk"):
        pairs = list(queries.pairs_not_met(batch, now=now).order_by("pk"))
        if not pairs:
            continue
        keys = {builder.pk: f"mentorship-not-met:{batch.pk}:{day}:{builder.pk}" for builder in recipients}
        queued = _already_queued(list(keys.values()))
        for builder in recipients:
            if keys[builder.pk] in queued:
                continue
            queue_email(
                key=keys[builder.pk],
                recipient=builder,
                template="mentorship_not_met",
                context={
                    "batch": batch,
                    "pairs": pairs,
                    "report_path": reverse("mentorship:report", kwargs={"slug": batch.slug}) + "#notmet-heading",
                },
                kind=EmailKind.TRANSACTIONAL,
            )
            sent += 1
    return sent


def opening_of(mentor_application_id: int, *, capacity: int, ended_early: int) -> str:
    """The identity of the places a mentor has open: their application, its capacity, and how many of
    their pairs ended early. A pair ending early or a capacity increase makes a new opening (the
    waiting mentees hear again); a rerun, or a mentee matched into one of the places, keeps it."""
    return f"{mentor_application_id}.{capacity}.{ended_early}"


@transaction.atomic
def tell_waiting_mentees_places_open() -> int:
    """Tell mentees still waiting in a published or active batch that a mentor has a place open, and
    offer them the rematch queue.

    Per batch, the mentors with spare capacity are taken in application order, and each offers its
    spare places to the next mentees of the waiting list (`queries.waiting_list`: rematch queue first,
    then by application time) who receive mentorship email; so no more mentees are told than there
    are places open, and nobody is told when none is. Each mentee hears about a given opening
    (`opening_of`) once: key `mentorship-place-open:<opening>:<member>`. Queues
    `mentorship_place_open` (kind mentorship) with a link to the mentorship page, where they join
    the queue. Locks the followed batches, so a second run waits for the first and then finds its
    emails queued. Returns how many emails it queued.
    """
    sent = 0
    for batch in Batch.objects.select_for_update(of=("self",)).filter(status__in=FOLLOWED).order_by("pk"):
        mentors = queries.mentors_with_spare_capacity(batch)
        if not mentors:
            continue
        waiting = queries.waiting_list(batch)
        reachable = _reachable({m.member_id for m in waiting}, EmailKind.MENTORSHIP)
        waiting = [m for m in waiting if m.member_id in reachable]
        if not waiting:
            continue
        ended_early = queries.early_ends_by_mentor(batch)
        offers = []
        for mentor in mentors:
            opening = opening_of(mentor.pk, capacity=mentor.capacity, ended_early=ended_early.get(mentor.pk, 0))
            offers += [(opening, mentee) for mentee in waiting[len(offers) : len(offers) + mentor.spare]]
        keys = {mentee.pk: f"mentorship-place-open:{opening}:{mentee.member_id}" for opening, mentee in offers}
        queued = _already_queued(list(keys.values()))
        for _, mentee in offers:
            if keys[mentee.pk] in queued:
                continue
            queue_email(
                key=keys[mentee.pk],
                recipient=mentee.member,
                template="mentorship_place_open",
                context={
                    "batch": batch,
                    "application": mentee,
                    "in_queue": mentee.rematch_requested_at is not None,
                    "home_path": reverse("mentorship:home") + "#applications-heading",
                },
                kind=EmailKind.MENTORSHIP,
            )
            sent += 1
    return sent
